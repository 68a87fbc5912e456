package bot

import "context"

// record appends events to a fault's timeline, stamped now, and applies them.
func (b *Bot) record(ctx context.Context, f *Fault, events ...Event) error {
	batch := b.begin(f)
	b.stage(&batch, events...)
	return b.commit(ctx, &batch)
}

// batch is events applied to a fault ahead of being recorded together, so
// that a use case that waits on the platform between its decisions (declare)
// still records them in one transaction.
type batch struct {
	f      *Fault
	after  int // the fault's last recorded event
	events []Event
	// reached are the milestones the staged events reach, for the
	// observer (only kept when there is one).
	reached []Milestone
}

func (b *Bot) begin(f *Fault) batch { return batch{f: f, after: f.Seq} }

// stage applies events to the batch's fault, stamped and numbered as the
// store will record them.
func (b *Bot) stage(bt *batch, events ...Event) {
	now := b.clock.Now()
	for i := range events { // in place, as the store numbers them
		e := &events[i]
		if e.At.IsZero() {
			e.At = now
		}
		e.FaultID, e.Seq = bt.f.ID, bt.after+len(bt.events)+1
		if b.observer != nil {
			bt.reached = milestones(bt.f, *e, bt.reached)
		}
		Apply(bt.f, *e)
		bt.events = append(bt.events, *e)
	}
}

// commit records the staged events with the fault's new due time. If the
// store refuses them, the fault is read back as it is there.
func (b *Bot) commit(ctx context.Context, bt *batch) error {
	if len(bt.events) == 0 {
		return nil
	}
	f := bt.f
	if err := b.store.AppendDue(ctx, f.ID, bt.after, bt.events, b.dueAt(f)); err != nil {
		bt.reached = nil
		if stored, lerr := b.load(ctx, f.ID); lerr == nil {
			*f = *stored
		}
		if ErrorCode(err) == ECONFLICT {
			return Errorf(ECONFLICT, "%s changed while this command ran; type it again", f.Ref())
		}
		return err
	}
	b.observe(Recorded{Fault: f, Events: bt.events, Milestones: bt.reached})
	bt.after, bt.events, bt.reached = f.Seq, nil, nil
	return nil
}
