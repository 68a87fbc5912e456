package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/memstore"
)

// t0 is a Wednesday; the rota below starts on the Monday before it.
var t0 = time.Date(2026, 4, 8, 14, 0, 0, 0, time.UTC)

// testCatalog is deliberately unlike the shipped example: nothing in the core
// may depend on the example's names.
func testCatalog() *bot.Catalog {
	return &bot.Catalog{
		People: map[string]bot.Person{
			"ana": {ID: "ana", Name: "Ana"}, "ben": {ID: "ben"}, "cy": {ID: "cy"}, "dee": {ID: "dee"},
			"eli": {ID: "eli"}, "fay": {ID: "fay"}, "gus": {ID: "gus", Email: "Gus@Corp.test"},
		},
		Services: map[string]bot.Service{
			"ledger":  {Name: "ledger", Contacts: []string{"ana", "ben"}, Stability: "ben"},
			"queue":   {Name: "queue", Contacts: []string{"cy"}, Stability: "cy"},
			"reports": {Name: "reports", Contacts: []string{"fay"}},
		},
		Duty: bot.Duty{Rotation: bot.Weekly, Start: time.Date(2026, 4, 6, 9, 0, 0, 0, time.UTC), People: []string{"dee", "eli"}},
		Levels: map[bot.Level]bot.LevelPolicy{
			bot.P1: {Commander: "duty", CheckinWithin: 5 * time.Minute, Remind: "*/10 * * * *"},
			bot.P2: {Commander: "duty", CheckinWithin: 10 * time.Minute, Remind: "*/15 * * * *"},
			bot.P3: {Commander: "stability", CheckinWithin: 30 * time.Minute},
			bot.P4: {Commander: "stability", CheckinWithin: 2 * time.Hour},
		},
	}
}

type rig struct {
	t     *testing.T
	ctx   context.Context
	clock *bot.FakeClock
	chat  *memory.Adapter
	db    *memstore.Store
	bot   *bot.Bot
	opts  bot.Options // what open starts the bot with
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, ctx: context.Background(), clock: bot.NewFakeClock(t0), chat: memory.New()}
	r.open()
	return r
}

// open (re)starts the bot on the rig's store, as a restarted process would:
// the old handle is closed, so that what the old bot still does fails.
// The store is in memory (the store package's own tests run the SQLite one
// through the same contract), so the core's tests need no cgo.
func (r *rig) open() {
	r.t.Helper()
	if r.db == nil {
		r.db = memstore.New()
	} else {
		require.NoError(r.t, r.db.Close())
		r.db = r.db.Reopen()
	}
	var err error
	r.bot, err = bot.New(r.db, r.chat, r.clock, testCatalog(), r.opts, nil)
	require.NoError(r.t, err)
}

func (r *rig) say(channel, user, text string) string {
	r.t.Helper()
	n := len(r.chat.Posts(channel))
	r.bot.HandleMessage(r.ctx, bot.Incoming{Channel: channel, User: user, Text: text})
	posts := r.chat.Posts(channel)
	if len(posts) == n {
		return ""
	}
	return posts[len(posts)-1].Text
}

func (r *rig) fault(id int64) *bot.Fault {
	r.t.Helper()
	f, err := bot.LoadFault(r.ctx, r.db, id)
	require.NoError(r.t, err)
	return f
}

func (r *rig) declare(text string) *bot.Fault {
	r.t.Helper()
	reply := r.say("general", "ana", text)
	require.Contains(r.t, reply, "declared fault", reply)
	faults, err := r.db.Faults(r.ctx, bot.FaultFilter{Limit: 1})
	require.NoError(r.t, err)
	return faults[0]
}

