package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/warroom/warroom/adapters"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/bot/yamlnode"
)

// The catalog's sections: people (and their accounts), services, the duty
// rota, the levels' policies.

func (p *parser) peopleSection(c *bot.Catalog, f field) {
	n := yamlnode.Deref(f.V)
	if !yamlnode.IsNull(n) && n.Kind != yaml.MappingNode {
		p.noPeople = true
	}
	accounts := map[string]map[string]string{} // platform -> account -> person
	keys := append(slices.Clone(personKeys), adapters.Names()...)
	for _, g := range p.Mapping("people", f.K, f.V, nil) {
		id := g.Key
		p.people[id] = true
		path := yamlnode.Join("people", id)
		switch {
		case id == bot.CommanderDuty || id == bot.CommanderStability:
			p.errorf(g.K, "people: %q is reserved (a level's commander rule); pick another id", id)
			continue
		case !idRe.MatchString(id):
			msg := fmt.Sprintf("people: %q is not a person id (a-z, 0-9, . _ -)", yamlnode.Clip(id))
			if l := strings.ToLower(id); idRe.MatchString(l) {
				msg += "; did you mean " + l + "?"
			}
			p.errorf(g.K, "%s", msg)
			continue
		}
		person := bot.Person{ID: id}
		if v := yamlnode.Deref(g.V); v != nil && v.Kind != yaml.MappingNode && !yamlnode.IsNull(v) {
			p.errorf(g.K, "%s: expected a mapping like {name: Alice Chen, email: alice@example.com}, got %s", path, yamlnode.KindName(v))
			continue
		}
		for _, h := range p.Mapping(path, g.K, g.V, keys) {
			kp := yamlnode.Join(path, h.Key)
			s, ok := p.str(kp, h.K, h.V)
			if !ok || s == "" {
				continue
			}
			switch h.Key {
			case "name":
				person.Name = s
			case "email":
				if !emailRe.MatchString(s) {
					p.errorf(h.K, "%s: %q is not an email address", kp, yamlnode.Clip(s))
				}
				person.Email = s
			case "phone":
				if !phoneRe.MatchString(s) {
					msg := fmt.Sprintf("%s: %q is not an E.164 phone number (+ then digits, e.g. +15550100)", kp, yamlnode.Clip(s))
					if d := strings.Map(keepPhone, s); phoneRe.MatchString(d) {
						msg += "; did you mean " + d + "?"
					}
					p.errorf(h.K, "%s", msg)
				}
				person.Phone = s
			default: // an account on a platform
				p.account(&person, accounts, kp, h, s)
			}
		}
		c.People[id] = person
	}
}

// account records a person's account on the platform named by h.Key,
// checked by the platform and unique among people.
func (p *parser) account(person *bot.Person, seen map[string]map[string]string, path string, h field, id string) {
	pl, _ := adapters.Lookup(h.Key)
	if pl.Account != nil {
		if want := pl.Account(id); want != "" {
			p.errorf(h.K, "%s: %q is not %s", path, yamlnode.Clip(id), want)
			return
		}
	}
	if seen[h.Key] == nil {
		seen[h.Key] = map[string]string{}
	}
	if other, dup := seen[h.Key][id]; dup {
		title := pl.Title
		if title == "" {
			title = pl.Name
		}
		p.errorf(h.K, "%s: %s is also %s's %s id", path, id, other, title)
		return
	}
	seen[h.Key][id] = person.ID
	if person.Accounts == nil {
		person.Accounts = map[string]string{}
	}
	person.Accounts[h.Key] = id
}

