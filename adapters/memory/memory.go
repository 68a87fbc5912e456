// Package memory is a chat platform that lives in memory, for tests: it
// records everything warroom does on it, lets tests inject what users do, and
// can be told to fail.
package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/warroom/warroom/bot"
)

// Platform is the platform name; people's catalog ids are their user ids.
const Platform = "memory"

// Post is a message posted in a channel, with the id Post returned.
type Post struct {
	ID string
	bot.Message
}

// Adapter is an in-memory bot.Adapter, bot.Topicer, bot.Pinner and
// bot.ChannelFinder. It is safe for concurrent use; every accessor returns
// a copy.
type Adapter struct {
	mu       sync.Mutex
	channels []bot.Channel
	byName   map[string]bot.Channel // channels by name: a name check must not grow with the channels made
	members  map[string][]string    // channel id -> person ids, in invite order
	invites  map[string][][]string  // channel id -> one batch per Invite call
	posts    map[string][]Post
	dms      map[string][]bot.Message // person id -> messages
	topics   map[string]string
	pins     map[string][]string
	faults   map[string][]error // method -> errors for its next calls
	nextID   int

	h       bot.Handler   // set while Run runs
	started chan struct{} // closed (and replaced) when Run sets h
	events  sync.Mutex    // one inbound event at a time, like a real event loop
}

var _ bot.ChannelFinder = (*Adapter)(nil)

// New returns an empty platform.
func New() *Adapter {
	return &Adapter{
		byName:  map[string]bot.Channel{},
		members: map[string][]string{},
		invites: map[string][][]string{},
		posts:   map[string][]Post{},
		dms:     map[string][]bot.Message{},
		topics:  map[string]string{},
		pins:    map[string][]string{},
		faults:  map[string][]error{},
		started: make(chan struct{}),
	}
}

var methods = []string{"CreateChannel", "Invite", "Post", "DM", "SetTopic", "Pin", "FindChannel"}

// FailNext makes the next call of method return err.
func (a *Adapter) FailNext(method string, err error) { a.FailNextN(method, 1, err) }

// FailNextN makes the next n calls of method return err. It panics on a method
// the adapter does not have, so that a typo cannot silently test nothing.
func (a *Adapter) FailNextN(method string, n int, err error) {
	if !slices.Contains(methods, method) {
		panic(fmt.Sprintf("memory: FailNext: no method %q; have %v", method, methods))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.faults[method] = append(a.faults[method], err)
	}
}

// fault pops the injected error of method, if any. Callers hold a.mu.
func (a *Adapter) fault(method string) error {
	q := a.faults[method]
	if len(q) == 0 {
		return nil
	}
	a.faults[method] = q[1:]
	return q[0]
}

func (a *Adapter) id(prefix string) string {
	a.nextID++
	return fmt.Sprintf("%s%d", prefix, a.nextID)
}

// Platform implements bot.Adapter.
func (a *Adapter) Platform() string { return Platform }

// UsersAreCatalogIDs implements bot.PeopleByID: its users are catalog ids.
func (a *Adapter) UsersAreCatalogIDs() bool { return true }

// CreateChannel implements bot.Adapter; a taken name gets a suffix (name-2).
func (a *Adapter) CreateChannel(_ context.Context, name string) (bot.Channel, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fault("CreateChannel"); err != nil {
		return bot.Channel{}, err
	}
	free := name
	for i := 2; a.taken(free); i++ {
		free = fmt.Sprintf("%s-%d", name, i)
	}
	ch := bot.Channel{ID: a.id("C"), Name: free}
	a.channels = append(a.channels, ch)
	a.byName[free] = ch
	return ch, nil
}

// FindChannel implements bot.ChannelFinder: a channel CreateChannel made is
// found by its name. Any other name is found too, as the id "#name": like
// Post, the memory platform has every channel tests post in without making
// it (#status), and tests read it as Texts("#status"). To have the platform
// say a channel does not exist, make FindChannel fail (FailNext) with an
// ENOTFOUND error.
func (a *Adapter) FindChannel(_ context.Context, name string) (bot.Channel, error) {
	name = strings.TrimPrefix(name, "#")
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fault("FindChannel"); err != nil {
		return bot.Channel{}, err
	}
	if c, ok := a.byName[name]; ok {
		return c, nil
	}
	return bot.Channel{ID: "#" + name, Name: name}, nil
}

