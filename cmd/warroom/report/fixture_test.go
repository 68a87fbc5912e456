package report_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/warroom/report/ -update to write it")
	require.Equal(t, string(want), string(got), "%s differs; if the change is meant, go test ./cmd/warroom/report/ -update", path)
}

// timeline builds events with fixed times, numbered in order.
type timeline struct {
	at     time.Time
	events []bot.Event
}

func newTimeline(start time.Time) *timeline { return &timeline{at: start} }

// add appends e, d after the previous event.
func (tl *timeline) add(d time.Duration, e bot.Event) *timeline {
	tl.at = tl.at.Add(d)
	e.FaultID, e.Seq, e.At = 7, len(tl.events)+1, tl.at
	if e.Actor == "" {
		e.Actor = bot.ActorBot
	}
	tl.events = append(tl.events, e)
	return tl
}

var fixtureStart = time.Date(2026, 4, 8, 14, 0, 0, 0, time.UTC)

// fixture is a P2 fault re-graded P1, with check-ins, updates, tasks, two
// plan runs, and one person who never checked in; its texts carry the
// characters Markdown would read.
func fixture() []bot.Event {
	tl := newTimeline(fixtureStart)
	tl.add(0, bot.Event{Type: bot.EventDeclared, Actor: "ana", Level: bot.P2, Service: "ledger", Cause: "queue", Kind: "db-data-error",
		Text: "Ledger | writes *time out* on `shard_7`", Started: fixtureStart.Add(-12 * time.Minute)})
	tl.add(0, bot.Event{Type: bot.EventChannelCreated, Channel: "C0123", Text: "fault-7-ledger-writes-time-out"})
	for _, p := range []string{"ana", "ben", "cy", "dee", "eve"} {
		tl.add(0, bot.Event{Type: bot.EventInvited, Person: p, Text: "contact of ledger"})
	}
	tl.add(0, bot.Event{Type: bot.EventCheckedIn, Actor: "ana", Person: "ana", Via: bot.CheckinDeclared})
	tl.add(0, bot.Event{Type: bot.EventRoleAssigned, Person: "dee", Role: bot.RoleCommander, Text: "policy"})
	tl.add(0, bot.Event{Type: bot.EventRoleAssigned, Person: "ana", Role: bot.RoleHandler, Text: "policy"})
	tl.add(0, bot.Event{Type: bot.EventKickoffPosted, Message: "m1"})
	tl.add(90*time.Second, bot.Event{Type: bot.EventCheckedIn, Actor: "ben", Person: "ben", Via: "reaction"})
	tl.add(90*time.Second, bot.Event{Type: bot.EventCheckedIn, Actor: "dee", Person: "dee", Via: "presence"})
	tl.add(time.Minute, bot.Event{Type: bot.EventLevelChanged, Actor: "dee", From: bot.P2, Level: bot.P1})
	tl.add(time.Minute, bot.Event{Type: bot.EventRoleAssigned, Actor: "dee", Person: "cy", Role: bot.RoleResponder})
	tl.add(0, bot.Event{Type: bot.EventTaskAdded, Actor: "dee", Person: "cy", Task: 1, Text: "check the replica lag"})
	tl.add(0, bot.Event{Type: bot.EventTaskAdded, Actor: "dee", Person: "ben", Task: 2, Text: "roll back *4.2* | then\nwatch"})
	tl.add(5*time.Minute, bot.Event{Type: bot.EventCheckedIn, Actor: "cy", Person: "cy", Via: "command"})
	tl.add(0, bot.Event{Type: bot.EventTaskDone, Actor: "cy", Task: 1})
	tl.add(time.Minute, bot.Event{Type: bot.EventUpdate, Actor: "ben", Text: "rolled back to 4.2; error rate _falling_"})
	tl.add(time.Minute, bot.Event{Type: bot.EventRunRequested, Actor: "ben", Run: 1, Plan: "drain-ledger", Version: "sha256:0123456789ab",
		Params: map[string]string{"node": "ledger-1"}, Approval: &bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1}, Until: tl.at.Add(16 * time.Minute)})
	tl.add(time.Minute, bot.Event{Type: bot.EventRunApproved, Actor: "dee", Run: 1})
	tl.add(0, bot.Event{Type: bot.EventRunStarted, Run: 1})
	tl.add(0, bot.Event{Type: bot.EventStepStarted, Run: 1, Step: 1, Text: "drain"})
	tl.add(2*time.Minute, bot.Event{Type: bot.EventStepEnded, Run: 1, Step: 1, Via: "ok"})
	tl.add(0, bot.Event{Type: bot.EventStepStarted, Run: 1, Step: 2, Text: "verify"})
	tl.add(time.Minute, bot.Event{Type: bot.EventStepEnded, Run: 1, Step: 2, Via: "failed", Text: "exit status 3"})
	tl.add(0, bot.Event{Type: bot.EventRunEnded, Run: 1, Via: "failed", Text: "step 2 failed: exit status 3"})
	tl.add(time.Minute, bot.Event{Type: bot.EventRunRequested, Actor: "ben", Run: 2, Plan: "failover-replica", Version: "sha256:fedcba987654",
		Approval: &bot.Approval{Roles: []bot.Role{bot.RoleCommander}, Count: 1}, Until: tl.at.Add(15 * time.Minute)})
	tl.add(time.Minute, bot.Event{Type: bot.EventRunApproved, Actor: "dee", Run: 2})
	tl.add(0, bot.Event{Type: bot.EventRunStarted, Run: 2})
	tl.add(0, bot.Event{Type: bot.EventStepStarted, Run: 2, Step: 1, Text: "promote"})
	tl.add(time.Minute, bot.Event{Type: bot.EventStepEnded, Run: 2, Step: 1, Via: "ok"})
	tl.add(0, bot.Event{Type: bot.EventRunEnded, Run: 2, Via: "succeeded"})
	tl.add(time.Minute, bot.Event{Type: bot.EventMitigated, Actor: "ben", Text: "writes succeed again"})
	tl.add(4*time.Minute, bot.Event{Type: bot.EventChased, Person: "eve", Via: "dm"})
	tl.add(6*time.Minute, bot.Event{Type: bot.EventUpdate, Actor: "ben", Text: "replica promoted\n| col | * star"})
	tl.add(15*time.Minute, bot.Event{Type: bot.EventResolved, Actor: "ben", Text: "root cause: pool size"})
	return tl.events
}

