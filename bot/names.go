package bot

import (
	"fmt"
	"strings"
	"time"
)

// MaxChannelName is the longest channel name any supported platform takes
// (Slack's limit is 80; Discord's 100).
const MaxChannelName = 80

// ChannelName returns the war room's channel name, `fault-<id>-<slug>`:
// lowercase ASCII letters, digits and dashes, at most MaxChannelName long,
// cut at a word boundary where possible.
func ChannelName(id int64, title string) string {
	prefix := fmt.Sprintf("fault-%d", id)
	var b strings.Builder
	dash := true // no leading dash
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.TrimRight(b.String(), "-")
	if room := MaxChannelName - len(prefix) - 1; len(slug) > room {
		slug = slug[:room]
		if i := strings.LastIndexByte(slug, '-'); i > room/2 {
			slug = slug[:i]
		}
		slug = strings.TrimRight(slug, "-")
	}
	if slug == "" {
		return prefix
	}
	return prefix + "-" + slug
}

// emojiAliases maps emoji characters to Slack-style shortcodes, so that "✅",
// ":white_check_mark:" and "white_check_mark" all compare equal.
var emojiAliases = map[string]string{
	"✅":        "white_check_mark",
	"✔️":       "heavy_check_mark",
	"✔":        "heavy_check_mark",
	"☑️":       "ballot_box_with_check",
	"👍":        "+1",
	"thumbsup": "+1",
	"👀":        "eyes",
	"🚨":        "rotating_light",
}

// NormalizeEmoji returns the shortcode form of an emoji.
func NormalizeEmoji(e string) string {
	e = strings.TrimSpace(e)
	e = strings.TrimSuffix(strings.TrimPrefix(e, ":"), ":")
	// Slack appends skin tones as "::skin-tone-2"; the tone is not the point.
	if i := strings.Index(e, "::"); i > 0 {
		e = e[:i]
	}
	if s, ok := emojiAliases[e]; ok {
		return s
	}
	return strings.ToLower(e)
}

// Dur renders a duration for people: rounded to the second, "0s" at least.
func Dur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

// Clock renders a time of day, with the date when it is not the same day as
// ref.
func ClockTime(t, ref time.Time) string {
	t = t.UTC()
	if y, m, d := t.Date(); y == ref.UTC().Year() && m == ref.UTC().Month() && d == ref.UTC().Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}
