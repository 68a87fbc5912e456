#!/usr/bin/env bash
# Builds Dendrite v0.15.2 (the Matrix homeserver the end-to-end test runs)
# from the Go module proxy, in a tools module of its own so that its
# dependencies never enter warroom's go.mod. Idempotent: the binaries are
# cached under $WARROOM_TOOLS (about 90 s cold, nothing after). Prints the
# folder that holds dendrite, create-account, generate-config and
# generate-keys; the test reads it from WARROOM_DENDRITE_BIN.
set -euo pipefail
version=v0.15.2
tools="${WARROOM_TOOLS:-$HOME/.cache/warroom-tools}/dendrite-$version"
bin="$tools/bin"
if [ -x "$bin/dendrite" ] && [ -x "$bin/create-account" ] && [ -x "$bin/generate-config" ] && [ -x "$bin/generate-keys" ]; then
  echo "$bin"; exit 0
fi
mkdir -p "$tools"
cd "$tools"
[ -f go.mod ] || go mod init dendritetools >&2
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "github.com/element-hq/dendrite/cmd/create-account"
	_ "github.com/element-hq/dendrite/cmd/dendrite"
	_ "github.com/element-hq/dendrite/cmd/generate-config"
	_ "github.com/element-hq/dendrite/cmd/generate-keys"
)
GO
go get "github.com/element-hq/dendrite@$version" >&2
go mod tidy >&2
# Dendrite's SQLite driver is cgo (mattn/go-sqlite3).
CGO_ENABLED=1 go build -o bin/ github.com/element-hq/dendrite/cmd/dendrite github.com/element-hq/dendrite/cmd/create-account \
  github.com/element-hq/dendrite/cmd/generate-config github.com/element-hq/dendrite/cmd/generate-keys >&2
echo "$bin"