func TestDeclareOpensWarRoom(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P2 Ledger writes time out service=ledger cause=queue kind=db-data-error")

	assert.Equal(t, "fault-1-ledger-writes-time-out", f.ChannelName)
	chans := r.chat.Channels()
	require.Len(t, chans, 1)
	assert.Equal(t, f.Channel, chans[0].ID)
	// Affected contacts, cause contacts, the on-duty commander (dee in the
	// first week) and the declarer, in one call, without duplicates.
	assert.Equal(t, [][]string{{"ana", "ben", "cy", "dee"}}, r.chat.Invites(f.Channel))
	assert.Equal(t, "dee", f.Commander)
	assert.Equal(t, "ana", f.Handler)
	assert.Equal(t, bot.StatusOpen, f.Status)

	posts := r.chat.Posts(f.Channel)
	require.Len(t, posts, 1)
	kick := posts[0]
	assert.Equal(t, bot.KindKickoff, kick.Kind)
	assert.Equal(t, f.Kickoff, kick.ID)
	for _, want := range []string{"P2", "Ledger writes time out", "affected ledger", "suspected cause queue", "kind db-data-error", "Commander: @dee", "Handler: @ana", "/fault checkin", ":white_check_mark:"} {
		assert.Contains(t, kick.Text, want)
	}
	assert.Equal(t, []string{kick.ID}, r.chat.Pins(f.Channel))
	assert.Contains(t, r.chat.Topic(f.Channel), "commander @dee")
	assert.Contains(t, r.chat.Texts("general")[0], "war room #fault-1-ledger-writes-time-out, 4 invited")
}

func TestCommanderByLevel(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.clock.Advance(7 * 24 * time.Hour) // the rota hands over to eli
	f := r.declare("/fault declare P1 Queue stuck service=queue")
	assert.Equal(t, "eli", f.Commander, "P1: on duty now")
	f = r.declare("/fault declare P3 Queue slow service=queue")
	assert.Equal(t, "cy", f.Commander, "P3: the stability contact")
	f = r.declare("/fault declare P4 Reports late service=reports")
	assert.Equal(t, "eli", f.Commander, "P4 on a service with no stability contact: the rota")
}

func TestLifecycleAndSummary(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P2 Ledger writes time out service=ledger")
	ch := f.Channel

	r.clock.Advance(90 * time.Second)
	r.bot.HandleReaction(r.ctx, bot.Reaction{Channel: ch, Message: f.Kickoff, User: "ben", Emoji: "✅"})
	assert.Contains(t, r.chat.Texts(ch)[1], "@ben checked in (+1m30s) — 2 of 3 checked in")
	r.clock.Advance(30 * time.Second)
	r.bot.HandleReaction(r.ctx, bot.Reaction{Channel: ch, Message: f.Kickoff, User: "ben", Emoji: "white_check_mark"})
	r.bot.HandleReaction(r.ctx, bot.Reaction{Channel: ch, Message: f.Kickoff, User: "dee", Emoji: "eyes"})
	r.bot.HandleReaction(r.ctx, bot.Reaction{Channel: ch, Message: "other", User: "dee", Emoji: "✅"})
	assert.Len(t, r.chat.Posts(ch), 2, "a second ✅, another emoji or another message check nobody in")

	r.clock.Advance(time.Minute) // +3m
	assert.Contains(t, r.say(ch, "ana", "/fault checkin"), "@ana checked in already, at 14:00:00 (+0s)", "declaring checked her in")

	assert.Equal(t, "@cy is now responder", r.say(ch, "ana", "/fault role responder @cy"))
	assert.Equal(t, []string{"ana", "ben", "dee", "cy"}, r.chat.Members(ch), "a role holder not yet in the room is invited")
	assert.Equal(t, "@ben is now handler (was @ana)", r.say(ch, "dee", "/fault role handler <@ben>"))

	r.clock.Advance(2 * time.Minute) // +5m
	assert.Contains(t, r.say(ch, "dee", "/fault task @cy check the replica lag"), "task #1 for @cy: check the replica lag")
	assert.Contains(t, r.say(ch, "dee", "/fault task @ben roll back 4.2"), "task #2")
	r.clock.Advance(5 * time.Minute) // +10m
	assert.Contains(t, r.say(ch, "cy", "/fault checkin"), "@cy checked in (+10m0s) — 4 of 4")
	assert.Contains(t, r.say(ch, "cy", "/fault done 1"), "task #1 done: check the replica lag — 1 open")
	assert.Contains(t, r.say(ch, "ben", "/fault update rolled back to 4.2; error rate falling"), "update #1 from @ben")
	r.clock.Advance(10 * time.Minute) // +20m
	assert.Contains(t, r.say(ch, "ben", "/fault mitigated writes succeed again"), "fault 1 mitigated after 20m0s (writes succeed again)")
	r.clock.Advance(25 * time.Minute) // +45m
	r.say(ch, "ben", "/fault resolve root cause: pool size")
	posts := r.chat.Posts(ch)
	sum := posts[len(posts)-1]
	require.Equal(t, bot.KindSummary, sum.Kind)
	for _, want := range []string{
		"✅ fault 1 resolved: Ledger writes time out (P2) after 45m0s, declared by @ana\n",
		"Time to first check-in: 1m30s (@ben) · to mitigate: 20m0s · to resolve: 45m0s",
		"Check-in rate: 4/4 (100%)",
		"Updates: 1 · tasks: 1 done, 1 open · plans run: none",
		"/fault timeline shows the whole timeline; set base_url in the config (e.g. base_url: https://warroom.example.com) for a link to the war-room page",
	} {
		assert.Contains(t, sum.Text, want)
	}
	assert.Equal(t, 4, strings.Count(sum.Text, "\n"), "the headline figures in a few lines: %s", sum.Text)
	f = r.fault(f.ID)
	assert.Equal(t, bot.StatusResolved, f.Status)
	assert.Contains(t, r.chat.Topic(ch), "[resolved]")

	// After resolve only the read-only verbs work, and nothing changes.
	assert.Contains(t, r.say(ch, "ben", "/fault update more"), "fault 1 was resolved at 14:45:00; only status, timeline and help work")
	assert.Contains(t, r.say(ch, "ben", "/fault status"), "P2 fault 1: Ledger writes time out — resolved in 45m0s")
	assert.Contains(t, r.say(ch, "ben", "/fault timeline"), "Timeline of fault 1")
	assert.Equal(t, f.Seq, r.fault(f.ID).Seq)
}

