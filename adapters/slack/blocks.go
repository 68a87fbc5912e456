package slack

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/warroom/warroom/bot"
)

// Block Kit limits.
const (
	maxHeader  = 150
	maxSection = 3000
	maxFields  = 10
	maxField   = 2000
	maxBlocks  = 50
)

// blocks renders a message as Block Kit. Kickoff, summary and approval get a
// header and a field grid; every message's buttons become an actions block
// whose values are the commands a click stands for. Text stays complete:
// Slack shows it in notifications.
func blocks(m bot.Message) []slack.Block {
	var out []slack.Block
	body := m.Text
	rich := m.Title != "" && (m.Kind == bot.KindKickoff || m.Kind == bot.KindSummary || m.Kind == bot.KindApproval)
	if rich {
		out = append(out, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, clip(m.Title, maxHeader), true, false)))
		if first, rest, ok := strings.Cut(body, "\n"); ok && strings.Contains(first, m.Title) {
			body = rest // the header says it
		}
		var fields []*slack.TextBlockObject
		for _, f := range m.Fields {
			if len(fields) == maxFields {
				break
			}
			fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, clip(fmt.Sprintf("*%s*\n%s", f.Label, f.Value), maxField), false, false))
		}
		if len(fields) > 0 {
			out = append(out, slack.NewSectionBlock(nil, fields, nil))
		}
	}
	for _, chunk := range chunks(body, maxSection) {
		out = append(out, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, chunk, false, false), nil, nil))
	}
	if len(m.Buttons) > 0 {
		var els []slack.BlockElement
		for i, b := range m.Buttons {
			btn := slack.NewButtonBlockElement(fmt.Sprintf("warroom_cmd_%d", i), b.Command,
				slack.NewTextBlockObject(slack.PlainTextType, clip(b.Label, 75), true, false))
			switch b.Style {
			case "primary":
				btn.Style = slack.StylePrimary
			case "danger":
				btn.Style = slack.StyleDanger
			}
			els = append(els, btn)
		}
		out = append(out, slack.NewActionBlock("warroom_actions", els...))
	}
	if len(out) > maxBlocks {
		out = append(out[:maxBlocks-1], out[len(out)-1])
	}
	return out
}

// chunks splits text into pieces of at most n bytes, at line ends where it
// can.
func chunks(text string, n int) []string {
	text = strings.TrimSpace(text)
	var out []string
	for len(text) > n {
		cut := strings.LastIndexByte(text[:n], '\n')
		if cut <= 0 {
			cut = len(clip(text, n))
		}
		out = append(out, text[:cut])
		text = strings.TrimLeft(text[cut:], "\n")
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}
