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
