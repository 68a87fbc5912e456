// Package redact hides secrets in text that warroom shows, keeps or logs:
// the output of plan steps above all, which goes to chat, to the store (and
// from there to the API) and to the log. It lives beside the core, not in
// the plans runner, because both use it: the runner redacts output as it
// reads it, and the core redacts again whatever any Runner hands it before
// it posts, stores or logs it. Redacting is idempotent, so the second pass
// changes nothing the first did.
//
// What is hidden (each replaced by Marker):
//   - known token formats, wherever they appear: GitHub (ghp_, gho_, ghu_,
//     ghs_, ghr_, github_pat_), GitLab (glpat-, gldt-, glrt-, glptt-...),
//     Slack (xoxb-, xoxp-... and xapp-), Stripe secret and restricted keys
//     (sk_live_, rk_live_, and their _test_ twins) and webhook secrets
//     (whsec_), AWS access key ids (AKIA..., ASIA...), JSON Web Tokens
//     (eyJ...eyJ...sig);
//   - PEM private keys: the body of a "-----BEGIN ... PRIVATE KEY-----"
//     block, whether it comes on one line (JSON's "\n") or on many, even
//     across the chunks of a stream; the BEGIN and END lines stay, so that a
//     reader sees what was there;
//   - credentials in context: an Authorization header's value, a Bearer
//     token, a URL's password (https://user:[redacted]@host);
//   - assignments (KEY=value, key: value, "key": "value"): whatever the value
//     of a name containing password, passwd, passphrase, secret, token,
//     api_key, access_key, private_key or credential; and, for the more
//     ambiguous names ending in key, auth, pass, pwd, sig, signature, salt,
//     cookie or session_id, a value that looks random (Random): long, varied
//     and mixing kinds of character, so that sort_key=created_at and
//     monkey=business stay as they are;
//   - literal values given to New (the ${VAR}s a job step used).
//
// What is not hidden, on purpose: a high-entropy string on its own, with no
// known prefix and no secret-sounding name before it. That is what git SHAs,
// digests, UUIDs, request ids and base64 data look like, and hiding them
// would make output useless for the people fixing the fault; a secret of no
// known format printed bare is not found. Under a secret-sounding name,
// though, a hex string is hidden like any other random value (hex API keys
// exist): cache_key=<sha1> is redacted, commit=<sha1> is not.
//
// Redaction works line by line. A secret cut in two by the chunks of a
// stream (the runner passes a partial line on after a pause) may be missed;
// whole lines, which is what the runner passes on otherwise, are not.
package redact

import (
	"math"
	"regexp"
	"sort"
	"strings"
)

// Marker replaces what is hidden.
const Marker = "[redacted]"

// MinValue is the shortest literal value (New) that is hidden: one or two
// characters would blank out half the output and hide nothing.
const MinValue = 4

// rule is a pattern whose value group is hidden. Group 1 is kept before the
// marker (the key, the scheme), group 2 is the value (its quotes are kept
// around the marker), group 3 is kept after it. A rule runs on a line only
// if the line holds one of its triggers (in lower case), which keeps
// redaction fast on ordinary output.
type rule struct {
	re       *regexp.Regexp
	triggers []string
}

const b64run = `[A-Za-z0-9+/=_-]`

// before run ahead of the assignments, after them.
var before = []rule{
	// Authorization: Bearer abc, Authorization: Basic dXNlcg==
	{regexp.MustCompile(`(?i)(\bauthorization["']?[ \t]*[:=][ \t]*["']?)()(?:(?:bearer|basic|token|digest)[ \t]+)?[^\s"',;]+`), []string{"authorization"}},
	{regexp.MustCompile(`(?i)(\bbearer[ \t]+)()[A-Za-z0-9._~+/=-]+`), []string{"bearer"}},
	// A PEM private key on one line (as JSON carries it, with \n escapes).
	{regexp.MustCompile(`(-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)(.+?)(-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)`), []string{"-----begin"}},
}