func TestCauseAndLevelReapplyPolicy(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P3 Ledger slow service=ledger")
	ch := f.Channel
	assert.Equal(t, "ben", f.Commander, "P3: stability contact")

	assert.Equal(t, "suspected cause: — → queue; invited its contacts @cy", r.say(ch, "ana", "/fault cause queue"))
	assert.Contains(t, r.say(ch, "ana", "/fault cause queue"), "already queue")
	assert.Equal(t, "suspected cause: queue → ledger; its contacts are already here", r.say(ch, "ana", "/fault cause ledger"))

	assert.Equal(t, "re-graded P3 → P1; commander @ben → @dee (P1: on duty rule); invited @dee", r.say(ch, "ana", "/fault level p1"))
	assert.Equal(t, "dee", r.fault(f.ID).Commander)
	assert.Equal(t, "re-graded P1 → P2; commander stays @dee", r.say(ch, "ana", "/fault level P2"))

	// A commander chosen by hand outranks the policy.
	r.say(ch, "ana", "/fault role commander @fay")
	assert.Equal(t, "re-graded P2 → P4; commander stays @fay, assigned by hand (the P4 rule would pick @ben)", r.say(ch, "ana", "/fault level P4"))
	assert.Equal(t, "fay", r.fault(f.ID).Commander)
	assert.Contains(t, r.say(ch, "ana", "/fault level P4"), "already P4")
}

func TestBadInputAnswersAndLosesNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	ch := f.Channel
	before := r.fault(f.ID).Seq
	for _, tc := range []struct{ channel, text, want string }{
		{"general", "/fault declare P5 Thing", `unknown level "P5": use P1, P2, P3 or P4 (P1 is the worst). Type: /fault declare P1|P2|P3|P4 <title...>`},
		{"general", "/fault declare P2", "a title is needed"},
		{"general", "/fault declare", "a level and a title are needed"},
		{"general", "/fault declare P2 x service=ledgr", `service=ledgr: no such service; did you mean ledger?`},
		{"general", "/fault declare P2 x cause=nope", `cause=nope: no such service`},
		{"general", "/fault declare P2 x sevice=ledger", "unknown option sevice=; did you mean service=?"},
		{"general", `/fault declare P2 "unclosed`, "quote is not closed"},
		{"general", "/fault status", "/fault status works in a fault's war room, and this channel is not one; open war rooms: #fault-1-ledger-down"},
		{"general", "/fault decalre P1 x", `unknown command "decalre"; did you mean /fault declare? Type /fault help for the list`},
		{ch, "/fault role comander @ana", `unknown role "comander"; did you mean commander? Type: /fault role commander|handler|responder @person`},
		{ch, "/fault role commander @zed", `unknown person "zed"`},
		{ch, "/fault role commander", "a role and one person are needed"},
		{ch, "/fault role handler @ana", "@ana is already handler"},
		{ch, "/fault invite @anna", `unknown person "anna"; did you mean ana?`},
		{ch, "/fault invite service=nope", `service=nope: no such service`},
		{ch, "/fault invite", "say whom to invite"},
		{ch, "/fault cause", "one service is needed"},
		{ch, "/fault cause quue", `did you mean queue?`},
		{ch, "/fault level P0", `unknown level "P0"`},
		{ch, "/fault level P2", "fault 1 is already P2"},
		{ch, "/fault task @cy", "a person and the task are needed"},
		{ch, "/fault done", "a task number is needed, such as 1 or #1; no task is open"},
		{ch, "/fault done 7", "there is no task #7"},
		{ch, "/fault update", "the update's text is needed"},
		{ch, "/fault help nope", `unknown command "nope"`},
	} {
		got := r.say(tc.channel, "ana", tc.text) // the handler: the rules let her try all of it
		assert.Contains(t, got, tc.want, tc.text)
		assert.True(t, strings.HasPrefix(got, "⚠️ "), "errors are marked: %q", got)
		assert.NotContains(t, got, "\n", "errors are one line: %q", got)
	}
	assert.Equal(t, before, r.fault(f.ID).Seq, "no bad command recorded anything")
	assert.Len(t, r.chat.Channels(), 1, "no bad declare opened a war room")
	assert.Equal(t, "everyone named is already in the war room", r.say(ch, "ana", "/fault invite @ben"))
	assert.Empty(t, r.say("general", "cy", "lunch anyone? /fault is great"), "chat that is not a command is left alone")
	assert.Contains(t, r.say("general", "cy", "/fault help"), "/fault role commander|handler|responder @person — give someone a role")
	assert.Contains(t, r.say("general", "cy", "/fault help role"), "type it in the fault's war room")
}

func TestTaskPermissionsAndDone(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	ch := f.Channel
	r.say(ch, "dee", "/fault task @gus look at the graphs")
	assert.Contains(t, r.chat.Members(ch), "gus", "a task's assignee is brought in")
	assert.Contains(t, r.say(ch, "cy", "/fault done #1"), "you may not /fault done: only the task's assignee (@gus), the commander (@dee) or the handler (@ana) may")
	assert.Contains(t, r.say(ch, "gus", "/fault done #1"), "task #1 done")
	assert.Contains(t, r.say(ch, "gus", "/fault done #1"), "task #1 was done already, by @gus")
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P1 Ledger down service=ledger")
	ch := f.Channel
	r.clock.Advance(time.Minute)
	r.say(ch, "ben", "/fault checkin")
	r.say(ch, "dee", "/fault role responder @cy")
	r.say(ch, "dee", "/fault task @cy restart the primary")
	r.say(ch, "ana", "/fault update failing over")

	r.open() // a new process on the same file
	status := r.say(ch, "ana", "/fault status")
	for _, want := range []string{
		"P1 fault 1: Ledger down — open for 1m0s",
		"Commander: @dee · Handler: @ana · Responders: @cy",
		"Checked in (3/4): @ana (+0s), @ben (+1m0s), @dee (+1m0s)", // declaring and typing are being there
		"Not checked in: @cy",
		"#1 @cy: restart the primary",
		"Last update (0s ago, 1 in all): failing over",
	} {
		assert.Contains(t, status, want)
	}
	r.bot.HandleReaction(r.ctx, bot.Reaction{Channel: ch, Message: f.Kickoff, User: "cy", Emoji: ":white_check_mark:"})
	assert.Equal(t, 4, r.fault(f.ID).CheckedIn(), "the kickoff still takes check-ins after a restart")
	f2 := r.declare("/fault declare P3 Queue slow service=queue")
	assert.Equal(t, int64(2), f2.ID, "ids continue")
}

func TestPlatformFailuresDoNotLoseTheFault(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.chat.FailNext("CreateChannel", errors.New("missing_scope: channels:manage"))
	reply := r.say("general", "ana", "/fault declare P1 Ledger down service=ledger")
	assert.Equal(t, "⚠️ declared fault 1 (P1) but its war-room channel could not be created: missing_scope: channels:manage", reply)
	f := r.fault(1)
	assert.Equal(t, bot.StatusOpen, f.Status)
	evs, err := r.db.Events(r.ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, bot.EventChannelFailed, evs[len(evs)-1].Type)

	r.chat.FailNext("Invite", errors.New("user_not_found"))
	f = r.declare("/fault declare P1 Queue down service=queue")
	assert.Contains(t, r.chat.Texts(f.Channel)[1], "could not invite @cy, @dee, @ana: user_not_found")
	assert.Empty(t, f.Participants, "nobody is recorded as invited")
	assert.Equal(t, bot.KindKickoff, r.chat.Posts(f.Channel)[0].Kind, "the kickoff is posted anyway")
	assert.Contains(t, r.say(f.Channel, "cy", "/fault checkin"), "@cy checked in (+0s) — 1 of 1", "people who got in another way can check in")
}

