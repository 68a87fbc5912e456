package dingtalk_test

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/dingtalk"
	"github.com/warroom/warroom/adapters/dingtalk/dingtalkfake"
	"github.com/warroom/warroom/bot"
)

// logBuf is a log destination the adapter's goroutines may write to while
// the test reads it.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// minimal is the config PRODUCT.md gives: no template_id, card_template_id
// or owner.
func minimal(log *logBuf) func(*dingtalk.Config) {
	return func(c *dingtalk.Config) {
		c.TemplateID, c.CardTemplateID, c.Owner = "", "", ""
		if log != nil {
			c.Log = slog.New(slog.NewTextHandler(log, nil))
		}
	}
}

// TestScenarioMinimalConfig: the real core on the minimal config. The war
// room is made without a template and owned by the catalog's first person
// with a userid (alice); kickoff and summary are robot markdown messages;
// check-in is typed.
func TestScenarioMinimalConfig(t *testing.T) {
	t.Parallel()
	var log logBuf
	w := newWorld(t, minimal(&log))
	f := w.f
	general := f.AddGroup("general", users["erin"])
	assert.Equal(t, 1, strings.Count(log.String(), "level=WARN msg=\"dingtalk.card_template_id is not set"), log.String())
	assert.Contains(t, log.String(), "there is no check-in button")
	assert.Contains(t, log.String(), "war-room groups are owned by alice01")

	w.say(general, "erin", "/fault declare P2 Checkout API 5xx service=checkout", 1)
	gs := f.Groups()
	require.Len(t, gs, 2)
	room := gs[1]
	assert.Equal(t, "", room.Template)
	assert.Equal(t, users["alice"], room.Owner, "alice sorts first of the catalog's people with a userid")
	var create map[string]any
	for _, c := range f.Calls() {
		if c.Path == "/topapi/im/chat/scenegroup/create" {
			create = c.Body
		}
	}
	require.NotNil(t, create)
	assert.NotContains(t, create, "template_id", "no template_id is sent when none is configured")
	assert.Equal(t, users["alice"], create["owner_user_id"])
	slices.Sort(room.Members)
	assert.Equal(t, []string{users["alice"], users["bob"], users["dave"], users["erin"]}, room.Members)

	kick := f.WaitMessages(t, room.ID, 1)[0]
	assert.False(t, kick.Card)
	assert.Equal(t, "sampleMarkdown", kick.MsgKey)
	assert.Contains(t, kick.Title, "Checkout API 5xx")
	assert.Contains(t, kick.Text, "Check in: @-mention this robot and type /fault checkin")
	assert.NotContains(t, kick.Text, "react")
	assert.Contains(t, kick.Text, "@"+users["dave"], "the commander is named (robot messages cannot notify)")
	_, ok := dingtalkfake.CheckinButton(kick)
	assert.False(t, ok, "no button without a card template")

	msgs := w.say(room.ID, "alice", "/fault checkin", 2)
	assert.Contains(t, msgs[1].Text, "@"+users["alice"]+" checked in")
	assert.Equal(t, "sampleText", msgs[1].MsgKey)

	n := len(f.Messages(room.ID))
	w.say(room.ID, "dave", "/fault resolve fixed", n+1)
	w.settle()
	msgs = f.Messages(room.ID)
	summary := msgs[len(msgs)-1]
	assert.Equal(t, "sampleMarkdown", summary.MsgKey)
	assert.Contains(t, summary.Text, "Check-in rate")
	for _, c := range f.Calls() {
		assert.NotEqual(t, "/v1.0/card/instances/createAndDeliver", c.Path, "no cards without card_template_id")
	}
}

// TestMinimalTemplateRequired: a tenant that refuses a group without a
// template gets a declare error, on one line, saying to set
// dingtalk.template_id; the bot goes on.
func TestMinimalTemplateRequired(t *testing.T) {
	t.Parallel()
	w := newWorld(t, minimal(nil))
	w.f.RequireTemplate()
	general := w.f.AddGroup("general", users["erin"])
	msgs := w.say(general, "erin", "/fault declare P2 Checkout API 5xx service=checkout", 1)
	assert.Contains(t, msgs[0].Text, "set dingtalk.template_id to one that has the app's robot")
	assert.NotContains(t, msgs[0].Text, "\n")
	msgs = w.say(general, "erin", "/fault help", 2)
	assert.NotEmpty(t, msgs[1].Text, "the bot still answers")

	a := newAdapter(t, w.f, minimal(nil), func(c *dingtalk.Config) { c.Catalog = catalog() })
	_, err := a.CreateChannel(t.Context(), "fault-9")
	require.Error(t, err)
	assert.Equal(t, "dingtalk: create scene group fault-9: 200 40035: 缺少参数 template_id; DingTalk wants a scene-group template: set dingtalk.template_id to one that has the app's robot (Developer Console, Scene groups, Group templates)", err.Error())
}

