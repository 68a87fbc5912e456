package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is a chat command as typed: `/fault <verb> <rest>`.
type Command struct {
	Verb string // lowercased
	Rest string // everything after the verb, trimmed, as typed
}

// ParseCommand reads a chat message. ok is false when the message is not
// addressed to warroom (it does not start with /word), which is no error:
// people talk in war rooms. `/fault` alone is the help verb.
func ParseCommand(word, text string) (cmd Command, ok bool) {
	text = strings.TrimSpace(text)
	prefix := "/" + word
	if !strings.HasPrefix(text, prefix) {
		return Command{}, false
	}
	rest := text[len(prefix):]
	if rest != "" {
		r, _ := utf8.DecodeRuneInString(rest)
		if !unicode.IsSpace(r) {
			return Command{}, false // "/faulty" is someone else's command
		}
	}
	verb, rest := SplitFirst(rest)
	if verb == "" {
		verb = "help"
	}
	return Command{Verb: strings.ToLower(verb), Rest: rest}, true
}

// SplitFirst splits off the first whitespace-separated word of s; rest is
// trimmed but otherwise as typed (free text keeps its quotes and spacing).
func SplitFirst(s string) (first, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// Args are the words of a command line: positional words, and key=value
// options.
type Args struct {
	Words   []string
	Options map[string]string
	keys    []string // option keys in the order typed
}

// Tokenize splits s into words and key=value options. A double or single
// quote opens a quoted part only at the start of a word or right after "=",
// so an apostrophe inside a word ("Bob's") is just a letter.
func Tokenize(s string) (Args, error) {
	a := Args{Options: map[string]string{}}
	var (
		b      strings.Builder
		quote  rune // the open quote, or 0
		inWord bool
		// startQuoted marks a word that began with a quote: it is a word
		// even if it contains "=", and "" is a word rather than nothing.
		startQuoted bool
	)
	flush := func() error {
		if !inWord {
			return nil
		}
		w := b.String()
		b.Reset()
		inWord = false
		k, v, isOpt := strings.Cut(w, "=")
		if isOpt && isOptionKey(k) && !startQuoted {
			if _, dup := a.Options[k]; dup {
				return Errorf(EINVALID, "%s= is given twice; give it once", k)
			}
			a.Options[k] = v
			a.keys = append(a.keys, k)
		} else {
			a.Words = append(a.Words, w)
		}
		startQuoted = false
		return nil
	}
	prev := rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				b.WriteRune(r)
			}
		case (r == '"' || r == '\'') && (!inWord || prev == '='):
			if !inWord {
				startQuoted = true
			}
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if err := flush(); err != nil {
				return Args{}, err
			}
		default:
			b.WriteRune(r)
			inWord = true
		}
		prev = r
	}
	if quote != 0 {
		return Args{}, Errorf(EINVALID, "a %c quote is not closed; close it or leave the quotes out", quote)
	}
	if err := flush(); err != nil {
		return Args{}, err
	}
	return a, nil
}

func isOptionKey(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// Keys returns the option keys in the order they were typed.
func (a Args) Keys() []string { return a.keys }

// CheckOptions fails on an option key not in allowed, naming the closest.
func (a Args) CheckOptions(usage string, allowed ...string) error {
	for _, k := range a.keys {
		ok := false
		for _, al := range allowed {
			ok = ok || k == al
		}
		if !ok {
			hint := ""
			if c := Closest(k, allowed); c != "" {
				hint = "; did you mean " + c + "=?"
			}
			return Errorf(EINVALID, "unknown option %s=%s. Type: %s", k, hint, usage)
		}
	}
	return nil
}
