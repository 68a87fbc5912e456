package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"

	"github.com/warroom/warroom/bot"
)

// syncResponse is the part of /sync warroom reads.
type syncResponse struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join map[string]struct {
			Timeline struct {
				Events    []timelineEvent `json:"events"`
				Limited   bool            `json:"limited"`
				PrevBatch string          `json:"prev_batch"`
			} `json:"timeline"`
		} `json:"join"`
		Invite map[string]json.RawMessage `json:"invite"`
	} `json:"rooms"`
}

// syncFilter keeps /sync to what warroom reads: room messages and
// reactions, up to timelineLimit a room per answer.
const timelineLimit = 200

var syncFilter = fmt.Sprintf(`{"presence":{"types":[]},"account_data":{"types":[]},`+
	`"room":{"state":{"types":[]},"ephemeral":{"types":[]},"account_data":{"types":[]},`+
	`"timeline":{"limit":%d,"types":["m.room.message","m.reaction"]}}}`, timelineLimit)

func (a *Adapter) sync(ctx context.Context, since string, timeout time.Duration) (*syncResponse, error) {
	q := map[string]string{"filter": syncFilter, "timeout": strconv.FormatInt(timeout.Milliseconds(), 10)}
	if since != "" {
		q["since"] = since
	}
	url := a.cli.BuildURLWithQuery(mautrix.ClientURLPath{"v3", "sync"}, q)
	var resp syncResponse
	err := a.call(ctx, func(ctx context.Context) error {
		_, err := a.cli.MakeRequest(ctx, http.MethodGet, url, nil, &resp)
		return err
	})
	return &resp, err
}

// startPosition makes sure there is a position to sync from: the stored
// one, else the server's now (history before the first start is not
// replayed), joining the rooms the bot was invited to meanwhile.
func (a *Adapter) startPosition(ctx context.Context) error {
	since, err := a.since.load(ctx)
	if err != nil {
		return err
	}
	if since != "" {
		return nil
	}
	resp, err := a.sync(ctx, "", 0)
	if err != nil {
		return fmt.Errorf("matrix.homeserver %s: the first sync: %v", a.cfg.Homeserver, err)
	}
	a.joinInvites(ctx, resp)
	return a.since.save(ctx, resp.NextBatch, lastEvents(resp))
}

// Run implements bot.Adapter: it syncs until ctx ends. Each answer's
// events are kept (bot.Keep) in order, then handled; only then is its
// next_batch stored, so a restart replays nothing handled (a kept event
// comes again only to be recognised) and loses nothing received. An
// answer whose events cannot be kept is asked for again.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	defer a.handling.Wait()
	// From the position kept now, not the one read at start: in a
	// follower that has become the leader, that one is old.
	if err := a.startPosition(ctx); err != nil {
		return err
	}
	backoff := time.Second
	for {
		since := a.since.get()
		resp, err := a.sync(ctx, since, a.cfg.SyncTimeout)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = a.deliver(ctx, h, since, resp)
		}
		if errors.Is(err, mautrix.MUnknownToken) || errors.Is(err, mautrix.MMissingToken) {
			return fmt.Errorf("matrix.token was rejected by %s while syncing (%v); make a new access token", a.cfg.Homeserver, err)
		}
		if err != nil {
			a.log.Warn("matrix: sync failed; trying again", "wait", backoff, "err", err)
			if a.cfg.Sleep(ctx, backoff) != nil {
				return nil
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		if err := a.since.save(ctx, resp.NextBatch, lastEvents(resp)); err != nil {
			a.log.Error("matrix: storing the sync position; a restart may see these events again (they are handled once)", "err", err)
		}
	}
}

// deliver joins the rooms the bot is invited to and keeps and hands on
// the events of the rooms it is in, room by room in a fixed order.
func (a *Adapter) deliver(ctx context.Context, h bot.Handler, since string, resp *syncResponse) error {
	a.joinInvites(ctx, resp)
	p := parser{me: string(a.me), word: a.cfg.Command}
	for _, room := range slices.Sorted(maps.Keys(resp.Rooms.Join)) {
		tl := resp.Rooms.Join[room].Timeline
		events := tl.Events
		if tl.Limited && since != "" {
			events = append(a.gap(ctx, room, tl.PrevBatch, since, a.since.last(room)), events...)
		}
		for _, ev := range events {
			in, ok := p.parse(room, ev)
			if !ok {
				continue
			}
			r := replyTo{room: id.RoomID(room), event: id.EventID(ev.ID), thread: id.EventID(threadRoot(ev))}
			if err := a.keep(ctx, h, r, in); err != nil {
				return err
			}
		}
	}
	return nil
}

