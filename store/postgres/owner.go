package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warroom/warroom/bot"
)

// Inbox ownership: each process (each DB) holds a session advisory lock
// (ownerClass, key) on a connection of its own for as long as it lives, and
// stamps the inbox items it keeps with key. Pending returns a process's own
// items and adopts those whose owner's lock nobody holds (the process died:
// its session ended, and the lock with it) or that were claimed longer than
// inboxLease ago (stuck in a process that lives). So a process starting
// beside a live one does not replay what that one is handling, and a new
// leader takes what a dead one had kept.

// ownerClass is the first key of the owner locks; the leader lock
// (lockLeader) is a single bigint key and shows in pg_locks with objsubid
// 1, these with objsubid 2.
const ownerClass int32 = 0x77617272 // "warr"

// ownerHeld is the SQL condition that the owner lock of key (an SQL
// expression) is held in this database: its process lives.
func ownerHeld(key string) string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid::bigint = %d AND l.objid::bigint = %s)`, uint32(ownerClass), key)
}

// inboxLease is how long an item may stay with a live owner before another
// process adopts it.
const inboxLease = 10 * time.Minute

// owner holds this process's owner lock, reconnecting when the session
// breaks (a database restart) and taking the same key again.
type owner struct {
	key  int32
	stop context.CancelFunc
	done chan struct{}
}

// holdOwner takes a free owner key and keeps holding it until Close.
func holdOwner(ctx context.Context, url string, log *slog.Logger) (*owner, error) {
	for {
		key := randomKey()
		conn, won, err := lockOwner(ctx, url, key)
		if err != nil {
			return nil, err
		}
		if !won {
			_ = conn.Close(ctx)
			continue // another process has that key: draw again
		}
		kctx, stop := context.WithCancel(context.Background())
		o := &owner{key: key, stop: stop, done: make(chan struct{})}
		go o.keep(kctx, url, conn, log)
		return o, nil
	}
}

func randomKey() int32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return int32(binary.BigEndian.Uint32(b[:])&0x7fffffff) | 1
}

func lockOwner(ctx context.Context, url string, key int32) (*pgx.Conn, bool, error) {
	conn, err := sessionConn(ctx, url, time.Second, "warroom-process")
	if err != nil {
		return nil, false, err
	}
	var won bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, ownerClass, key).Scan(&won); err != nil {
		_ = conn.Close(ctx)
		return nil, false, err
	}
	return conn, won, nil
}

// keep checks the session every second; when it is gone it connects again
// and takes the key again, every second until it has.
func (o *owner) keep(ctx context.Context, url string, conn *pgx.Conn, log *slog.Logger) {
	defer close(o.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if conn != nil {
				closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
				_ = conn.Close(closeCtx)
				cancel()
			}
			return
		case <-t.C:
		}
		conn = o.check(ctx, url, conn, log)
	}
}

func (o *owner) check(ctx context.Context, url string, conn *pgx.Conn, log *slog.Logger) *pgx.Conn {
	if conn != nil {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		err := conn.Ping(cctx)
		cancel()
		if err == nil {
			return conn
		}
		_ = conn.Close(context.Background())
		log.Warn("inbox owner lock: the session ended; taking the lock again", "err", err)
	}
	c, won, err := lockOwner(ctx, url, o.key)
	if err != nil {
		return nil
	}
	if !won { // held by our old session, not yet ended on the server
		_ = c.Close(context.Background())
		return nil
	}
	return c
}

func (o *owner) close() {
	o.stop()
	<-o.done
}

var _ bot.Liveness = (*DB)(nil)

// Self is this process's id among those on the database: its owner key.
func (db *DB) Self() string { return strconv.FormatInt(int64(db.owner.key), 10) }

// Alive reports whether the process with that id (Self) holds its owner
// lock, which its session keeps while it lives.
func (db *DB) Alive(ctx context.Context, id string) (bool, error) {
	key, err := strconv.ParseInt(id, 10, 32)
	if err != nil {
		return false, nil // not an id any process had: nobody runs it
	}
	var alive bool
	err = db.pool.QueryRow(ctx, `SELECT `+ownerHeld("$1"), key).Scan(&alive)
	if err != nil {
		return false, failed("is process "+id+" alive", err)
	}
	return alive, nil
}
