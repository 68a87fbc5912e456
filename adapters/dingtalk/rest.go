package dingtalk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// tokenMargin is how long before its stated expiry a token is renewed, so
// that a call never carries one that runs out on the way.
const tokenMargin = 5 * time.Minute

// tokenCache keeps the app's access token until shortly before it expires,
// on the injected clock. One fetch at a time: a burst of calls waits for
// the one fetch instead of each asking.
type tokenCache struct {
	mu      sync.Mutex
	value   string
	expires time.Time
}

// token returns a valid access token, fetching one when there is none.
func (a *Adapter) token(ctx context.Context) (string, error) {
	t := &a.tok
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.value != "" && a.cfg.Clock.Now().Before(t.expires) {
		return t.value, nil
	}
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpireIn    int64  `json:"expireIn"`
		Code        string `json:"code"`
		Message     string `json:"message"`
	}
	body := map[string]string{"appKey": a.cfg.ClientID, "appSecret": a.cfg.ClientSecret}
	status, err := a.post(ctx, a.cfg.APIURL+"/v1.0/oauth2/accessToken", nil, body, &out)
	switch {
	case err != nil:
		return "", fmt.Errorf("dingtalk: getting an access token: %w", err)
	case status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "", fmt.Errorf("dingtalk.client_id/client_secret were rejected by DingTalk (%d %s: %s); set them to the app's Client ID and Client Secret (Developer Console, the app, Credentials)", status, out.Code, out.Message)
	case status != http.StatusOK || out.AccessToken == "":
		return "", fmt.Errorf("dingtalk: getting an access token: HTTP %d %s %s", status, out.Code, out.Message)
	}
	t.value = out.AccessToken
	t.expires = a.cfg.Clock.Now().Add(time.Duration(out.ExpireIn)*time.Second - tokenMargin)
	return t.value, nil
}

// dropToken forgets a token DingTalk refused, unless another call already
// replaced it.
func (a *Adapter) dropToken(tok string) {
	a.tok.mu.Lock()
	defer a.tok.mu.Unlock()
	if a.tok.value == tok {
		a.tok.value = ""
	}
}

// apiError is a failed call: what was done, and DingTalk's answer.
type apiError struct {
	What   string
	Status int
	Code   string // api.dingtalk.com's code, or oapi's errcode
	Msg    string
}

func (e *apiError) Error() string {
	// DingTalk's message is put on one line: errors are logged and
	// answered in chat as one line each.
	return fmt.Sprintf("dingtalk: %s: %d %s: %s", e.What, e.Status, e.Code, strings.Join(strings.Fields(e.Msg), " "))
}

// retryable: flow control (HTTP 429, oapi errcode 90018) and server errors.
func (e *apiError) retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Code == "90018" || e.Code == "-1"
}

// badToken: the token expired or was revoked before our clock said so.
func (e *apiError) badToken() bool {
	return e.Status == http.StatusUnauthorized || e.Code == "InvalidAuthentication" || e.Code == "40014" || e.Code == "42001"
}

// api calls an api.dingtalk.com endpoint (token in a header, errors as HTTP
// statuses with {code, message}).
func (a *Adapter) api(ctx context.Context, what, path string, body, out any) error {
	return a.retry(ctx, func(tok string) *apiError {
		var raw json.RawMessage
		h := http.Header{"x-acs-dingtalk-access-token": {tok}}
		status, err := a.post(ctx, a.cfg.APIURL+path, h, body, &raw)
		if err != nil {
			return &apiError{What: what, Code: "network", Msg: err.Error()}
		}
		if status != http.StatusOK {
			var e struct{ Code, Message string }
			_ = json.Unmarshal(raw, &e)
			if status == http.StatusForbidden {
				e.Message += " (grant the app this API's permission: Developer Console, the app, Permission management; adapters/dingtalk/README.md lists them)"
			}
			return &apiError{What: what, Status: status, Code: e.Code, Msg: e.Message}
		}
		if out != nil && json.Unmarshal(raw, out) != nil {
			return &apiError{What: what, Status: status, Code: "decode", Msg: "an answer that is not the JSON expected"}
		}
		return nil
	})
}

// oapi calls a legacy oapi.dingtalk.com endpoint (token in the query,
// errors as {errcode, errmsg} in a 200).
func (a *Adapter) oapi(ctx context.Context, what, path string, body, out any) error {
	return a.retry(ctx, func(tok string) *apiError {
		var raw json.RawMessage
		status, err := a.post(ctx, a.cfg.OAPIURL+path+"?access_token="+url.QueryEscape(tok), nil, body, &raw)
		if err != nil {
			return &apiError{What: what, Code: "network", Msg: err.Error()}
		}
		var e struct {
			Errcode int    `json:"errcode"`
			Errmsg  string `json:"errmsg"`
		}
		if status != http.StatusOK || json.Unmarshal(raw, &e) != nil || e.Errcode != 0 {
			return &apiError{What: what, Status: status, Code: fmt.Sprint(e.Errcode), Msg: e.Errmsg}
		}
		if out != nil && json.Unmarshal(raw, out) != nil {
			return &apiError{What: what, Status: status, Code: "decode", Msg: "an answer that is not the JSON expected"}
		}
		return nil
	})
}

// retry makes a call with a valid token: once more with a fresh token when
// DingTalk refuses it, and up to MaxRetries more under flow control.
func (a *Adapter) retry(ctx context.Context, call func(tok string) *apiError) error {
	refreshed := false
	for attempt := 0; ; attempt++ {
		tok, err := a.token(ctx)
		if err != nil {
			return err
		}
		e := call(tok)
		switch {
		case e == nil:
			return nil
		case e.badToken() && !refreshed:
			refreshed = true
			a.dropToken(tok)
			continue
		case e.retryable() && attempt < a.cfg.MaxRetries:
			if err := a.cfg.Sleep(ctx, time.Second<<attempt); err != nil {
				return err
			}
			continue
		}
		return e
	}
}

// maxAnswer bounds what is read of an answer.
const maxAnswer = 1 << 20

// post sends body as JSON and decodes the answer into out, whatever its
// status, which it returns.
func (a *Adapter) post(ctx context.Context, u string, h http.Header, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, err
	}
	if len(data) > 0 && out != nil {
		_ = json.Unmarshal(data, out) // callers check the fields they need
	}
	return resp.StatusCode, nil
}

// seqGen makes ids unique to this process and random across processes.
type seqGen struct{}

func (seqGen) next() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
