package pager_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/pager"
)

func newTwilio(t *testing.T, api string, w *waits, voice bool, voiceURL string) *pager.Twilio {
	t.Helper()
	tw, err := pager.NewTwilio(pager.TwilioConfig{AccountSID: sid, AuthToken: token, From: from, Voice: voice, VoiceURL: voiceURL, APIURL: api + "/"}, opts(w))
	require.NoError(t, err)
	return tw
}

// twilioCreated is Twilio's answer to a created message or call.
func twilioCreated(int, *http.Request) answer {
	return answer{status: http.StatusCreated, body: `{"sid": "SM123", "status": "queued"}`}
}

func assertTwilioRequest(t *testing.T, g got, resource string) url.Values {
	t.Helper()
	assert.Equal(t, http.MethodPost, g.Method)
	assert.Equal(t, "/2010-04-01/Accounts/"+sid+"/"+resource, g.Path)
	assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte(sid+":"+token)), g.Header.Get("Authorization"))
	assert.Equal(t, "application/x-www-form-urlencoded", g.Header.Get("Content-Type"))
	return g.Form(t)
}

func TestTwilioPageTextsThenCalls(t *testing.T) {
	t.Parallel()
	api := newFake(t, twilioCreated)
	w := &waits{}
	p := page(alice, bot.P1)
	p.Text = `P1 "Checkout" <5xx> & 'payments' down`
	require.NoError(t, newTwilio(t, api.URL, w, true, "").Page(context.Background(), p))

	reqs := api.requests()
	require.Len(t, reqs, 2, "a text, then a call")
	assert.Equal(t, url.Values{"To": {"+15550100"}, "From": {from}, "Body": {p.Text}}, assertTwilioRequest(t, reqs[0], "Messages.json"))
	assert.Equal(t, url.Values{
		"To":    {"+15550100"},
		"From":  {from},
		"Twiml": {`<Response><Say>P1 &#34;Checkout&#34; &lt;5xx&gt; &amp; &#39;payments&#39; down</Say></Response>`},
	}, assertTwilioRequest(t, reqs[1], "Calls.json"))
	assert.Empty(t, w.all())
}

func TestTwilioNotifyIsATextOnly(t *testing.T) {
	t.Parallel()
	api := newFake(t, twilioCreated)
	p := bot.Page{Person: bot.Person{ID: "+15550142", Phone: "+15550142"}, FaultID: 7, Level: bot.P2, Text: "📣 P2 fault 7 resolved", Dedup: "warroom-fault-7", Notify: true}
	require.NoError(t, newTwilio(t, api.URL, &waits{}, true, "").Page(context.Background(), p))
	reqs := api.requests()
	require.Len(t, reqs, 1, "no call for a stakeholder notification")
	assert.Equal(t, url.Values{"To": {"+15550142"}, "From": {from}, "Body": {"📣 P2 fault 7 resolved"}}, assertTwilioRequest(t, reqs[0], "Messages.json"))
}

func TestTwilioWithoutVoiceTextsOnly(t *testing.T) {
	t.Parallel()
	api := newFake(t, twilioCreated)
	require.NoError(t, newTwilio(t, api.URL, &waits{}, false, "").Page(context.Background(), page(alice, bot.P1)))
	reqs := api.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/2010-04-01/Accounts/"+sid+"/Messages.json", reqs[0].Path)
}

func TestTwilioVoiceURL(t *testing.T) {
	t.Parallel()
	api := newFake(t, twilioCreated)
	require.NoError(t, newTwilio(t, api.URL, &waits{}, true, "https://twiml.example.com/page.xml").Page(context.Background(), page(alice, bot.P1)))
	reqs := api.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, url.Values{"To": {"+15550100"}, "From": {from}, "Url": {"https://twiml.example.com/page.xml"}}, assertTwilioRequest(t, reqs[1], "Calls.json"))
}

func TestTwilioPersonWithoutPhone(t *testing.T) {
	t.Parallel()
	api := newFake(t, twilioCreated)
	tw := newTwilio(t, api.URL, &waits{}, true, "")
	assert.EqualError(t, tw.CanPage(page(erin, bot.P1)), "twilio: erin has no phone number")
	assert.EqualError(t, tw.Page(context.Background(), page(erin, bot.P1)), "twilio: erin has no phone number")
	assert.Empty(t, api.requests())
}

func TestTwilio4xxIsNotRetried(t *testing.T) {
	t.Parallel()
	api := newFake(t, always(http.StatusBadRequest, `{"code": 21211, "message": "The 'To' number +15550100 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`))
	w := &waits{}
	err := newTwilio(t, api.URL, w, false, "").Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "twilio: SMS to +15550100: HTTP 400 Bad Request: The 'To' number +15550100 is not a valid phone number. (Twilio error 21211)")
	assert.Len(t, api.requests(), 1)
	assert.Empty(t, w.all())
}

func TestTwilioBadCredentials(t *testing.T) {
	t.Parallel()
	api := newFake(t, always(http.StatusUnauthorized, `{"code": 20003, "message": "Authenticate", "status": 401}`))
	err := newTwilio(t, api.URL, &waits{}, false, "").Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "twilio: SMS to +15550100: HTTP 401 Unauthorized: Authenticate (Twilio error 20003); check the account SID and auth token")
	assert.NotContains(t, err.Error(), token)
}

// A failed text does not stop the call, and the error says which failed.
func TestTwilioCallStillMadeWhenTheTextFails(t *testing.T) {
	t.Parallel()
	api := newFake(t, func(_ int, r *http.Request) answer {
		if strings.HasSuffix(r.URL.Path, "/Messages.json") {
			return answer{status: http.StatusBadRequest, body: `{"code": 21610, "message": "Attempt to send to unsubscribed recipient"}`}
		}
		return answer{status: http.StatusCreated, body: `{}`}
	})
	err := newTwilio(t, api.URL, &waits{}, true, "").Page(context.Background(), page(alice, bot.P1))
	assert.EqualError(t, err, "twilio: SMS to +15550100: HTTP 400 Bad Request: Attempt to send to unsubscribed recipient (Twilio error 21610)")
	assert.Len(t, api.requests(), 2)
}

func TestTwilioLongTextIsCut(t *testing.T) {
	t.Parallel()
	api := newFake(t, twilioCreated)
	p := page(alice, bot.P1)
	p.Text = strings.Repeat("é", 5000)
	require.NoError(t, newTwilio(t, api.URL, &waits{}, true, "").Page(context.Background(), p))
	reqs := api.requests()
	require.Len(t, reqs, 2)
	body := reqs[0].Form(t).Get("Body")
	assert.Equal(t, 1600, utf8.RuneCountInString(body))
	assert.True(t, strings.HasSuffix(body, "…"))
	assert.LessOrEqual(t, utf8.RuneCountInString(reqs[1].Form(t).Get("Twiml")), 4000)
}

func TestTwiml(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "<Response><Say>a &lt;b&gt; &amp; c</Say></Response>", pager.Twiml("a <b> & c"))
}

func TestNewTwilioNeedsItsSettings(t *testing.T) {
	t.Parallel()
	_, err := pager.NewTwilio(pager.TwilioConfig{AuthToken: token, From: from}, pager.Options{})
	assert.EqualError(t, err, "twilio: no account SID")
	_, err = pager.NewTwilio(pager.TwilioConfig{AccountSID: sid, From: from}, pager.Options{})
	assert.EqualError(t, err, "twilio: no auth token")
	_, err = pager.NewTwilio(pager.TwilioConfig{AccountSID: sid, AuthToken: token}, pager.Options{})
	assert.EqualError(t, err, "twilio: no from number")
}
