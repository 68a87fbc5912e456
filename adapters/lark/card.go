package lark

import (
	"regexp"
	"strings"

	"github.com/warroom/warroom/bot"
)

// Cards are Lark's message card JSON (the 1.0 schema, which every Lark
// and Feishu client renders): a header, the text as markdown, the fields,
// and the buttons, whose value carries the command line a click stands for.

// TextElementID marks the card element holding the message's text, so
// that the fake (and a reader of the JSON) finds it.
const TextElementID = "text"

// CommandKey is the key of a button's value that holds its command line.
const CommandKey = "command"

var headerColour = map[bot.MessageKind]string{
	bot.KindKickoff:  "red",
	bot.KindApproval: "orange",
	bot.KindSummary:  "green",
	bot.KindError:    "carmine",
}

// textAt is the text mention Mention writes; cards' markdown writes it as
// <at id=...></at>.
var textAt = regexp.MustCompile(`<at user_id="([^"]*)"></at>`)

// cardMarkdown is text for a card's markdown: mentions in its form, and
// every other < and > as entities, so that `/fault update <text>` is not
// taken for a tag.
func cardMarkdown(s string) string {
	parts := textAt.Split(s, -1)
	ids := textAt.FindAllStringSubmatch(s, -1)
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(strings.NewReplacer("<", "&#60;", ">", "&#62;").Replace(p))
		if i < len(ids) {
			b.WriteString("<at id=" + ids[i][1] + "></at>")
		}
	}
	return b.String()
}

type obj = map[string]any

func card(m bot.Message, buttons []bot.Button) obj {
	var elements []any
	elements = append(elements, obj{"tag": "markdown", "element_id": TextElementID, "content": cardMarkdown(m.Text)})
	if len(m.Fields) > 0 {
		var fields []any
		for _, f := range m.Fields {
			fields = append(fields, obj{"is_short": len(f.Value) < 40, "text": obj{"tag": "lark_md",
				"content": "**" + f.Label + "**\n" + cardMarkdown(f.Value)}})
		}
		elements = append(elements, obj{"tag": "div", "fields": fields})
	}
	if len(buttons) > 0 {
		var actions []any
		for _, b := range buttons {
			typ := "default"
			switch b.Style {
			case "primary":
				typ = "primary"
			case "danger":
				typ = "danger"
			}
			actions = append(actions, obj{"tag": "button", "type": typ,
				"text": obj{"tag": "plain_text", "content": b.Label}, "value": obj{CommandKey: b.Command}})
		}
		elements = append(elements, obj{"tag": "action", "actions": actions})
	}
	c := obj{"config": obj{"wide_screen_mode": true, "update_multi": true}, "elements": elements}
	title := m.Title
	if title == "" {
		title = firstLine(m.Text)
	}
	colour := headerColour[m.Kind]
	if colour == "" {
		colour = "blue"
	}
	c["header"] = obj{"template": colour, "title": obj{"tag": "plain_text", "content": title}}
	return c
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return textAt.ReplaceAllString(s, "@$1")
}
