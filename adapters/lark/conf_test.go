package lark

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// TestReconnectWaits: without a ClientConfig, at once then 1 s doubling
// to a minute; with one, the first spread over ReconnectNonce and the
// backoff capped at ReconnectInterval; absurd values are bounded.
func TestReconnectWaits(t *testing.T) {
	t.Parallel()
	var l linkConf
	var got []time.Duration
	for f := range 9 {
		got = append(got, l.wait(f))
	}
	s := time.Second
	assert.Equal(t, []time.Duration{0, s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s}, got)

	l.update(&larkws.ClientConfig{ReconnectCount: 3, ReconnectInterval: 120, ReconnectNonce: 30, PingInterval: 120})
	for range 50 {
		first := l.wait(0)
		require.True(t, first >= 0 && first < 30*s, "first wait %v", first)
	}
	assert.Equal(t, 64*s, l.wait(7))
	assert.Equal(t, 120*s, l.wait(8))
	assert.Equal(t, 120*s, l.wait(100))
	assert.True(t, l.exhausted(3))
	assert.False(t, l.exhausted(4), "said once")

	l.update(&larkws.ClientConfig{ReconnectInterval: 1 << 30}) // others kept
	assert.Equal(t, maxConfWait, l.wait(40))
	assert.Equal(t, 60*s, l.ping(3*time.Minute), "a third of the socket timeout, Lark's 120 s being longer")
}

// TestPongConfig: a pong's ClientConfig changes the ping interval; a pong
// without one, or with garbage, changes nothing.
func TestPongConfig(t *testing.T) {
	t.Parallel()
	a, err := New(Config{AppID: "cli_a", AppSecret: "s"})
	require.NoError(t, err)
	pong := func(payload []byte) larkws.Frame {
		return larkws.Frame{Method: int32(larkws.FrameTypeControl), Payload: payload,
			Headers: []larkws.Header{{Key: larkws.HeaderType, Value: string(larkws.MessageTypePong)}}}
	}
	reping := make(chan time.Duration, 1)
	conf, _ := json.Marshal(larkws.ClientConfig{PingInterval: 20})
	a.control(pong(conf), 3*time.Minute, reping)
	assert.Equal(t, 20*time.Second, <-reping)
	a.control(pong(conf), 3*time.Minute, reping)
	a.control(pong(nil), 3*time.Minute, reping)
	a.control(pong([]byte("{not json")), 3*time.Minute, reping)
	conf, _ = json.Marshal(larkws.ClientConfig{PingInterval: 5})
	a.control(larkws.Frame{Method: int32(larkws.FrameTypeControl), Payload: conf,
		Headers: []larkws.Header{{Key: larkws.HeaderType, Value: "ping"}}}, 3*time.Minute, reping)
	select {
	case d := <-reping:
		t.Fatalf("ping interval changed to %v by a pong that changed nothing, or by a non-pong", d)
	default:
	}
	assert.Equal(t, 20*time.Second, a.link.ping(3*time.Minute))
}
