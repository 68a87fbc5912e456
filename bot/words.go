package bot

import (
	"fmt"
	"strconv"
	"strings"
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
