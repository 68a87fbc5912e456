package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warroom/warroom/bot"
)

// Answers to a command go through the command's own response, never
// queued behind the channel's pacing:
//
//   - a slash command's first answer rides on its acknowledgement (the
//     Socket Mode ack's payload, or the body of the HTTP request's 200),
//     which is held back for it until AckWithin at most;
//   - later answers, and a click's, are posted to its response_url, which
//     Slack takes 5 times within 30 minutes;
//   - beyond that, or when Slack refuses, they are plain paced posts.
//
// Which posts are answers is explicit: the adapter puts the command it is
// handling in the context it hands the core (bot.Handler's contract), and
// a post to the command's channel made with that context, before the
// handler has returned, is one of its answers. Commands typed at once,
// even by one person in one channel, each have their own: nothing is
// looked up by channel or user.

const (
	maxResponses = 5                               // response_url posts Slack takes
	responseLife = 30*time.Minute - 30*time.Second // and for how long, with a margin
	ackWithin    = 2 * time.Second                 // default Options.AckWithin; Slack waits 3 s
)

// command is a slash command or a click being handled.
type command struct {
	channel     string
	responseURL string
	click       bool      // a click's response_url must not replace the message clicked
	received    time.Time // Options.Clock

	// offers takes the first answer to the acknowledgement, while it has
	// not gone; nil when the acknowledgement carries no payload (clicks).
	offers chan *offer
	acked  chan struct{} // closed once the acknowledgement has gone
	done   chan struct{} // closed when the handler has returned

	mu   sync.Mutex // one answer at a time, in order
	uses int        // response_url posts
}

// offer is an answer handed to the acknowledgement; sent says whether it
// was written.
type offer struct {
	m    bot.Message
	sent chan error
}

type commandKey struct{}

// newCommand is a command typed in channel. withAck: its acknowledgement
// can carry an answer (a slash command Slack accepts a payload for).
func (a *Adapter) newCommand(channel, responseURL string, withAck, click bool) *command {
	c := &command{channel: channel, responseURL: responseURL, click: click, received: a.opts.Clock.Now(),
		acked: make(chan struct{}), done: make(chan struct{})}
	if withAck {
		c.offers = make(chan *offer)
	} else {
		close(c.acked)
	}
	return c
}

// handle runs the handler on the command, in the adapter's goroutines.
func (a *Adapter) handle(ctx context.Context, c *command, fn func(context.Context)) {
	ctx = context.WithValue(ctx, commandKey{}, c)
	a.spawn(ctx, func(ctx context.Context) {
		defer close(c.done)
		fn(ctx)
	})
}

func commandOf(ctx context.Context) (*command, bool) {
	c, ok := ctx.Value(commandKey{}).(*command)
	return c, ok
}

// awaitAnswer waits for what the acknowledgement carries: the first
// answer, or nothing once the handler returned without one or after
// within. The caller writes the acknowledgement, then calls acked.
func (c *command) awaitAnswer(within time.Duration) *offer {
	if c.offers == nil {
		return nil
	}
	t := time.NewTimer(within) // a network deadline, on the wall clock
	defer t.Stop()
	select {
	case o := <-c.offers:
		return o
	case <-c.done:
	case <-t.C:
	}
	return nil
}

// ackGone records that the acknowledgement was written (err: or not), with
// o in it if o is not nil.
func (c *command) ackGone(o *offer, err error) {
	close(c.acked)
	if o != nil {
		o.sent <- err
	}
}

// acknowledge writes c's acknowledgement with ack once it is due: with
// c's first answer if one comes by deadline (AckWithin after the command
// arrived, keeping it included), else at the handler's end or the
// deadline, empty; ack's payload is nil then.
func (a *Adapter) acknowledge(c *command, deadline time.Time, ack func(payload any) error) {
	o := c.awaitAnswer(time.Until(deadline))
	var payload any
	if o != nil {
		payload = response(o.m, false)
	}
	c.ackGone(o, ack(payload))
}

// What became of an answer.
type answerState int

const (
	answered   answerState = iota
	unanswered             // the command's response failed or is used up: post in the channel
	notAnswer              // the handler had returned: a plain post (background work with its context)
)

