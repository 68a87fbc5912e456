package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Scope says where a verb may be typed.
type Scope int

// Scopes.
const (
	AnyChannel Scope = iota // declare, help
	WarRoom                 // acts on the fault whose war room it is typed in
)

// Request is one command being run.
type Request struct {
	Channel string // where it was typed
	Actor   Person // who typed it
	Cmd     Command
	// FaultID is the war room's fault (Scope WarRoom). The verb's use case
	// locks and loads it: the one replay per command.
	FaultID int64
	verb    string // the verb's name (not the alias typed): its permissions row
}

// as is the request's actor, for the use cases.
func (r *Request) as() Actor { return Actor{Person: r.Actor, Via: ViaChat} }

// Verb is a chat command. Capabilities (plans, reminders, the bridge)
// register their own verbs; help and the platforms' command schemas
// (Discord's application command, Slack's usage hint) are generated from
// the registry.
type Verb struct {
	Name    string
	Aliases []string
	// Args are the verb's arguments, in the order they are typed. The usage
	// line is generated from them; the verb's Run still parses its text.
	Args    []Arg
	Summary string // one line for help
	Scope   Scope
	// WhenResolved lets a war-room verb run on a resolved fault (status,
	// timeline); every other war-room verb refuses.
	WhenResolved bool
	Run          func(ctx context.Context, b *Bot, r *Request) error
}

// ArgKind is what an argument is.
type ArgKind int

// Argument kinds.
const (
	ArgPerson   ArgKind = iota // a mention or a catalog id: @person
	ArgLevel                   // P1|P2|P3|P4
	ArgRole                    // commander|handler|responder
	ArgNumber                  // a task or run number: <task#>
	ArgWord                    // one word, such as a service or plan name: <service>; Many: words, <title...>
	ArgText                    // free text, the rest of the line as typed: <text>
	ArgKeyValue                // key=value pairs, any key: [key=value...]
)

var argKinds = [...]string{"person", "level", "role", "number", "word", "text", "key=value"}

func (k ArgKind) String() string {
	if k >= 0 && int(k) < len(argKinds) {
		return argKinds[k]
	}
	return fmt.Sprintf("ArgKind(%d)", int(k))
}

// Arg is one argument of a verb. Platforms that collect arguments one by
// one (Discord's options) build their schema from it and hand the core the
// line Verb.Line makes of what was given.
type Arg struct {
	// Name is the argument's name (its platform option name, unless Key is
	// set) and its placeholder in the usage: `<title...>`, `@person`.
	Name     string
	Kind     ArgKind
	Required bool
	// Many takes several: persons (`@person...`), words (`<title...>`),
	// key=value pairs (`[key=value...]`).
	Many bool
	// Choices are the values it takes; a level's and a role's are filled in.
	Choices []string
	Desc    string // one line for help and the platforms' schemas
	// Example is a value it takes, where its kind alone says too little
	// (a time): what tests and help give as a sample.
	Example string
	// Key makes it a named option typed Key=value (`service=<name>`); Kind
	// is then the value's kind, and the platform option is named Key.
	Key string
	// Or makes it an alternative to the argument before it: one of the two
	// is needed (`@person... | service=<name>`). Both are optional.
	Or bool
}

// Option is the argument's name on platforms that take arguments one by
// one: its Key if it has one, else its Name.
func (a Arg) Option() string {
	if a.Key != "" {
		return a.Key
	}
	return a.Name
}

// positional is an argument typed by its place rather than a key.
func (a Arg) positional() bool { return a.Key == "" && a.Kind != ArgKeyValue }

// placeholder is the argument's value in a usage line.
func (a Arg) placeholder() string {
	dots := ""
	if a.Many {
		dots = "..."
	}
	var s string
	switch {
	case a.Kind == ArgKeyValue:
		s = "key=value" + dots
	case a.Kind == ArgPerson:
		s = "@" + a.Name + dots
	case len(a.Choices) > 0:
		s = strings.Join(a.Choices, "|")
	case a.Kind == ArgNumber:
		s = "<" + a.Name + "#>"
	default:
		s = "<" + a.Name + dots + ">"
	}
	if a.Key != "" {
		if a.Kind == ArgText {
			s = `"` + s + `"`
		}
		s = a.Key + "=" + s
	}
	return s
}

