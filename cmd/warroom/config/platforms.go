package config

import (
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot/yamlnode"
)

// platformSections reads the section of every registered platform that has
// one: each platform decodes and checks its own (adapters.Platform.Section).
func (p *parser) platformSections(cfg *Config, fields map[string]field) {
	cfg.Platforms = map[string]any{}
	for _, name := range adapters.Names() {
		pl, _ := adapters.Lookup(name)
		if pl.Section == nil {
			continue
		}
		s := &platformSection{p: p, cfg: cfg, name: name, at: fields["adapter"].K, fields: map[string]field{}}
		if f, ok := fields[name]; ok {
			s.at = f.K
			for _, g := range p.Mapping(name, f.K, f.V, pl.Keys) {
				s.fields[g.Key] = g
			}
		}
		cfg.Platforms[name] = pl.Section(s, cfg.Adapter == name)
	}
}

// sectionKeys are the top-level keys of the registered platforms' sections.
func sectionKeys() []string {
	var out []string
	for _, name := range adapters.Names() {
		if pl, _ := adapters.Lookup(name); pl.Section != nil {
			out = append(out, name)
		}
	}
	return out
}

// platformSection is a platform's section as adapters.Section: the config reader's
// helpers, at the section's keys.
type platformSection struct {
	p      *parser
	cfg    *Config
	name   string
	at     *yaml.Node // where a problem with an absent key is reported
	fields map[string]field
}

func (s *platformSection) path(key string) string {
	if key == "" {
		return s.name
	}
	return yamlnode.Join(s.name, key)
}

func (s *platformSection) node(key string) *yaml.Node {
	if f, ok := s.fields[key]; ok {
		return f.K
	}
	return s.at
}

func (s *platformSection) Has(key string) bool { _, ok := s.fields[key]; return ok }

func (s *platformSection) String(key string) string {
	f, ok := s.fields[key]
	if !ok {
		return ""
	}
	v, _ := s.p.str(s.path(key), f.K, f.V)
	return v
}

func (s *platformSection) Secret(key, envVar string) (string, string) {
	f, ok := s.fields[key]
	if !ok {
		return "", envVar
	}
	return s.p.secret(s.path(key), f.K, f.V, envVar)
}

func (s *platformSection) Bool(key string) bool {
	f, ok := s.fields[key]
	if !ok {
		return false
	}
	v, _ := s.p.boolean(s.path(key), f.K, f.V)
	return v
}

func (s *platformSection) URL(key string) string {
	f, ok := s.fields[key]
	if !ok {
		return ""
	}
	return s.p.apiURL(s.path(key), f.K, f.V)
}

func (s *platformSection) Errorf(key, format string, args ...any) {
	s.p.Errorf(s.node(key), s.path(key), format, args...)
}

func (s *platformSection) Reported(key string) bool {
	n := s.node(key)
	return n != nil && slices.ContainsFunc(s.p.Problems, func(pr yamlnode.Problem) bool { return pr.Line == n.Line })
}

func (s *platformSection) ServesHTTP() bool { return s.cfg.HTTP != "" }
