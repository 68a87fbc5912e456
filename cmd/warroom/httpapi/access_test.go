package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store/memstore"
)

func TestLoopback(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:8080": true, "[::1]:8080": true, "127.0.0.2:80": true,
		":8080": false, "0.0.0.0:8080": false, "[::]:8080": false, "10.0.0.5:8080": false, "warroom.corp:8080": false,
	} {
		assert.Equal(t, want, httpapi.Loopback(addr), addr)
	}
}

// TestPrivateReadsNeedAToken: off loopback, the API's reads take a bearer
// token or a web session; health stays open.
func TestPrivateReadsNeedAToken(t *testing.T) {
	t.Parallel()
	srv := &httpapi.Server{Store: memstore.New(), Private: true,
		Tokens: []bot.APIToken{{Name: "ci", Token: token("ana"), Person: "ana"}},
		Session: func(r *http.Request) (bot.APIToken, bool) {
			c, err := r.Cookie("s")
			return bot.APIToken{Person: "ben"}, err == nil && c.Value == "good"
		}}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	get := func(path string, set func(*http.Request)) int {
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		require.NoError(t, err)
		if set != nil {
			set(req)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/api/incidents", "/api/plans", "/api/incidents/1"} {
		assert.Equal(t, http.StatusUnauthorized, get(p, nil), p)
		assert.Equal(t, http.StatusUnauthorized, get(p, func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }), p)
		assert.Equal(t, http.StatusUnauthorized, get(p, func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "s", Value: "bad"}) }), p)
	}
	assert.Equal(t, http.StatusOK, get("/api/incidents", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token("ana")) }))
	assert.Equal(t, http.StatusOK, get("/api/plans", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "s", Value: "good"}) }))
	assert.Equal(t, http.StatusOK, get("/healthz", nil))
}
