package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
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
// message's ts. Posts to one channel go out in order, at most one per
// PostInterval; a 429 is waited out, so nothing is lost. When the bot may
// not post where a slash command was typed, it answers through the
// command's response_url.
func (a *Adapter) Post(ctx context.Context, channelID string, m bot.Message) (string, error) {
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
	if err != nil {
		if code := errCode(err); code == "not_in_channel" || code == "channel_not_found" {
			if rt, ok := ctx.Value(routeKey{}).(route); ok && rt.channel == channelID && rt.responseURL != "" {
				return a.respond(ctx, rt.responseURL, m)
			}
		}
		return "", err
	}
	return ts, nil
}

// route is where a slash command or a click can be answered when the bot
// cannot post in its channel.
type route struct {
	channel     string
	responseURL string
}

type routeKey struct{}

func withRoute(ctx context.Context, channel, responseURL string) context.Context {
	if responseURL == "" {
		return ctx
	}
	return context.WithValue(ctx, routeKey{}, route{channel, responseURL})
}

var responses atomic.Int64

// respond posts m to a response_url, visible to the channel.
func (a *Adapter) respond(ctx context.Context, url string, m bot.Message) (string, error) {
	body, err := json.Marshal(map[string]any{
		"response_type": "in_channel",
		"text":          m.Text,
		"blocks":        blocks(m),
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("response_url: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("response_url: %s", res.Status)
	}
	return fmt.Sprintf("response-%d", responses.Add(1)), nil
}