var after = []rule{
	// https://user:password@host
	{regexp.MustCompile(`(://[^/\s:@]+:)([^/\s@]+)(@)`), []string{"://"}},
	// Known token formats.
	{regexp.MustCompile(`()xox[abcdeprs]-[A-Za-z0-9-]+`), []string{"xox"}},
	{regexp.MustCompile(`()xapp-[A-Za-z0-9-]+`), []string{"xapp-"}},
	{regexp.MustCompile(`()\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), []string{"akia", "asia"}},
	{regexp.MustCompile(`()(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})`), []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{regexp.MustCompile(`()gl(?:pat|dt|rt|ptt|soat|oas|cbt|ft|imt|agent)-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*`),
		[]string{"glpat-", "gldt-", "glrt-", "glptt-", "glsoat-", "gloas-", "glcbt-", "glft-", "glimt-", "glagent-"}},
	{regexp.MustCompile(`()(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`), []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"}},
	{regexp.MustCompile(`()whsec_[A-Za-z0-9+/=]{16,}`), []string{"whsec_"}},
	{regexp.MustCompile(`()\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`), []string{"eyj"}},
}

// Assignments (KEY=value, key: value, "key": "value"): the key is the run
// of letters, digits, _, . and - before the : or = (and a closing quote and
// blanks), and the value what follows the blanks after it: a marker, a
// quoted string, or a run up to a blank or one of "'&,;)]}>.
var (
	// Keys ending so hold a secret whatever the value.
	secretKeys = []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
		"accesskey", "access_key", "access-key", "privatekey", "private_key", "private-key", "credential", "credentials"}
	// Keys ending so may: only a value that looks Random is hidden.
	maybeKeys = []string{"key", "auth", "pass", "pwd", "sig", "signature", "salt", "cookie", "sessionid", "session_id", "session-id"}
	// keyTriggers: without one of these, no key above is on a line.
	keyTriggers = []string{"passw", "passphrase", "secret", "token", "key", "credential", "auth", "pass", "pwd", "sig", "salt", "cookie", "session"}
)

// triggers are all the rules' triggers: a text without any is left as it
// is at once.
var triggers = func() []string {
	t := append([]string{"-----begin"}, keyTriggers...)
	for _, r := range append(append([]rule(nil), before...), after...) {
		t = append(t, r.triggers...)
	}
	return t
}()

var (
	pemBegin = regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	pemEnd   = regexp.MustCompile(`-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----`)
	// pemBody is what a line of a PEM body holds: base64 (a run of it,
	// whatever prefix a logger put before it), or a header such as
	// "Proc-Type: 4,ENCRYPTED", or nothing.
	pemBody   = regexp.MustCompile(b64run + `{16,}`)
	pemHeader = regexp.MustCompile(`^[ \t]*(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset):`)
)

// Redactor hides secrets in a stream of text: the rules above, and the
// literal values it was made with. It remembers one thing between calls,
// whether it is inside a multi-line private key, so a stream is redacted
// alike whatever its chunks. A Redactor is used by one goroutine at a time;
// the zero value is ready, with no literal values.
type Redactor struct {
	values []string // longest first
	exact  *strings.Replacer
	inKey  bool // inside a PEM private key's body
	shown  bool // the body's marker has been written
}

// New returns a Redactor that also hides each of values (those shorter than
// MinValue are not worth hiding and are left alone).
func New(values ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	for _, v := range values {
		// A value inside the marker would be found again in it.
		if len(v) >= MinValue && !seen[v] && !strings.Contains(Marker, v) {
			seen[v] = true
			r.values = append(r.values, v)
		}
	}
	if len(r.values) == 0 {
		return r
	}
	// Longest first, so that a value containing another is hidden whole.
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	pairs := make([]string, 0, 2*len(r.values))
	for _, v := range r.values {
		pairs = append(pairs, v, Marker)
	}
	r.exact = strings.NewReplacer(pairs...)
	return r
}

// String redacts s on its own (a fresh Redactor, no literal values).
func String(s string) string {
	var r Redactor
	return r.Redact(s)
}

// Redact returns s with its secrets hidden.
func (r *Redactor) Redact(s string) string {
	if r.exact != nil {
		s = r.replaceValues(s)
	}
	if !r.inKey && !hasTrigger(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		line, rest, nl := s, "", false
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, rest, nl = s[:i], s[i+1:], true
		}
		s = rest
		out, keep := r.line(line)
		if !keep {
			continue
		}
		b.WriteString(out)
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// replaceValues hides the literal values, never inside a marker already
// there: splitting on the markers keeps a second pass from finding a value
// that straddles one.
func (r *Redactor) replaceValues(s string) string {
	if !strings.Contains(s, Marker) {
		return r.exact.Replace(s)
	}
	parts := strings.Split(s, Marker)
	for i, p := range parts {
		parts[i] = r.exact.Replace(p)
	}
	return strings.Join(parts, Marker)
}

// line redacts one line (without its newline); keep false drops it, as the
// second and later lines of a private key's body are dropped.
func (r *Redactor) line(l string) (out string, keep bool) {
	if r.inKey {
		if loc := pemEnd.FindStringIndex(l); loc != nil {
			r.inKey = false
			head := ""
			if !r.shown && strings.TrimSpace(l[:loc[0]]) != "" {
				head = Marker
			}
			return head + l[loc[0]:loc[1]] + r.rest(l[loc[1]:]), true
		}
		if l == Marker || pemBody.MatchString(l) || pemHeader.MatchString(l) || strings.TrimSpace(l) == "" {
			if r.shown {
				return "", false
			}
			r.shown = true
			return Marker, true
		}
		// Not a key's line: the block was never closed. Carry on as usual.
		r.inKey = false
	}
	return r.rest(l), true
}

// rest applies the rules to text outside a key's body, and notices a key
// that begins there and does not end on the same line.
func (r *Redactor) rest(l string) string {
	low := asciiLower(l)
	if !containsAny(low, triggers) {
		return l
	}
	for _, ru := range before {
		if containsAny(low, ru.triggers) {
			l = apply(ru, l)
		}
	}
	if containsAny(low, keyTriggers) {
		l = assignments(l)
	}
	for _, ru := range after {
		if containsAny(low, ru.triggers) {
			l = apply(ru, l)
		}
	}
	// A BEGIN left after the rules has no END after it on this line.
	if locs := pemBegin.FindAllStringIndex(l, -1); locs != nil {
		last := locs[len(locs)-1]
		if pemEnd.FindStringIndex(l[last[1]:]) == nil {
			r.inKey, r.shown = true, false
			if after := l[last[1]:]; after != "" {
				r.shown = true
				if after != Marker {
					l = l[:last[1]] + Marker
				}
			}
		}
	}
	return l
}

// assignments hides the values of the assignments on a line whose key
// says they are secret: always for secretKeys, when Random for maybeKeys.
func assignments(l string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(l); i++ {
		if l[i] != '=' && l[i] != ':' {
			continue
		}
		j := i
		for j > last && (l[j-1] == ' ' || l[j-1] == '\t') {
			j--
		}
		if j > last && (l[j-1] == '"' || l[j-1] == '\'') {
			j--
		}
		k := j
		for k > last && isKeyChar(l[k-1]) {
			k--
		}
		if k == j {
			continue
		}
		key := asciiLower(l[k:j])
		secret := hasSuffixAny(key, secretKeys)
		if !secret && !hasSuffixAny(key, maybeKeys) {
			continue
		}
		v := i + 1
		for v < len(l) && (l[v] == ' ' || l[v] == '\t') {
			v++
		}
		end := valueEnd(l, v)
		if end < 0 {
			continue
		}
		value, q := l[v:end], ""
		if value[0] == '"' || value[0] == '\'' {
			q = value[:1]
		}
		if !secret && !Random(strings.Trim(value, `"'`)) {
			continue
		}
		b.WriteString(l[last:v])
		b.WriteString(q + Marker + q)
		last = end
		i = end - 1
	}
	if last == 0 {
		return l
	}
	b.WriteString(l[last:])
	return b.String()
}

