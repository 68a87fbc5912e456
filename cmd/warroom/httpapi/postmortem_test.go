package httpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/cmd/warroom/report"
	"github.com/warroom/warroom/store/memstore"
)

// TestPostmortemEndpoint: GET /incidents/{id}/postmortem.md answers the
// draft as Markdown; an unknown or malformed id, or no renderer, is a plain
// one-line error with its status.
func TestPostmortemEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	db := memstore.New()
	require.NoError(t, db.AddActors(ctx, []string{"kim"}))
	id, err := db.CreateFault(ctx, []bot.Event{{Type: bot.EventDeclared, At: at, Actor: "kim", Level: bot.P2, Text: "Queue | stuck"}})
	require.NoError(t, err)

	srv := &httpapi.Server{Store: db, Postmortem: func(w io.Writer, events []bot.Event) error {
		return report.Postmortem(w, events, report.Options{BaseURL: "https://w.example.com"})
	}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	get := func(ts *httptest.Server, path string) (int, string, string) {
		resp, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}

	code, ctype, body := get(ts, "/incidents/1/postmortem.md")
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, "text/markdown; charset=utf-8", ctype)
	assert.Contains(t, body, "# Postmortem draft: fault 1 — Queue \\| stuck\n")
	assert.Contains(t, body, "War room: <https://w.example.com/incidents/1>")
	assert.Equal(t, int64(1), id)

	code, ctype, body = get(ts, "/incidents/99/postmortem.md")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "text/plain; charset=utf-8", ctype)
	assert.Equal(t, "fault 99 not found; GET /api/incidents lists the faults\n", body)

	code, _, body = get(ts, "/incidents/abc/postmortem.md")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "\"abc\" is not a fault id: use the number, as in /incidents/3/postmortem.md\n", body)

	bare := httptest.NewServer((&httpapi.Server{Store: db}).Handler())
	t.Cleanup(bare.Close)
	code, _, body = get(bare, "/incidents/1/postmortem.md")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "this warroom writes no postmortem drafts\n", body)

	broken := httptest.NewServer((&httpapi.Server{Store: db, Postmortem: func(io.Writer, []bot.Event) error { return errors.New("disk on fire") }}).Handler())
	t.Cleanup(broken.Close)
	code, _, body = get(broken, "/incidents/1/postmortem.md")
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Contains(t, body, "disk on fire")
}
