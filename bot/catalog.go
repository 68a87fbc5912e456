package bot

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Person is someone in the catalog. ID is the catalog key (`alice`).
type Person struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// Accounts are the person's user ids on chat platforms, keyed by the
	// adapter's name ("slack": "U01ALICE", "discord": "8123..."); optional.
	// The domain knows no platform: a new one needs no field here.
	Accounts map[string]string `json:"accounts,omitempty"`
}

// Account returns the person's user id on a platform, or "" when the
// catalog does not know it.
func (p Person) Account(platform string) string { return p.Accounts[platform] }

// Service is a business or technical service and whom to call when it breaks.
type Service struct {
	Name      string   `json:"name"`
	Contacts  []string `json:"contacts"`
	Stability string   `json:"stability,omitempty"`
}

// Rotation is how often the duty rota hands over.
type Rotation string

// Rotations.
const (
	Daily  Rotation = "daily"
	Weekly Rotation = "weekly"
)

// Period returns the length of one shift.
func (r Rotation) Period() time.Duration {
	if r == Daily {
		return 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// Duty is the on-duty managers' rota.
type Duty struct {
	Rotation Rotation  `json:"rotation"`
	Start    time.Time `json:"start"`
	People   []string  `json:"people"`
}

// OnDuty returns who is on duty at t, or "" when the rota is empty. Before
// the start the rota runs backwards, so every moment has someone on duty.
func (d Duty) OnDuty(t time.Time) string {
	if len(d.People) == 0 {
		return ""
	}
	period := d.Rotation.Period()
	shift := t.Sub(d.Start) / period
	if t.Before(d.Start) && t.Sub(d.Start)%period != 0 {
		shift-- // floor, not truncation towards zero
	}
	n := int64(len(d.People))
	i := ((int64(shift) % n) + n) % n
	return d.People[i]
}

// Commander rules of a level policy.
const (
	CommanderDuty      = "duty"
	CommanderStability = "stability"
)

// LevelPolicy is what a fault level asks for.
type LevelPolicy struct {
	// Commander is "duty", "stability" or a catalog person id.
	Commander     string        `json:"commander"`
	CheckinWithin time.Duration `json:"checkin_within"`
	Remind        string        `json:"remind,omitempty"`
	// Notify is who hears of the level's faults (stakeholders): channels,
	// people and phone numbers, written "#status", "alice", "+15550100".
	Notify []Recipient `json:"notify,omitempty"`
	Page   []string    `json:"page,omitempty"`
	// Digest is how often the notify recipients get a status digest while
	// the fault is open; 0 sends none.
	Digest time.Duration `json:"digest,omitempty"`
}

// Catalog is the people, services, rota and level policies warroom knows.
type Catalog struct {
	People   map[string]Person
	Services map[string]Service
	Duty     Duty
	Levels   map[Level]LevelPolicy
}

// Person returns the catalog person with the given id, or an ENOTFOUND error
// that names the closest id.
func (c *Catalog) Person(id string) (Person, error) {
	id = strings.TrimPrefix(strings.TrimSpace(id), "@")
	if p, ok := c.People[id]; ok {
		return p, nil
	}
	return Person{}, Errorf(ENOTFOUND, "unknown person %q%s", id, suggest(id, slices.Sorted(maps.Keys(c.People))))
}

// noService is the error for an option naming a service the catalog
// does not have: "service=ledgr: no such service; did you mean ledger?".
func (c *Catalog) noService(option, name string) error {
	return Errorf(EINVALID, "%s=%s: no such service%s", option, name, suggest(name, slices.Sorted(maps.Keys(c.Services))))
}

// ByAccount finds the catalog person with a user id on a platform.
func (c *Catalog) ByAccount(platform, uid string) (Person, bool) {
	for _, p := range c.People {
		if uid != "" && p.Account(platform) == uid {
			return p, true
		}
	}
	return Person{}, false
}

// ByEmail finds the catalog person with an email address (case-insensitive).
func (c *Catalog) ByEmail(email string) (Person, bool) {
	if email == "" {
		return Person{}, false
	}
	for _, p := range c.People {
		if strings.EqualFold(p.Email, email) {
			return p, true
		}
	}
	return Person{}, false
}

// Service returns the named service, or an ENOTFOUND error that names the
// closest service.
func (c *Catalog) Service(name string) (Service, error) {
	if s, ok := c.Services[name]; ok {
		return s, nil
	}
	return Service{}, Errorf(ENOTFOUND, "unknown service %q%s", name, suggest(name, slices.Sorted(maps.Keys(c.Services))))
}

// Commander picks the commander of a fault of level l on service at t, per the
// level's rule. It returns "" when the catalog has nobody for it.
func (c *Catalog) Commander(l Level, service string, t time.Time) string {
	rule := c.Levels[l].Commander
	switch rule {
	case CommanderStability:
		if s, ok := c.Services[service]; ok && s.Stability != "" {
			return s.Stability
		}
		return c.Duty.OnDuty(t) // no stability contact: fall back to the rota
	case CommanderDuty, "":
		return c.Duty.OnDuty(t)
	default:
		return rule // a named person
	}
}
