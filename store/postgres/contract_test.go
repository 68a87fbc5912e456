package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/postgres"
	"github.com/warroom/warroom/store/postgres/pgtest"
	"github.com/warroom/warroom/store/storetest"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

func TestMain(m *testing.M) { pgtest.Main(m) }

// open returns a store on a new, empty database of the package's cluster.
func open(t testing.TB) *postgres.DB {
	t.Helper()
	url := pgtest.Get(t).NewDatabase(t)
	db, err := postgres.Open(context.Background(), url, bot.NewFakeClock(t0))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

func TestContract(t *testing.T) {
	t.Parallel()
	pgtest.Get(t)
	storetest.Run(t, func(t *testing.T) bot.Store { return open(t) })
}
