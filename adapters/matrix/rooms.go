package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/warroom/warroom/bot"
)

// maxNameTries bounds the variants CreateChannel tries for a taken name.
const maxNameTries = 20

// CreateChannel implements bot.Adapter: a private room (invite-only,
// history for members) named name (m.room.name), with the alias
// #name:server. Room names are not unique on Matrix but aliases are, so a
// taken alias (M_ROOM_IN_USE) moves on to name-2, name-3, ... A server
// that refuses the bot aliases (403, or 400 other than M_ROOM_IN_USE: its
// alias rules, no alias support) still gets the room, named, without one;
// from then on war rooms are made without.
func (a *Adapter) CreateChannel(ctx context.Context, name string) (bot.Channel, error) {
	if a.noAliases.Load() {
		return a.createRoom(ctx, name, false)
	}
	for i := 1; i <= maxNameTries; i++ {
		try := name
		if i > 1 {
			try = fmt.Sprintf("%s-%d", name, i)
		}
		ch, err := a.createRoom(ctx, try, true)
		switch {
		case errors.Is(err, mautrix.MRoomInUse):
			continue
		case aliasRefused(err):
			ch, err2 := a.createRoom(ctx, name, false)
			if err2 == nil {
				a.noAliases.Store(true)
				a.log.Warn("matrix: the server refuses the bot room aliases; war rooms have a name only", "err", oneLine(err))
			}
			return ch, err2
		case err != nil:
			return bot.Channel{}, failure("creating room "+try, err)
		}
		return ch, nil
	}
	return bot.Channel{}, bot.Errorf(bot.EUNAVAILABLE, "Matrix: the room aliases #%s to #%s-%d are all taken on %s", name, name, maxNameTries, a.server)
}

// createRoom makes the room name, with the alias #name when alias is set.
// Its error is the server's as it came, when alias is set (CreateChannel
// reads it), else said as warroom says a failure.
func (a *Adapter) createRoom(ctx context.Context, name string, alias bool) (bot.Channel, error) {
	req := &mautrix.ReqCreateRoom{Visibility: "private", Preset: "private_chat", Name: name}
	if alias {
		req.RoomAliasName = name
	}
	var resp *mautrix.RespCreateRoom
	err := a.call(ctx, func(ctx context.Context) (err error) { resp, err = a.cli.CreateRoom(ctx, req); return })
	if err != nil && !alias {
		return bot.Channel{}, failure("creating room "+name, err)
	}
	if err != nil {
		return bot.Channel{}, err
	}
	return bot.Channel{ID: string(resp.RoomID), Name: name}, nil
}

// aliasRefused says a createRoom with an alias failed on the alias, or
// may have: a client error that is neither a taken alias nor a rate
// limit. A server refusing rooms altogether refuses the retry too.
func aliasRefused(err error) bool {
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.Response == nil || he.WrappedError != nil {
		return false
	}
	code := ""
	if he.RespError != nil {
		code = he.RespError.ErrCode
	}
	switch {
	case code == mautrix.MRoomInUse.ErrCode || code == mautrix.MLimitExceeded.ErrCode:
		return false
	case he.IsStatus(http.StatusForbidden) || he.IsStatus(http.StatusBadRequest):
		return true
	}
	return false
}

// Invite implements bot.Adapter. Matrix invites one user a call, so the
// calls run side by side, InviteParallel at a time; the others are invited
// all the same when some fail, and the error (a bot.InviteError) names each
// failure by person, so that only those are recorded as not invited.
// Someone in the room already is no failure.
func (a *Adapter) Invite(ctx context.Context, channelID string, people []bot.Person) error {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed = map[string]error{}
		slots  = make(chan struct{}, a.cfg.InviteParallel)
	)
	for _, p := range people {
		uid := id.UserID(p.Account("matrix"))
		if uid == "" || uid == a.me {
			continue
		}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			err := a.call(ctx, func(ctx context.Context) error {
				_, err := a.cli.InviteUser(ctx, id.RoomID(channelID), &mautrix.ReqInviteUser{UserID: uid})
				return err
			})
			if err != nil && !alreadyIn(err) {
				mu.Lock()
				failed[p.ID] = inviteFailure(err) // the core names the person
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		return &bot.InviteError{Failed: failed}
	}
	return nil
}

// inviteFailure is why one invite failed, in one line: the server's
// errcode and words, or that it could not be reached.
func inviteFailure(err error) error {
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.WrappedError == nil && he.Response != nil {
		return fmt.Errorf("Matrix refused: %s", oneLine(err))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("not tried: %v", err)
	}
	return fmt.Errorf("Matrix unreachable: %s", oneLine(err))
}

func alreadyIn(err error) bool {
	var he mautrix.HTTPError
	return errors.As(err, &he) && he.RespError != nil && he.RespError.ErrCode == "M_FORBIDDEN" &&
		strings.Contains(strings.ToLower(he.RespError.Err), "already")
}

// SetTopic implements bot.Topicer.
func (a *Adapter) SetTopic(ctx context.Context, channelID, topic string) error {
	err := a.call(ctx, func(ctx context.Context) error {
		_, err := a.cli.SendStateEvent(ctx, id.RoomID(channelID), event.StateTopic, "", &event.TopicEventContent{Topic: topic})
		return err
	})
	if err != nil {
		return failure("setting the topic", err)
	}
	return nil
}

// Pin implements bot.Pinner: the room's m.room.pinned_events.
func (a *Adapter) Pin(ctx context.Context, channelID, messageID string) error {
	room := id.RoomID(channelID)
	var pins event.PinnedEventsEventContent
	err := a.call(ctx, func(ctx context.Context) error {
		return a.cli.StateEvent(ctx, room, event.StatePinnedEvents, "", &pins)
	})
	if err != nil && !errors.Is(err, mautrix.MNotFound) {
		return failure("reading the pinned messages", err)
	}
	for _, p := range pins.Pinned {
		if string(p) == messageID {
			return nil
		}
	}
	pins.Pinned = append(pins.Pinned, id.EventID(messageID))
	err = a.call(ctx, func(ctx context.Context) error {
		_, err := a.cli.SendStateEvent(ctx, room, event.StatePinnedEvents, "", &pins)
		return err
	})
	if err != nil {
		return failure("pinning", err)
	}
	return nil
}

// FindChannel implements bot.ChannelFinder: "status" is the alias
// #status on the bot's server (or name a full alias, #status:other.org).
// The bot must be in the room to post there: invite it.
func (a *Adapter) FindChannel(ctx context.Context, name string) (bot.Channel, error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "#")
	alias := id.RoomAlias("#" + name)
	if !strings.Contains(name, ":") {
		alias = id.NewRoomAlias(name, a.server)
	}
	var resp *mautrix.RespAliasResolve
	err := a.call(ctx, func(ctx context.Context) (err error) { resp, err = a.cli.ResolveAlias(ctx, alias); return })
	switch {
	case errors.Is(err, mautrix.MNotFound):
		return bot.Channel{}, bot.Errorf(bot.ENOTFOUND, "Matrix has no room %s; give the room that alias, or correct the name", alias)
	case err != nil:
		return bot.Channel{}, failure("looking up "+string(alias), err)
	}
	return bot.Channel{ID: string(resp.RoomID), Name: name}, nil
}