// answer gives m as an answer to c.
func (a *Adapter) answer(ctx context.Context, c *command, m bot.Message) (string, answerState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.done:
		return "", notAnswer
	default:
	}
	if c.offers != nil {
		o := &offer{m: m, sent: make(chan error, 1)}
		select {
		case c.offers <- o:
			if err := <-o.sent; err != nil {
				a.log.Warn("slack: answering in a command's acknowledgement; trying its response_url", "err", err)
			} else {
				return fmt.Sprintf("ack-%d", responses.Add(1)), answered
			}
		case <-c.acked:
		case <-ctx.Done():
			return "", unanswered
		}
	}
	if id, ok := a.respondLocked(ctx, c, m); ok {
		return id, answered
	}
	return "", unanswered
}

// fallback answers through c's response_url where a post in its channel
// failed (the bot is not in it), even after the handler returned.
func (a *Adapter) fallback(ctx context.Context, c *command, m bot.Message) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return a.respondLocked(ctx, c, m)
}

// respondLocked posts m to c's response_url while Slack takes it; c.mu is
// held.
func (a *Adapter) respondLocked(ctx context.Context, c *command, m bot.Message) (string, bool) {
	if c.responseURL == "" || c.uses >= maxResponses || a.opts.Clock.Now().Sub(c.received) > responseLife {
		return "", false
	}
	c.uses++
	id, err := a.respond(ctx, c, m)
	if err != nil {
		a.log.Warn("slack: answering through response_url; posting in the channel instead", "err", err)
		return "", false
	}
	return id, true
}

var responses atomic.Int64

// response is a message as a command's response takes it, visible to the
// channel.
func response(m bot.Message, click bool) map[string]any {
	r := map[string]any{"response_type": "in_channel", "text": m.Text, "blocks": blocks(m)}
	if click {
		r["replace_original"] = false // the card clicked stays
	}
	return r
}

// respond posts m to a command's response_url.
func (a *Adapter) respond(ctx context.Context, c *command, m bot.Message) (string, error) {
	return a.postResponse(ctx, c.responseURL, response(m, c.click))
}

// respondEphemeral says through c's response_url, to its user only, that
// nothing was recorded.
func (a *Adapter) respondEphemeral(ctx context.Context, c *command) (string, error) {
	p := notRecordedPayload()
	p["replace_original"] = false
	return a.postResponse(ctx, c.responseURL, p)
}

// postResponse posts payload to a response_url.
func (a *Adapter) postResponse(ctx context.Context, responseURL string, payload map[string]any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("response_url: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body) // the connection goes back to the pool
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("response_url: %s", res.Status)
	}
	return fmt.Sprintf("response-%d", responses.Add(1)), nil
}

// ackMemory remembers the answers Socket Mode acks carried, for a while.
// An ack lost on its way (the connection dropped after it was written)
// brings the envelope again, which dedup does not act on: it is
// acknowledged with the same answer, so the answer is shown once all the
// same.
type ackMemory struct {
	clock bot.Clock
	mu    sync.Mutex
	m     map[string]sentAck // envelope id → what its ack carried
}

type sentAck struct {
	payload any
	at      time.Time
}

const ackMemoryTTL = 10 * time.Minute // Slack redelivers within minutes

func newAckMemory(c bot.Clock) *ackMemory { return &ackMemory{clock: c, m: map[string]sentAck{}} }

func (am *ackMemory) put(id string, payload any) {
	now := am.clock.Now()
	am.mu.Lock()
	defer am.mu.Unlock()
	for k, s := range am.m {
		if now.Sub(s.at) >= ackMemoryTTL {
			delete(am.m, k)
		}
	}
	am.m[id] = sentAck{payload, now}
}

// get is what id's ack carried (nil: nothing, or too long ago).
func (am *ackMemory) get(id string) any {
	am.mu.Lock()
	defer am.mu.Unlock()
	if s, ok := am.m[id]; ok && am.clock.Now().Sub(s.at) < ackMemoryTTL {
		return s.payload
	}
	return nil
}
