package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"sort"

	"github.com/warroom/warroom/store"
	"github.com/warroom/warroom/store/postgres"
)

// cmdMigrate copies a SQLite database into a new PostgreSQL one:
// `warroom migrate -from warroom.db -to postgres://…`.
func cmdMigrate(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("warroom migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	from := fs.String("from", "", "the SQLite file to copy (warroom is stopped)")
	to := fs.String("to", "", "the PostgreSQL database to copy into: postgres://…, new and empty")
	fs.Usage = helpText(e, "Usage: warroom migrate -from FILE -to postgres://…\n\nCopies every fault, event, run output, plan version, the alert index, the inbox and the actors of a SQLite database into a new PostgreSQL database, in one transaction. A database that holds anything already is refused. Stop warroom first.")
	rest, err := parseAnywhere(fs, args)
	if err != nil {
		return exitUsage(err)
	}
	switch {
	case len(rest) > 0:
		fmt.Fprintf(e.stderr, "warroom migrate: unexpected argument %q\n", rest[0])
		return 2
	case *from == "" || !postgres.IsURL(*to):
		fmt.Fprintln(e.stderr, "warroom migrate: give -from FILE (the SQLite database) and -to postgres://… (the new database)")
		return 2
	}
	if _, err := os.Stat(*from); err != nil {
		fmt.Fprintf(e.stderr, "warroom migrate: no database at %s\n", *from)
		return 1
	}
	// Opened once as the store, so that an older file's schema is brought
	// up to date before it is read.
	lite, err := store.Open(*from, e.clock)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom migrate: %s: %v\n", *from, err)
		return 1
	}
	_ = lite.Close()
	src, err := sql.Open("sqlite3", *from+"?mode=ro")
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom migrate: %s: %v\n", *from, err)
		return 1
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to, e.clock)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom migrate: %v\n", err)
		return 1
	}
	defer dst.Close()
	counts, err := dst.CopyFrom(ctx, src)
	if err != nil {
		fmt.Fprintf(e.stderr, "warroom migrate: nothing was copied: %v\n", err)
		return 1
	}
	tables := make([]string, 0, len(counts))
	for t := range counts {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	fmt.Fprintf(e.stdout, "copied %s into %s:", *from, postgres.Redact(*to))
	for _, t := range tables {
		fmt.Fprintf(e.stdout, " %s %d", t, counts[t])
	}
	fmt.Fprintln(e.stdout)
	return 0
}
