package lark

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
	"time"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// maxConfWait bounds the waits a ClientConfig asks for, so that a garbled
// one cannot park the bot for hours.
const maxConfWait = 10 * time.Minute

// linkConf is the last ClientConfig Lark gave (the endpoint's answer, or a
// pong's payload); zero fields keep what was known.
type linkConf struct {
	mu sync.Mutex
	c  larkws.ClientConfig
}

func (l *linkConf) update(c *larkws.ClientConfig) {
	if c == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.PingInterval > 0 {
		l.c.PingInterval = c.PingInterval
	}
	if c.ReconnectInterval > 0 {
		l.c.ReconnectInterval = c.ReconnectInterval
	}
	if c.ReconnectNonce > 0 {
		l.c.ReconnectNonce = c.ReconnectNonce
	}
	if c.ReconnectCount != 0 {
		l.c.ReconnectCount = c.ReconnectCount
	}
}

func (l *linkConf) get() larkws.ClientConfig {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c
}

func seconds(n int) time.Duration { return min(time.Duration(n)*time.Second, maxConfWait) }

// ping is the ping interval: Lark's, but often enough that a connection
// silent for timeout is one whose pongs stopped.
func (l *linkConf) ping(timeout time.Duration) time.Duration {
	d := timeout / 3
	if c := l.get(); c.PingInterval > 0 {
		d = min(d, seconds(c.PingInterval))
	}
	return d
}

// wait is the wait before reconnect try fails+1: the first spread over
// ReconnectNonce (as the SDK does, so that Lark's clients do not all come
// back at once), then the backoff up to ReconnectInterval.
func (l *linkConf) wait(fails int) time.Duration {
	c := l.get()
	if fails == 0 {
		if c.ReconnectNonce <= 0 {
			return 0
		}
		return rand.N(seconds(c.ReconnectNonce))
	}
	most := backoffMax
	if c.ReconnectInterval > 0 {
		most = max(seconds(c.ReconnectInterval), backoffMin)
	}
	return backoff(fails, most)
}

// exhausted: fails reached the ReconnectCount Lark set (-1 = no limit).
func (l *linkConf) exhausted(fails int) bool {
	c := l.get()
	return c.ReconnectCount > 0 && fails == c.ReconnectCount
}

// control handles a control frame: a pong may carry a new ClientConfig.
func (a *Adapter) control(f larkws.Frame, timeout time.Duration, reping chan time.Duration) {
	if larkws.MessageType(larkws.Headers(f.Headers).GetString(larkws.HeaderType)) != larkws.MessageTypePong || len(f.Payload) == 0 {
		return
	}
	var c larkws.ClientConfig
	if err := json.Unmarshal(f.Payload, &c); err != nil {
		a.log.Debug("lark: a pong whose ClientConfig does not parse", "err", err)
		return
	}
	before := a.link.ping(timeout)
	a.link.update(&c)
	if d := a.link.ping(timeout); d != before {
		select { // only the latest change counts; this is the only sender
		case <-reping:
		default:
		}
		reping <- d
	}
}
