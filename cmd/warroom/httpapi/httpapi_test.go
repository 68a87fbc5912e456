package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
	require.NoError(t, db.AddActors(ctx, []string{"kim"}))
	id, err := db.CreateFault(ctx, []bot.Event{{Type: bot.EventDeclared, At: clock.Now(), Actor: "kim", Level: bot.P2, Text: "Queue stuck"}})
	require.NoError(t, err)
	require.NoError(t, db.SaveOutput(ctx, id, 1, 2, "line one\nline two\n"))

	plan := &bot.Plan{Name: "flush-queue", Title: "Flush the queue", Impact: bot.P4, Version: "sha256:abcdefabcdef",
		Steps: []bot.Step{{Name: "flush", Script: []string{"flush.sh"}}}}
	reloads := 0
	srv := &httpapi.Server{Store: db, Plans: func() []*bot.Plan { return []*bot.Plan{plan} },
		Tokens: []bot.APIToken{{Name: "ops", Token: "tok-ops-77c2", Person: "kim"}},
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

	reload := func(token, remote string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/plans/reload", nil)
		req.RemoteAddr = remote
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	// Without a token: refused, from this machine as from any (a reverse
	// proxy on it would otherwise pass anyone).
	for _, remote := range []string{"127.0.0.1:4000", "203.0.113.9:4000"} {
		code, _ := reload("", remote)
		assert.Equal(t, http.StatusUnauthorized, code, remote)
	}
	code, _ = reload("not-a-token", "127.0.0.1:4000")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, 0, reloads)
	code, body = reload("tok-ops-77c2", "203.0.113.9:4000")
	assert.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"loaded":1,"problems":["bad.yaml:3: steps: missing"]}`, body)
	assert.Equal(t, 1, reloads)
}
