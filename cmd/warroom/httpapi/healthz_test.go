package httpapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store/memstore"
)

// failingPing is a store whose reads work and whose writes do not.
type failingPing struct {
	*memstore.Store
	err error
}

func (f failingPing) Ping(context.Context) error { return f.err }

func TestHealthzProbesAWrite(t *testing.T) {
	t.Parallel()
	get := func(s bot.Store) (int, string) {
		ts := httptest.NewServer((&httpapi.Server{Store: s}).Handler())
		defer ts.Close()
		resp, err := http.Get(ts.URL + "/healthz")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	db := memstore.New()
	code, body := get(db)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	code, body = get(failingPing{db, bot.Errorf(bot.EINTERNAL, "the disk holding warroom's database is full")})
	assert.Equal(t, http.StatusServiceUnavailable, code, "reads work, writes do not: unhealthy")
	assert.JSONEq(t, `{"error": "the disk holding warroom's database is full", "code": "unavailable"}`, body)

	code, body = get(failingPing{db, errors.New("raw")})
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "internal error", "an error without a message for people shows none")

	require.NoError(t, db.Close())
	code, _ = get(db)
	assert.Equal(t, http.StatusServiceUnavailable, code)
}

// Of several warroom processes on one database, /healthz says which one
// runs the timed work.
func TestHealthzSaysTheRole(t *testing.T) {
	t.Parallel()
	role := "follower"
	ts := httptest.NewServer((&httpapi.Server{Store: memstore.New(), Role: func() string { return role }}).Handler())
	defer ts.Close()
	for _, want := range []string{"follower", "leader"} {
		role = want
		resp, err := http.Get(ts.URL + "/healthz")
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "ok "+want+"\n", string(b))
	}
}
