package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/dingtalk/dingtalkfake"
	"github.com/warroom/warroom/bot"
)

// productDingTalk is the DingTalk section exactly as PRODUCT.md gives it.
const productDingTalk = `dingtalk: {client_id: ding123, client_secret: "${DINGTALK_SECRET}", robot_code: ding123}  # also api_url`

// TestCheckDingTalkProductSection: `warroom check` passes the section a new
// user copies from PRODUCT.md: no template_id, card_template_id or owner.
func TestCheckDingTalkProductSection(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "adapter: dingtalk\n"+productDingTalk+"\npeople:\n  alice: {dingtalk: alice01}\n")
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "DINGTALK_SECRET" {
			return "s3cret"
		}
		return ""
	}
	code := run(context.Background(), []string{"check", "-config", cfg},
		env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start), getenv: getenv})
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), ": ok (adapter dingtalk, 1 people")
}

// TestDingTalkMinimalConfig runs the binary on PRODUCT.md's section (plus
// api_url, pointing at dingtalkfake): a war room is declared, made without a
// template and owned by the catalog's first person on DingTalk, the kickoff
// is a robot message, a typed check-in counts, and the summary is sent.
func TestDingTalkMinimalConfig(t *testing.T) {
	t.Parallel()
	f := dingtalkfake.New(t)
	section := strings.NewReplacer("ding123", f.ClientID, "}  # also api_url", `, api_url: "`+f.URL+`"}`).Replace(productDingTalk)
	dir := t.TempDir()
	cfg := writeConfig(t, "adapter: dingtalk\nhttp: off\n"+section+`
people:
  erin: {dingtalk: erin05}
  dave: {dingtalk: dave04}
  carol: {phone: "+15550102"}
services:
  checkout: {contacts: [dave]}
duty: {rotation: weekly, start: 2026-01-05T09:00:00Z, people: [dave]}
`)
	getenv := func(k string) string {
		if k == "DINGTALK_SECRET" {
			return f.ClientSecret
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-config", cfg, "-db", filepath.Join(dir, "w.db")},
			env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, clock: bot.NewFakeClock(start), getenv: getenv})
	}()
	f.WaitConnected(t, 1)
	general := f.AddGroup("general", "erin05")
	f.WaitAck(t, f.Say(t, general, "erin05", "/fault declare P2 Checkout API 5xx service=checkout"))
	f.WaitMessages(t, general, 1)
	gs := f.Groups()
	require.Len(t, gs, 2, "the war room was made")
	room := gs[1]
	kick := f.WaitMessages(t, room.ID, 1)[0]
	assert.Equal(t, "sampleMarkdown", kick.MsgKey)
	assert.Contains(t, kick.Text, "type /fault checkin")

	f.WaitAck(t, f.Say(t, room.ID, "erin05", "/fault checkin"))
	assert.Contains(t, f.WaitMessages(t, room.ID, 2)[1].Text, "@erin05 checked in")
	f.WaitAck(t, f.Say(t, room.ID, "dave04", "/fault resolve fixed"))
	var summary dingtalkfake.Message
	for n := 3; !strings.Contains(summary.Text, "Check-in rate"); n++ {
		msgs := f.WaitMessages(t, room.ID, n)
		summary = msgs[n-1]
	}
	assert.Equal(t, "sampleMarkdown", summary.MsgKey)
	cancel()
	require.Equal(t, 0, <-done, errb.String())

	room = f.Groups()[1]
	assert.Equal(t, "", room.Template)
	assert.Equal(t, "dave04", room.Owner, "dave sorts before erin; carol has no userid")
	slices.Sort(room.Members)
	assert.Equal(t, []string{"dave04", "erin05"}, room.Members)
	assert.Equal(t, 1, strings.Count(errb.String()+out.String(), "dingtalk.card_template_id is not set"), "warned once at start")
}