func TestConcurrentCheckinsAreAllRecorded(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P2 Ledger down service=ledger cause=queue")
	people := []string{"ana", "ben", "cy", "dee", "eli", "fay", "gus"}
	var wg sync.WaitGroup
	for _, p := range people {
		wg.Go(func() {
			r.bot.HandleReaction(r.ctx, bot.Reaction{Channel: f.Channel, Message: f.Kickoff, User: p, Emoji: "✅"})
			r.bot.HandleMessage(r.ctx, bot.Incoming{Channel: f.Channel, User: p, Text: "/fault checkin"})
		})
	}
	wg.Wait()
	f = r.fault(f.ID)
	assert.Equal(t, len(people), f.CheckedIn())
	assert.Len(t, f.Participants, len(people))
	evs, err := r.db.Events(r.ctx, f.ID)
	require.NoError(t, err)
	n := 0
	for _, e := range evs {
		if e.Type == bot.EventCheckedIn {
			n++
		}
	}
	assert.Equal(t, len(people), n, "each person checked in exactly once")
}

func TestUnknownPlatformUserCanDeclare(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	reply := r.say("general", "U999", "/fault declare P3 Reports empty service=reports")
	assert.Contains(t, reply, "declared fault 1")
	assert.Equal(t, "U999", r.fault(1).Handler)
}

func TestHelpIsGeneratedFromTheRegistry(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	require.NoError(t, r.bot.Register(bot.Verb{Name: "page", Summary: "page someone", Scope: bot.WarRoom,
		Run: func(ctx context.Context, b *bot.Bot, req *bot.Request) error { return nil }}))
	help := r.say("general", "ana", "/fault help")
	for _, v := range r.bot.Registry().Verbs() {
		assert.Contains(t, help, fmt.Sprintf("/fault %s", v.Name))
	}
	assert.Contains(t, help, "/fault page — page someone")
	assert.Error(t, r.bot.Register(bot.Verb{Name: "status", Run: func(context.Context, *bot.Bot, *bot.Request) error { return nil }}))
}

// dirChat is a platform that can tell users' emails.
type dirChat struct {
	*memory.Adapter
	emails map[string]string
}

func (d dirChat) UserEmail(_ context.Context, uid string) (string, error) {
	if e, ok := d.emails[uid]; ok {
		return e, nil
	}
	return "", errors.New("users_not_found")
}

