package bot

import (
	"context"
	"slices"
	"sync"
)

// Actors is a store that records only events whose actor it knows, so that
// no write beside the core (the SQLite store refuses it in the database
// itself) can sign an event with a made-up name. The core tells it who is
// known: warroom itself, the catalog's people, and whoever a use case runs
// for (the person chat or an API token identified, an alert source).
type Actors interface {
	// AddActors makes ids known. Known ids stay known, so that the events
	// they made stay valid; adding one twice is not an error.
	AddActors(ctx context.Context, ids []string) error
}

// UnknownActor is the error of a store refusing an event by an actor it
// does not know.
func UnknownActor(id string) error {
	return Errorf(EINVALID, "event by unknown actor %q refused: add them to the catalog", id)
}

// CatalogActors is who a catalog vouches for: warroom itself and the
// catalog's people.
func CatalogActors(c *Catalog) []string {
	ids := []string{ActorBot}
	if c != nil {
		for id, p := range c.People {
			ids = append(ids, id)
			if p.ID != "" && p.ID != id {
				ids = append(ids, p.ID)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// vouched is who the core has told its store of, so that it does so once.
type vouched struct {
	mu      sync.RWMutex
	catalog bool
	ids     map[string]bool
}

// vouch tells the store, when it is an Actors, that ids may act, and the
// first time the catalog's people and warroom too. Each id is told once
// per Bot; the store keeps them across restarts.
func (b *Bot) vouch(ctx context.Context, ids ...string) error {
	a, ok := b.store.(Actors)
	if !ok {
		return nil
	}
	v := &b.vouched
	v.mu.RLock()
	missing := !v.catalog
	var add []string
	for _, id := range ids {
		if id != "" && !v.ids[id] {
			add = append(add, id)
		}
	}
	v.mu.RUnlock()
	if missing {
		add = append(add, CatalogActors(b.catalog)...)
	}
	if len(add) == 0 {
		return nil
	}
	if err := a.AddActors(ctx, add); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ids == nil {
		v.ids = map[string]bool{}
	}
	for _, id := range add {
		v.ids[id] = true
	}
	v.catalog = v.catalog || missing
	return nil
}
