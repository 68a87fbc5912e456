package main

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/config"
	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store/memstore"
)

// TestPagesArePrivateOffLoopback: where http listens decides whether the
// pages need a login and the API's reads a token.
func TestPagesArePrivateOffLoopback(t *testing.T) {
	t.Parallel()
	for addr, private := range map[string]bool{"127.0.0.1:8080": false, "localhost:8080": false, "0.0.0.0:8080": true, ":8080": true, "10.1.2.3:80": true} {
		api := &httpapi.Server{}
		cfg := &config.Config{HTTP: addr, Catalog: &bot.Catalog{}}
		pages := webPages(cfg, memstore.New(), nil, api, bot.SystemClock{}, slog.New(slog.DiscardHandler))
		assert.Equal(t, private, pages.Private, addr)
		assert.Equal(t, private, api.Private, addr)
		assert.NotNil(t, api.Session, addr)
	}
}
