package slack

import (
	"context"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/warroom/warroom/bot"
)

// queue serialises the posts to one channel and paces them. Its lock is a
// channel: blocked senders are served in arrival order.
type queue struct {
	lock chan struct{}
	last time.Time // when the last post went out; guarded by lock
}

type queues struct {
	mu sync.Mutex
	m  map[string]*queue
}

func (qs *queues) get(channel string) *queue {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q, ok := qs.m[channel]
	if !ok {
		q = &queue{lock: make(chan struct{}, 1)}
		qs.m[channel] = q
	}
	return q
}

// Post implements bot.Adapter with chat.postMessage and returns the
// message's ts. An answer to a command being handled goes through the
// command's own response instead (see respond.go). Posts to one channel go
// out in order, at most one per PostInterval; a 429 is waited out, so
// nothing is lost. When the bot may not post where a command was typed, it
// answers through the command's response_url.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	c, ok := commandOf(ctx)
	ok = ok && c.channel == channelID
	if ok && m.Kind != bot.KindKickoff { // a kickoff needs its ts: reactions, the pin
		switch id, st := a.answer(ctx, c, m); st {
		case answered:
			return id, nil
		case unanswered:
			ok = false // the response was tried
		}
	}
	ts, err := a.post(ctx, channelID, m)
	if err != nil && ok {
		if code := errCode(err); code == "not_in_channel" || code == "channel_not_found" {
			if id, answered := a.fallback(ctx, c, m); answered {
				return id, nil
			}
		}
	}
	return ts, err
}

// post is chat.postMessage, paced.
func (a *Adapter) post(ctx context.Context, channelID string, m bot.Message) (string, error) {
	q := a.queues.get(channelID)
	select {
	case q.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-q.lock }()
	if !q.last.IsZero() {
		if wait := q.last.Add(a.opts.PostInterval).Sub(a.opts.Clock.Now()); wait > 0 {
			if err := a.opts.Sleep(ctx, wait); err != nil {
				return "", err
			}
		}
	}
	var ts string
	err := a.do(ctx, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = a.api.PostMessageContext(ctx, channelID,
			slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(blocks(m)...))
		return err
	})
	q.last = a.opts.Clock.Now()
	return ts, err
}
