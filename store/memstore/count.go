package memstore

import (
	"context"
	"slices"

	"github.com/warroom/warroom/bot"
)

// CountFaults counts the faults in statuses by status and level, from the
// projection it keeps beside each timeline.
func (s *Store) CountFaults(ctx context.Context, statuses ...bot.Status) ([]bot.FaultCount, error) {
	if err := s.check(ctx, "count faults"); err != nil {
		return nil, err
	}
	type key struct {
		s bot.Status
		l bot.Level
	}
	n := map[key]int{}
	s.d.mu.RLock()
	for _, f := range s.d.faults {
		if len(statuses) == 0 || slices.Contains(statuses, f.status) {
			n[key{f.status, f.level}]++
		}
	}
	s.d.mu.RUnlock()
	out := make([]bot.FaultCount, 0, len(n))
	for k, c := range n {
		out = append(out, bot.FaultCount{Status: k.s, Level: k.l, N: c})
	}
	bot.SortFaultCounts(out)
	return out, nil
}
