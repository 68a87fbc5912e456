package pager

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/warroom/warroom/bot"
)

// TwilioAPI is Twilio's REST API.
const TwilioAPI = "https://api.twilio.com"

// Twilio's limits: a message body, and the Twiml parameter of a call.
const (
	maxSMS   = 1600
	maxSpeak = 3000 // leaves room in the 4000 characters of Twiml for escaping
)

// TwilioConfig is a Twilio account's settings.
type TwilioConfig struct {
	AccountSID string // AC...; also the basic-auth user
	AuthToken  string // the basic-auth password
	From       string // the Twilio number texts and calls come from, E.164
	// Voice makes a real page (not a stakeholder notification) a call as
	// well as a text.
	Voice bool
	// VoiceURL, when set, is the TwiML URL Twilio fetches when the call is
	// answered (Url); otherwise the call says the page's text (Twiml).
	VoiceURL string
	APIURL   string // "" = TwilioAPI; a test server
}

// Twilio texts and calls people through Twilio's Messages and Calls APIs.
type Twilio struct {
	cfg  TwilioConfig
	opts Options
}

var _ Provider = (*Twilio)(nil)

// NewTwilio returns a Twilio provider.
func NewTwilio(cfg TwilioConfig, opts Options) (*Twilio, error) {
	switch {
	case cfg.AccountSID == "":
		return nil, errors.New("twilio: no account SID")
	case cfg.AuthToken == "":
		return nil, errors.New("twilio: no auth token")
	case cfg.From == "":
		return nil, errors.New("twilio: no from number")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = TwilioAPI
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	return &Twilio{cfg: cfg, opts: opts.withDefaults()}, nil
}

// Name is "twilio".
func (t *Twilio) Name() string { return "twilio" }

// CanPage needs a phone number.
func (t *Twilio) CanPage(p bot.Page) error {
	if p.Person.Phone == "" {
		return fmt.Errorf("twilio: %s has no phone number", who(p.Person))
	}
	return nil
}

// Page texts the person and, for a real page with voice on, calls them
// too. Both are tried even if the first fails.
func (t *Twilio) Page(ctx context.Context, p bot.Page) error {
	if err := t.CanPage(p); err != nil {
		return err
	}
	ctx, cancel := t.opts.bound(ctx)
	defer cancel()
	var errs []string
	if err := t.SMS(ctx, p.Person.Phone, p.Text); err != nil {
		errs = append(errs, err.Error())
	}
	if t.cfg.Voice && !p.Notify {
		if err := t.Call(ctx, p.Person.Phone, p.Text); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return errors.New("twilio: " + strings.Join(errs, "; "))
	}
	return nil
}

// SMS sends a text message.
func (t *Twilio) SMS(ctx context.Context, to, text string) error {
	form := url.Values{"To": {to}, "From": {t.cfg.From}, "Body": {truncate(text, maxSMS)}}
	return t.post(ctx, "Messages.json", "SMS to "+to, form)
}

// Call makes a voice call that says text, or that runs the configured
// TwiML URL.
func (t *Twilio) Call(ctx context.Context, to, text string) error {
	form := url.Values{"To": {to}, "From": {t.cfg.From}}
	if t.cfg.VoiceURL != "" {
		form.Set("Url", t.cfg.VoiceURL)
	} else {
		form.Set("Twiml", Twiml(text))
	}
	return t.post(ctx, "Calls.json", "call to "+to, form)
}

// Twiml is the TwiML of a call that says text.
func Twiml(text string) string {
	var b bytes.Buffer
	b.WriteString("<Response><Say>")
	_ = xml.EscapeText(&b, []byte(truncate(text, maxSpeak)))
	b.WriteString("</Say></Response>")
	return b.String()
}

func (t *Twilio) post(ctx context.Context, resource, what string, form url.Values) error {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("Accept", "application/json")
	h.Set("Authorization", "Basic "+basicAuth(t.cfg.AccountSID, t.cfg.AuthToken))
	return t.opts.send(ctx, request{
		provider: "twilio",
		what:     what,
		method:   http.MethodPost,
		url:      t.cfg.APIURL + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/" + resource,
		body:     []byte(form.Encode()),
		header:   h,
		describe: describeTwilio,
	})
}

// describeTwilio reads Twilio's error document:
// {"code": 21211, "message": "The 'To' number ... is not a valid phone number.", "more_info": ..., "status": 400}.
func describeTwilio(status int, body []byte) string {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	msg := snippet(body)
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		msg = e.Message
		if e.Code != 0 {
			msg += fmt.Sprintf(" (Twilio error %d)", e.Code)
		}
	}
	if status == http.StatusUnauthorized {
		msg += "; check the account SID and auth token"
	}
	return msg
}