func (a *Adapter) taken(name string) bool {
	_, ok := a.byName[name]
	return ok
}

// Invite implements bot.Adapter. Any channel id is accepted: tests may post
// in channels they never created (#general, #status).
func (a *Adapter) Invite(_ context.Context, channelID string, people []bot.Person) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fault("Invite"); err != nil {
		return err
	}
	batch := make([]string, 0, len(people))
	for _, p := range people {
		id := p.ID
		batch = append(batch, id)
		if !slices.Contains(a.members[channelID], id) {
			a.members[channelID] = append(a.members[channelID], id)
		}
	}
	a.invites[channelID] = append(a.invites[channelID], batch)
	return nil
}

// Post implements bot.Adapter; message ids are M1, M2...
func (a *Adapter) Post(_ context.Context, channelID string, m bot.Message) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fault("Post"); err != nil {
		return "", err
	}
	p := Post{ID: a.id("M"), Message: copyMessage(m)}
	a.posts[channelID] = append(a.posts[channelID], p)
	return p.ID, nil
}

// DM implements bot.Adapter.
func (a *Adapter) DM(_ context.Context, p bot.Person, m bot.Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fault("DM"); err != nil {
		return err
	}
	id := p.ID
	a.dms[id] = append(a.dms[id], copyMessage(m))
	return nil
}

// SetTopic implements bot.Topicer.
func (a *Adapter) SetTopic(_ context.Context, channelID, topic string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fault("SetTopic"); err != nil {
		return err
	}
	a.topics[channelID] = topic
	return nil
}

// Pin implements bot.Pinner.
func (a *Adapter) Pin(_ context.Context, channelID, messageID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.fault("Pin"); err != nil {
		return err
	}
	a.pins[channelID] = append(a.pins[channelID], messageID)
	return nil
}

// copyMessage keeps the caller's later edits of Fields out of the record.
func copyMessage(m bot.Message) bot.Message {
	m.Fields = slices.Clone(m.Fields)
	return m
}

// Run implements bot.Adapter: it makes h the target of Say and React and
// blocks until ctx is done.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	a.mu.Lock()
	if a.h != nil {
		a.mu.Unlock()
		return errors.New("memory: Run is already running")
	}
	a.h = h
	close(a.started)
	a.started = make(chan struct{})
	a.mu.Unlock()

	<-ctx.Done()
	a.mu.Lock()
	a.h = nil
	a.mu.Unlock()
	return ctx.Err()
}

// Say delivers a message typed by user in a channel to the running handler
// and returns once it was handled. Before Run starts it waits for it.
func (a *Adapter) Say(ctx context.Context, channelID, userID, text string) error {
	return a.deliver(ctx, func(h bot.Handler) {
		h.HandleMessage(ctx, bot.Incoming{Channel: channelID, User: userID, Text: text})
	})
}

// React delivers a reaction by user to a message and returns once it was
// handled. Before Run starts it waits for it.
func (a *Adapter) React(ctx context.Context, channelID, messageID, userID, emoji string) error {
	return a.deliver(ctx, func(h bot.Handler) {
		h.HandleReaction(ctx, bot.Reaction{Channel: channelID, Message: messageID, User: userID, Emoji: emoji})
	})
}

func (a *Adapter) deliver(ctx context.Context, call func(bot.Handler)) error {
	for {
		a.mu.Lock()
		h, started := a.h, a.started
		a.mu.Unlock()
		if h != nil {
			a.events.Lock()
			defer a.events.Unlock()
			call(h)
			return nil
		}
		select {
		case <-started:
		case <-ctx.Done():
			return fmt.Errorf("memory: no Run to deliver to: %w", ctx.Err())
		}
	}
}
