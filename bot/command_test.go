package bot_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		ok   bool
		verb string
		rest string
	}{
		{"/fault declare P2 Checkout down", true, "declare", "P2 Checkout down"},
		{"  /fault   UPDATE   rolled back   the deploy ", true, "update", "rolled back   the deploy"},
		{"/fault", true, "help", ""},
		{"/fault\tstatus", true, "status", ""},
		{"/faulty declare", false, "", ""},
		{"hello /fault status", false, "", ""},
		{"", false, "", ""},
	} {
		cmd, ok := bot.ParseCommand("fault", tc.text)
		assert.Equal(t, tc.ok, ok, tc.text)
		assert.Equal(t, tc.verb, cmd.Verb, tc.text)
		assert.Equal(t, tc.rest, cmd.Rest, tc.text)
	}
}

func TestTokenize(t *testing.T) {
	t.Parallel()
	a, err := bot.Tokenize(`P1 Bob's "payments API" down service=checkout note="two words" "x=y"`)
	require.NoError(t, err)
	assert.Equal(t, []string{"P1", "Bob's", "payments API", "down", "x=y"}, a.Words)
	assert.Equal(t, map[string]string{"service": "checkout", "note": "two words"}, a.Options)
	assert.Equal(t, []string{"service", "note"}, a.Keys())

	_, err = bot.Tokenize(`P1 "unclosed`)
	require.Error(t, err)
	assert.Equal(t, bot.EINVALID, bot.ErrorCode(err))

	_, err = bot.Tokenize(`service=a service=b`)
	assert.ErrorContains(t, err, "service= is given twice")

	a, err = bot.Tokenize(`rate>=10% a=`)
	require.NoError(t, err)
	assert.Equal(t, []string{"rate>=10%"}, a.Words)
	assert.Equal(t, "", a.Options["a"])

	err = a.CheckOptions("/fault declare ...", "service", "cause")
	assert.ErrorContains(t, err, "unknown option a=")
	a, _ = bot.Tokenize("sevice=checkout")
	assert.ErrorContains(t, a.CheckOptions("/fault declare ...", "service", "cause"), "did you mean service=?")
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"/fault declare P1 Checkout API 5xx service=checkout cause=payments-db kind=server-down",
		"/fault role commander @alice", "/fault task <@U01ALICE> check \"replica\" lag",
		`/fault run restart-web host=web-1 override="it's urgent"`, "/fault done #1",
		"/fault update we're rolling back; ETA 5m", "/fault declare P2 'unclosed", "/fault \x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmd, ok := bot.ParseCommand("fault", s)
		if !ok {
			return
		}
		if cmd.Verb == "" {
			t.Fatalf("empty verb from %q", s)
		}
		a, err := bot.Tokenize(cmd.Rest)
		if err != nil {
			if bot.ErrorCode(err) != bot.EINVALID {
				t.Fatalf("tokenize %q: unexpected error code %v", cmd.Rest, err)
			}
			return
		}
		// Every word is non-empty unless quoted, and never holds unquoted
		// whitespace when the input is valid UTF-8.
		for _, w := range a.Words {
			if utf8.ValidString(s) && !strings.ContainsAny(cmd.Rest, `"'`) && strings.ContainsAny(w, " \t\n") {
				t.Fatalf("word %q holds whitespace (input %q)", w, s)
			}
		}
		_ = a.CheckOptions("usage", "service")
	})
}