// orList is "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// keepPhone keeps the characters of a phone number written with spaces,
// dashes or parentheses.
func keepPhone(r rune) rune {
	if r == '+' || r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// person resolves a reference to a catalog person ("alice" or "@alice").
func (p *parser) person(c *bot.Catalog, path string, n *yaml.Node, s string) (string, bool) {
	id := strings.TrimPrefix(s, "@")
	if _, ok := c.People[id]; ok {
		return id, true
	}
	if p.noPeople || p.people[id] {
		return "", false // the definition is already reported
	}
	p.errorf(n, "%s: unknown person %q%s", path, yamlnode.Clip(s), p.suggestPerson(c, id))
	return "", false
}

func (p *parser) suggestPerson(c *bot.Catalog, id string) string {
	if len(c.People) == 0 {
		return "; people: lists no one"
	}
	return yamlnode.Suggest(id, slices.Sorted(maps.Keys(c.People)), 12)
}

// peopleList reads a list of person references. n counts its items, even
// those with problems.
func (p *parser) peopleList(c *bot.Catalog, path string, k, v *yaml.Node, unique bool) (out []string, n int) {
	items := p.List(path, k, v, "[a, b]")
	for _, item := range items {
		s, ok := p.item(path, item, "")
		if !ok {
			continue
		}
		id, ok := p.person(c, path, item, s)
		if !ok {
			continue
		}
		if unique && slices.Contains(out, id) {
			p.errorf(item, "%s: %s is listed twice", path, id)
			continue
		}
		out = append(out, id)
	}
	return out, len(items)
}

// id checks that a section's key is a plain name (a-z, 0-9, . _ -), saying
// the lowercase one when that is all that is wrong.
func (p *parser) id(section, what string, g field) bool {
	if idRe.MatchString(g.Key) {
		return true
	}
	msg := fmt.Sprintf("%s: %q is not a %s name (a-z, 0-9, . _ -)", section, yamlnode.Clip(g.Key), what)
	if l := strings.ToLower(g.Key); idRe.MatchString(l) {
		msg += "; did you mean " + l + "?"
	}
	p.errorf(g.K, "%s", msg)
	return false
}

func (p *parser) servicesSection(c *bot.Catalog, f field) {
	for _, g := range p.Mapping("services", f.K, f.V, nil) {
		name := g.Key
		path := yamlnode.Join("services", name)
		if !p.id("services", "service", g) {
			continue
		}
		svc := bot.Service{Name: name}
		var hasContacts bool
		if v := yamlnode.Deref(g.V); !yamlnode.IsNull(v) && v.Kind != yaml.MappingNode {
			p.errorf(g.K, "%s: expected a mapping like {contacts: [alice, bob], stability: bob}, got %s", path, yamlnode.KindName(v))
			continue
		}
		for _, h := range p.Mapping(path, g.K, g.V, serviceKeys) {
			kp := yamlnode.Join(path, h.Key)
			switch h.Key {
			case "contacts":
				hasContacts = true
				var n int
				svc.Contacts, n = p.peopleList(c, kp, h.K, h.V, true)
				if n == 0 && (yamlnode.IsNull(h.V) || yamlnode.Deref(h.V).Kind == yaml.SequenceNode) {
					p.errorf(h.K, "%s: list at least one person", kp)
				}
			case "stability":
				if s, ok := p.str(kp, h.K, h.V); ok && s != "" {
					svc.Stability, _ = p.person(c, kp, h.K, s)
				}
			}
		}
		if !hasContacts {
			p.errorf(g.K, "%s.contacts: missing; list at least one person, e.g. contacts: [alice]", path)
		}
		c.Services[name] = svc
	}
}

func (p *parser) dutySection(c *bot.Catalog, f field) {
	var startSet bool
	for _, g := range p.Mapping("duty", f.K, f.V, dutyKeys) {
		path := yamlnode.Join("duty", g.Key)
		switch g.Key {
		case "rotation":
			if s, ok := p.str(path, g.K, g.V); ok {
				if slices.Contains(rotations, s) {
					c.Duty.Rotation = bot.Rotation(s)
				} else {
					p.errorf(g.K, "%s: %q is not daily or weekly%s", path, yamlnode.Clip(s), yamlnode.Suggest(s, rotations, 12))
				}
			}
		case "start":
			if s, ok := p.str(path, g.K, g.V); ok {
				t, err := time.Parse(time.RFC3339, s)
				if err != nil {
					p.errorf(g.K, "%s: %q is not an RFC 3339 time (e.g. 2026-01-05T09:00:00Z)", path, yamlnode.Clip(s))
				} else {
					c.Duty.Start = t
				}
				startSet = true
			}
		case "people":
			c.Duty.People, _ = p.peopleList(c, path, g.K, g.V, false)
		}
	}
	if len(c.Duty.People) > 0 && !startSet {
		p.errorf(f.K, "duty.start: missing; when the first shift starts, e.g. start: 2026-01-05T09:00:00Z")
	}
}

func (p *parser) levelsSection(c *bot.Catalog, f field) {
	for _, g := range p.Mapping("levels", f.K, f.V, nil) {
		l := bot.Level(g.Key)
		if !slices.Contains(bot.Levels, l) {
			msg := fmt.Sprintf("levels: unknown level %q", yamlnode.Clip(g.Key))
			norm := strings.ToUpper(strings.Map(func(r rune) rune {
				if r == ' ' || r == '-' || r == '_' {
					return -1
				}
				return r
			}, g.Key))
			if slices.Contains(bot.Levels, bot.Level(norm)) {
				msg += "; did you mean " + norm + "?"
			} else {
				msg += ": use P1, P2, P3 or P4 (P1 is the worst)"
			}
			p.errorf(g.K, "%s", msg)
			continue
		}
		path := yamlnode.Join("levels", g.Key)
		if v := yamlnode.Deref(g.V); v == nil || v.Kind != yaml.MappingNode {
			if !yamlnode.IsNull(v) {
				p.errorf(g.K, "%s: expected a mapping like {commander: duty, checkin_within: 10m}, got %s", path, yamlnode.KindName(v))
			}
			continue
		}
		pol := c.Levels[l]
		for _, h := range p.Mapping(path, g.K, g.V, levelKeys) {
			kp := yamlnode.Join(path, h.Key)
			switch h.Key {
			case "commander":
				if s, ok := p.str(kp, h.K, h.V); ok {
					pol.Commander = p.commander(c, kp, h.K, s, pol.Commander)
				}
			case "checkin_within":
				if s, ok := p.str(kp, h.K, h.V); ok {
					d, err := time.ParseDuration(s)
					switch {
					case err != nil:
						p.errorf(h.K, "%s: %q is not a duration (e.g. 10m, 1h30m)", kp, yamlnode.Clip(s))
					case d <= 0:
						p.errorf(h.K, "%s: %q must be more than zero", kp, yamlnode.Clip(s))
					default:
						pol.CheckinWithin = d
					}
				}
			case "remind":
				if s, ok := p.str(kp, h.K, h.V); ok {
					if strings.EqualFold(s, "off") {
						pol.Remind = ""
					} else if err := checkCron(s); err != nil {
						p.errorf(h.K, "%s: %q is not a cron schedule (minute hour day-of-month month day-of-week, e.g. \"*/15 * * * *\"): %v", kp, yamlnode.Clip(s), err)
					} else {
						pol.Remind = s
					}
				}
			case "notify":
				pol.Notify = p.notify(c, kp, h.K, h.V)
			case "page":
				pol.Page, _ = p.peopleList(c, kp, h.K, h.V, true)
			case "digest":
				if s, ok := p.str(kp, h.K, h.V); ok {
					pol.Digest = p.digest(kp, h.K, s, pol.Digest)
				}
			}
		}
		c.Levels[l] = pol
	}
}

func (p *parser) commander(c *bot.Catalog, path string, n *yaml.Node, s, def string) string {
	if s == bot.CommanderDuty || s == bot.CommanderStability {
		return s
	}
	id := strings.TrimPrefix(s, "@")
	if _, ok := c.People[id]; ok {
		return id
	}
	if !p.noPeople && !p.people[id] {
		cands := append([]string{bot.CommanderDuty, bot.CommanderStability}, slices.Sorted(maps.Keys(c.People))...)
		p.errorf(n, "%s: %q is not duty, stability or a known person%s", path, yamlnode.Clip(s), yamlnode.Suggest(id, cands, 12))
	}
	return def
}

// checkCron validates a standard 5-field cron spec (descriptors such as
// @hourly and a CRON_TZ= prefix are accepted, as cron.ParseStandard does).
func checkCron(s string) (err error) {
	if (strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=")) && !strings.Contains(s, " ") {
		return errors.New("a time zone but no schedule")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	_, err = cron.ParseStandard(s)
	return err
}

// notify reads a level's notify list: "#channel", a person, or "+phone",
// each into a bot.Recipient of its kind.
func (p *parser) notify(c *bot.Catalog, path string, k, v *yaml.Node) []bot.Recipient {
	var out []bot.Recipient
	for _, item := range p.List(path, k, v, "[a, b]") {
		s, ok := p.item(path, item, ` (a # starts a comment in YAML: quote channel names, "#status")`)
		if !ok {
			continue
		}
		var val bot.Recipient
		switch {
		case strings.HasPrefix(s, "#"):
			if !channelRe.MatchString(s) {
				p.errorf(item, "%s: %q is not a channel name", path, yamlnode.Clip(s))
				continue
			}
			val = bot.Recipient{Kind: bot.RecipientChannel, Name: s[1:]}
		case strings.HasPrefix(s, "+"):
			if !phoneRe.MatchString(s) {
				p.errorf(item, "%s: %q is not an E.164 phone number (+ then digits, e.g. +15550100)", path, yamlnode.Clip(s))
				continue
			}
			val = bot.Recipient{Kind: bot.RecipientPhone, Name: s}
		default:
			id := strings.TrimPrefix(s, "@")
			if _, ok := c.People[id]; ok {
				val = bot.Recipient{Kind: bot.RecipientPerson, Name: id}
				break
			}
			if p.noPeople || p.people[id] {
				continue
			}
			msg := fmt.Sprintf("%s: %q is not a #channel, a known person or a +phone number", path, yamlnode.Clip(s))
			if best := bot.Closest(id, slices.Sorted(maps.Keys(c.People))); best != "" {
				msg += "; did you mean " + best + "?"
			} else if channelRe.MatchString("#" + s) {
				msg += fmt.Sprintf("; for a channel write \"#%s\" (quoted)", yamlnode.Clip(s))
			}
			p.errorf(item, "%s", msg)
			continue
		}
		if slices.Contains(out, val) {
			p.errorf(item, "%s: %s is listed twice", path, val)
			continue
		}
		out = append(out, val)
	}
	return out
}
