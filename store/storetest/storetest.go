// Package storetest is the contract every bot.Store keeps, as a test suite
// that each implementation runs on itself:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) bot.Store { return openEmptyStore(t) })
//	}
//
// open must return a new, empty store each time it is called (the suite runs
// its tests in parallel, each on its own store) and arrange its closing with
// t.Cleanup. Run also runs the suites of the optional interfaces
// (bot.PlanVersions, bot.StepOutputs, bot.AlertKeys, bot.Inbox,
// bot.Actors, bot.FaultCounter, bot.AdapterState) when the store implements them. A store that implements
// bot.Actors is told of People before each test of the other suites.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// Opener returns a new, empty store for one test.
type Opener func(t *testing.T) bot.Store

// t0 has nanoseconds, so that a store that keeps times as text is checked to
// the last digit.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.UTC)

// Run runs the whole contract on the stores open returns: the bot.Store
// suite, and the suites of the optional interfaces the store implements.
func Run(t *testing.T, open Opener) {
	t.Helper()
	t.Run("Store", func(t *testing.T) { RunStore(t, open) })
	t.Run("DueIndex", func(t *testing.T) { RunDueIndex(t, open) })
	probe := open(t)
	if _, ok := probe.(bot.PlanVersions); ok {
		t.Run("PlanVersions", func(t *testing.T) { RunPlanVersions(t, open) })
	}
	if _, ok := probe.(bot.StepOutputs); ok {
		t.Run("StepOutputs", func(t *testing.T) { RunStepOutputs(t, open) })
	}
	if _, ok := probe.(bot.AlertKeys); ok {
		t.Run("AlertKeys", func(t *testing.T) { RunAlertKeys(t, open) })
	}
	if _, ok := probe.(bot.Inbox); ok {
		t.Run("Inbox", func(t *testing.T) { RunInbox(t, open) })
	}
	if _, ok := probe.(bot.Actors); ok {
		t.Run("Actors", func(t *testing.T) { RunActors(t, open) })
	}
	if _, ok := probe.(bot.AdapterState); ok {
		t.Run("AdapterState", func(t *testing.T) { RunAdapterState(t, open) })
	}
	if _, ok := probe.(bot.FaultCounter); ok {
		t.Run("FaultCounter", func(t *testing.T) { RunFaultCounter(t, open) })
	}
}

// RunStore runs the bot.Store contract.
func RunStore(t *testing.T, open Opener) {
	t.Helper()
	open = knowing(open)
	tests := []struct {
		name string
		test func(t *testing.T, s bot.Store)
	}{
		{"CreateFaultNumbersFaultsAndEvents", testCreateFault},
		{"CreateFaultNeedsDeclaredFirst", testCreateFaultInvalid},
		{"AppendAfterTheLastEvent", testAppend},
		{"AppendStaleIsConflict", testAppendConflict},
		{"AppendNothingRecordsNothing", testAppendNothing},
		{"ConcurrentAppendsOneWins", testConcurrentAppend},
		{"ConcurrentCreatesDistinctIDs", testConcurrentCreate},
		{"FaultIsReplayedTimeline", testFaultReplay},
		{"NotFound", testNotFound},
		{"FaultByChannel", testFaultByChannel},
		{"FaultsFilter", testFaults},
		{"EventsInOrder", testEventsInOrder},
		{"EveryEventFieldRoundTrips", testEveryField},
		{"NoAliasing", testNoAliasing},
		{"CanceledContext", testCanceledContext},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, open(t))
		})
	}
}

// Declared is a fault's first event.
func Declared(title string, level bot.Level) bot.Event {
	return bot.Event{At: t0, Type: bot.EventDeclared, Actor: "alice", Level: level, Text: title,
		Service: "checkout", Cause: "payments", Kind: "server-down"}
}

// Ev is an event of type typ by warroom a minute after the declaration,
// changed by mod if not nil.
func Ev(typ bot.EventType, mod func(*bot.Event)) bot.Event {
	e := bot.Event{At: t0.Add(time.Minute), Type: typ, Actor: bot.ActorBot}
	if mod != nil {
		mod(&e)
	}
	return e
}

