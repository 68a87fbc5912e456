package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mattn/go-sqlite3"
)

// SQLite checkpoints the WAL into the database file inside whichever
// commit crosses wal_autocheckpoint pages: that commit then waits for two
// fsyncs, which on this kind of disk was most of a declare's time. The
// writer's automatic checkpoints are off; a goroutine of its own checkpoints
// (PASSIVE, beside the writer, which goes on appending to the WAL) after
// every checkpointEvery commits, about as often as SQLite did (a declare
// writes some eight pages, against its 1000). Durability is as before:
// synchronous=NORMAL, a commit is in the WAL when it returns, and a crash
// of the process loses nothing.
const checkpointEvery = 100

// checkpointer runs the WAL checkpoints off the commit path.
type checkpointer struct {
	conn    *sql.DB // its own connection, so it never waits for the writer's
	commits atomic.Int64
	kick    chan struct{}
	stop    chan struct{}
	done    sync.WaitGroup
	runs    atomic.Int64 // checkpoints made, for tests
}

// startCheckpointer turns the automatic checkpoints off on the writer's
// one connection and counts its commits with a commit hook, so that no
// write path has to remember to. Should that connection ever be replaced,
// the new one checkpoints automatically again, as SQLite does by default.
func startCheckpointer(ctx context.Context, w *sql.DB, path string) (*checkpointer, error) {
	cp := &checkpointer{kick: make(chan struct{}, 1), stop: make(chan struct{})}
	conn, err := w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close() // back to the pool of one
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return nil, fmt.Errorf("turn off automatic checkpoints: %w", err)
	}
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("the writer is a %T, not a SQLite connection", dc)
		}
		sc.RegisterCommitHook(func() int { cp.committed(); return 0 })
		return nil
	})
	if err != nil {
		return nil, err
	}
	if cp.conn, err = sql.Open("sqlite3", path+"?"+writerParams); err != nil {
		return nil, err
	}
	cp.conn.SetMaxOpenConns(1)
	cp.done.Add(1)
	go cp.loop()
	return cp, nil
}

// committed counts a write transaction that committed; every
// checkpointEvery of them wake the checkpointer. It never blocks.
func (cp *checkpointer) committed() {
	if cp.commits.Add(1)%checkpointEvery != 0 {
		return
	}
	select {
	case cp.kick <- struct{}{}:
	default: // one is already pending
	}
}

func (cp *checkpointer) loop() {
	defer cp.done.Done()
	for {
		select {
		case <-cp.stop:
			return
		case <-cp.kick:
			cp.checkpoint()
		}
	}
}

// checkpoint copies what it can of the WAL into the database. PASSIVE
// never waits on readers or the writer: what it cannot copy now, the next
// one will.
func (cp *checkpointer) checkpoint() {
	// A failure is left for the next one: a disk that cannot take the
	// checkpoint fails the commits too, and those are reported.
	var busy, log, done int
	_ = cp.conn.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
	cp.runs.Add(1)
}

// close stops the checkpointer after its last checkpoint; closing the last
// connection to the file checkpoints what is left.
func (cp *checkpointer) close() error {
	close(cp.stop)
	cp.done.Wait()
	return cp.conn.Close()
}
