package bot_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
