package httpapi

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/warroom/warroom/bot"
)

// postmortem serves GET /incidents/{id}/postmortem.md: the fault's
// postmortem draft in Markdown, written by Server.Postmortem. Its errors are
// plain text, not JSON: whoever opens a .md link reads the answer.
func (s *Server) postmortem(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) {
		code := bot.ErrorCode(err)
		if code == bot.EINTERNAL && s.Log != nil {
			s.Log.Error("http", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		status, ok := statuses[code]
		if !ok {
			status = http.StatusInternalServerError
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		fmt.Fprintln(w, bot.ErrorMessage(err))
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(bot.Errorf(bot.EINVALID, "%q is not a fault id: use the number, as in /incidents/3/postmortem.md", r.PathValue("id")))
		return
	}
	if s.Postmortem == nil {
		fail(bot.Errorf(bot.ENOTFOUND, "this warroom writes no postmortem drafts"))
		return
	}
	events, err := s.Store.Events(r.Context(), id)
	if err == nil && len(events) == 0 {
		err = bot.Errorf(bot.ENOTFOUND, "fault %d not found", id)
	}
	if err != nil {
		if bot.ErrorCode(err) == bot.ENOTFOUND {
			err = bot.Errorf(bot.ENOTFOUND, "%s; GET /api/incidents lists the faults", bot.ErrorMessage(err))
		}
		fail(err)
		return
	}
	// Rendered whole before the first byte, so that a failure is still an
	// error status rather than half a document.
	var buf bytes.Buffer
	if err := s.Postmortem(&buf, events); err != nil {
		fail(bot.Errorf(bot.EINTERNAL, "postmortem of fault %d: %v", id, err))
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="fault-%d-postmortem.md"`, id))
	_, _ = w.Write(buf.Bytes())
}
