package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store/memstore"
)

func TestPlansAndStepOutput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := bot.NewFakeClock(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))
	db := memstore.New()
	id, err := db.CreateFault(ctx, []bot.Event{{Type: bot.EventDeclared, At: clock.Now(), Actor: "kim", Level: bot.P2, Text: "Queue stuck"}})
	require.NoError(t, err)
	require.NoError(t, db.SaveOutput(ctx, id, 1, 2, "line one\nline two\n"))

	plan := &bot.Plan{Name: "flush-queue", Title: "Flush the queue", Impact: bot.P4, Version: "sha256:abcdefabcdef",
		Steps: []bot.Step{{Name: "flush", Script: []string{"flush.sh"}}}}
	reloads := 0
	srv := &httpapi.Server{Store: db, Plans: func() []*bot.Plan { return []*bot.Plan{plan} },
		Reload: func(context.Context) (int, []string, error) {
			reloads++
			return 1, []string{"bad.yaml:3: steps: missing"}, nil
		}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/api/plans")
	require.Equal(t, http.StatusOK, code)
	var plans struct{ Plans []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(body), &plans))
	require.Len(t, plans.Plans, 1)
	assert.Equal(t, "flush-queue", plans.Plans[0]["name"])
	assert.Equal(t, "sha256:abcdefabcdef", plans.Plans[0]["version"])

	code, body = get("/api/incidents/1/runs/1/steps/2/output")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "line one\nline two\n", body)
	code, body = get("/api/incidents/1/runs/1/steps/3/output")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "fault 1 run 1 step 3 has no output on record")
	code, _ = get("/api/incidents/1/runs/x/steps/3/output")
	assert.Equal(t, http.StatusBadRequest, code)

	resp, err := http.Post(ts.URL+"/api/plans/reload", "application/json", strings.NewReader(""))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"loaded":1,"problems":["bad.yaml:3: steps: missing"]}`, string(b))
	assert.Equal(t, 1, reloads)

	// From another machine: refused, nothing reloaded.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/plans/reload", nil)
	req.RemoteAddr = "203.0.113.9:4000"
	srv.Handler().ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, 1, reloads)
}
