package memory

import (
	"slices"

	"github.com/warroom/warroom/bot"
)

// Channels returns the channels created, in order.
func (a *Adapter) Channels() []bot.Channel {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.channels)
}

// Members returns the person ids invited to a channel, in invite order.
func (a *Adapter) Members(channelID string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.members[channelID])
}

// Invites returns the Invite calls on a channel, one batch of person ids per
// call, so tests can check that people were invited in one go.
func (a *Adapter) Invites(channelID string) [][]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([][]string, 0, len(a.invites[channelID]))
	for _, b := range a.invites[channelID] {
		out = append(out, slices.Clone(b))
	}
	return out
}

// Posts returns the messages posted in a channel, in order.
func (a *Adapter) Posts(channelID string) []Post {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Post, 0, len(a.posts[channelID]))
	for _, p := range a.posts[channelID] {
		p.Message = copyMessage(p.Message)
		out = append(out, p)
	}
	return out
}

// Texts returns the texts posted in a channel, in order.
func (a *Adapter) Texts(channelID string) []string {
	var out []string
	for _, p := range a.Posts(channelID) {
		out = append(out, p.Text)
	}
	return out
}

// DMs returns the direct messages sent to a person, in order.
func (a *Adapter) DMs(personID string) []bot.Message {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]bot.Message, 0, len(a.dms[personID]))
	for _, m := range a.dms[personID] {
		out = append(out, copyMessage(m))
	}
	return out
}

// Topic returns a channel's topic ("" when never set).
func (a *Adapter) Topic(channelID string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.topics[channelID]
}

// Pins returns the ids of the messages pinned in a channel, in order.
func (a *Adapter) Pins(channelID string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.pins[channelID])
}
