package plans

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
	"gopkg.in/yaml.v3"
)

// Parsing a step's HTTP job.

func (p *parser) job(path string, f field, sc *scope) *bot.Job {
	job := &bot.Job{}
	fields := p.Fields(path, f.K, f.V, jobKeys)
	if yamlnode.IsNull(f.V) {
		p.errorf(f.K, path, "empty; an HTTP call: method, url, and optionally headers and body")
		return job
	}
	if yamlnode.Deref(f.V).Kind != yaml.MappingNode {
		return job
	}
	if g, ok := fields["method"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "method"), g.K, g.V); ok {
			m := strings.ToUpper(s)
			if slices.Contains(methods, m) {
				job.Method = m
			} else {
				p.errorf(g.K, yamlnode.Join(path, "method"), "%q is not GET, POST, PUT, PATCH or DELETE%s", yamlnode.Clip(s), yamlnode.Suggest(m, methods, 0))
			}
		}
	} else {
		p.errorf(f.K, path, "method: missing; GET, POST, PUT, PATCH or DELETE")
	}
	if g, ok := fields["url"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "url"), g.K, g.V); ok && s != "" {
			job.URL = s
			if err := checkRefs(s, sc); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "url"), "%v", err)
			} else if _, err := envRefs(s); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "url"), "%v", err)
			} else if err := checkURL(s, false); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "url"), "%v", err)
			}
		} else if !p.hasProblemAt(g.K) {
			p.errorf(g.K, yamlnode.Join(path, "url"), "empty; the job's URL, e.g. \"${JOBS_URL}/api/job/restore/run\"")
		}
	} else {
		p.errorf(f.K, path, "url: missing; the job's URL, e.g. \"${JOBS_URL}/api/job/restore/run\"")
	}
	if g, ok := fields["headers"]; ok {
		hpath := yamlnode.Join(path, "headers")
		seen := map[string]bool{}
		for _, h := range p.Mapping(hpath, g.K, g.V, nil) {
			v, ok := p.Scalar(yamlnode.Join(hpath, yamlnode.KeyName(h.Key)), h.K, h.V)
			switch {
			case !headerRe.MatchString(h.Key):
				p.errorf(h.K, hpath, "%q is not a header name", yamlnode.Clip(h.Key))
			case seen[strings.ToLower(h.Key)]:
				p.errorf(h.K, hpath, "%q is given twice (header names ignore case)", yamlnode.Clip(h.Key))
			case !ok && !p.hasProblemAt(h.K):
				p.errorf(h.K, yamlnode.Join(hpath, h.Key), "empty")
			case !ok:
			case strings.Contains(v, "{{"):
				p.errorf(h.K, yamlnode.Join(hpath, h.Key), "parameters are not allowed in headers; headers come from the file and ${VAR}s")
			default:
				if _, err := envRefs(v); err != nil {
					p.errorf(h.K, yamlnode.Join(hpath, h.Key), "%v", err)
					continue
				}
				seen[strings.ToLower(h.Key)] = true
				if job.Headers == nil {
					job.Headers = map[string]string{}
				}
				job.Headers[h.Key] = v
			}
		}
	}
	if g, ok := fields["body"]; ok {
		if s, ok := p.Scalar(yamlnode.Join(path, "body"), g.K, g.V); ok {
			job.Body = s
			if err := checkRefs(s, sc); err != nil {
				p.errorf(g.K, yamlnode.Join(path, "body"), "%v", err)
			} else if isJSON(s, job.Headers) {
				if err := checkJSONBody(s); err != nil {
					p.errorf(g.K, yamlnode.Join(path, "body"), "%v", err)
				}
			}
		}
	}
	return job
}

// isJSON decides how {{param}}s in a body are escaped: as JSON string
// content when the body is JSON.
func isJSON(body string, headers map[string]string) bool {
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			return strings.Contains(strings.ToLower(v), "json")
		}
	}
	t := strings.TrimSpace(body)
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
}

// checkJSONBody makes sure the substituted body is always valid JSON: each
// {{param}} sits inside a string, where its escaped value cannot end it.
func checkJSONBody(body string) error {
	if json.Valid([]byte(placeholder.ReplaceAllString(body, "x"))) {
		return nil
	}
	if m := placeholder.FindString(body); m != "" && json.Valid([]byte(placeholder.ReplaceAllString(body, "0"))) {
		return fmt.Errorf("%s must be inside a JSON string, \"%s\": values are inserted as string content", m, m)
	}
	var v any
	err := json.Unmarshal([]byte(placeholder.ReplaceAllString(body, "x")), &v)
	return fmt.Errorf("is not valid JSON: %v", err)
}

// names reads a list of names that must match re, each once, in order; bad
// says what a name that does not match is.
