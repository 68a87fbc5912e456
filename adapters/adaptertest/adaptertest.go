// Package adaptertest is the contract every chat adapter keeps. Each adapter
// package runs it from its own tests against a Harness: the memory adapter
// directly, the console through pipes, Slack and Discord against local fake
// servers. Reach proves every registered verb reachable, with every
// argument, through an adapter.
package adaptertest

import (
	"context"
	"testing"

	"github.com/warroom/warroom/bot"
)

// Harness drives one fresh adapter and observes its platform. Methods that
// take a *testing.T fail the test on errors and timeouts instead of
// returning them.
type Harness interface {
	// Adapter is the adapter under test.
	Adapter() bot.Adapter
	// Person returns a person the platform knows, with its platform ids
	// filled in. The contract uses alice, bob and carol.
	Person(id string) bot.Person
	// Start runs Adapter().Run(ctx, h) in the background and returns what
	// Run returns. Events injected by Say and React reach h.
	Start(ctx context.Context, h bot.Handler) <-chan error
	// Say makes a person type text in a channel and returns once the handler
	// has handled it.
	Say(t *testing.T, channelID, personID, text string)
	// React makes a person react with emoji to a message and returns once
	// the handler has handled it. A platform that can only react to the
	// kickoff (the console) may ignore messageID.
	React(t *testing.T, channelID, messageID, personID, emoji string)
	// Members returns the catalog ids of the people in a channel.
	Members(t *testing.T, channelID string) []string
	// Posts returns the texts posted in a channel, in order.
	Posts(t *testing.T, channelID string) []string
	// DMs returns the texts sent to a person (catalog id), in order.
	DMs(t *testing.T, personID string) []string
}

// TopicHarness is a Harness that can read a channel's topic; the contract
// checks SetTopic with it when both are there.
type TopicHarness interface {
	Topic(t *testing.T, channelID string) string
}
