package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Plural is "1 step", "2 steps": n and the noun, in the right number
// (plural is the noun with an s unless one is given).
func Plural(n int, noun string, plural ...string) string {
	if n == 1 {
		return "1 " + noun
	}
	if len(plural) > 0 {
		return strconv.Itoa(n) + " " + plural[0]
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// CronWords describes the cron schedules people write for reminders in
// words ("every 15 minutes", "every hour", "every 4 hours"); anything else
// is given as written.
func CronWords(spec string) string {
	f := strings.Fields(spec)
	if len(f) != 5 || f[2] != "*" || f[3] != "*" || f[4] != "*" {
		return fmt.Sprintf("on %q", spec)
	}
	every := func(field string) (int, bool) {
		if field == "*" {
			return 1, true
		}
		n, err := strconv.Atoi(strings.TrimPrefix(field, "*/"))
		return n, err == nil && strings.HasPrefix(field, "*/") && n > 0
	}
	if n, ok := every(f[0]); ok && f[1] == "*" {
		if n == 1 {
			return "every minute"
		}
		return "every " + Plural(n, "minute")
	}
	if _, err := strconv.Atoi(f[0]); err == nil {
		if n, ok := every(f[1]); ok {
			if n == 1 {
				return "every hour"
			}
			return "every " + Plural(n, "hour")
		}
	}
	return fmt.Sprintf("on %q", spec)
}

// ParseStarted reads when a fault began: "20m ago" (or "20m"), a time of
// day ("13:40", today, or yesterday when that is still to come), or a
// moment ("2026-04-08T13:40:00Z", "2026-04-08 13:40"). It must be before
// now and within 30 days of it.
func ParseStarted(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	if d, err := time.ParseDuration(strings.TrimSpace(strings.TrimSuffix(s, "ago"))); err == nil {
		t = now.Add(-d)
	} else if tod, err := time.Parse("15:04", s); err == nil {
		y, m, dd := now.Date()
		t = time.Date(y, m, dd, tod.Hour(), tod.Minute(), 0, 0, now.Location())
		if t.After(now) {
			t = t.AddDate(0, 0, -1)
		}
	} else if t, err = time.Parse(time.RFC3339, s); err != nil {
		if t, err = time.ParseInLocation("2006-01-02 15:04", s, now.Location()); err != nil {
			return time.Time{}, Errorf(EINVALID, "started=%s: not a time; write 13:40, 2026-04-08T13:40:00Z or \"20m ago\"", s)
		}
	}
	switch {
	case t.After(now):
		return time.Time{}, Errorf(EINVALID, "started=%s is in the future; a fault is declared after it starts", s)
	case now.Sub(t) > 30*24*time.Hour:
		return time.Time{}, Errorf(EINVALID, "started=%s is more than 30 days ago", s)
	}
	return t.UTC(), nil
}

// Clip cuts s to at most n bytes, on a rune boundary, marking the cut with
// "…": for values quoted in messages and titles that platforms limit.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Or is s, or def when s is empty.
func Or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