// EveryField is an event with every field of bot.Event set (FaultID and Seq
// too, which stores overwrite), times out of UTC, and text that needs
// escaping in any encoding.
func EveryField() bot.Event {
	cet := time.FixedZone("CET", 3600)
	return bot.Event{
		FaultID: 99, Seq: 99,
		At:   t0.Add(90 * time.Second).In(cet),
		Type: bot.EventRunRequested, Actor: "carol",
		Person: "bob", Role: bot.RoleHandler, Level: bot.P1, From: bot.P2,
		Service: "checkout", Cause: "db", Kind: "db-data-error",
		Channel: "C1", Message: "M9", Task: 7, Via: "command", Origin: "api",
		Text:  "ünï \"quoted\" ✅\n'; DROP TABLE events; --\x00 <b>&amp;</b>",
		Owner: "1234567", Run: 3, Step: 2, PID: 4321, Plan: "drain-ledger", Version: "sha256:0123456789ab",
		Params:   map[string]string{"node": "ledger-1", "ünï": "\"x\"", "empty": ""},
		Approval: &bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler}, Count: 2, Self: true, Expires: 15 * time.Minute},
		Until:    t0.Add(16 * time.Minute).In(cet),
		Started:  t0.Add(-20 * time.Minute).In(cet),
	}
}

// UTC returns a copy of events with their times in UTC, the form to compare
// a store's events in: a store keeps the instant, not the zone.
func UTC(events []bot.Event) []bot.Event {
	out := make([]bot.Event, len(events))
	for i, e := range events {
		e.At, e.Until, e.Started = e.At.UTC(), e.Until.UTC(), e.Started.UTC()
		out[i] = e
	}
	return out
}

func create(t *testing.T, s bot.Store, events ...bot.Event) int64 {
	t.Helper()
	id, err := s.CreateFault(context.Background(), events)
	require.NoError(t, err)
	return id
}

func events(t *testing.T, s bot.Store, id int64) []bot.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), id)
	require.NoError(t, err)
	return evs
}

func fault(t *testing.T, s bot.Store, id int64) *bot.Fault {
	t.Helper()
	f, err := bot.LoadFault(context.Background(), s, id)
	require.NoError(t, err)
	return f
}

func channel(ch string) bot.Event {
	return Ev(bot.EventChannelCreated, func(e *bot.Event) { e.Channel, e.Text = ch, "fault-"+ch })
}

func update(text string) bot.Event {
	return Ev(bot.EventUpdate, func(e *bot.Event) { e.Text = text })
}

func testCreateFault(t *testing.T, s bot.Store) {
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		evs := []bot.Event{Declared(fmt.Sprint("fault ", want), bot.P2), channel(fmt.Sprint("C", want)), update("u")}
		id, err := s.CreateFault(ctx, evs)
		require.NoError(t, err)
		require.Equal(t, want, id, "ids are 1, 2, 3, ... in a new store")
		for i, e := range evs {
			assert.Equal(t, id, e.FaultID, "FaultID set in place on event %d", i)
			assert.Equal(t, i+1, e.Seq, "Seq set in place on event %d", i)
		}
		assert.Equal(t, UTC(evs), UTC(events(t, s, id)))
		f := fault(t, s, id)
		assert.Equal(t, id, f.ID)
		assert.Equal(t, 3, f.Seq)
		assert.Equal(t, fmt.Sprint("fault ", want), f.Title)
	}
	// A declaration alone is a fault.
	evs := []bot.Event{Declared("alone", bot.P4)}
	id := create(t, s, evs...)
	assert.Equal(t, int64(4), id)
	assert.Equal(t, 1, fault(t, s, id).Seq)
}

func testCreateFaultInvalid(t *testing.T, s bot.Store) {
	ctx := context.Background()
	for name, evs := range map[string][]bot.Event{
		"nil":                  nil,
		"empty":                {},
		"declared second":      {update("first"), Declared("t", bot.P1)},
		"channel_created only": {channel("C1")},
	} {
		_, err := s.CreateFault(ctx, evs)
		require.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%s: %v", name, err)
		for i, e := range evs {
			assert.Zero(t, e.Seq, "%s: events untouched on failure (%d)", name, i)
			assert.Zero(t, e.FaultID, "%s: events untouched on failure (%d)", name, i)
		}
	}
	all, err := s.Faults(ctx, bot.FaultFilter{})
	require.NoError(t, err)
	assert.Empty(t, all, "nothing recorded")
	_, err = s.FaultByChannel(ctx, "C1")
	assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err))
	assert.Equal(t, int64(1), create(t, s, Declared("t", bot.P1)), "a refused fault takes no id")
}

