package bot

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// The chat inbox: what makes a platform's acknowledgement ("received") a
// promise a crash cannot break. An adapter hands each inbound event to Keep
// before it acknowledges it; Keep writes it to the store's Inbox and
// returns it as Kept, which the adapter then has handled (Kept.Handle: the
// usual Handler path, then Done). A kill between the two leaves the event
// in the inbox, and the next Start handles it, once. An event the platform
// sends again (same id) is kept once and handled once.
//
// The events that act on a channel's war room (its commands, reactions)
// are handled in the order they were kept, those of other channels side by
// side: "/fault resolve" never overtakes the "/fault update" typed before
// it, and a restart replays them in order. Commands that act on no war room
// (declare, list, help) and chat that is no command wait for nothing: a
// hundred declares typed at once in #general open their rooms side by side.

// InboxChat is the inbox source of chat events.
const InboxChat = "chat"

// Inbound is an event from the chat platform, as it is kept.
type Inbound struct {
	// ID is the platform's id for the event, the same on its redeliveries
	// (a Slack event_id or trigger_id, a Discord interaction or message
	// id). Empty: the platform has none, and the event is kept as new.
	ID       string    `json:"id,omitempty"`
	Message  *Incoming `json:"message,omitempty"`
	Reaction *Reaction `json:"reaction,omitempty"`
	// Route is how to answer the event after a restart, in the adapter's
	// own terms (a Slack response_url); see Resumer.
	Route json.RawMessage `json:"route,omitempty"`
	// Redelivered: the platform sends the event again while it is not
	// acknowledged (Slack's Socket Mode and Events API). Else its sender
	// is told to send it again when it cannot be kept.
	Redelivered bool `json:"-"`
}

// queue is the channel whose order ev keeps; "" when it keeps none.
func (b *Bot) queue(ev Inbound) string {
	if ev.Reaction != nil {
		return ev.Reaction.Channel
	}
	cmd, ok := ParseCommand(b.opts.Command, ev.Message.Text)
	if !ok {
		return ""
	}
	if v, err := b.verbs.Lookup(b.opts.Command, cmd.Verb); err != nil || v.Scope == AnyChannel {
		return ""
	}
	return ev.Message.Channel
}

// Keeper is a Handler that keeps events before they are acknowledged (the
// Bot). Adapters use it through Keep.
type Keeper interface {
	Keep(ctx context.Context, ev Inbound) (*Kept, error)
}

// Resumer is an adapter that can answer an event kept before a restart
// through the route it kept with it (Inbound.Route), received at received.
// The returned context carries the route; finish is called once the event
// is handled. Without it, such answers are posted in the event's channel.
type Resumer interface {
	Resume(ctx context.Context, route json.RawMessage, received time.Time) (_ context.Context, finish func())
}

// Kept is an event kept and not yet handled.
type Kept struct {
	b     *Bot
	h     Handler // the handler when the bot keeps nothing (see Keep)
	id    string  // inbox id; "" when not kept
	ev    Inbound
	prev  <-chan struct{} // closed when the channel's previous event is handled
	done  chan struct{}
	once  sync.Once
	chKey string
}

// Keep keeps ev with h if h is a Keeper, before the caller acknowledges
// it. A nil Kept and nil error is an event kept already (the platform sent
// it again): acknowledge it and do nothing more. An error means nothing was
// kept: the platform should send it again, or its user be told to (ctx's
// deadline is the adapter's share of the platform's). A Handler that keeps
// nothing (a test's) gets a Kept that just hands the event on.
func Keep(ctx context.Context, h Handler, ev Inbound) (*Kept, error) {
	if k, ok := h.(Keeper); ok {
		return k.Keep(ctx, ev)
	}
	return &Kept{h: h, ev: ev}, nil
}

