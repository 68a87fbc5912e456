package bot_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

func TestWords(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "1 step", bot.Plural(1, "step"))
	assert.Equal(t, "0 steps", bot.Plural(0, "step"))
	assert.Equal(t, "3 people", bot.Plural(3, "person", "people"))
	for spec, want := range map[string]string{
		"*/15 * * * *": "every 15 minutes",
		"* * * * *":    "every minute",
		"*/1 * * * *":  "every minute",
		"0 * * * *":    "every hour",
		"30 */4 * * *": "every 4 hours",
		"0 9 * * 1-5":  `on "0 9 * * 1-5"`,
		"@hourly":      `on "@hourly"`,
	} {
		assert.Equal(t, want, bot.CronWords(spec), spec)
	}
}

func TestAMistypedCommandWordIsAnswered(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	assert.Equal(t, "⚠️ /faults is not warroom's command word; did you mean /fault status?", r.say("general", "ana", "/faults status"))
	assert.Equal(t, "⚠️ /falt is not warroom's command word; did you mean /fault declare P2 x?", r.say("general", "ana", "/falt declare P2 x"))
	assert.Empty(t, r.say("general", "ana", "/faults are everywhere"), "not a verb: someone else's chat")
	assert.Empty(t, r.say("general", "ana", "/giphy status"), "another command")
}

func TestStartedAndTheTimeToDeclare(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 4, 8, 14, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"20m ago":              now.Add(-20 * time.Minute),
		"1h30m":                now.Add(-90 * time.Minute),
		"13:40":                time.Date(2026, 4, 8, 13, 40, 0, 0, time.UTC),
		"14:30":                time.Date(2026, 4, 7, 14, 30, 0, 0, time.UTC),
		"2026-04-08T13:00:00Z": time.Date(2026, 4, 8, 13, 0, 0, 0, time.UTC),
		"2026-04-08 12:15":     time.Date(2026, 4, 8, 12, 15, 0, 0, time.UTC),
	} {
		got, err := bot.ParseStarted(in, now)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"soon", "2026-04-09T00:00:00Z", "-5m ago", "1000h ago"} {
		_, err := bot.ParseStarted(in, now)
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), in)
	}

	r := newRig(t)
	f := r.declare(`/fault declare P2 Ledger down service=ledger started="12m ago"`)
	assert.Equal(t, t0.Add(-12*time.Minute), f.StartedAt)
	assert.Contains(t, r.say(f.Channel, "ana", `/fault resolve`), "Time to declare: 12m0s · time to first check-in")
	assert.Contains(t, r.say("general", "ana", "/fault declare P2 x started=tomorrow"), "started=tomorrow: not a time")
}

func TestClip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a longer title", 10, "a longe…"},
		{"ééééé", 6, "é…"}, // é is 2 bytes, … is 3: the cut never splits a rune
	} {
		got := bot.Clip(c.in, c.n)
		assert.Equal(t, c.want, got, c.in)
		assert.LessOrEqual(t, len(got), c.n, c.in)
	}
	assert.Equal(t, "def", bot.Or("", "def"))
	assert.Equal(t, "x", bot.Or("x", "def"))
}