func testAppend(t *testing.T, s bot.Store) {
	ctx := context.Background()
	id := create(t, s, Declared("t", bot.P3), channel("C1"))
	other := create(t, s, Declared("other", bot.P3))

	more := []bot.Event{update("one"), update("two")}
	require.NoError(t, s.Append(ctx, id, 2, more))
	for i, e := range more {
		assert.Equal(t, id, e.FaultID, "FaultID set in place")
		assert.Equal(t, 3+i, e.Seq, "Seq set in place")
	}
	last := []bot.Event{Ev(bot.EventResolved, nil)}
	require.NoError(t, s.Append(ctx, id, 4, last))
	assert.Equal(t, 5, last[0].Seq)

	got := events(t, s, id)
	require.Len(t, got, 5)
	for i, e := range got {
		assert.Equal(t, i+1, e.Seq)
		assert.Equal(t, id, e.FaultID)
	}
	f := fault(t, s, id)
	assert.Equal(t, 5, f.Seq)
	assert.Equal(t, bot.StatusResolved, f.Status)
	assert.Equal(t, 2, f.Updates)
	assert.Len(t, events(t, s, other), 1, "other faults' timelines are their own")

	// Each fault numbers its own events.
	o := []bot.Event{update("other")}
	require.NoError(t, s.Append(ctx, other, 1, o))
	assert.Equal(t, 2, o[0].Seq)
	assert.Equal(t, other, o[0].FaultID)
}

func testAppendConflict(t *testing.T, s bot.Store) {
	ctx := context.Background()
	id := create(t, s, Declared("t", bot.P3), update("u"))
	before := events(t, s, id)

	for _, after := range []int{0, 1, 3, 100, -1} {
		evs := []bot.Event{update("stale"), Ev(bot.EventResolved, nil)}
		err := s.Append(ctx, id, after, evs)
		require.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "after=%d: %v", after, err)
		assert.Zero(t, evs[0].Seq, "events untouched on failure")
		assert.Zero(t, evs[0].FaultID, "events untouched on failure")
	}
	assert.Equal(t, before, events(t, s, id), "nothing recorded")
	f := fault(t, s, id)
	assert.Equal(t, bot.StatusOpen, f.Status)
	assert.Equal(t, 2, f.Seq)
	open, err := s.Faults(ctx, bot.FaultFilter{Status: []bot.Status{bot.StatusOpen}})
	require.NoError(t, err)
	assert.Len(t, open, 1, "the listing did not see the refused events either")

	require.NoError(t, s.Append(ctx, id, 2, []bot.Event{Ev(bot.EventResolved, nil)}), "the right after still works")
	err = s.Append(ctx, id, 2, []bot.Event{update("late")})
	assert.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "after the last event only")
}

func testAppendNothing(t *testing.T, s bot.Store) {
	ctx := context.Background()
	id := create(t, s, Declared("t", bot.P3))
	before := events(t, s, id)
	// Whether appending nothing is an error is the store's business; it
	// must not record anything.
	_ = s.Append(ctx, id, 1, nil)
	_ = s.Append(ctx, id, 1, []bot.Event{})
	assert.Equal(t, before, events(t, s, id))
	require.NoError(t, s.Append(ctx, id, 1, []bot.Event{update("u")}))
}

func testConcurrentAppend(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const writers = 16
	id := create(t, s, Declared("t", bot.P2), update("u"))

	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.Append(ctx, id, 2, []bot.Event{update(fmt.Sprint("writer ", i)), update(fmt.Sprint("writer ", i, " again"))})
		}()
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch bot.ErrorCode(err) {
		case "":
			require.Equal(t, -1, winner, "writers %d and %d both appended after event 2", winner, i)
			winner = i
		case bot.ECONFLICT:
		default:
			t.Fatalf("writer %d: want nil or %s, got %v", i, bot.ECONFLICT, err)
		}
	}
	require.NotEqual(t, -1, winner, "one writer wins")
	got := events(t, s, id)
	require.Len(t, got, 4, "only the winner's events are recorded")
	assert.Equal(t, fmt.Sprint("writer ", winner), got[2].Text)
	assert.Equal(t, fmt.Sprint("writer ", winner, " again"), got[3].Text)
	assert.Equal(t, 4, fault(t, s, id).Seq)
}

func testConcurrentCreate(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const writers = 16
	ids := make([]int64, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := s.CreateFault(ctx, []bot.Event{Declared(fmt.Sprint("fault of ", i), bot.P3)})
			assert.NoError(t, err)
			ids[i] = id
		}()
	}
	wg.Wait()
	seen := map[int64]int{}
	for i, id := range ids {
		require.NotContains(t, seen, id, "writers %d and %d got the same id", seen[id], i)
		seen[id] = i
		assert.Equal(t, fmt.Sprint("fault of ", i), fault(t, s, id).Title)
	}
	for id := int64(1); id <= writers; id++ {
		assert.Contains(t, seen, id, "ids are 1..%d", writers)
	}
}

