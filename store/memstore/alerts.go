package memstore

import (
	"context"
	"slices"

	"github.com/warroom/warroom/bot"
)

type alertKey struct{ source, key string }

// AlertFault returns the newest fault filed under source's key.
func (s *Store) AlertFault(ctx context.Context, source, key string) (int64, error) {
	if err := s.check(ctx, "alert fault"); err != nil {
		return 0, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	ids := s.d.alerts[alertKey{source, key}]
	if len(ids) == 0 {
		return 0, bot.Errorf(bot.ENOTFOUND, "no fault was declared under this alert key")
	}
	return ids[len(ids)-1], nil
}

// CreateAlertFault creates a fault filed under source's key, unless a fault
// filed under it is not resolved: that one's id is returned, created false.
func (s *Store) CreateAlertFault(ctx context.Context, source, key string, events []bot.Event) (int64, bool, error) {
	if err := s.check(ctx, "create alert fault"); err != nil {
		return 0, false, err
	}
	if len(events) == 0 || events[0].Type != bot.EventDeclared {
		return 0, false, bot.Errorf(bot.EINVALID, "a fault's timeline must start with a %q event", bot.EventDeclared)
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	k := alertKey{source, key}
	if ids := d.alerts[k]; len(ids) > 0 {
		last := ids[len(ids)-1]
		if f, err := d.fault(last); err == nil && f.status != bot.StatusResolved {
			return last, false, nil
		}
	}
	id, err := d.create(events)
	if err != nil {
		return 0, false, err
	}
	if d.alerts == nil {
		d.alerts = map[alertKey][]int64{}
	}
	d.alerts[k] = append(d.alerts[k], id)
	return id, true, nil
}

// inbox is the items put, in order, and an index by source and id.
type inbox struct {
	items []*inboxItem
	byID  map[alertKey]*inboxItem // {source, id}
}

type inboxItem struct {
	item bot.InboxItem
	done bool
}

// Put keeps an item; an id its source has already is not kept again.
func (s *Store) Put(ctx context.Context, item bot.InboxItem) (bool, error) {
	if err := s.check(ctx, "inbox put"); err != nil {
		return false, err
	}
	if item.Source == "" || item.ID == "" {
		return false, bot.Errorf(bot.EINVALID, "an inbox item needs a source and an id")
	}
	in := &s.d.inbox
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	k := alertKey{item.Source, item.ID}
	if _, ok := in.byID[k]; ok {
		return false, nil
	}
	if in.byID == nil {
		in.byID = map[alertKey]*inboxItem{}
	}
	item.Payload = slices.Clone(item.Payload)
	item.Received = item.Received.UTC()
	it := &inboxItem{item: item}
	in.items = append(in.items, it)
	in.byID[k] = it
	return true, nil
}

// Pending returns up to limit items of source not done, oldest first.
func (s *Store) Pending(ctx context.Context, source string, limit int) ([]bot.InboxItem, error) {
	if err := s.check(ctx, "inbox pending"); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	var out []bot.InboxItem
	for _, it := range s.d.inbox.items {
		if limit > 0 && len(out) == limit {
			break
		}
		if it.item.Source == source && !it.done {
			c := it.item
			c.Payload = slices.Clone(c.Payload)
			out = append(out, c)
		}
	}
	return out, nil
}

// Done marks an item acted on.
func (s *Store) Done(ctx context.Context, source, id string) error {
	if err := s.check(ctx, "inbox done"); err != nil {
		return err
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	it, ok := s.d.inbox.byID[alertKey{source, id}]
	if !ok {
		return bot.Errorf(bot.ENOTFOUND, "the inbox has no item %s of %s", id, source)
	}
	it.done = true
	return nil
}
