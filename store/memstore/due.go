package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/warroom/warroom/bot"
)

// AppendDue is Append, and sets when the fault's timed work next falls due
// (zero: never). With no events it sets only the due time.
func (s *Store) AppendDue(ctx context.Context, faultID int64, after int, events []bot.Event, due time.Time) error {
	return s.append(ctx, faultID, after, events, &due)
}

// SetDue sets due times, and the policy fingerprint unless it is "".
// Unknown fault ids are ENOTFOUND and nothing is set.
func (s *Store) SetDue(ctx context.Context, policy string, due map[int64]time.Time) error {
	if err := s.check(ctx, "set due"); err != nil {
		return err
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range due {
		if _, err := d.fault(id); err != nil {
			return err
		}
	}
	for id, t := range due {
		d.faults[id-1].due = t
	}
	if policy != "" {
		d.policy = policy
	}
	return nil
}

// DueBy lists the faults due at or before t, soonest first.
func (s *Store) DueBy(ctx context.Context, t time.Time) ([]int64, error) {
	if err := s.check(ctx, "due faults"); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	type entry struct {
		id  int64
		due time.Time
	}
	var due []entry
	for _, f := range s.d.faults {
		if !f.due.IsZero() && !f.due.After(t) {
			due = append(due, entry{f.id, f.due})
		}
	}
	s.d.mu.RUnlock()
	slices.SortFunc(due, func(a, b entry) int { return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.id, b.id)) })
	ids := make([]int64, len(due))
	for i, e := range due {
		ids[i] = e.id
	}
	return ids, nil
}

// DuePolicy is the fingerprint last given to SetDue.
func (s *Store) DuePolicy(ctx context.Context) (string, error) {
	if err := s.check(ctx, "due policy"); err != nil {
		return "", err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return s.d.policy, nil
}
