package bot_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
)

// countingStore counts what the core reads and writes.
type countingStore struct {
	bot.Store
	events, lists, fullLists, creates, appends atomic.Int64
}

func (s *countingStore) Events(ctx context.Context, id int64) ([]bot.Event, error) {
	s.events.Add(1)
	return s.Store.Events(ctx, id)
}

func (s *countingStore) Faults(ctx context.Context, f bot.FaultFilter) ([]*bot.Fault, error) {
	s.lists.Add(1)
	if f.WithEvent == "" && f.Limit == 0 {
		s.fullLists.Add(1)
	}
	return s.Store.Faults(ctx, f)
}

func (s *countingStore) CreateFault(ctx context.Context, evs []bot.Event) (int64, error) {
	s.creates.Add(1)
	return s.Store.CreateFault(ctx, evs)
}

func (s *countingStore) Append(ctx context.Context, id int64, after int, evs []bot.Event) error {
	s.appends.Add(1)
	return s.Store.Append(ctx, id, after, evs)
}

func (s *countingStore) AppendDue(ctx context.Context, id int64, after int, evs []bot.Event, due time.Time) error {
	s.appends.Add(1)
	return s.Store.AppendDue(ctx, id, after, evs, due)
}

// AddActors passes the core's vouching on (the store refuses events by
// actors it was not told of).
func (s *countingStore) AddActors(ctx context.Context, ids []string) error {
	return s.Store.(bot.Actors).AddActors(ctx, ids)
}

func (s *countingStore) reset() {
	for _, c := range []*atomic.Int64{&s.events, &s.lists, &s.fullLists, &s.creates, &s.appends} {
		c.Store(0)
	}
}

// countingRig is a rig whose bot runs on a countingStore over its memstore.
func countingRig(t *testing.T, cat *bot.Catalog) (*rig, *countingStore) {
	r := newRig(t)
	cs := &countingStore{Store: r.db}
	var err error
	r.bot, err = bot.New(cs, r.chat, r.clock, cat, r.opts, nil)
	require.NoError(t, err)
	require.NoError(t, r.bot.Start(r.ctx))
	return r, cs
}

func TestTickReadsOnlyWhatIsDue(t *testing.T) {
	t.Parallel()
	r, cs := countingRig(t, testCatalog())
	for i := range 20 { // P3: chased after 30 minutes, no reminders
		r.say("general", "ana", fmt.Sprintf("/fault declare P3 Reports late %d service=reports", i))
	}
	p2 := r.declare("/fault declare P2 Ledger down service=ledger") // reminded every quarter hour

	cs.reset()
	r.clock.Advance(9 * time.Minute) // P2 chased from 14:10, reminded from 14:15
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.Zero(t, cs.events.Load()+cs.lists.Load()+cs.appends.Load(), "nothing due: no timeline read, nothing written")

	r.clock.Advance(6 * time.Minute) // 14:15: the P2 chase and reminder
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.EqualValues(t, 1, cs.events.Load(), "only the fault due is read")
	assert.Contains(t, lastText(r, p2.Channel), "time for a progress update")
	cs.reset()
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.Zero(t, cs.events.Load(), "done, recorded with its next due time")

	r.clock.Advance(15 * time.Minute) // 14:30: every P3 chase stage 1, and the next P2 reminder
	require.NoError(t, r.bot.Tick(r.ctx))
	assert.EqualValues(t, 21, cs.events.Load())
	for i := range 20 {
		f := r.fault(int64(i + 1))
		assert.Equal(t, len(f.Participants)-f.CheckedIn(), count(t, r, f.ID, bot.EventChased), "fault %d: each not checked in is DMed", f.ID)
	}
}

