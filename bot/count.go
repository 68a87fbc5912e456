package bot

import (
	"cmp"
	"context"
	"slices"
)

// FaultCounter is a store that counts faults by status and level from what
// it keeps beside the timelines, without replaying them: the metrics
// endpoint asks on every scrape, and listing (Faults) replays every open
// timeline, seconds at 100k open faults.
type FaultCounter interface {
	// CountFaults counts the faults in any of statuses (all when none),
	// by status and level, sorted by status then level; a pair with no
	// fault is left out.
	CountFaults(ctx context.Context, statuses ...Status) ([]FaultCount, error)
}

// FaultCount is how many faults have a status and a level.
type FaultCount struct {
	Status Status
	Level  Level
	N      int
}

// CountFaults counts s's faults in statuses by status and level: through
// FaultCounter where s is one, else by listing them.
func CountFaults(ctx context.Context, s Store, statuses ...Status) ([]FaultCount, error) {
	if c, ok := s.(FaultCounter); ok {
		return c.CountFaults(ctx, statuses...)
	}
	faults, err := s.Faults(ctx, FaultFilter{Status: statuses})
	if err != nil {
		return nil, err
	}
	type key struct {
		s Status
		l Level
	}
	n := map[key]int{}
	var order []key
	for _, f := range faults {
		k := key{f.Status, f.Level}
		if n[k] == 0 {
			order = append(order, k)
		}
		n[k]++
	}
	out := make([]FaultCount, len(order))
	for i, k := range order {
		out[i] = FaultCount{Status: k.s, Level: k.l, N: n[k]}
	}
	SortFaultCounts(out)
	return out, nil
}

// SortFaultCounts sorts counts by status, then level, as CountFaults
// returns them.
func SortFaultCounts(counts []FaultCount) {
	slices.SortFunc(counts, func(a, b FaultCount) int {
		return cmp.Or(cmp.Compare(a.Status, b.Status), cmp.Compare(a.Level, b.Level))
	})
}