func testFaultReplay(t *testing.T, s bot.Store) {
	ctx := context.Background()
	first := []bot.Event{Declared("checkout returns 500", bot.P2), channel("C1")}
	id := create(t, s, first...)
	more := []bot.Event{
		Ev(bot.EventInvited, func(e *bot.Event) { e.Person, e.Text = "bob", "contact of checkout" }),
		Ev(bot.EventKickoffPosted, func(e *bot.Event) { e.Message = "M1" }),
		Ev(bot.EventCheckedIn, func(e *bot.Event) { e.Person, e.Via = "bob", "reaction" }),
		Ev(bot.EventRoleAssigned, func(e *bot.Event) { e.Person, e.Role, e.Text = "bob", bot.RoleCommander, "policy" }),
		Ev(bot.EventTaskAdded, func(e *bot.Event) { e.Task, e.Person, e.Text, e.Actor = 1, "bob", "roll back", "bob" }),
		Ev(bot.EventLevelChanged, func(e *bot.Event) { e.Level, e.From = bot.P1, bot.P2 }),
		EveryField(),
		Ev(bot.EventRunApproved, func(e *bot.Event) { e.Run, e.Actor = 3, "dee" }),
		Ev(bot.EventTaskDone, func(e *bot.Event) { e.Task, e.Actor = 1, "bob" }),
		update("rolled back"),
		Ev(bot.EventMitigated, nil),
	}
	require.NoError(t, s.Append(ctx, id, 2, more))

	want := UTC(append(append([]bot.Event{}, first...), more...))
	got := events(t, s, id)
	require.Equal(t, want, UTC(got))
	f := fault(t, s, id)
	assert.Equal(t, bot.Replay(got), f, "Fault is the replay of Events")
	assert.Equal(t, id, f.ID)
	assert.Equal(t, len(want), f.Seq)
	assert.Equal(t, bot.P1, f.Level)
	assert.Equal(t, bot.StatusMitigated, f.Status)
	assert.Equal(t, "C1", f.Channel)
	require.Len(t, f.Participants, 1)
	assert.True(t, f.Participants[0].CheckedIn())
	require.Len(t, f.Runs, 1)
	assert.Equal(t, []string{"dee"}, f.Runs[0].Approvers)

	byChannel, err := s.FaultByChannel(ctx, "C1")
	require.NoError(t, err)
	assert.Equal(t, id, byChannel, "FaultByChannel finds it")
	list, err := s.Faults(ctx, bot.FaultFilter{})
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, f, list[0], "Faults replays the same")
}

func testNotFound(t *testing.T, s bot.Store) {
	ctx := context.Background()
	check := func(what string, err error) {
		t.Helper()
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%s: %v", what, err)
	}
	// An empty store.
	_, err := bot.LoadFault(ctx, s, 1)
	check("LoadFault in an empty store", err)
	_, err = s.Events(ctx, 1)
	check("Events in an empty store", err)
	check("Append in an empty store", s.Append(ctx, 1, 0, []bot.Event{update("u")}))

	id := create(t, s, Declared("t", bot.P3), channel("C1"))
	for _, unknown := range []int64{0, -1, id + 1, 42} {
		_, err := bot.LoadFault(ctx, s, unknown)
		check(fmt.Sprint("LoadFault ", unknown), err)
		_, err = s.Events(ctx, unknown)
		check(fmt.Sprint("Events ", unknown), err)
		check(fmt.Sprint("Append ", unknown), s.Append(ctx, unknown, 0, []bot.Event{update("u")}))
		check(fmt.Sprint("Append ", unknown, " after 2"), s.Append(ctx, unknown, 2, []bot.Event{update("u")}))
	}
	assert.Len(t, events(t, s, id), 2)
}

