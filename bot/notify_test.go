package bot_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// recipients parses notify entries as config writes them.
func recipients(entries ...string) []bot.Recipient {
	out := make([]bot.Recipient, len(entries))
	for i, s := range entries {
		r, err := bot.ParseRecipient(s)
		if err != nil {
			panic(err)
		}
		out[i] = r
	}
	return out
}

// A recipient reads and writes as config spells it, in JSON too.
func TestRecipientText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bot.Recipient{
		"#status":   {Kind: bot.RecipientChannel, Name: "status"},
		"alice":     {Kind: bot.RecipientPerson, Name: "alice"},
		"@alice":    {Kind: bot.RecipientPerson, Name: "alice"},
		"+15550100": {Kind: bot.RecipientPhone, Name: "+15550100"},
	} {
		got, err := bot.ParseRecipient(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "#", "#ops team", "+1 555 0100", "+0123", "@"} {
		_, err := bot.ParseRecipient(bad)
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%q", bad)
	}
	pol := bot.LevelPolicy{Notify: recipients("#status", "@alice", "+15550100")}
	data, err := json.Marshal(pol)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"notify":["#status","alice","+15550100"]`)
	var back bot.LevelPolicy
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, pol.Notify, back.Notify)
}

// A "#status" recipient is looked up by name on the platform and posted to
// by the id it has there, not by its name.
func TestNotifyChannelFoundByName(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	status, err := r.chat.CreateChannel(r.ctx, "status")
	require.NoError(t, err)
	r.withPolicy(bot.P2, func(p *bot.LevelPolicy) { p.Notify = recipients("#status") })
	f := r.declare("/fault declare P2 Ledger down service=ledger")
	r.say(f.Channel, "ana", "/fault update failing over")

	got := r.chat.Texts(status.ID)
	require.Len(t, got, 2, "declare and update reach %s", status.ID)
	assert.Contains(t, got[0], "📣 P2 fault 1: Ledger down — declared by @ana")
	assert.Contains(t, got[1], "update from @ana: failing over")
	assert.Empty(t, r.chat.Texts("#status"), "nothing is posted to the name")
}

// A channel the platform does not have is a notify_failed event that says
// what to do, and a line in the war room; the other stakeholders still
// hear, and the war room goes on.
func TestNotifyUnknownChannel(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.withPolicy(bot.P2, func(p *bot.LevelPolicy) { p.Notify = recipients("#status", "fay") })
	r.chat.FailNext("FindChannel", bot.Errorf(bot.ENOTFOUND, "memory: no channel named #status"))
	f := r.declare("/fault declare P2 Ledger down service=ledger")

	const why = "no channel named #status on memory; create it or fix levels.P2.notify"
	ev := lastEvent(r, f.ID, bot.EventNotifyFailed)
	assert.Equal(t, bot.EventNotifyFailed, ev.Type)
	assert.Equal(t, "#status", ev.Person)
	assert.Equal(t, why, ev.Text)
	assert.Contains(t, r.chat.Texts(f.Channel), "⚠️ stakeholders not reached: #status ("+why+")")
	assert.Len(t, r.chat.DMs("fay"), 1, "fay hears despite the missing channel")
	assert.Empty(t, r.chat.Texts("#status"))

	assert.Contains(t, r.say(f.Channel, "ana", "/fault update failing over"), "failing over", "the war room goes on")
	assert.Equal(t, bot.StatusOpen, r.fault(f.ID).Status)
	assert.Len(t, r.chat.Texts("#status"), 1, "the channel is looked up again at the next notice")
	assert.Len(t, r.chat.DMs("fay"), 2)
}

// An adapter without a ChannelFinder is posted "#name" as it stands.
func TestNotifyChannelWithoutFinder(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	status, err := r.chat.CreateChannel(r.ctx, "status")
	require.NoError(t, err)
	cat := testCatalog()
	p2 := cat.Levels[bot.P2]
	p2.Notify = recipients("#status")
	cat.Levels[bot.P2] = p2
	r.bot, err = bot.New(r.db, plainAdapter{r.chat}, r.clock, cat, bot.Options{}, nil)
	require.NoError(t, err)
	r.declare("/fault declare P2 Ledger down service=ledger")

	assert.Len(t, r.chat.Texts("#status"), 1)
	assert.Empty(t, r.chat.Texts(status.ID))
}

// plainAdapter is an adapter with none of the optional interfaces.
type plainAdapter struct{ bot.Adapter }
