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
	// Fault is the war room's fault (Scope WarRoom) as it was found: the
	// use case the verb calls locks and reloads it.
	Fault *Fault
	verb  string // the verb's name (not the alias typed): its permissions row
}

// as is the request's actor, for the use cases.
func (r *Request) as() Actor { return Actor{Person: r.Actor, Via: ViaChat} }

// Verb is a chat command. Capabilities (plans, reminders, the bridge)
// register their own verbs; help is generated from the registry.
type Verb struct {
	Name    string
	Aliases []string
	Usage   string // the arguments, as in the spec: `P1|P2|P3|P4 <title...>`
	Summary string // one line for help
	Scope   Scope
	// WhenResolved lets a war-room verb run on a resolved fault (status,
	// timeline); every other war-room verb refuses.
	WhenResolved bool
	Run          func(ctx context.Context, b *Bot, r *Request) error
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
	for _, n := range append([]string{v.Name}, v.Aliases...) {
		r.byName[n] = &vv
	}
	r.verbs = append(r.verbs, &vv)
	return nil
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
	if v.Usage != "" {
		u += " " + v.Usage
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
	return s, nil
}
