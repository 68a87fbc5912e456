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
// closes the secret), and hides the rest. None crosses a line.
var secretPatterns = []*regexp.Regexp{
	// Authorization: Bearer abc, Authorization: Basic dXNlcg==
	regexp.MustCompile(`(?i)(\bauthorization["']?[ \t]*[:=][ \t]*["']?)(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s"',;]+`),
	regexp.MustCompile(`(?i)(\bbearer[ \t]+)[A-Za-z0-9._~+/=-]+`),
	// password=x, "api_key": "x", DB_PASSWORD: x, aws_secret_access_key=x
	regexp.MustCompile(`(?i)([A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)["']?[ \t]*[:=][ \t]*)("[^"\n]*"|'[^'\n]*'|[^\s"'&,;)\]}>]+)`),
	// https://user:password@host
	regexp.MustCompile(`(://[^/\s:@]+:)([^/\s@]+)(@)`),
	// Slack tokens, AWS access key ids.
	regexp.MustCompile(`()\bxox[a-zA-Z]-[A-Za-z0-9-]+`),
	regexp.MustCompile(`()\bxapp-[A-Za-z0-9-]+`),
	regexp.MustCompile(`()\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`),
}

// triggers are words, in lower case, without one of which on a line no
// secretPattern can match there: the patterns run only on lines that have
// one, which keeps redaction at memory speed for ordinary output.
var triggers = []string{"authorization", "bearer", "passw", "secret", "token", "key", "://", "xox", "xapp-", "akia", "asia"}

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
	lines := suspectLines(s)
	if len(lines) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, l := range lines {
		b.WriteString(s[last:l[0]])
		line := s[l[0]:l[1]]
		for _, re := range secretPatterns {
			line = replaceKeep(re, line)
		}
		b.WriteString(line)
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// suspectLines returns the [start, end) of each line of s holding a
// trigger, in order.
func suspectLines(s string) [][2]int {
	low := asciiLower(s) // same length as s, so offsets carry over
	var spans [][2]int
	for _, t := range triggers {
		for off := 0; off < len(low); {
			i := strings.Index(low[off:], t)
			if i < 0 {
				break
			}
			i += off
			start := strings.LastIndexByte(s[:i], '\n') + 1
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				end = len(s)
			} else {
				end += i
			}
			spans = append(spans, [2]int{start, end})
			off = end + 1
		}
	}
	if len(spans) == 0 {
		return nil
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		if last := &merged[len(merged)-1]; sp[0] <= last[1] {
			last[1] = max(last[1], sp[1])
		} else {
			merged = append(merged, sp)
		}
	}
	return merged
}

// asciiLower lowers A-Z only, keeping every byte where it was.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
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