// count counts a fault's events of a type.
func count(t *testing.T, r *rig, id int64, typ bot.EventType) int {
	t.Helper()
	evs, err := r.db.Events(r.ctx, id)
	require.NoError(t, err)
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func lastText(r *rig, channel string) string {
	texts := r.chat.Texts(channel)
	if len(texts) == 0 {
		return ""
	}
	return texts[len(texts)-1]
}

func TestRestartRearmsFromTheIndex(t *testing.T) {
	t.Parallel()
	r, _ := countingRig(t, testCatalog())
	p2 := r.declare("/fault declare P2 Ledger down service=ledger")
	r.clock.Advance(20 * time.Minute) // down over the 14:15 reminder

	// Same policies: the index is trusted, no timeline is replayed.
	require.NoError(t, r.db.Close())
	r.db = r.db.Reopen()
	cs := &countingStore{Store: r.db}
	b, err := bot.New(cs, r.chat, r.clock, testCatalog(), r.opts, nil)
	require.NoError(t, err)
	require.NoError(t, b.Start(r.ctx))
	assert.Zero(t, cs.fullLists.Load()+cs.events.Load(), "a restart reads no timeline")
	require.NoError(t, b.Tick(r.ctx))
	require.NoError(t, b.Tick(r.ctx))
	assert.Equal(t, 1, count(t, r, p2.ID, bot.EventReminded), "the missed reminder is caught up once")
}

func TestRestartUnderNewPoliciesReworksDueTimes(t *testing.T) {
	t.Parallel()
	r, _ := countingRig(t, testCatalog())
	p3 := r.declare("/fault declare P3 Reports late service=reports") // no reminders at P3
	require.NoError(t, r.db.Close())
	r.db = r.db.Reopen()

	cat := testCatalog()
	pol := cat.Levels[bot.P3]
	pol.Remind = "*/5 * * * *"
	cat.Levels[bot.P3] = pol
	cs := &countingStore{Store: r.db}
	b, err := bot.New(cs, r.chat, r.clock, cat, r.opts, nil)
	require.NoError(t, err)
	require.NoError(t, b.Start(r.ctx))
	assert.EqualValues(t, 1, cs.fullLists.Load(), "the open faults are read once to work the new due times out")

	r.clock.Advance(5 * time.Minute)
	require.NoError(t, b.Tick(r.ctx))
	assert.Contains(t, lastText(r, p3.Channel), "time for a progress update", "the new schedule holds")

	// And a third start under those policies trusts the index again.
	cs2 := &countingStore{Store: r.db}
	b2, err := bot.New(cs2, r.chat, r.clock, cat, r.opts, nil)
	require.NoError(t, err)
	require.NoError(t, b2.Start(r.ctx))
	assert.Zero(t, cs2.fullLists.Load())
}

func TestDeclareRecordsInTwoTransactions(t *testing.T) {
	t.Parallel()
	r, cs := countingRig(t, testCatalog())
	cs.reset()
	f := r.declare("/fault declare P2 Ledger down service=ledger cause=queue")
	assert.EqualValues(t, 1, cs.creates.Load(), "the declaration")
	assert.EqualValues(t, 1, cs.appends.Load(), "the room, invitations, kickoff and the declarer's check-in together")
	assert.NotEmpty(t, f.Kickoff)
	assert.Len(t, f.Participants, 4)
}

// gatedChat holds the kickoff post until released, and says when the war
// room's channel exists.
type gatedChat struct {
	*memory.Adapter
	created chan bot.Channel
	release chan struct{}
}

func (g *gatedChat) CreateChannel(ctx context.Context, name string) (bot.Channel, error) {
	ch, err := g.Adapter.CreateChannel(ctx, name)
	if err == nil {
		g.created <- ch
	}
	return ch, err
}

func (g *gatedChat) Post(ctx context.Context, channel string, m bot.Message) (string, error) {
	if m.Kind == bot.KindKickoff {
		<-g.release
	}
	return g.Adapter.Post(ctx, channel, m)
}

func TestCommandInARoomBeingDeclaredWaitsForIt(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	chat := &gatedChat{Adapter: r.chat, created: make(chan bot.Channel, 1), release: make(chan struct{})}
	b, err := bot.New(r.db, chat, r.clock, testCatalog(), r.opts, nil)
	require.NoError(t, err)

	var wg sync.WaitGroup
	wg.Go(func() {
		b.HandleMessage(r.ctx, bot.Incoming{Channel: "general", User: "ana", Text: "/fault declare P2 Ledger down service=ledger"})
	})
	ch := <-chat.created
	wg.Go(func() { b.HandleMessage(r.ctx, bot.Incoming{Channel: ch.ID, User: "ben", Text: "/fault checkin"}) })
	require.Eventually(t, func() bool { return b.LockWaiters(1) == 2 }, 5*time.Second, time.Millisecond,
		"the check-in waits on the fault the room belongs to")
	close(chat.release)
	wg.Wait()

	f := r.fault(1)
	p, ok := f.Participant("ben")
	require.True(t, ok)
	assert.True(t, p.CheckedIn(), "checked in after the room was recorded: %v", r.chat.Texts(ch.ID))
}
