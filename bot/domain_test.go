package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

func TestChannelName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "fault-1-checkout-api-5xx", bot.ChannelName(1, "Checkout API 5xx"))
	assert.Equal(t, "fault-12-db-down-eu-west-1", bot.ChannelName(12, "  DB down!! (eu-west-1) "))
	assert.Equal(t, "fault-3", bot.ChannelName(3, "日本語"))
	long := bot.ChannelName(123456, strings.Repeat("database replication lag ", 10))
	assert.LessOrEqual(t, len(long), bot.MaxChannelName)
	assert.False(t, strings.HasSuffix(long, "-"))
	assert.Regexp(t, `^fault-123456-[a-z0-9-]+$`, long)
}

func TestDutyRota(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	d := bot.Duty{Rotation: bot.Weekly, Start: start, People: []string{"dave", "erin"}}
	assert.Equal(t, "dave", d.OnDuty(start))
	assert.Equal(t, "dave", d.OnDuty(start.Add(7*24*time.Hour-time.Second)))
	assert.Equal(t, "erin", d.OnDuty(start.Add(7*24*time.Hour)))
	assert.Equal(t, "dave", d.OnDuty(start.Add(14*24*time.Hour)))
	assert.Equal(t, "erin", d.OnDuty(start.Add(-time.Second)), "before the start the rota runs backwards")
	assert.Equal(t, "erin", d.OnDuty(start.Add(-7*24*time.Hour)))
	d.Rotation = bot.Daily
	assert.Equal(t, "erin", d.OnDuty(start.Add(25*time.Hour)))
	assert.Equal(t, "", bot.Duty{}.OnDuty(start))
}

