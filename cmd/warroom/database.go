package main

import (
	"context"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store"
	"github.com/warroom/warroom/store/postgres"
)

// warroomStore is what the binary needs of its store: SQLite's store.DB or
// PostgreSQL's postgres.DB.
type warroomStore interface {
	bot.Store
	Close() error
}

// openStore opens the config's database: a postgres:// URL is PostgreSQL,
// anything else a SQLite file.
func openStore(ctx context.Context, database string, clock bot.Clock) (warroomStore, error) {
	if postgres.IsURL(database) {
		return postgres.Open(ctx, database, clock)
	}
	return store.Open(database, clock)
}

// databaseName is the database as messages and the banner show it: a
// URL without its password.
func databaseName(database string) string {
	if postgres.IsURL(database) {
		return postgres.Redact(database)
	}
	return database
}