// burst is a fault where everything happens in the same second.
func burst(n int) []bot.Event {
	tl := newTimeline(fixtureStart)
	tl.add(0, bot.Event{Type: bot.EventDeclared, Actor: "ana", Level: bot.P1, Service: "checkout", Text: "Checkout down"})
	for i := range n {
		p := fmt.Sprintf("p%02d", i)
		tl.add(0, bot.Event{Type: bot.EventInvited, Person: p})
		tl.add(0, bot.Event{Type: bot.EventCheckedIn, Actor: p, Person: p, Via: "reaction"})
		tl.add(0, bot.Event{Type: bot.EventUpdate, Actor: p, Text: "looking"})
	}
	tl.add(0, bot.Event{Type: bot.EventMitigated, Actor: "ana"})
	tl.add(0, bot.Event{Type: bot.EventResolved, Actor: "ana"})
	return tl.events
}

// long is a fault open for days.
func long() []bot.Event {
	tl := newTimeline(fixtureStart)
	tl.add(0, bot.Event{Type: bot.EventDeclared, Actor: "ana", Level: bot.P3, Service: "reports", Text: "Nightly reports late"})
	tl.add(0, bot.Event{Type: bot.EventInvited, Person: "ben"})
	tl.add(3*time.Hour, bot.Event{Type: bot.EventCheckedIn, Actor: "ben", Person: "ben", Via: "command"})
	for range 5 {
		tl.add(20*time.Hour, bot.Event{Type: bot.EventUpdate, Actor: "ben", Text: "still backfilling"})
	}
	tl.add(10*time.Hour, bot.Event{Type: bot.EventMitigated, Actor: "ben"})
	tl.add(30*time.Hour, bot.Event{Type: bot.EventResolved, Actor: "ben"})
	return tl.events
}
