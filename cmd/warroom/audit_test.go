package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestForgedApprovalIsNotExported is issue 15's finding 8 end to end: after
// a run of warroom, a back-dated run_approved by someone warroom does not
// know, inserted with database/sql on the file, is refused, and so the
// export does not show it.
func TestForgedApprovalIsNotExported(t *testing.T) {
	t.Parallel()
	s := newScenario(t)
	_, code := s.play(t, []step{{0, "nadia: /fault declare P2 Invoices stuck service=billing"}})
	require.Equal(t, 0, code)

	raw, err := sql.Open("sqlite3", filepath.Join(s.dir, "w.db")+"?_busy_timeout=5000")
	require.NoError(t, err)
	defer raw.Close()
	var known []string
	rows, err := raw.Query("SELECT id FROM actors ORDER BY id")
	require.NoError(t, err)
	for rows.Next() {
		var id string
		require.NoError(t, rows.Scan(&id))
		known = append(known, id)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, []string{"nadia", "omar", "pia", "quinn", "rui", "sam", "warroom"}, known, "the start told the store the catalog")

	var seq int
	require.NoError(t, raw.QueryRow("SELECT max(seq) FROM events WHERE fault_id = 1").Scan(&seq))
	at := start.Add(-time.Hour).Format(time.RFC3339Nano)
	_, err = raw.Exec(`INSERT INTO events (fault_id, seq, at, type, actor, data, recorded_at) VALUES (1, ?, ?, 'run_approved', 'mallory', ?, ?)`,
		seq+1, at, `{"at":"`+at+`","type":"run_approved","actor":"mallory","run":1}`, at)
	require.ErrorContains(t, err, "event by unknown actor")
	_, err = raw.Exec("DELETE FROM faults WHERE id = 1")
	require.ErrorContains(t, err, "faults are kept")

	var out, errb bytes.Buffer
	code = run(context.Background(), []string{"export", "-config", filepath.Join(s.dir, "warroom.yaml"), "-db", filepath.Join(s.dir, "w.db"), "1"},
		env{stdout: &out, stderr: &errb, clock: s.clock})
	require.Equal(t, 0, code, errb.String())
	var inc struct {
		Timeline []struct{ Type, Actor string }
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &inc))
	require.NotEmpty(t, inc.Timeline)
	for _, e := range inc.Timeline {
		assert.NotEqual(t, "run_approved", e.Type)
		assert.NotEqual(t, "mallory", e.Actor)
	}
}
