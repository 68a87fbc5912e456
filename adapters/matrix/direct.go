package matrix

import (
	"context"
	"errors"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"
)

// directRoom is the bot's direct room with uid: remembered, else the
// newest of m.direct (the bot's account data, which clients keep too),
// else a new one, recorded there. The caller holds uid's dmLock.
func (a *Adapter) directRoom(ctx context.Context, uid id.UserID) (id.RoomID, error) {
	a.dmMu.Lock()
	room, ok := a.dms[uid]
	a.dmMu.Unlock()
	if ok {
		return room, nil
	}
	direct, err := a.directRooms(ctx)
	if err != nil {
		return "", err
	}
	if rooms := direct[uid]; len(rooms) > 0 {
		room = rooms[len(rooms)-1]
	} else {
		var resp *mautrix.RespCreateRoom
		err := a.call(ctx, func(ctx context.Context) (err error) {
			resp, err = a.cli.CreateRoom(ctx, &mautrix.ReqCreateRoom{
				Preset: "trusted_private_chat", IsDirect: true, Invite: []id.UserID{uid}, Visibility: "private",
			})
			return
		})
		if err != nil {
			return "", failure("opening a direct room with "+string(uid), err)
		}
		room = resp.RoomID
		if err := a.recordDirect(ctx, uid, room); err != nil {
			// The room works; only a restart will not find it again.
			a.log.Warn("matrix: recording a direct room in m.direct", "user", uid, "err", err)
		}
	}
	a.dmMu.Lock()
	a.dms[uid] = room
	a.dmMu.Unlock()
	return room, nil
}

func (a *Adapter) directRooms(ctx context.Context) (event.DirectChatsEventContent, error) {
	direct := event.DirectChatsEventContent{}
	err := a.call(ctx, func(ctx context.Context) error {
		return a.cli.GetAccountData(ctx, event.AccountDataDirectChats.Type, &direct)
	})
	if err != nil && !errors.Is(err, mautrix.MNotFound) {
		return nil, failure("reading m.direct", err)
	}
	return direct, nil
}

// recordDirect adds room to m.direct. Two DMs to different people may
// race here; the loser's room is only not found again after a restart.
func (a *Adapter) recordDirect(ctx context.Context, uid id.UserID, room id.RoomID) error {
	a.directMu.Lock()
	defer a.directMu.Unlock()
	direct, err := a.directRooms(ctx)
	if err != nil {
		return err
	}
	direct[uid] = append(direct[uid], room)
	return a.call(ctx, func(ctx context.Context) error {
		return a.cli.SetAccountData(ctx, event.AccountDataDirectChats.Type, direct)
	})
}

func (a *Adapter) forgetDirect(uid id.UserID) {
	a.dmMu.Lock()
	delete(a.dms, uid)
	a.dmMu.Unlock()
}
