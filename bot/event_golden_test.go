package bot_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

var update = flag.Bool("update", false, "rewrite testdata/events.golden.json from the events in event_golden_test.go")

const eventsGolden = "testdata/events.golden.json"

// goldenEvents is one event of every type, with the fields its type uses
// set (see the constants in event.go). Timelines are kept for years: their
// JSON may change only on purpose, and then old timelines must still decode.
func goldenEvents() []bot.Event {
	at := time.Date(2026, 4, 8, 14, 0, 0, 123456789, time.UTC)
	n := 0
	ev := func(typ bot.EventType, actor string, mod func(e *bot.Event)) bot.Event {
		n++
		e := bot.Event{FaultID: 7, Seq: n, At: at.Add(time.Duration(n) * time.Minute), Type: typ, Actor: actor}
		if mod != nil {
			mod(&e)
		}
		return e
	}
	return []bot.Event{
		ev(bot.EventDeclared, "ana", func(e *bot.Event) {
			e.Level, e.Text, e.Service, e.Cause, e.Kind = bot.P2, "Ledger writes time out", "ledger", "queue", "db-data-error"
			e.Started = time.Date(2026, 4, 8, 13, 48, 0, 0, time.UTC)
		}),
		ev(bot.EventChannelCreated, bot.ActorBot, func(e *bot.Event) { e.Channel, e.Text = "C0123", "fault-7-ledger-writes-time-out" }),
		ev(bot.EventChannelFailed, bot.ActorBot, func(e *bot.Event) { e.Text = "slack: name_taken" }),
		ev(bot.EventInvited, bot.ActorBot, func(e *bot.Event) { e.Person, e.Text = "ben", "contact of ledger" }),
		ev(bot.EventInviteFailed, bot.ActorBot, func(e *bot.Event) { e.Person, e.Text = "cy", "user_not_found" }),
		ev(bot.EventKickoffPosted, bot.ActorBot, func(e *bot.Event) { e.Message = "1712584800.000100" }),
		ev(bot.EventCheckedIn, "ben", func(e *bot.Event) { e.Person, e.Via = "ben", "reaction" }),
		ev(bot.EventRoleAssigned, bot.ActorBot, func(e *bot.Event) { e.Role, e.Person, e.Text = bot.RoleCommander, "dee", "policy" }),
		ev(bot.EventCauseSet, "dee", func(e *bot.Event) { e.Service = "queue" }),
		ev(bot.EventLevelChanged, "dee", func(e *bot.Event) { e.Level, e.From = bot.P1, bot.P2 }),
		ev(bot.EventTaskAdded, "dee", func(e *bot.Event) { e.Task, e.Person, e.Text = 1, "ben", "drain the \"hot\" shard & report <here>" }),
		ev(bot.EventTaskDone, "ben", func(e *bot.Event) { e.Task = 1 }),
		ev(bot.EventUpdate, "dee", func(e *bot.Event) { e.Text = "writes back to normal ✅; watching" }),
		ev(bot.EventMitigated, "dee", func(e *bot.Event) { e.Text = "failed over to the replica" }),
		ev(bot.EventResolved, "dee", func(e *bot.Event) { e.Text = "fixed the index" }),
		ev(bot.EventBridgeOpened, "dee", func(e *bot.Event) { e.Text, e.Channel = "https://meet.test/fault-7", "V0456" }),
		ev(bot.EventBridgeClosed, bot.ActorBot, func(e *bot.Event) { e.Channel = "V0456" }),
		ev(bot.EventReminded, bot.ActorBot, func(e *bot.Event) { e.Person = "dee" }),
		ev(bot.EventEscalated, bot.ActorBot, func(e *bot.Event) { e.Person, e.Text = "dee", "no update for 30m" }),
		ev(bot.EventChased, bot.ActorBot, func(e *bot.Event) { e.Person, e.Via, e.Text = "cy", bot.ChasePage, "pager: 503" }),
		ev(bot.EventNotifyFailed, bot.ActorBot, func(e *bot.Event) { e.Person, e.Text = "#status", "channel_not_found" }),
		ev(bot.EventPaged, bot.ActorBot, func(e *bot.Event) { e.Person, e.Via = "eli", "level" }),
		ev(bot.EventDigestSent, bot.ActorBot, nil),
		ev(bot.EventRunRequested, "dee", func(e *bot.Event) {
			e.Run, e.Plan, e.Version = 1, "drain-ledger", "sha256:0123456789ab"
			e.Params = map[string]string{"node": "ledger-1", "mode": "safe"}
			e.Approval = &bot.Approval{Roles: []bot.Role{bot.RoleCommander, bot.RoleHandler}, Count: 2, Self: false, Expires: 15 * time.Minute}
			e.Until = e.At.Add(15 * time.Minute)
			e.Text = "impact P1 above the fault's P2: customers first"
		}),
		ev(bot.EventRunApproved, "ana", func(e *bot.Event) { e.Run = 1 }),
		ev(bot.EventRunDenied, "ben", func(e *bot.Event) { e.Run, e.Text = 1, "not during the sale" }),
		ev(bot.EventRunExpired, bot.ActorBot, func(e *bot.Event) { e.Run = 1 }),
		ev(bot.EventRunStarted, bot.ActorBot, func(e *bot.Event) { e.Run = 1 }),
		ev(bot.EventStepStarted, bot.ActorBot, func(e *bot.Event) { e.Run, e.Step, e.Text, e.Task = 1, 2, "confirm drained", 3 }),
		ev(bot.EventStepEnded, bot.ActorBot, func(e *bot.Event) { e.Run, e.Step, e.Via, e.Text = 1, 2, "failed", "exit status 3" }),
		ev(bot.EventRunEnded, bot.ActorBot, func(e *bot.Event) { e.Run, e.Via, e.Text = 1, "failed", "step 2 failed: exit status 3" }),
		// Added later: new types go at the end, so the lines above keep their seq.
		ev(bot.EventRefused, "cy", func(e *bot.Event) {
			e.Via, e.Origin = "level", "api"
			e.Text = "you may not /fault level: only the commander (@dee) or the handler (@ana) may; ask one of them"
		}),
		ev(bot.EventJobPanicked, bot.ActorBot, func(e *bot.Event) { e.Via, e.Text = "chase", "index out of range [3] with length 3" }),
		ev(bot.EventAlertFiring, "alertmanager", func(e *bot.Event) {
			e.Via, e.Text, e.Level = "b71abb45177f2578", "Ledger 5xx above 5%", bot.P1
			e.Service, e.Cause, e.Kind = "ledger", "queue", "HighErrorRate"
			e.Params = map[string]string{"alertname": "HighErrorRate", "instance": "ledger-1", "severity": "critical"}
		}),
		ev(bot.EventAlertResolved, "alertmanager", func(e *bot.Event) { e.Via, e.Text = "b71abb45177f2578", "Ledger 5xx above 5%" }),
		ev(bot.EventAlertsTold, bot.ActorBot, func(e *bot.Event) {
			e.Text = "✅ alertmanager: every alert has resolved (1 of 1); /fault resolve when recovery is complete"
		}),
		ev(bot.EventStepProcess, bot.ActorBot, func(e *bot.Event) {
			e.Run, e.Step, e.PID, e.Via = 1, 1, 48213, bot.OnRestartKill
			e.Text = "boot=0b6d3c6e-5b0a-4b8e-9d35-2f1c0e7a9f10&fault=7&run=1&start=1234567&step=drain"
		}),
	}
}