// Keep implements Keeper. A store without an inbox keeps nothing: the
// event is handled as before, without the promise.
func (b *Bot) Keep(ctx context.Context, ev Inbound) (*Kept, error) {
	if (ev.Message == nil) == (ev.Reaction == nil) {
		return nil, Errorf(EINVALID, "an inbound event is a message or a reaction")
	}
	ib, ok := b.store.(Inbox)
	if !ok {
		return &Kept{h: b, ev: ev}, nil
	}
	id := b.adapter.Platform() + ":" + ev.ID
	if ev.ID == "" {
		id = b.adapter.Platform() + ":new:" + newInboxID()
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, Errorf(EINVALID, "the event cannot be kept: %v", err)
	}
	c := &b.chat
	c.mu.Lock()
	c.init()
	c.inflight[id]++ // the replay must not take it meanwhile
	k := c.ticket(b, id, ev)
	c.mu.Unlock()

	// The store may not honour ctx (SQLite's grouped writes do not), so
	// the deadline is kept here: past it the caller hears "not kept", and
	// a write that lands later is settled by late. Two deliveries of one id
	// racing are told apart by the store: one is fresh.
	res := make(chan putResult, 1)
	item := InboxItem{Source: InboxChat, ID: id, Payload: payload, Received: b.clock.Now()}
	go func() {
		fresh, err := ib.Put(context.WithoutCancel(ctx), item)
		res <- putResult{fresh, err}
	}()
	var r putResult
	select {
	case r = <-res:
	case <-ctx.Done():
		b.bg.Go(func() { b.late(context.WithoutCancel(ctx), ib, k, res) })
		b.log.Error("keeping a chat event: the store did not answer in time", "id", id)
		return nil, Errorf(EUNAVAILABLE, "the store did not answer in time")
	}
	if r.err != nil || !r.fresh {
		if r.err != nil {
			b.log.Error("keeping a chat event", "id", id, "err", r.err)
			r.err = Errorf(EUNAVAILABLE, "the store cannot keep it now (%v)", r.err)
		}
		c.mu.Lock()
		k.release(c, false)
		c.mu.Unlock()
		return nil, r.err
	}
	return k, nil
}

type putResult struct {
	fresh bool
	err   error
}

// late settles an event whose keeping outlasted the caller's deadline:
// the caller was told it was not kept. Where the platform sends it again
// (Inbound.Redelivered), that delivery will find it kept, so it is handled
// now; else its sender was told to send it again, and it is dropped.
func (b *Bot) late(ctx context.Context, ib Inbox, k *Kept, res <-chan putResult) {
	r := <-res
	if r.err == nil && r.fresh {
		if k.ev.Redelivered {
			k.Handle(ctx)
			return
		}
		if err := ib.Done(ctx, InboxChat, k.id); err != nil {
			b.log.Error("dropping a chat event kept too late", "id", k.id, "err", err)
		}
	}
	c := &b.chat
	c.mu.Lock()
	k.release(c, false)
	c.mu.Unlock()
}

// Handle handles the event through the Handler (after the channel's
// earlier events), with ctx, and marks it done. It returns without
// handling when ctx ends first: the event stays for the next start.
func (k *Kept) Handle(ctx context.Context) {
	if k == nil {
		return
	}
	if k.b == nil { // nothing kept
		k.ev.handle(ctx, k.h)
		return
	}
	b, c := k.b, &k.b.chat
	handled := false
	defer func() {
		c.mu.Lock()
		k.release(c, handled)
		c.mu.Unlock()
	}()
	select {
	case <-k.prev:
	case <-ctx.Done():
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the next start handles it
	}
	k.ev.handle(withInboxKey(ctx, k.id), b)
	handled = true
	if ctx.Err() != nil {
		// Cut short by the shutdown, it may have failed for that alone:
		// the next start handles it again rather than lose it.
		b.log.Warn("a chat event was handled while warroom stopped; it is handled again at the next start", "id", k.id)
		return
	}
	// The answer is out: a failure to mark it done means it is handled
	// again at the next start, which the log says.
	if err := b.store.(Inbox).Done(context.WithoutCancel(ctx), InboxChat, k.id); err != nil {
		b.log.Error("marking a chat event done; it will be handled again at the next start", "id", k.id, "err", err)
	}
}

func (ev Inbound) handle(ctx context.Context, h Handler) {
	if ev.Message != nil {
		h.HandleMessage(ctx, *ev.Message)
	} else if ev.Reaction != nil {
		h.HandleReaction(ctx, *ev.Reaction)
	}
}