// valueEnd is where an assignment's value starting at v ends, or -1 when
// there is none.
func valueEnd(l string, v int) int {
	switch {
	case v >= len(l):
		return -1
	case strings.HasPrefix(l[v:], Marker):
		return v + len(Marker)
	case l[v] == '"' || l[v] == '\'':
		if i := strings.IndexByte(l[v+1:], l[v]); i >= 0 {
			return v + 1 + i + 1
		}
		return -1
	}
	end := v
	for end < len(l) && !strings.ContainsRune(" \t\r\n\v\f\"'&,;)]}>", rune(l[end])) {
		end++
	}
	if end == v {
		return -1
	}
	return end
}

func isKeyChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

func hasSuffixAny(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// apply replaces each match of the rule by its group 1, the marker (in the
// quotes of group 2, if it has them) and its group 3.
func apply(ru rule, s string) string {
	ms := ru.re.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		q := "" // the value's quote, kept around the marker
		if len(m) > 5 && m[4] >= 0 && m[5] > m[4] && (s[m[4]] == '"' || s[m[4]] == '\'') {
			q = s[m[4] : m[4]+1]
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(s[m[2]:m[3]])
		b.WriteString(q + Marker + q)
		if len(m) > 7 && m[6] >= 0 {
			b.WriteString(s[m[6]:m[7]])
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// hasTrigger reports whether s holds a trigger word, in any case.
func hasTrigger(s string) bool { return containsAny(asciiLower(s), triggers) }

// asciiLower lowers A-Z only, keeping every byte where it was.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Tail hides the start of a literal value cut off at the end of s, as
// happens when output is capped in the middle of it.
func (r *Redactor) Tail(s string) string {
	for _, v := range r.values {
		for k := len(v) - 1; k >= MinValue; k-- {
			if strings.HasSuffix(s, v[:k]) {
				return s[:len(s)-k] + Marker
			}
		}
	}
	return s
}

// Random reports whether a value looks like a generated secret rather than
// a word, a name or a path: at least 16 characters with no space, not a
// path or URL, with a digit, several kinds of character (lower, upper,
// digit) alternating often, and a high Shannon entropy: 3 bits a character for hex (whose
// alphabet is small), 3.5 otherwise. "created_at", "production-eu-west-1",
// "kubernetes.io/hostname" and "/etc/ssl/key.pem" are not random;
// "wJalrXUtnFEMI/K7MDENG" and a 40-character hex string are.
func Random(v string) bool {
	if len(v) < 16 || strings.ContainsAny(v, " \t[]") || strings.Contains(v, "://") ||
		strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "~/") {
		return false
	}
	hex, digit := true, false
	changes, prev := 0, -1
	for i := 0; i < len(v); i++ {
		c := v[i]
		class := -1
		switch {
		case 'a' <= c && c <= 'z':
			class = 0
		case 'A' <= c && c <= 'Z':
			class = 1
		case '0' <= c && c <= '9':
			class, digit = 2, true
		}
		if !(class == 2 || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			hex = false
		}
		if class < 0 {
			continue
		}
		if prev >= 0 && class != prev {
			changes++
		}
		prev = class
	}
	if !digit || changes < len(v)/6 {
		return false
	}
	floor := 3.5
	if hex {
		floor = 3.0
	}
	return entropy(v) >= floor
}

// entropy is the Shannon entropy of s's bytes, in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h, n := 0.0, float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
