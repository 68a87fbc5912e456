package bot

import (
	"context"
	"time"
)

// PlanVersion is one version of a plan that a store has seen, and when it
// first saw it: the plans page lists every one, so that a run's recorded
// version can be told apart from the plan loaded now.
type PlanVersion struct {
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	File      string    `json:"file"`
	FirstSeen time.Time `json:"first_seen"`
}

// PlanHistory is a store that lists the plan versions it keeps
// (PlanVersions.SavePlan).
type PlanHistory interface {
	// PlanHistory returns the versions of plan name ("" for every plan),
	// oldest first.
	PlanHistory(ctx context.Context, name string) ([]PlanVersion, error)
}