// marshalGolden writes one event a line, each as a store keeps it.
func marshalGolden(t *testing.T, events []bot.Event) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, e := range events {
		line, err := json.Marshal(e)
		require.NoError(t, err)
		b.Write(line)
		if i < len(events)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func TestEventJSONGolden(t *testing.T) {
	events := goldenEvents()
	got := marshalGolden(t, events)
	if *update {
		require.NoError(t, os.WriteFile(eventsGolden, got, 0o644))
		t.Logf("wrote %s", eventsGolden)
	}
	want, err := os.ReadFile(eventsGolden)
	require.NoError(t, err, "run `go test ./bot/ -run Golden -update` to write it")
	assert.Equal(t, string(want), string(got),
		"the JSON of events changed: timelines already stored are written so. If the change is meant, make sure old timelines still decode, then run `go test ./bot/ -run Golden -update`")

	// What is on file decodes to the events: old timelines stay readable.
	var decoded []bot.Event
	require.NoError(t, json.Unmarshal(want, &decoded))
	assert.Equal(t, events, decoded)
}

// TestEventGoldenCoversEveryType reads the EventType constants out of the
// package's source (event.go, and any other file that declares some), so
// that a new type cannot be left out of the golden file.
func TestEventGoldenCoversEveryType(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	declared := map[string]string{}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		maps.Copy(declared, eventTypeConstants(t, file))
	}
	require.NotEmpty(t, declared["EventDeclared"], "no EventType constants found in event.go")

	inGolden := map[bot.EventType]int{}
	for _, e := range goldenEvents() {
		inGolden[e.Type]++
	}
	for name, value := range declared {
		if inGolden[bot.EventType(value)] == 0 {
			t.Errorf("bot.%s (%q) has no event in goldenEvents in event_golden_test.go: add one with the fields it uses, then run `go test ./bot/ -run Golden -update`", name, value)
		}
	}
	values := map[string]bool{}
	for _, v := range declared {
		values[v] = true
	}
	for typ, n := range inGolden {
		assert.True(t, values[string(typ)], "goldenEvents has type %q, which event.go does not declare", typ)
		assert.Equal(t, 1, n, "goldenEvents has %d events of type %q: one each", n, typ)
	}
}

// eventTypeConstants returns the constants of type EventType declared in
// file, name to value. Constants in a group without their own type take the
// group's previous type, as Go does.
func eventTypeConstants(t *testing.T, file string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Clean(file), nil, 0)
	require.NoError(t, err)
	consts := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		var typ ast.Expr
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if vs.Type != nil || len(vs.Values) > 0 {
				typ = vs.Type
			}
			if id, ok := typ.(*ast.Ident); !ok || id.Name != "EventType" {
				continue
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					t.Fatalf("%s: EventType constant %s has no value of its own", fset.Position(name.Pos()), name.Name)
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				require.True(t, ok && lit.Kind == token.STRING, "%s: EventType constant %s is not a string literal", fset.Position(name.Pos()), name.Name)
				v, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				consts[name.Name] = v
			}
		}
	}
	if len(consts) > 0 {
		t.Logf("EventType constants in %s: %v", file, slices.Sorted(maps.Keys(consts)))
	}
	return consts
}