func TestCommanderRules(t *testing.T) {
	t.Parallel()
	c := &bot.Catalog{
		Services: map[string]bot.Service{"web": {Name: "web", Contacts: []string{"a"}, Stability: "s"}, "db": {Name: "db", Contacts: []string{"b"}}},
		Duty:     bot.Duty{Rotation: bot.Weekly, People: []string{"d"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty"}, bot.P3: {Commander: "stability"}, bot.P4: {Commander: "erin"},
		},
	}
	now := time.Now()
	assert.Equal(t, "d", c.Commander(bot.P1, "web", now))
	assert.Equal(t, "s", c.Commander(bot.P3, "web", now))
	assert.Equal(t, "d", c.Commander(bot.P3, "db", now), "no stability contact: the rota")
	assert.Equal(t, "d", c.Commander(bot.P3, "", now))
	assert.Equal(t, "erin", c.Commander(bot.P4, "web", now))
}

func TestSuggestions(t *testing.T) {
	t.Parallel()
	_, err := bot.ParseRole("comander")
	assert.EqualError(t, err, `unknown role "comander"; did you mean commander?`)
	_, err = bot.ParseLevel("P5")
	assert.ErrorContains(t, err, "use P1, P2, P3 or P4")
	c := &bot.Catalog{People: map[string]bot.Person{"alice": {ID: "alice"}, "bob": {ID: "bob"}}}
	_, err = c.Person("@alise")
	assert.EqualError(t, err, `unknown person "alise"; did you mean alice?`)
	_, err = c.Person("zzzzzzz")
	assert.EqualError(t, err, `unknown person "zzzzzzz"; known: alice, bob`)
	assert.Equal(t, "", bot.Closest("x", nil))
}

func TestNormalizeEmoji(t *testing.T) {
	t.Parallel()
	for _, e := range []string{"✅", ":white_check_mark:", "white_check_mark", "white_check_mark::skin-tone-2"} {
		assert.Equal(t, "white_check_mark", bot.NormalizeEmoji(e), e)
	}
	assert.NotEqual(t, "white_check_mark", bot.NormalizeEmoji("+1"))
}

func TestReplayAndMetrics(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	evs := []bot.Event{
		{FaultID: 7, Seq: 1, At: at(0), Type: bot.EventDeclared, Actor: "alice", Level: bot.P2, Text: "API down", Service: "web"},
		{Seq: 2, At: at(0), Type: bot.EventRoleAssigned, Actor: bot.ActorBot, Role: bot.RoleCommander, Person: "dave", Text: "policy"},
		{Seq: 3, At: at(0), Type: bot.EventRoleAssigned, Actor: bot.ActorBot, Role: bot.RoleHandler, Person: "alice"},
		{Seq: 4, At: at(0), Type: bot.EventInvited, Person: "alice"},
		{Seq: 5, At: at(0), Type: bot.EventInvited, Person: "bob"},
		{Seq: 6, At: at(0), Type: bot.EventInvited, Person: "dave"},
		{Seq: 7, At: at(90 * time.Second), Type: bot.EventCheckedIn, Person: "bob", Via: "reaction"},
		{Seq: 8, At: at(3 * time.Minute), Type: bot.EventCheckedIn, Person: "alice", Via: "command"},
		{Seq: 9, At: at(5 * time.Minute), Type: bot.EventInvited, Person: "carol"},
		{Seq: 10, At: at(6 * time.Minute), Type: bot.EventCheckedIn, Person: "carol", Via: "command"},
		{Seq: 11, At: at(6 * time.Minute), Type: bot.EventCheckedIn, Person: "carol", Via: "reaction"}, // no-op
		{Seq: 12, At: at(8 * time.Minute), Type: bot.EventTaskAdded, Actor: "dave", Task: 1, Person: "bob", Text: "x"},
		{Seq: 13, At: at(9 * time.Minute), Type: bot.EventTaskAdded, Actor: "dave", Task: 2, Person: "bob", Text: "y"},
		{Seq: 14, At: at(10 * time.Minute), Type: bot.EventTaskDone, Actor: "bob", Task: 1},
		{Seq: 15, At: at(10 * time.Minute), Type: bot.EventUpdate, Actor: "alice", Text: "u1"},
		{Seq: 16, At: at(20 * time.Minute), Type: bot.EventUpdate, Actor: "alice", Text: "u2"},
		{Seq: 17, At: at(25 * time.Minute), Type: bot.EventMitigated, Actor: "alice"},
		{Seq: 18, At: at(40 * time.Minute), Type: bot.EventResolved, Actor: "alice"},
	}
	f := bot.Replay(evs)
	require.Equal(t, int64(7), f.ID)
	assert.Equal(t, bot.StatusResolved, f.Status)
	assert.Equal(t, 18, f.Seq)
	assert.Equal(t, "dave", f.Commander)
	assert.False(t, f.CommanderByHand)
	assert.Equal(t, 3, f.CheckedIn())
	p, _ := f.Participant("carol")
	assert.Equal(t, "command", p.CheckinVia, "the first check-in counts")

	m := bot.ComputeMetrics(evs)
	assert.Equal(t, "1m30s", m.TimeToFirstCheckin.String())
	assert.Equal(t, "bob", m.FirstCheckin)
	assert.Equal(t, 4, m.Invited)
	assert.Equal(t, 3, m.CheckedIn)
	assert.InDelta(t, 0.75, m.CheckinRate, 1e-9)
	assert.Equal(t, "25m0s", m.TimeToMitigate.String())
	assert.Equal(t, "40m0s", m.TimeToResolve.String())
	assert.Equal(t, 2, m.Updates)
	assert.Equal(t, "10m0s", m.MeanUpdateGap.String())
	assert.Equal(t, 1, m.TasksDone)
	assert.Equal(t, 1, m.TasksOpen)
	byPerson := map[string]bot.CheckinTime{}
	for _, c := range m.Checkins {
		byPerson[c.Person] = c
	}
	assert.Equal(t, bot.Seconds(6*time.Minute), byPerson["carol"].AfterDeclare)
	assert.Equal(t, bot.Seconds(time.Minute), byPerson["carol"].AfterInvite)
	assert.False(t, byPerson["dave"].CheckedIn())
}

func TestRegistryCollisions(t *testing.T) {
	t.Parallel()
	r := bot.NewRegistry()
	noop := bot.Verb{Name: "call", Aliases: []string{"bridge"}, Run: nil}
	assert.Error(t, r.Register(noop), "a verb without Run is refused")
	noop.Run = func(_ context.Context, _ *bot.Bot, _ *bot.Request) error { return nil }
	require.NoError(t, r.Register(noop))
	err := r.Register(bot.Verb{Name: "bridge", Run: noop.Run})
	assert.ErrorContains(t, err, `"bridge" is already taken by verb "call"`)
	assert.Error(t, r.Register(bot.Verb{Name: "Two Words", Run: noop.Run}))
	_, err = r.Lookup("fault", "cal")
	assert.ErrorContains(t, err, "did you mean /fault call?")
	assert.Contains(t, r.Help("fault"), "/fault call")
}
