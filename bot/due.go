package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// DueIndex is the part of a Store that keeps, beside each fault, when its
// timed work next falls due, so that a tick reads only the faults that have
// something to do (goalert's model: timed work is state in the database,
// advanced idempotently by whatever is due) and a restart re-arms from the
// index instead of replaying every timeline.
type DueIndex interface {
	// AppendDue is Append, and in the same transaction sets when the
	// fault's timed work next falls due; a zero due means none will.
	AppendDue(ctx context.Context, faultID int64, after int, events []Event, due time.Time) error
	// SetDue sets due times without events: a stale entry corrected, or
	// every open fault's when the policies they were worked out under
	// changed. policy is the fingerprint of those policies, kept with
	// them; "" leaves it as it is.
	SetDue(ctx context.Context, policy string, due map[int64]time.Time) error
	// DueBy lists the faults whose due time is at or before t, soonest
	// first.
	DueBy(ctx context.Context, t time.Time) ([]int64, error)
	// DuePolicy is the fingerprint last given to SetDue; "" if none was
	// (a new store, or one whose index was never built).
	DuePolicy(ctx context.Context) (string, error)
}

// nextDue is when timed work on f next falls due under the catalog's
// policies, and false when none will (closed, or no war room to work in).
// due(f, now) is exactly !now.Before(t) for the t it returns.
func (b *Bot) nextDue(f *Fault) (time.Time, bool) {
	if f.Channel == "" || !f.Open() {
		return time.Time{}, false
	}
	var next time.Time
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if t, ok := f.alertNewsAt(); ok {
		earliest(t)
	}
	for i := range f.Runs {
		if f.Runs[i].Status == RunPending {
			earliest(f.Runs[i].ExpiresAt)
		}
	}
	pol := b.catalog.Levels[f.Level]
	if pol.Digest > 0 && len(pol.Notify) > 0 {
		earliest(latest(f.DeclaredAt, f.LastDigestAt).Add(pol.Digest))
	}
	if pol.Remind != "" {
		base := latest(f.DeclaredAt, f.LastUpdateAt, f.LastRemindAt)
		if sch, err := b.crons.get(pol.Remind); err != nil {
			earliest(base) // remind reports the invalid spec
		} else {
			earliest(sch.Next(base))
		}
	}
	if pol.CheckinWithin > 0 {
		for _, p := range f.Participants {
			if !p.CheckedIn() && p.Chased < len(chaseStages) {
				earliest(p.InvitedAt.Add(time.Duration(p.Chased+1) * pol.CheckinWithin))
			}
		}
	}
	return next, !next.IsZero()
}

// due reports whether any timed work on f is due at now.
func (b *Bot) due(f *Fault, now time.Time) bool {
	t, ok := b.nextDue(f)
	return ok && !now.Before(t)
}

// dueAt is nextDue as the index keeps it: zero for never.
func (b *Bot) dueAt(f *Fault) time.Time {
	t, _ := b.nextDue(f)
	return t
}

// duePolicy fingerprints what nextDue reads from the catalog, so that a
// restart under changed level policies re-works every open fault's due
// time, and one under the same policies trusts the index.
func (b *Bot) duePolicy() string {
	levels := make([]Level, 0, len(b.catalog.Levels))
	for l := range b.catalog.Levels {
		levels = append(levels, l)
	}
	slices.Sort(levels)
	h := sha256.New()
	fmt.Fprintf(h, "v1 alerts=%s\n", AlertNewsEvery)
	for _, l := range levels {
		p := b.catalog.Levels[l]
		fmt.Fprintf(h, "%s remind=%q checkin=%s digest=%s notify=%t\n", l, p.Remind, p.CheckinWithin, p.Digest, len(p.Notify) > 0)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// rearm makes the due index agree with the catalog's policies: when they
// are those the index was built under it is trusted as it is; otherwise (a
// new index, changed policies) every open fault's due time is worked out
// again from its timeline, once.
func (b *Bot) rearm(ctx context.Context, idx DueIndex) error {
	policy := b.duePolicy()
	if had, err := idx.DuePolicy(ctx); err != nil {
		return err
	} else if had == policy {
		return nil
	}
	open, err := b.store.Faults(ctx, FaultFilter{Status: []Status{StatusOpen, StatusMitigated}})
	if err != nil {
		return err
	}
	due := make(map[int64]time.Time, len(open))
	for _, f := range open {
		due[f.ID] = b.dueAt(f)
	}
	b.log.Info("due times worked out again", "open_faults", len(open), "policy", policy)
	return idx.SetDue(ctx, policy, due)
}
