package lark

import (
	"encoding/json"
	"fmt"
	"strings"
)

// messageText is a text or rich-text ("post") message's text, mentions
// left as their keys (@_user_1) for commandText.
func messageText(typ, content string) (string, error) {
	if typ == "text" {
		var c struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal([]byte(content), &c); err != nil {
			return "", fmt.Errorf("a text message whose content is not JSON: %w", err)
		}
		return c.Text, nil
	}
	return postText(content)
}

// post is a rich-text message's content: paragraphs of elements. Lark
// sends it bare in events; the send API's form wraps it in a locale
// ({"en_us": {...}}), also read.
type post struct {
	Title   string          `json:"title"`
	Content [][]postElement `json:"content"`
}

type postElement struct {
	Tag    string `json:"tag"`
	Text   string `json:"text"`
	UserID string `json:"user_id"` // an "at": the mention's key
}

func postText(content string) (string, error) {
	var p post
	if err := json.Unmarshal([]byte(content), &p); err != nil || p.Content == nil {
		var byLocale map[string]post
		if json.Unmarshal([]byte(content), &byLocale) != nil {
			return "", fmt.Errorf("a rich-text message whose content does not parse")
		}
		for _, lp := range byLocale { // one locale is sent; any will do
			if lp.Content != nil {
				p = lp
				break
			}
		}
	}
	var lines []string
	for _, para := range p.Content {
		var b strings.Builder
		for _, e := range para {
			switch e.Tag {
			case "text", "a", "code_block":
				b.WriteString(e.Text)
			case "at":
				b.WriteString(e.UserID)
			}
		}
		lines = append(lines, b.String())
	}
	return strings.Join(lines, "\n"), nil
}
