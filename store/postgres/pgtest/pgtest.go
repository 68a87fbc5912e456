// Package pgtest gives tests a private PostgreSQL cluster: initdb in a
// temporary folder, the server on 127.0.0.1 and a free port (its socket in
// that folder too), stopped and removed when the package's tests end. With
// WARROOM_TEST_POSTGRES=url the tests use that server instead. Without
// PostgreSQL's binaries the tests skip, saying so, except under CI=true,
// where they fail: CI must run them.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running PostgreSQL server the tests may create databases on.
type Cluster struct {
	// Admin is the URL of its postgres database, as its superuser.
	Admin string
	dir   string // "" when the server is not ours
	bin   string
	port  int
	cred  *syscall.Credential // who runs initdb and the server (not root)
}

var (
	mu      sync.Mutex
	current *Cluster
	why     error // why there is no cluster
	next    atomic.Int64
)

// Main runs a package's tests (from TestMain) with a cluster started for
// them, stopping it after.
func Main(m *testing.M) {
	mu.Lock()
	current, why = start()
	mu.Unlock()
	code := m.Run()
	if current != nil {
		current.Stop()
	}
	os.Exit(code)
}

// Get returns the package's cluster, or skips t (fails under CI=true) when
// there is none.
func Get(t testing.TB) *Cluster {
	t.Helper()
	mu.Lock()
	c, err := current, why
	mu.Unlock()
	if c == nil {
		if err == nil {
			err = errors.New("pgtest.Main was not called from TestMain")
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", err)
		}
		t.Skipf("no PostgreSQL to test on (%v); install postgresql or set WARROOM_TEST_POSTGRES=postgres://…", err)
	}
	return c
}

// NewDatabase creates an empty database for t, dropped when t ends, and
// returns its URL.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("warroom_test_%d_%d", os.Getpid(), next.Add(1))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.Admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, c.Admin)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return c.url(name)
}

func (c *Cluster) url(db string) string {
	u := os.Getenv("WARROOM_TEST_POSTGRES")
	if c.dir == "" && u != "" {
		cfg, err := pgx.ParseConfig(u)
		if err == nil {
			return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, db) // the password comes from the environment or .pgpass
		}
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Restart restarts the server under its clients (pg_ctl restart -m fast):
// their connections break. Only a cluster this package started can be.
// The server's output goes to its log, as at start: a server holding
// pg_ctl's output pipe would keep run waiting for as long as it lives.
func (c *Cluster) Restart() error {
	if c.dir == "" {
		return errors.New("pgtest: the server is not ours to restart")
	}
	return c.pgctl("restart", "-m", "fast", "-w", "-t", "60", "-l", filepath.Join(c.dir, "log"))
}

// Stop stops the server and removes its folder.
func (c *Cluster) Stop() {
	if c.dir == "" {
		return
	}
	_ = c.pgctl("stop", "-m", "immediate")
	_ = os.RemoveAll(c.dir)
}

func start() (*Cluster, error) {
	if u := os.Getenv("WARROOM_TEST_POSTGRES"); u != "" {
		return &Cluster{Admin: u}, nil
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	base := ""
	if os.Geteuid() == 0 {
		// initdb refuses root: the server runs as the postgres user,
		// which Debian's package creates, in a folder it owns.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		base = "/tmp" // $TMPDIR may be a folder the postgres user cannot enter
	}
	if c.dir, err = os.MkdirTemp(base, "warroom-pg-"); err != nil {
		return nil, err
	}
	if c.cred != nil {
		if err := os.Chown(c.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	if err := c.run(filepath.Join(bin, "initdb"), "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(c.dir)
		return nil, err
	}
	for try := 0; ; try++ {
		c.port, err = freePort()
		if err == nil {
			err = c.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(c.dir, "log"), "-o",
				fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", c.port, c.dir))
		}
		if err == nil {
			break
		}
		if try == 2 { // a taken port, thrice: something else is wrong
			log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
			os.RemoveAll(c.dir)
			return nil, fmt.Errorf("%w\n%s", err, log)
		}
	}
	c.Admin = c.url("postgres")
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) pgctl(args ...string) error {
	return c.run(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.data()}, args...)...)
}

func (c *Cluster) run(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %w\n%s", filepath.Base(name), args, err, out)
	}
	return nil
}

// binDir finds PostgreSQL's server binaries: $WARROOM_PG_BIN, Debian's
// newest /usr/lib/postgresql/N/bin, or initdb on $PATH.
func binDir() (string, error) {
	if d := os.Getenv("WARROOM_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		p, _ = filepath.EvalSymlinks(p)
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL's initdb was not found (apt-get install postgresql, or set WARROOM_PG_BIN)")
}

func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