// keepWithin bounds keeping one event: a store slower than that is
// "not kept", and the sync answer is asked for again (the store's late
// write is then recognised, Inbound.Redelivered).
const keepWithin = 5 * time.Second

// keep keeps one event and has it handled beside the sync loop; the
// core orders a room's events itself (bot.Keep).
func (a *Adapter) keep(ctx context.Context, h bot.Handler, r replyTo, in bot.Inbound) error {
	in.Redelivered = true                                // an answer not kept whole is synced again
	kctx, cancel := context.WithTimeout(ctx, keepWithin) // a deadline on the store: the wall clock
	k, err := bot.Keep(kctx, h, in)
	cancel()
	if err != nil {
		return fmt.Errorf("keeping event %s: %w", r.event, err)
	}
	if k == nil { // kept already: the sync before a restart had it
		return nil
	}
	a.handling.Go(func() { k.Handle(withReply(ctx, r)) })
	return nil
}

// joinInvites joins every room the bot is invited to: war rooms need no
// invite, but a #status room for notices, or a person's DM, does.
func (a *Adapter) joinInvites(ctx context.Context, resp *syncResponse) {
	for _, room := range slices.Sorted(maps.Keys(resp.Rooms.Invite)) {
		err := a.call(ctx, func(ctx context.Context) error {
			_, err := a.cli.JoinRoomByID(ctx, id.RoomID(room))
			return err
		})
		if err != nil {
			a.log.Warn("matrix: joining a room the bot was invited to", "room", room, "err", err)
		}
	}
}

// maxGapPages bounds the pages of older events read to fill a gap.
const maxGapPages = 10

// gap reads the events of room that a limited timeline left out, from
// its prev_batch back to the last event seen there (seen), or else to
// the bot's joining it, oldest first. to, the position synced from, is
// given too, but Dendrite ignores it. A gap it cannot read is logged: the
// events after it are handled all the same.
func (a *Adapter) gap(ctx context.Context, room, from, to, seen string) []timelineEvent {
	var out []timelineEvent
	for page := 0; from != ""; page++ {
		if page == maxGapPages {
			a.log.Warn("matrix: too many events came in a room at once; the oldest are left out", "room", room, "read", len(out))
			break
		}
		var resp *mautrix.RespMessages
		err := a.call(ctx, func(ctx context.Context) (err error) {
			resp, err = a.cli.Messages(ctx, id.RoomID(room), from, to, mautrix.DirectionBackward, nil, 100)
			return
		})
		if err != nil {
			a.log.Warn("matrix: reading the events a sync left out; they are not handled", "room", room, "err", err)
			break
		}
		for _, ev := range resp.Chunk {
			if string(ev.ID) == seen || ev.Type.Type == "m.room.member" && ev.GetStateKey() == string(a.me) && isJoin(ev.Content.VeryRaw) {
				slices.Reverse(out)
				return out
			}
			out = append(out, timelineEvent{Type: ev.Type.Type, Sender: string(ev.Sender), ID: string(ev.ID), Content: ev.Content.VeryRaw})
		}
		if len(resp.Chunk) == 0 || resp.End == "" || resp.End == from {
			break
		}
		from = resp.End
	}
	slices.Reverse(out)
	return out
}

func isJoin(content json.RawMessage) bool {
	var m struct {
		Membership string `json:"membership"`
	}
	return json.Unmarshal(content, &m) == nil && m.Membership == "join"
}

// lastEvents is the newest event of each room in a sync answer.
func lastEvents(resp *syncResponse) map[string]string {
	last := map[string]string{}
	for room, r := range resp.Rooms.Join {
		if evs := r.Timeline.Events; len(evs) > 0 {
			last[room] = evs[len(evs)-1].ID
		}
	}
	return last
}
