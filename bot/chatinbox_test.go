package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/memstore"
)

func said(id, channel, text string) bot.Inbound {
	return bot.Inbound{ID: id, Message: &bot.Incoming{Channel: channel, User: "ana", Text: text}}
}

func (r *rig) keep(ev bot.Inbound) *bot.Kept {
	r.t.Helper()
	k, err := r.bot.Keep(r.ctx, ev)
	require.NoError(r.t, err)
	return k
}

func (r *rig) pendingChat() []bot.InboxItem {
	r.t.Helper()
	items, err := r.db.Pending(r.ctx, bot.InboxChat, 0)
	require.NoError(r.t, err)
	return items
}

func (r *rig) titles() []string {
	r.t.Helper()
	var out []string
	for _, f := range r.faults() { // newest first
		out = append([]string{f.Title}, out...)
	}
	return out
}

// A kept event is handled once: its redelivery (the same platform id) is
// acknowledged and not handled again, and nothing stays pending.
func TestKeptChatEventIsHandledOnce(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ev := said("T1", "general", "/fault declare P3 Queue slow service=queue")
	k := r.keep(ev)
	require.NotNil(t, k)
	assert.Len(t, r.pendingChat(), 1, "kept before it is handled")
	k.Handle(r.ctx)
	assert.Equal(t, []string{"Queue slow"}, r.titles())
	assert.Empty(t, r.pendingChat())

	again, err := r.bot.Keep(r.ctx, ev)
	require.NoError(t, err)
	assert.Nil(t, again, "a redelivery is kept already")
	again.Handle(r.ctx) // a nil Kept does nothing
	assert.Len(t, r.faults(), 1)
}

// The finding of issue 15: an event acknowledged (kept) and then lost to a
// kill -9 before it was handled. The next start handles it, once; its
// answer goes to the channel, the request being gone.
func TestChatEventKeptBeforeACrashIsHandledAtStart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	require.NotNil(t, r.keep(said("T1", "general", "/fault declare P3 Queue slow service=queue")))
	require.NotNil(t, r.keep(said("T2", "general", "/fault declare P4 Reports late service=reports")))
	assert.Empty(t, r.faults(), "killed before handling")

	r.open() // the restarted process
	require.NoError(t, r.bot.Start(r.ctx))
	r.bot.Wait()
	assert.ElementsMatch(t, []string{"Queue slow", "Reports late"}, r.titles(), "handled once each")
	assert.Empty(t, r.pendingChat())
	assert.NotEmpty(t, r.chat.Texts("general"), "answered in the channel")

	// Slack redelivers an envelope the dead process never acknowledged.
	k, err := r.bot.Keep(r.ctx, said("T1", "general", "/fault declare P3 Queue slow service=queue"))
	require.NoError(t, err)
	assert.Nil(t, k)

	r.open()
	require.NoError(t, r.bot.Start(r.ctx))
	r.bot.Wait()
	assert.Len(t, r.faults(), 2, "a second start handles nothing again")
}

// A war room's commands kept before a crash are replayed in their order.
func TestReplayKeepsAWarRoomsOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.keep(said("T0", "general", "/fault declare P3 Queue slow service=queue")).Handle(r.ctx)
	room := r.fault(1).Channel
	for i, text := range []string{"one", "two", "three", "four"} {
		require.NotNil(t, r.keep(said(fmt.Sprint("U", i), room, "/fault update "+text)))
	}
	r.open()
	require.NoError(t, r.bot.Start(r.ctx))
	r.bot.Wait()
	assert.Equal(t, []string{"one", "two", "three", "four"}, r.updates(1))
	assert.Empty(t, r.pendingChat())
}

// Events acting on a war room are handled in the order they were kept,
// even when the later one's handler is called first; a declare waits for
// nothing.
func TestChatEventsOfAWarRoomKeepTheirOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.keep(said("T0", "general", "/fault declare P3 Queue slow service=queue")).Handle(r.ctx)
	room := r.fault(1).Channel
	k1 := r.keep(said("T1", room, "/fault update one"))
	k2 := r.keep(said("T2", room, "/fault update two"))
	other := r.keep(said("T3", "general", "/fault declare P4 Ledger late service=ledger"))
	done := make(chan struct{})
	go func() { k2.Handle(r.ctx); close(done) }()
	other.Handle(r.ctx) // another channel's, and a declare: it does not wait
	assert.Equal(t, []string{"Queue slow", "Ledger late"}, r.titles())
	select {
	case <-done:
		t.Fatal("the second update was handled before the first")
	default:
	}
	k1.Handle(r.ctx)
	<-done
	assert.Equal(t, []string{"one", "two"}, r.updates(1))
}