// Usage is the verb's arguments as typed, generated from Args:
// `P1|P2|P3|P4 <title...> [service=<name>]`.
func (v *Verb) Usage() string {
	var parts []string
	for i, a := range v.Args {
		p := a.placeholder()
		switch {
		case a.Or:
			parts[len(parts)-1] += " | " + p
			continue
		case !a.Required && !(i+1 < len(v.Args) && v.Args[i+1].Or):
			if a.positional() && (a.Kind == ArgWord || a.Kind == ArgText) && len(a.Choices) == 0 {
				p = strings.TrimSuffix(strings.TrimPrefix(p, "<"), ">") // [note], not [<note>]
			}
			p = "[" + p + "]"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// Line is the command line a user would have typed to give the verb these
// values, keyed by Arg.Option(): a person as a mention or @id, a number in
// digits, words as given. Arguments without a value are left out. Free
// words are kept words (a word that looks like key=value is quoted) and an
// option's value one value, so that the verb's parser reads them back.
func (v *Verb) Line(word string, values map[string][]string) string {
	out := []string{"/" + word, v.Name}
	for _, a := range v.Args {
		if s := a.format(values[a.Option()]); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

func (a Arg) format(values []string) string {
	var vs []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return ""
	}
	v := strings.Join(vs, " ")
	switch {
	case a.Key != "":
		return a.Key + "=" + quote(v)
	case a.Kind == ArgWord && a.Many:
		return quoteWords(v)
	case a.Kind == ArgWord:
		return quote(v)
	}
	return v
}

// quote quotes a value that would not survive Tokenize as one word.
func quote(v string) string {
	if !strings.ContainsAny(v, " \t\n\"'=") {
		return v
	}
	if strings.Contains(v, `"`) {
		return "'" + v + "'"
	}
	return `"` + v + `"`
}

// quoteWords keeps free words words: those that look like key=value or
// that hold quotes are quoted.
func quoteWords(v string) string {
	ws := strings.Fields(v)
	for i, w := range ws {
		if strings.ContainsAny(w, "=\"'") {
			ws[i] = quote(w)
		}
	}
	return strings.Join(ws, " ")
}

// checkArgs validates a verb's arguments and fills in the choices of levels
// and roles.
func checkArgs(v *Verb) error {
	seen := map[string]bool{}
	optional, last := false, "" // last: the Many or text positional, which must end them
	args := make([]Arg, len(v.Args))
	for i, a := range v.Args {
		bad := func(format string, x ...any) error {
			return fmt.Errorf("verb %q, argument %q: %s", v.Name, a.Option(), fmt.Sprintf(format, x...))
		}
		if a.Kind < ArgPerson || a.Kind > ArgKeyValue {
			return bad("unknown kind %d", int(a.Kind))
		}
		if !validOptionName(a.Name) {
			return bad("the name must be one lowercase word (a-z, 0-9, _, -) of up to 32 characters")
		}
		if seen[a.Option()] {
			return bad("the name is used twice")
		}
		seen[a.Option()] = true
		if strings.TrimSpace(a.Desc) == "" {
			return bad("a Desc is needed")
		}
		if a.Key != "" && (!isOptionKey(a.Key) || a.Kind == ArgKeyValue || a.Many) {
			return bad("Key must be an option key (a-z, _) of a single value that is not itself key=value")
		}
		switch a.Kind {
		case ArgLevel, ArgRole:
			if a.Many {
				return bad("a %s is one value", a.Kind)
			}
			if a.Choices == nil {
				a.Choices = defaultChoices(a.Kind)
			}
		case ArgWord, ArgText:
		default:
			if len(a.Choices) > 0 {
				return bad("choices are for levels, roles, words and text, not %s", a.Kind)
			}
		}
		if a.Kind == ArgNumber && a.Many || a.Kind == ArgText && a.Many {
			return bad("a %s is one value", a.Kind)
		}
		if a.Or && (i == 0 || a.Required || v.Args[i-1].Required || v.Args[i-1].Or) {
			return bad("Or joins two optional arguments")
		}
		if last != "" && (a.positional() || v.Args[i-1].Kind == ArgText && v.Args[i-1].positional()) {
			return bad("comes after %q, which takes the rest of the line", last)
		}
		if a.positional() {
			if a.Required && optional {
				return bad("a required argument comes after an optional one")
			}
			optional = optional || !a.Required
			if a.Many || a.Kind == ArgText {
				last = a.Name
			}
		}
		args[i] = a
	}
	v.Args = args
	return nil
}

func defaultChoices(k ArgKind) []string {
	var out []string
	if k == ArgLevel {
		for _, l := range Levels {
			out = append(out, string(l))
		}
		return out
	}
	for _, r := range Roles {
		out = append(out, string(r))
	}
	return out
}

func validOptionName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Registry is the set of verbs, keyed by name and alias.
type Registry struct {
	byName map[string]*Verb
	verbs  []*Verb // in registration order, for help
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]*Verb{}} }

// Register adds a verb. A name or alias already taken is an error: two
// capabilities must never fight over a word.
func (r *Registry) Register(v Verb) error {
	if v.Name == "" || v.Run == nil {
		return fmt.Errorf("verb %q: a name and a Run function are required", v.Name)
	}
	for _, n := range append([]string{v.Name}, v.Aliases...) {
		if n != strings.ToLower(n) || strings.ContainsAny(n, " \t") {
			return fmt.Errorf("verb %q: %q must be one lowercase word", v.Name, n)
		}
		if old, ok := r.byName[n]; ok {
			return fmt.Errorf("verb %q: %q is already taken by verb %q", v.Name, n, old.Name)
		}
	}
	vv := v
	if err := checkArgs(&vv); err != nil {
		return err
	}
	for _, n := range append([]string{v.Name}, v.Aliases...) {
		r.byName[n] = &vv
	}
	r.verbs = append(r.verbs, &vv)
	return nil
}

// DefaultRegistry is a registry of warroom's own verbs, those New
// registers. Adapters made before the Bot (Discord registers its
// application command when it connects) generate their schemas from it.
func DefaultRegistry() *Registry {
	r, err := defaultRegistry()
	if err != nil {
		panic(err) // the built-in verbs are fixed; TestDefaultRegistry registers them
	}
	return r
}

func defaultRegistry() (*Registry, error) {
	r := NewRegistry()
	for _, v := range append(coreVerbs(), planVerbs()...) {
		if err := r.Register(v); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Lookup finds a verb by name or alias.
func (r *Registry) Lookup(word, name string) (*Verb, error) {
	if v, ok := r.byName[name]; ok {
		return v, nil
	}
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	hint := ""
	if c := Closest(name, names); c != "" {
		hint = fmt.Sprintf("; did you mean /%s %s?", word, c)
	}
	return nil, Errorf(EINVALID, "unknown command %q%s Type /%s help for the list", name, hint, word)
}

// Verbs returns the verbs in registration order.
func (r *Registry) Verbs() []*Verb { return r.verbs }

// Usage is the full usage line of a verb.
func (v *Verb) usage(word string) string {
	u := "/" + word + " " + v.Name
	if args := v.Usage(); args != "" {
		u += " " + args
	}
	return u
}

// Help renders the list of commands, generated from the registry.
func (r *Registry) Help(word string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "warroom commands (declare works anywhere; the others in a fault's war room):")
	for _, v := range r.verbs {
		fmt.Fprintf(&b, "\n  %s — %s", v.usage(word), v.Summary)
	}
	return b.String()
}

// HelpVerb renders the help of one verb.
func (r *Registry) HelpVerb(word, name string) (string, error) {
	v, err := r.Lookup(word, name)
	if err != nil {
		return "", err
	}
	s := v.usage(word) + " — " + v.Summary
	if len(v.Aliases) > 0 {
		s += " (also: " + strings.Join(v.Aliases, ", ") + ")"
	}
	if v.Scope == WarRoom {
		s += "; type it in the fault's war room"
	}
	for _, a := range v.Args {
		p := a.placeholder()
		if !a.Required {
			p += " (optional)"
		}
		s += "\n  " + p + ": " + a.Desc
	}
	return s, nil
}