// TestNoOwner: no owner configured and nobody in the catalog on DingTalk:
// CreateChannel fails on one line naming dingtalk.owner, and asks nothing
// of DingTalk.
func TestNoOwner(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	for name, cat := range map[string]*bot.Catalog{
		"no catalog":           nil,
		"nobody with a userid": {People: map[string]bot.Person{"carol": {ID: "carol", Phone: "+15550102"}}},
	} {
		var log logBuf
		a := newAdapter(t, f, minimal(&log), func(c *dingtalk.Config) { c.Catalog = cat })
		assert.Contains(t, log.String(), "dingtalk.owner is not set and no catalog person has a dingtalk userid", name)
		_, err := a.CreateChannel(t.Context(), "fault-1")
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "set dingtalk.owner to a userid", name)
		assert.NotContains(t, err.Error(), "\n", name)
	}
	assert.Empty(t, f.Groups())
}

// TestOwnerConfigured: a configured owner wins over the catalog.
func TestOwnerConfigured(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f, minimal(nil), func(c *dingtalk.Config) { c.Catalog = catalog(); c.Owner = "manager4220" })
	_, err := a.CreateChannel(t.Context(), "fault-1")
	require.NoError(t, err)
	require.Len(t, f.Groups(), 1)
	assert.Equal(t, "manager4220", f.Groups()[0].Owner)
}

// TestAPIURLAlone: api_url alone (PRODUCT.md's "also api_url") sends the
// legacy oapi calls (scene groups) there too, not to oapi.dingtalk.com.
func TestAPIURLAlone(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f, minimal(nil), func(c *dingtalk.Config) { c.OAPIURL = ""; c.Owner = "manager4220" })
	_, err := a.CreateChannel(t.Context(), "fault-1")
	require.NoError(t, err)
	assert.Len(t, f.Groups(), 1)
}

// TestPostWithoutCards: with no card template an approval is a markdown
// message whose text gives the commands its buttons stood for, and a
// message that mentions someone is plain text.
func TestPostWithoutCards(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	a := newAdapter(t, f, minimal(nil), func(c *dingtalk.Config) { c.Catalog = catalog() })
	ch, err := a.CreateChannel(t.Context(), "fault-3")
	require.NoError(t, err)
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindApproval, Title: "Run plan restart?",
		Text:    "🔐 Run plan restart?\nSteps: 2\nApprove: /fault approve 3 · deny: /fault deny 3 <reason>\n",
		Buttons: []bot.Button{{Label: "Approve", Command: "/fault approve 3", Style: "primary"}}})
	require.NoError(t, err)
	_, err = a.Post(t.Context(), ch.ID, bot.Message{Kind: bot.KindNotice, Text: "@alice01 is now responder"})
	require.NoError(t, err)
	msgs := f.Messages(ch.ID)
	require.Len(t, msgs, 2)
	assert.Equal(t, dingtalkfake.Message{ID: msgs[0].ID, MsgKey: "sampleMarkdown", Title: "Run plan restart?",
		Text: "🔐 Run plan restart?\nSteps: 2\nApprove: /fault approve 3 · deny: /fault deny 3 <reason>"}, msgs[0])
	assert.Equal(t, dingtalkfake.Message{ID: msgs[1].ID, MsgKey: "sampleText", Text: "@alice01 is now responder"}, msgs[1])
	var sent map[string]any
	for _, c := range f.Calls() {
		if c.Path == "/v1.0/robot/groupMessages/send" {
			sent = c.Body
			break
		}
	}
	require.NotNil(t, sent)
	assert.JSONEq(t, `{"title":"Run plan restart?","text":"🔐 Run plan restart?\n\nSteps: 2\n\nApprove: /fault approve 3 · deny: /fault deny 3 <reason>"}`, sent["msgParam"].(string),
		"each line its own markdown paragraph")
}
