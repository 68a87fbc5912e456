package plans

import (
	"bytes"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

const (
	// DefaultMaxOutput is how much of a step's output is kept.
	DefaultMaxOutput = 1 << 20
	// maxLine is how long a line without its end may grow before it is
	// passed on anyway: output must keep moving.
	maxLine = 64 << 10
	// redacted replaces a secret.
	redacted = "[redacted]"
	// minSecret is the shortest ${VAR} value redacted as a secret: one or
	// two characters would blank out half the output and hide nothing.
	minSecret = 4
)

// secretPatterns find the obvious secrets a script or a job may print.
// Each keeps its group 1 (the key or the scheme) and its group 3 (what
// closes the secret), and hides the rest.
var secretPatterns = []*regexp.Regexp{
	// Authorization: Bearer abc, Authorization: Basic dXNlcg==
	regexp.MustCompile(`(?i)(\bauthorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;]+`),
	regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+`),
	// password=x, "api_key": "x", DB_PASSWORD: x, aws_secret_access_key=x
	regexp.MustCompile(`(?i)([A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)["']?\s*[:=]\s*)("[^"\n]*"|'[^'\n]*'|[^\s"'&,;]+)`),
	// https://user:password@host
	regexp.MustCompile(`(://[^/\s:@]+:)([^/\s@]+)(@)`),
	// Slack tokens, AWS access key ids.
	regexp.MustCompile(`()\bxox[a-zA-Z]-[A-Za-z0-9-]+`),
	regexp.MustCompile(`()\bxapp-[A-Za-z0-9-]+`),
	regexp.MustCompile(`()\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`),
}

// redactor hides secrets in output: the values of the ${VAR}s a step used,
// and whatever secretPatterns find.
type redactor struct {
	values []string // longest first
	exact  *strings.Replacer
}

func newRedactor(values map[string]string) *redactor {
	r := &redactor{}
	for _, v := range values {
		if len(v) >= minSecret {
			r.values = append(r.values, v)
		}
	}
	if len(r.values) == 0 {
		return r
	}
	// Longest first, so that a value containing another is hidden whole.
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	var pairs []string
	for _, v := range r.values {
		pairs = append(pairs, v, redacted)
	}
	r.exact = strings.NewReplacer(pairs...)
	return r
}

func (r *redactor) redact(s string) string {
	if r.exact != nil {
		s = r.exact.Replace(s)
	}
	for _, re := range secretPatterns {
		s = replaceKeep(re, s)
	}
	return s
}

// replaceKeep replaces each match of re by its group 1, redacted and its
// group 3, keeping the quotes of a quoted value (group 2).
func replaceKeep(re *regexp.Regexp, s string) string {
	ms := re.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(s[last:m[0]])
		b.WriteString(s[m[2]:m[3]])
		q := ""
		if len(m) > 5 && m[4] >= 0 && m[5] > m[4] && (s[m[4]] == '"' || s[m[4]] == '\'') {
			q = s[m[4] : m[4]+1]
		}
		b.WriteString(q + redacted + q)
		if len(m) > 7 && m[6] >= 0 {
			b.WriteString(s[m[6]:m[7]])
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// tail hides the start of a secret value cut off at the end of s, as
// happens when output is capped in the middle of it.
func (r *redactor) tail(s string) string {
	for _, v := range r.values {
		for k := len(v) - 1; k >= minSecret; k-- {
			if strings.HasSuffix(s, v[:k]) {
				return s[:len(s)-k] + redacted
			}
		}
	}
	return s
}

// sink collects a step's output: it passes whole lines on as they come,
// redacted, keeps them up to a cap and counts what it drops. It is used
// by one goroutine at a time.
type sink struct {
	limit   int64 // raw bytes kept at most
	kept    int64
	dropped int64
	full    bool
	pending []byte // raw bytes kept but not passed on yet: a partial line
	red     *redactor
	out     func(string)
	text    strings.Builder // what was passed on
}

func newSink(limit int64, red *redactor, out func(string)) *sink {
	return &sink{limit: limit, red: red, out: out}
}

// Write takes raw output; it never fails, so that a step is never
// blocked on its own output.
func (s *sink) Write(p []byte) (int, error) {
	n := len(p)
	if s.full {
		s.dropped += int64(n)
		return n, nil
	}
	if room := s.limit - s.kept; int64(len(p)) > room {
		cut := int(room)
		// Never keep half a character.
		for i := 0; i < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(p[cut]); i++ {
			cut--
		}
		s.dropped += int64(len(p) - cut)
		p = p[:cut]
		s.full = true
	}
	s.kept += int64(len(p))
	s.pending = append(s.pending, p...)
	if s.full {
		s.flush()
		return n, nil
	}
	if i := bytes.LastIndexByte(s.pending, '\n'); i >= 0 {
		s.emit(s.pending[:i+1])
		s.pending = append(s.pending[:0], s.pending[i+1:]...)
	} else if len(s.pending) >= maxLine {
		// Pass on all but a trailing incomplete character.
		cut := lastRuneStart(s.pending)
		if utf8.FullRune(s.pending[cut:]) {
			cut = len(s.pending)
		}
		s.emit(s.pending[:cut])
		s.pending = append(s.pending[:0], s.pending[cut:]...)
	}
	return n, nil
}

func lastRuneStart(b []byte) int {
	i := len(b) - 1
	for j := 0; i > 0 && j < utf8.UTFMax-1 && !utf8.RuneStart(b[i]); j++ {
		i--
	}
	return max(i, 0)
}

// flush passes on a partial line: the step has gone quiet, or ended.
func (s *sink) flush() {
	if len(s.pending) == 0 {
		return
	}
	s.emit(s.pending)
	s.pending = s.pending[:0]
}

func (s *sink) emit(raw []byte) {
	t := s.red.redact(strings.ToValidUTF8(string(raw), "\uFFFD"))
	if s.full {
		t = s.red.tail(t)
	}
	s.text.WriteString(t)
	if s.out != nil {
		s.out(t)
	}
}

// note adds a line of warroom's own to the output (a retry, say).
func (s *sink) note(line string) {
	s.flush()
	if s.full {
		return
	}
	s.Write([]byte("[warroom] " + line + "\n"))
}