func TestDirectoryMapsUsersByEmail(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	chat := dirChat{Adapter: r.chat, emails: map[string]string{"U42": "gus@corp.test"}}
	b, err := bot.New(r.db, chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	r.bot = b
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	assert.Equal(t, "@gus is now responder", r.say(f.Channel, "ana", "/fault role responder <@U42>"), "a mention found by email")
	r.say(f.Channel, "U42", "/fault checkin")
	p, ok := r.fault(f.ID).Participant("gus")
	require.True(t, ok)
	assert.True(t, p.CheckedIn(), "the typing user found by email")
	assert.Contains(t, r.say(f.Channel, "ana", "/fault role responder <@U77>"), "@U77 is now responder", "unknown users keep their platform id")
}

// concurrentChat is a platform whose calls may overlap.
type concurrentChat struct{ *memory.Adapter }

func (concurrentChat) Concurrent() bool { return true }

func TestDeclareOnConcurrentPlatform(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	b, err := bot.New(r.db, concurrentChat{r.chat}, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	r.bot = b
	f := r.declare("/fault declare P2 Ledger down service=ledger cause=queue")
	b.Wait()
	assert.Equal(t, [][]string{{"ana", "ben", "cy", "dee"}}, r.chat.Invites(f.Channel))
	assert.Len(t, f.Participants, 4)
	assert.Equal(t, []string{f.Kickoff}, r.chat.Pins(f.Channel))
	assert.Contains(t, r.chat.Topic(f.Channel), "commander @dee")
	assert.Contains(t, r.chat.Posts(f.Channel)[0].Text, "Invited: @ana, @ben, @cy, @dee")

	r.chat.FailNext("Invite", errors.New("not_in_channel"))
	f = r.declare("/fault declare P2 Queue down service=queue")
	b.Wait()
	assert.Empty(t, f.Participants)
	assert.Contains(t, r.chat.Texts(f.Channel)[1], "could not invite @cy, @dee, @ana: not_in_channel")
}

// voiceChat is a platform that can open voice channels.
type voiceChat struct {
	*memory.Adapter
	mu      sync.Mutex
	opened  map[string][]string // voice id -> people
	deleted []string
}

func (v *voiceChat) CreateVoice(_ context.Context, room, name string, people []bot.Person) (bot.Channel, string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	id := fmt.Sprintf("V%d", len(v.opened)+1)
	for _, p := range people {
		v.opened[id] = append(v.opened[id], p.ID)
	}
	return bot.Channel{ID: id, Name: name}, "https://voice.test/" + id, nil
}

func (v *voiceChat) DeleteVoice(_ context.Context, id string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.deleted = append(v.deleted, id)
	return nil
}

func TestCallPostsTheBridge(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	assert.Contains(t, r.say(f.Channel, "ana", "/fault call"), "no conference bridge is configured: set bridge:")

	b, err := bot.New(r.db, r.chat, r.clock, testCatalog(), bot.Options{Bridge: "https://meet.test/acme-{id}"}, nil)
	require.NoError(t, err)
	r.bot = b
	f = r.declare("/fault declare P2 Queue down service=queue")
	assert.Contains(t, r.chat.Posts(f.Channel)[0].Text, "Conference: https://meet.test/acme-2", "the bridge is in the kickoff")
	assert.Equal(t, "🎧 conference bridge for fault 2: https://meet.test/acme-2", r.say(f.Channel, "cy", "/fault call"))
	assert.Equal(t, "🎧 the conference for fault 2 is at https://meet.test/acme-2", r.say(f.Channel, "cy", "/fault bridge"))
}

func TestCallOpensAVoiceChannelWherePossible(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	chat := &voiceChat{Adapter: r.chat, opened: map[string][]string{}}
	b, err := bot.New(r.db, chat, r.clock, testCatalog(), bot.Options{Bridge: "https://meet.test/{id}"}, nil)
	require.NoError(t, err)
	r.bot = b
	f := r.declare("/fault declare P1 Ledger down service=ledger")
	assert.Contains(t, r.chat.Posts(f.Channel)[0].Text, "Conference: /fault call opens a voice channel")
	assert.Equal(t, "🎧 voice channel for fault 1: https://voice.test/V1 — everyone in the war room can join", r.say(f.Channel, "ana", "/fault call"))
	assert.Equal(t, []string{"ana", "ben", "dee"}, chat.opened["V1"])
	assert.Contains(t, r.say(f.Channel, "ana", "/fault call"), "is at https://voice.test/V1", "one voice channel per fault")
	r.say(f.Channel, "ana", "/fault resolve")
	assert.Equal(t, []string{"V1"}, chat.deleted, "resolve removes the voice channel")
	assert.Empty(t, r.fault(f.ID).VoiceChannel)
}

// A platform that invites one person a call (Matrix) names whom it
// refused: only they are recorded as not invited, the rest as invited.
func TestAnInvitationRefusedForSomeRecordsEachAsItWent(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.chat.FailNext("Invite", &bot.InviteError{Failed: map[string]error{"dee": errors.New("M_FORBIDDEN: not allowed")}})
	f := r.declare("/fault declare P1 Queue down service=queue")
	assert.Contains(t, r.chat.Texts(f.Channel)[1], "could not invite @dee (@dee: M_FORBIDDEN: not allowed); invited @cy, @ana")
	assert.True(t, f.Invited("cy"))
	assert.True(t, f.Invited("ana"))
	assert.False(t, f.Invited("dee"), "refused")
	evs, err := r.db.Events(r.ctx, f.ID)
	require.NoError(t, err)
	var failed []string
	for _, e := range evs {
		if e.Type == bot.EventInviteFailed {
			failed = append(failed, e.Person+": "+e.Text)
		}
	}
	assert.Equal(t, []string{"dee: M_FORBIDDEN: not allowed"}, failed)
}
