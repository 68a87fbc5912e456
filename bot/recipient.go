package bot

import (
	"fmt"
	"regexp"
	"strings"
)

// RecipientKind says how a stakeholder is reached.
type RecipientKind string

// Recipient kinds.
const (
	// RecipientChannel is a chat channel, named as people see it; the core
	// looks its id up on the platform (ChannelFinder) before posting.
	RecipientChannel RecipientKind = "channel"
	// RecipientPerson is a catalog person, reached by DM.
	RecipientPerson RecipientKind = "person"
	// RecipientPhone is a phone number, reached by SMS through the Notifier.
	RecipientPhone RecipientKind = "phone"
)

// Recipient is one entry of a level's `notify` list, parsed: config writes
// "#status", "alice" (or "@alice") and "+15550100"; the kind is decided once,
// at load, and every later use switches on it.
type Recipient struct {
	Kind RecipientKind
	// Name is the channel name without its "#" ("status"), the catalog
	// person id ("alice"), or the E.164 number with its "+" ("+15550100").
	Name string
}

// String is the recipient as config writes it: "#status", "alice",
// "+15550100". It is also how the timeline names it (notify_failed).
func (r Recipient) String() string {
	if r.Kind == RecipientChannel {
		return "#" + r.Name
	}
	return r.Name
}

var (
	recipientChannelRe = regexp.MustCompile(`^#[^\s#@,]+$`)
	recipientPhoneRe   = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// ParseRecipient reads a notify entry: "#channel", "+phone" (E.164) or a
// person id, with or without "@". It checks the form only; whether the
// person is in the catalog, or the channel on the platform, is for its
// caller (config) and the core (at notify) to say.
func ParseRecipient(s string) (Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "#"):
		if !recipientChannelRe.MatchString(s) {
			return Recipient{}, Errorf(EINVALID, "%q is not a channel name", s)
		}
		return Recipient{Kind: RecipientChannel, Name: s[1:]}, nil
	case strings.HasPrefix(s, "+"):
		if !recipientPhoneRe.MatchString(s) {
			return Recipient{}, Errorf(EINVALID, "%q is not an E.164 phone number (+ then digits, e.g. +15550100)", s)
		}
		return Recipient{Kind: RecipientPhone, Name: s}, nil
	}
	id := strings.TrimPrefix(s, "@")
	if id == "" || strings.ContainsFunc(id, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
		return Recipient{}, Errorf(EINVALID, "%q is not a #channel, a person or a +phone number", s)
	}
	return Recipient{Kind: RecipientPerson, Name: id}, nil
}

// MarshalText writes the recipient as config does, so that JSON (and any
// other text encoding) keeps the "#status" / "alice" / "+15550100" surface.
func (r Recipient) MarshalText() ([]byte, error) {
	switch r.Kind {
	case RecipientChannel, RecipientPerson, RecipientPhone:
		return []byte(r.String()), nil
	}
	return nil, fmt.Errorf("recipient %q has no kind", r.Name)
}

// UnmarshalText reads what MarshalText writes (ParseRecipient).
func (r *Recipient) UnmarshalText(b []byte) error {
	v, err := ParseRecipient(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