func testFaultByChannel(t *testing.T, s bot.Store) {
	ctx := context.Background()
	byChannel := func(ch string) *bot.Fault {
		t.Helper()
		id, err := s.FaultByChannel(ctx, ch)
		require.NoError(t, err, "channel %q", ch)
		return fault(t, s, id)
	}
	notFound := func(ch string) {
		t.Helper()
		_, err := s.FaultByChannel(ctx, ch)
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "channel %q: %v", ch, err)
	}
	notFound("C1")
	notFound("")

	a := create(t, s, Declared("a", bot.P1), channel("C1"))
	b := create(t, s, Declared("b", bot.P2))
	notFound("C2")
	require.NoError(t, s.Append(ctx, b, 1, []bot.Event{channel("C2")}), "the channel may come later")
	create(t, s, Declared("no channel", bot.P2))

	f := byChannel("C1")
	assert.Equal(t, a, f.ID)
	assert.Equal(t, "a", f.Title)
	f = byChannel("C2")
	assert.Equal(t, b, f.ID)
	assert.Equal(t, 2, f.Seq)
	assert.Equal(t, bot.Replay(events(t, s, b)), f)
	notFound("")
	notFound("C3")
	notFound("c1")

	// Later events show in what it returns.
	require.NoError(t, s.Append(ctx, b, 2, []bot.Event{update("u"), Ev(bot.EventResolved, nil)}))
	f = byChannel("C2")
	assert.Equal(t, 4, f.Seq)
	assert.Equal(t, bot.StatusResolved, f.Status, "a resolved fault is still found by its channel")

	// A platform that reuses channel ids: the newest fault wins.
	c := create(t, s, Declared("c", bot.P3), channel("C1"))
	assert.Equal(t, c, byChannel("C1").ID)

	// A war room that moved is found by its new channel only.
	d := create(t, s, Declared("d", bot.P3), channel("C4"))
	require.NoError(t, s.Append(ctx, d, 2, []bot.Event{channel("C5")}))
	assert.Equal(t, d, byChannel("C5").ID)
	notFound("C4")
}

func testFaults(t *testing.T, s bot.Store) {
	ctx := context.Background()
	list := func(filter bot.FaultFilter) []int64 {
		t.Helper()
		fs, err := s.Faults(ctx, filter)
		require.NoError(t, err)
		got := []int64{}
		for _, f := range fs {
			assert.Equal(t, bot.Replay(events(t, s, f.ID)), f, "each listed fault is its replayed timeline")
			got = append(got, f.ID)
		}
		return got
	}
	assert.Empty(t, list(bot.FaultFilter{}), "an empty store")

	var ids []int64
	for i := range 6 {
		ids = append(ids, create(t, s, Declared(fmt.Sprint("fault ", i), bot.P3), update("u")))
	}
	// 0 open, 1 resolved, 2 mitigated, 3 open, 4 resolved, 5 open
	require.NoError(t, s.Append(ctx, ids[1], 2, []bot.Event{Ev(bot.EventResolved, nil)}))
	require.NoError(t, s.Append(ctx, ids[2], 2, []bot.Event{Ev(bot.EventMitigated, nil)}))
	require.NoError(t, s.Append(ctx, ids[4], 2, []bot.Event{Ev(bot.EventMitigated, nil)}))
	require.NoError(t, s.Append(ctx, ids[4], 3, []bot.Event{Ev(bot.EventResolved, nil)}))

	open, mitigated, resolved := bot.StatusOpen, bot.StatusMitigated, bot.StatusResolved
	all := []int64{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}
	assert.Equal(t, all, list(bot.FaultFilter{}), "all, newest first")
	assert.Equal(t, all, list(bot.FaultFilter{Status: []bot.Status{}}), "an empty Status is all")
	assert.Equal(t, all, list(bot.FaultFilter{Limit: 0}), "Limit 0 is no limit")
	assert.Equal(t, all, list(bot.FaultFilter{Limit: 100}))
	assert.Equal(t, []int64{ids[5], ids[3], ids[0]}, list(bot.FaultFilter{Status: []bot.Status{open}}))
	assert.Equal(t, []int64{ids[2]}, list(bot.FaultFilter{Status: []bot.Status{mitigated}}))
	assert.Equal(t, []int64{ids[4], ids[1]}, list(bot.FaultFilter{Status: []bot.Status{resolved}}))
	assert.Equal(t, []int64{ids[4], ids[2], ids[1]}, list(bot.FaultFilter{Status: []bot.Status{mitigated, resolved}}))
	assert.Equal(t, []int64{ids[4], ids[2], ids[1]}, list(bot.FaultFilter{Status: []bot.Status{resolved, mitigated}}), "in any order")
	assert.Equal(t, []int64{ids[5], ids[3], ids[0]}, list(bot.FaultFilter{Status: []bot.Status{open, open}}), "a repeated status lists each fault once")
	assert.Equal(t, all, list(bot.FaultFilter{Status: []bot.Status{open, mitigated, resolved}}))
	assert.Equal(t, []int64{ids[5]}, list(bot.FaultFilter{Limit: 1}))
	assert.Equal(t, []int64{ids[5], ids[4]}, list(bot.FaultFilter{Limit: 2}))
	assert.Equal(t, []int64{ids[5], ids[3]}, list(bot.FaultFilter{Status: []bot.Status{open}, Limit: 2}), "the limit counts the selected faults")
	assert.Equal(t, []int64{ids[4]}, list(bot.FaultFilter{Status: []bot.Status{mitigated, resolved}, Limit: 1}))
	assert.Equal(t, []int64{ids[2]}, list(bot.FaultFilter{Status: []bot.Status{mitigated}, Limit: 5}))
	assert.Empty(t, list(bot.FaultFilter{Status: []bot.Status{"unknown"}}))

	// The status follows the timeline.
	require.NoError(t, s.Append(ctx, ids[5], 2, []bot.Event{Ev(bot.EventResolved, nil)}))
	assert.Equal(t, []int64{ids[3], ids[0]}, list(bot.FaultFilter{Status: []bot.Status{open}}))
	assert.Equal(t, []int64{ids[5], ids[4], ids[1]}, list(bot.FaultFilter{Status: []bot.Status{resolved}}))
}

