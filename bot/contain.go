package bot

import (
	"context"
	"fmt"
	"runtime/debug"
)

// contain runs one timed job of one fault (a reminder, a chase, an expiry,
// the start-up check of its runs) so that a bug in it cannot take down the
// others: a panic is logged with its stack, recorded once on the fault's
// timeline (an audit row) and said once in its war room; the caller goes on
// with the next job and the next fault.
func (b *Bot) contain(ctx context.Context, f *Fault, job string, run func() error) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		what := fmt.Sprint(p)
		b.log.Error("timed job panicked", "fault", f.ID, "job", job, "panic", what, "stack", string(debug.Stack()))
		err = nil
		if f.Broken[job] == what {
			return // known: the timeline has it already
		}
		if rerr := b.record(ctx, f, Event{Type: EventJobPanicked, Actor: ActorBot, Via: job, Text: what}); rerr != nil {
			b.log.Error("recording a panic", "fault", f.ID, "err", rerr)
			return
		}
		if f.Channel != "" {
			b.reply(ctx, f.Channel, KindError, fmt.Sprintf("⚠️ warroom's %s work for %s failed (a bug, in its log); the rest of the war room goes on", job, f.Ref()))
		}
	}()
	return run()
}
