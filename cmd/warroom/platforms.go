package main

// The chat platforms this binary ships: each registers itself with the
// adapters register (adapters.Register) from its package's init. A new
// platform is a package under adapters/ and one line here.
import (
	_ "github.com/warroom/warroom/adapters/console"
	_ "github.com/warroom/warroom/adapters/dingtalk"
	_ "github.com/warroom/warroom/adapters/discord"
	_ "github.com/warroom/warroom/adapters/lark"
	_ "github.com/warroom/warroom/adapters/matrix"
	_ "github.com/warroom/warroom/adapters/slack"
)
