package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// funcs are the templates' helpers. Times show in UTC, as chat does.
var funcs = template.FuncMap{
	"dur": func(d time.Duration) string { return bot.Dur(d) },
	"secs": func(s *bot.Seconds) string {
		if s == nil {
			return "—"
		}
		return bot.Dur(time.Duration(*s))
	},
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"clock":    func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"after":    func(t, from time.Time) string { return "+" + bot.Dur(t.Sub(from)) },
	"pct":      func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"approval": approvalText,
	"since":    func(from, to time.Time) time.Duration { return to.Sub(from) },
	"secsInt":  func(d time.Duration) int64 { return int64(d / time.Second) },
}

// approvalText says a plan's approval rule in a line.
func approvalText(a bot.Approval) string {
	roles := make([]string, len(a.Roles))
	for i, r := range a.Roles {
		roles[i] = string(r)
	}
	who := "anyone"
	if len(roles) > 0 {
		who = strings.Join(roles, " or ")
	}
	n := max(a.Count, 1)
	s := fmt.Sprintf("%d approval(s) by %s", n, who)
	if a.Self {
		s += ", the requester's own counting"
	} else {
		s += ", not the requester"
	}
	if a.Expires > 0 {
		s += "; lapses after " + bot.Dur(a.Expires)
	}
	return s
}