// chatState is the chat inbox's bookkeeping.
type chatState struct {
	mu sync.Mutex
	// last is each ordered channel's newest ticket (see queue): its done
	// closes when it has been handled (or given up).
	last map[string]chan struct{}
	// inflight are the inbox ids kept or being handled by this process,
	// so that a redelivery meanwhile and the start's replay skip them;
	// finished those handled before the replay read the inbox.
	inflight map[string]int
	finished map[string]bool
	replayed bool
}

func (c *chatState) init() {
	if c.inflight == nil {
		c.last, c.inflight, c.finished = map[string]chan struct{}{}, map[string]int{}, map[string]bool{}
	}
}

var closedChan = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// ticket queues an event behind its channel's newest; c.mu is held.
func (c *chatState) ticket(b *Bot, id string, ev Inbound) *Kept {
	k := &Kept{b: b, id: id, ev: ev, done: make(chan struct{}), chKey: b.queue(ev), prev: closedChan}
	if k.chKey == "" {
		return k
	}
	if p, ok := c.last[k.chKey]; ok {
		k.prev = p
	}
	c.last[k.chKey] = k.done
	return k
}

// release lets the channel's next event go; c.mu is held.
func (k *Kept) release(c *chatState, handled bool) {
	k.once.Do(func() {
		if c.inflight[k.id]--; c.inflight[k.id] <= 0 {
			delete(c.inflight, k.id)
		}
		if handled && !c.replayed {
			c.finished[k.id] = true
		}
		// The next event waits on this one's predecessor too, so that a
		// ticket given up (not kept) does not let it overtake.
		prev, done := k.prev, k.done
		if !isClosed(prev) {
			go func() { <-prev; close(done) }()
			return
		}
		if c.last[k.chKey] == done {
			delete(c.last, k.chKey)
		}
		close(done)
	})
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// replayChat handles, once and in order, the chat events the last process
// kept but did not handle. Their answers go where Resumer routes them, else
// to their channel: the request they came with is gone.
func (b *Bot) replayChat(ctx context.Context) error {
	ib, ok := b.store.(Inbox)
	if !ok {
		return nil
	}
	items, err := ib.Pending(ctx, InboxChat, 0)
	if err != nil {
		return err
	}
	c := &b.chat
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	var ks []*Kept
	for _, it := range items {
		if c.inflight[it.ID] > 0 || c.finished[it.ID] {
			continue
		}
		var ev Inbound
		if err := json.Unmarshal(it.Payload, &ev); err != nil || (ev.Message == nil) == (ev.Reaction == nil) {
			b.log.Error("a chat event in the inbox cannot be read; it is dropped", "id", it.ID, "err", err)
			if err := ib.Done(ctx, InboxChat, it.ID); err != nil {
				b.log.Error("dropping an unreadable chat event", "id", it.ID, "err", err)
			}
			continue
		}
		c.inflight[it.ID]++
		k := c.ticket(b, it.ID, ev)
		ks = append(ks, k)
		received := it.Received
		b.bg.Go(func() {
			hctx, finish := ctx, func() {}
			if r, ok := b.adapter.(Resumer); ok && len(k.ev.Route) > 0 {
				hctx, finish = r.Resume(ctx, k.ev.Route, received)
			}
			defer finish()
			k.Handle(hctx)
		})
	}
	c.replayed = true
	clear(c.finished)
	if len(ks) > 0 {
		b.log.Info("handling the chat events kept before the restart", "events", len(ks))
	}
	return nil
}

// HandlerOnly is h without its keeping: Keep hands events straight to it.
// It is for an event handled although it could not be kept (one the
// platform will not send again, and nobody can be asked to).
func HandlerOnly(h Handler) Handler { return handlerOnly{h} }

type handlerOnly struct{ Handler }

type inboxKeyCtx struct{}

// withInboxKey marks ctx as handling the kept chat event id, so that a
// declare can be known again when the event is replayed.
func withInboxKey(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, inboxKeyCtx{}, id)
}

// inboxKey is the kept chat event ctx handles; "" when none.
func inboxKey(ctx context.Context) string {
	id, _ := ctx.Value(inboxKeyCtx{}).(string)
	return id
}