func (r *rig) updates(id int64) []string {
	r.t.Helper()
	evs, err := r.db.Events(r.ctx, id)
	require.NoError(r.t, err)
	var out []string
	for _, e := range evs {
		if e.Type == bot.EventUpdate {
			out = append(out, e.Text)
		}
	}
	return out
}

// A ticket given up (the store could not keep the event) does not let the
// next event overtake the one before it.
func TestAnEventNotKeptKeepsTheOrder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	fs := &flakyInbox{Store: r.db}
	b, err := bot.New(fs, r.chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	k0, err := b.Keep(r.ctx, said("T0", "general", "/fault declare P3 Queue slow service=queue"))
	require.NoError(t, err)
	k0.Handle(r.ctx)
	room := r.fault(1).Channel
	k1, err := b.Keep(r.ctx, said("T1", room, "/fault update one"))
	require.NoError(t, err)
	fs.fail = true
	_, err = b.Keep(r.ctx, said("T2", room, "/fault update lost"))
	require.Error(t, err)
	fs.fail = false
	k3, err := b.Keep(r.ctx, said("T3", room, "/fault update three"))
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { k3.Handle(r.ctx); close(done) }()
	select {
	case <-done:
		t.Fatal("the third update was handled before the first")
	default:
	}
	k1.Handle(r.ctx)
	<-done
	assert.Equal(t, []string{"one", "three"}, r.updates(1))
}

// flakyInbox is a store whose inbox refuses puts while fail is set, or
// holds them until hang is closed.
type flakyInbox struct {
	*memstore.Store
	fail bool
	hang chan struct{}
}

func (s *flakyInbox) Put(ctx context.Context, it bot.InboxItem) (bool, error) {
	if s.fail {
		return false, errors.New("disk I/O error")
	}
	if s.hang != nil {
		<-s.hang
	}
	return s.Store.Put(ctx, it)
}

// A store that cannot take the event within the platform's deadline: the
// caller hears it was not kept, and nothing is handled. When the write
// lands after all, an event whose sender was told to send it again is
// dropped; one the platform sends again (Socket Mode) is handled, its
// redelivery then finding it kept.
func TestAnEventTheStoreCannotTakeInTimeIsRefused(t *testing.T) {
	t.Parallel()
	for _, redelivered := range []bool{false, true} {
		r := newRig(t)
		fs := &flakyInbox{Store: r.db, hang: make(chan struct{})}
		b, err := bot.New(fs, r.chat, r.clock, testCatalog(), bot.Options{}, nil)
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(r.ctx)
		cancel() // the deadline has passed
		ev := said("T1", "general", "/fault declare P3 Queue slow service=queue")
		ev.Redelivered = redelivered
		k, err := b.Keep(ctx, ev)
		assert.Nil(t, k)
		assert.Equal(t, bot.EUNAVAILABLE, bot.ErrorCode(err), "%v", err)
		close(fs.hang) // the write lands
		b.Wait()
		assert.Empty(t, r.pendingChat())
		if redelivered {
			assert.Equal(t, []string{"Queue slow"}, r.titles())
			again, err := b.Keep(r.ctx, ev)
			require.NoError(t, err)
			assert.Nil(t, again, "the redelivery is kept already")
		} else {
			assert.Empty(t, r.faults(), "its sender was told to send it again")
		}
	}
}

// Reactions are kept too, and a handler that keeps nothing (a test's) is
// handed the event directly.
func TestReactionsAreKeptAndPlainHandlersServed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	k := r.keep(bot.Inbound{ID: "R1", Reaction: &bot.Reaction{Channel: "c", Message: "m", User: "ana", Emoji: "✅"}})
	require.Len(t, r.pendingChat(), 1)
	k.Handle(r.ctx)
	assert.Empty(t, r.pendingChat())

	_, err := r.bot.Keep(r.ctx, bot.Inbound{ID: "X"})
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err))

	var got []bot.Incoming
	h := handlerFunc(func(m bot.Incoming) { got = append(got, m) })
	pk, err := bot.Keep(r.ctx, h, said("T9", "c", "hi"))
	require.NoError(t, err)
	pk.Handle(r.ctx)
	assert.Equal(t, []bot.Incoming{{Channel: "c", User: "ana", Text: "hi"}}, got)
}

type handlerFunc func(bot.Incoming)