func testEventsInOrder(t *testing.T, s bot.Store) {
	ctx := context.Background()
	id := create(t, s, Declared("t", bot.P3), update("0"))
	other := create(t, s, Declared("other", bot.P3))
	after := 2
	for i := 1; i <= 20; i++ {
		// Times out of order too: the order is the timeline's, not the clock's.
		e := update(fmt.Sprint(i))
		e.At = t0.Add(time.Duration(20-i) * time.Second)
		require.NoError(t, s.Append(ctx, id, after, []bot.Event{e}))
		after++
		if i%5 == 0 {
			require.NoError(t, s.Append(ctx, other, i/5, []bot.Event{update("other")}))
		}
	}
	got := events(t, s, id)
	require.Len(t, got, 22)
	for i, e := range got {
		assert.Equal(t, i+1, e.Seq)
		assert.Equal(t, id, e.FaultID)
		if i > 0 {
			assert.Equal(t, fmt.Sprint(i-1), e.Text)
		}
	}
	assert.Len(t, events(t, s, other), 5)
}

func testEveryField(t *testing.T, s bot.Store) {
	ctx := context.Background()
	sample := EveryField()
	v := reflect.ValueOf(sample)
	for i := range v.NumField() {
		require.False(t, v.Field(i).IsZero(), "storetest.EveryField leaves bot.Event.%s unset: set it, so that stores are checked to keep it", v.Type().Field(i).Name)
	}

	// In the declaration, which a store may read for its own columns, and
	// appended.
	decl := sample
	decl.Type = bot.EventDeclared
	id := create(t, s, decl)
	require.NoError(t, s.Append(ctx, id, 1, []bot.Event{sample}))
	got := events(t, s, id)
	require.Len(t, got, 2)

	for i, typ := range []bot.EventType{bot.EventDeclared, bot.EventRunRequested} {
		want := sample
		want.Type, want.FaultID, want.Seq = typ, id, i+1
		e := got[i]
		assert.Equal(t, UTC([]bot.Event{want}), UTC([]bot.Event{e}))
		assert.True(t, want.At.Equal(e.At), "At %v kept as %v", want.At, e.At)
		assert.True(t, want.Until.Equal(e.Until), "Until %v kept as %v", want.Until, e.Until)
		assert.Equal(t, want.At.Nanosecond(), e.At.Nanosecond(), "At to the nanosecond")
		gv := reflect.ValueOf(e)
		for j := range gv.NumField() {
			assert.False(t, gv.Field(j).IsZero(), "bot.Event.%s lost", gv.Type().Field(j).Name)
		}
	}
}

