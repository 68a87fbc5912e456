package alerts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/warroom/warroom/bot"
)

// checkSignature checks Grafana's HMAC-SHA256 of the body (grafana/alerting
// http/hmac.go): hex in the signature header, of "<timestamp>:<body>" when
// the timestamp header is sent (unix seconds, at most MaxSkew from the
// clock: an old signed request replayed is refused), of the body alone when
// it is not (unless the config named the timestamp header: then it is
// required). Without a secret nothing is checked but the token.
func (h *Hooks) checkSignature(r *http.Request, body []byte) error {
	g := h.cfg.Grafana
	if g.Secret == "" {
		return nil
	}
	names := DefaultSignatureHeaders
	if g.Header != "" {
		names = []string{g.Header}
	}
	var sig string
	for _, n := range names {
		if sig = strings.TrimSpace(r.Header.Get(n)); sig != "" {
			break
		}
	}
	if sig == "" {
		return refuse(http.StatusUnauthorized, "no signature in %s: set the contact point's HMAC secret to alerts.grafana.secret", strings.Join(names, " or "))
	}
	mac := hmac.New(sha256.New, []byte(g.Secret))
	ts := ""
	if g.TimestampHeader != "" {
		ts = strings.TrimSpace(r.Header.Get(g.TimestampHeader))
	}
	switch {
	case ts != "":
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return refuse(http.StatusUnauthorized, "%s %q is not a unix time in seconds", g.TimestampHeader, bot.Clip(ts, 30))
		}
		skew := h.clock.Now().Sub(time.Unix(sec, 0))
		if skew > MaxSkew || skew < -MaxSkew {
			return refuse(http.StatusUnauthorized, "the signed timestamp is %s from warroom's clock, more than %s: a stale or replayed request (or a clock out of sync)", skew.Abs().Round(time.Second), MaxSkew)
		}
		mac.Write([]byte(ts + ":"))
	case g.TimestampRequired:
		return refuse(http.StatusUnauthorized, "no %s header: alerts.grafana.timestamp_header asks for a signed timestamp (the contact point's HMAC timestamp header)", g.TimestampHeader)
	}
	mac.Write(body)
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
		return refuse(http.StatusUnauthorized, "the signature does not match: the contact point's HMAC secret is not alerts.grafana.secret, or the body was changed")
	}
	return nil
}