func (f handlerFunc) HandleMessage(_ context.Context, m bot.Incoming) { f(m) }
func (f handlerFunc) HandleReaction(context.Context, bot.Reaction)    {}

// resuming is an adapter that answers kept events through their route.
type resuming struct {
	*memory.Adapter
	routes   []string
	received []time.Time
	finished int
}

func (a *resuming) Resume(ctx context.Context, route json.RawMessage, received time.Time) (context.Context, func()) {
	a.routes = append(a.routes, string(route))
	a.received = append(a.received, received)
	return ctx, func() { a.finished++ }
}

// At start an adapter that can route answers (Slack's response_url) is
// given each replayed event's route and receive time.
func TestReplayedEventsAreResumedThroughTheirRoute(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ev := said("T1", "general", "/fault declare P3 Queue slow service=queue")
	ev.Route = json.RawMessage(`{"response_url":"https://hooks.example/1"}`)
	require.NotNil(t, r.keep(ev))
	received := r.clock.Now()
	r.clock.Advance(time.Minute)

	require.NoError(t, r.db.Close())
	db := r.db.Reopen()
	a := &resuming{Adapter: r.chat}
	b, err := bot.New(db, a, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	require.NoError(t, b.Start(r.ctx))
	b.Wait()
	assert.Equal(t, []string{`{"response_url":"https://hooks.example/1"}`}, a.routes)
	assert.True(t, a.received[0].Equal(received), "the time it was received, not now")
	assert.Equal(t, 1, a.finished)
	all, err := db.Faults(r.ctx, bot.FaultFilter{})
	require.NoError(t, err)
	assert.Len(t, all, 1)
}

// A process that becomes the leader takes over the chat events another
// process kept and did not handle (the leader that died), once.
func TestTakeOverHandlesWhatAnotherProcessKept(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	leader, err := bot.New(r.db, r.chat, r.clock, testCatalog(), r.opts, nil) // the survivor, started already
	require.NoError(t, err)
	require.NoError(t, leader.Start(r.ctx))
	leader.Wait()
	require.NotNil(t, r.keep(said("T1", "general", "/fault declare P3 Queue slow service=queue")))
	assert.Empty(t, r.faults(), "the process that kept it died before handling it")

	require.NoError(t, leader.TakeOver(r.ctx))
	leader.Wait()
	assert.Equal(t, []string{"Queue slow"}, r.titles())
	assert.Empty(t, r.pendingChat())
	require.NoError(t, leader.TakeOver(r.ctx))
	leader.Wait()
	assert.Len(t, r.faults(), 1, "a second term takes nothing again")
}

// stuckRooms is a platform whose first channel create never comes back
// while the test holds it: the process "dies" there.
type stuckRooms struct {
	*memory.Adapter
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (s *stuckRooms) CreateChannel(ctx context.Context, name string) (bot.Channel, error) {
	first := false
	s.once.Do(func() { first = true })
	if !first {
		return s.Adapter.CreateChannel(ctx, name)
	}
	close(s.entered)
	<-s.release
	return bot.Channel{}, errors.New("the process was killed here")
}

// A declare whose process died after recording the fault, before its war
// room was open, is not declared again when its event is replayed: the
// room is opened for the fault recorded. Replayed once more, it answers
// again and declares nothing.
func TestReplayedDeclareOpensTheRoomOfTheFaultRecorded(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	stuck := &stuckRooms{Adapter: r.chat, entered: make(chan struct{}), release: make(chan struct{})}
	dying, err := bot.New(r.db, stuck, r.clock, testCatalog(), r.opts, nil)
	require.NoError(t, err)
	k, err := dying.Keep(r.ctx, said("T1", "general", "/fault declare P3 Queue slow service=queue"))
	require.NoError(t, err)
	handled := make(chan struct{})
	go func() { k.Handle(r.ctx); close(handled) }()
	<-stuck.entered
	require.Len(t, r.faults(), 1, "the fault is recorded")

	r.open() // the restarted process; the old one's handle is closed
	require.NoError(t, r.bot.Start(r.ctx))
	r.bot.Wait()
	require.Len(t, r.faults(), 1, "declared once")
	f := r.fault(r.faults()[0].ID)
	assert.NotEmpty(t, f.Channel, "its war room opened by the replay")
	assert.NotEmpty(t, f.Kickoff)
	assert.Empty(t, r.pendingChat())
	close(stuck.release)
	<-handled
	assert.Len(t, r.faults(), 1)
}