func testNoAliasing(t *testing.T, s bot.Store) {
	ctx := context.Background()
	created := []bot.Event{Declared("t", bot.P3), EveryField(), channel("C1")}
	id := create(t, s, created...)
	appended := []bot.Event{EveryField()}
	require.NoError(t, s.Append(ctx, id, 3, appended))
	want := UTC(events(t, s, id))
	wantFault := fault(t, s, id)

	// What the caller passed in is theirs to change afterwards...
	created[0].Text, created[2].Channel = "changed", "changed"
	for _, e := range []*bot.Event{&created[1], &appended[0]} {
		e.Text = "changed"
		e.Params["node"] = "changed"
		e.Approval.Roles[0] = "changed"
		e.Approval.Count = 9
	}
	assert.Equal(t, want, UTC(events(t, s, id)), "changing the events passed in changes nothing stored")

	// ...and so is what it got out.
	got := events(t, s, id)
	got[0].Text = "changed"
	got[1].Params["node"] = "changed"
	got[1].Approval.Roles[0] = "changed"
	got[3].Approval.Count = 9
	_ = append(got[:1], bot.Event{Text: "changed"})
	assert.Equal(t, want, UTC(events(t, s, id)), "changing the events got out changes nothing stored")

	f := fault(t, s, id)
	f.Title = "changed"
	f.Runs[0].Params["node"] = "changed"
	f.Runs[0].Approval.Roles[0] = "changed"
	f.Participants = append(f.Participants, bot.Participant{Person: "changed"})
	assert.Equal(t, wantFault, fault(t, s, id), "changing a fault got out changes nothing stored")
	list, err := s.Faults(ctx, bot.FaultFilter{})
	require.NoError(t, err)
	list[0].Runs[0].Params["node"] = "changed"
	assert.Equal(t, wantFault, fault(t, s, id))
}

func testCanceledContext(t *testing.T, s bot.Store) {
	id := create(t, s, Declared("t", bot.P2), channel("C1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := s.CreateFault(ctx, []bot.Event{Declared("t", bot.P2)})
	assert.ErrorIs(t, err, context.Canceled, "CreateFault")
	assert.ErrorIs(t, s.Append(ctx, id, 2, []bot.Event{update("u")}), context.Canceled, "Append")
	_, err = s.FaultByChannel(ctx, "C1")
	assert.ErrorIs(t, err, context.Canceled, "FaultByChannel")
	_, err = s.Faults(ctx, bot.FaultFilter{})
	assert.ErrorIs(t, err, context.Canceled, "Faults")
	_, err = s.Events(ctx, id)
	assert.ErrorIs(t, err, context.Canceled, "Events")

	all, err := s.Faults(context.Background(), bot.FaultFilter{})
	require.NoError(t, err)
	require.Len(t, all, 1, "nothing recorded")
	assert.Equal(t, 2, all[0].Seq, "nothing recorded")
}

// RunPlanVersions runs the bot.PlanVersions contract on stores that
// implement it.
func RunPlanVersions(t *testing.T, open Opener) {
	t.Helper()
	open = knowing(open)
	pvs := func(t *testing.T) bot.PlanVersions {
		s := open(t)
		pv, ok := s.(bot.PlanVersions)
		if !ok {
			t.Skipf("%T does not implement bot.PlanVersions", s)
		}
		return pv
	}
	plan := func(version, source string) *bot.Plan {
		return &bot.Plan{Name: "reseed", Title: "Reseed", File: "plans/reseed.yaml", Version: version, Source: []byte(source)}
	}

	t.Run("EveryVersionIsKept", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pv := pvs(t)
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:111111111111", "steps: [one]\n")))
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:222222222222", "steps: [two]\n")))
		other := plan("sha256:111111111111", "name: drain\n")
		other.Name = "drain"
		require.NoError(t, pv.SavePlan(ctx, other))

		for _, c := range []struct{ name, version, source string }{
			{"reseed", "sha256:111111111111", "steps: [one]\n"},
			{"reseed", "sha256:222222222222", "steps: [two]\n"},
			{"drain", "sha256:111111111111", "name: drain\n"},
		} {
			src, err := pv.PlanSource(ctx, c.name, c.version)
			require.NoError(t, err)
			assert.Equal(t, c.source, string(src), "%s %s", c.name, c.version)
		}
	})

	t.Run("AVersionSeenAgainIsLeftAsItWas", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pv := pvs(t)
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:111111111111", "first\n")))
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:111111111111", "second\n")), "a version seen again is not an error")
		src, err := pv.PlanSource(ctx, "reseed", "sha256:111111111111")
		require.NoError(t, err)
		assert.Equal(t, "first\n", string(src))
	})

	t.Run("HistoryListsEachVersionOnceOldestFirst", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pv := pvs(t)
		ph, ok := pv.(bot.PlanHistory)
		if !ok {
			t.Skipf("%T does not implement bot.PlanHistory", pv)
		}
		none, err := ph.PlanHistory(ctx, "reseed")
		require.NoError(t, err)
		assert.Empty(t, none)
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:111111111111", "one\n")))
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:222222222222", "two\n")))
		other := plan("sha256:333333333333", "drain\n")
		other.Name = "drain"
		require.NoError(t, pv.SavePlan(ctx, other))
		before, err := ph.PlanHistory(ctx, "reseed")
		require.NoError(t, err)
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:111111111111", "one again\n")), "seen again: not a new version")
		got, err := ph.PlanHistory(ctx, "reseed")
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, before, got, "a version seen again keeps its first sighting")
		for i, want := range []string{"sha256:111111111111", "sha256:222222222222"} {
			assert.Equal(t, "reseed", got[i].Name)
			assert.Equal(t, want, got[i].Version)
			assert.Equal(t, "plans/reseed.yaml", got[i].File)
			assert.False(t, got[i].FirstSeen.IsZero(), "first seen is stamped")
		}
		assert.False(t, got[1].FirstSeen.Before(got[0].FirstSeen))
		all, err := ph.PlanHistory(ctx, "")
		require.NoError(t, err)
		assert.Len(t, all, 3, "\"\" lists every plan's versions")
	})

	t.Run("UnknownVersionNotFound", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pv := pvs(t)
		_, err := pv.PlanSource(ctx, "reseed", "sha256:111111111111")
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v", err)
		require.NoError(t, pv.SavePlan(ctx, plan("sha256:111111111111", "x")))
		_, err = pv.PlanSource(ctx, "reseed", "sha256:333333333333")
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v", err)
		_, err = pv.PlanSource(ctx, "drain", "sha256:111111111111")
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v", err)
	})

	t.Run("PlanBuiltInCode", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pv := pvs(t)
		p := plan("sha256:444444444444", "")
		p.Source, p.File = nil, ""
		require.NoError(t, pv.SavePlan(ctx, p), "a plan without a file")
		src, err := pv.PlanSource(ctx, "reseed", "sha256:444444444444")
		require.NoError(t, err)
		assert.Empty(t, src)
	})

	t.Run("NoAliasing", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		pv := pvs(t)
		p := plan("sha256:111111111111", "original")
		require.NoError(t, pv.SavePlan(ctx, p))
		copy(p.Source, "CHANGED!")
		src, err := pv.PlanSource(ctx, "reseed", "sha256:111111111111")
		require.NoError(t, err)
		assert.Equal(t, "original", string(src), "changing the plan saved changes nothing stored")
		copy(src, "CHANGED!")
		src, err = pv.PlanSource(ctx, "reseed", "sha256:111111111111")
		require.NoError(t, err)
		assert.Equal(t, "original", string(src), "changing the source got out changes nothing stored")
	})
}

