package memstore

import (
	"context"
	"time"

	"github.com/warroom/warroom/bot"
)

// UseClock makes c stamp when a plan version was first seen, as the SQLite
// store's clock does; without it the wall clock does.
func (s *Store) UseClock(c bot.Clock) {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.clock = c
}

// now is the store's time; d.mu is held.
func (d *data) now() time.Time {
	if d.clock == nil {
		return bot.SystemClock{}.Now()
	}
	return d.clock.Now()
}

// PlanHistory returns the versions of plan name ("" for all), oldest first.
func (s *Store) PlanHistory(ctx context.Context, name string) ([]bot.PlanVersion, error) {
	if err := s.check(ctx, "plan history"); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out := []bot.PlanVersion{}
	for _, v := range s.d.history {
		if name == "" || v.Name == name {
			out = append(out, v)
		}
	}
	return out, nil
}

var _ bot.PlanHistory = (*Store)(nil)