// RunStepOutputs runs the bot.StepOutputs contract on stores that implement
// it.
func RunStepOutputs(t *testing.T, open Opener) {
	t.Helper()
	open = knowing(open)
	// Outputs belong to faults: a store may insist that the fault exists.
	sos := func(t *testing.T) (bot.StepOutputs, int64, int64) {
		s := open(t)
		so, ok := s.(bot.StepOutputs)
		if !ok {
			t.Skipf("%T does not implement bot.StepOutputs", s)
		}
		return so, create(t, s, Declared("a", bot.P2)), create(t, s, Declared("b", bot.P2))
	}

	t.Run("KeptPerFaultRunAndStep", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		so, a, b := sos(t)
		keys := []struct {
			fault     int64
			run, step int
		}{{a, 1, 1}, {a, 1, 2}, {a, 2, 1}, {b, 1, 1}}
		for _, k := range keys {
			require.NoError(t, so.SaveOutput(ctx, k.fault, k.run, k.step, fmt.Sprintf("out %d/%d/%d\nünï ✅\x00\n", k.fault, k.run, k.step)))
		}
		for _, k := range keys {
			out, err := so.Output(ctx, k.fault, k.run, k.step)
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("out %d/%d/%d\nünï ✅\x00\n", k.fault, k.run, k.step), out)
		}
	})

	t.Run("KeptOnce", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		so, a, _ := sos(t)
		require.NoError(t, so.SaveOutput(ctx, a, 1, 1, "first"))
		err := so.SaveOutput(ctx, a, 1, 1, "second")
		assert.Equal(t, bot.ECONFLICT, bot.ErrorCode(err), "%v", err)
		out, err := so.Output(ctx, a, 1, 1)
		require.NoError(t, err)
		assert.Equal(t, "first", out)
	})

	t.Run("UnknownNotFound", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		so, a, b := sos(t)
		require.NoError(t, so.SaveOutput(ctx, a, 1, 1, "x"))
		for _, k := range [][3]int64{{a, 1, 2}, {a, 2, 1}, {b, 1, 1}, {b + 1, 1, 1}} {
			_, err := so.Output(ctx, k[0], int(k[1]), int(k[2]))
			assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v: %v", k, err)
		}
	})
}
