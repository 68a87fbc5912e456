package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/warroom/warroom/bot"
)

// CreateChannel implements bot.Adapter: a scene group from the configured
// template (none is sent when none is configured), owned by the configured
// owner or else the catalog's first person with a userid. DingTalk lets many groups share
// a title; warroom still gives each war room its own (name-2, name-3, ...)
// among those this process made, so that people can tell them apart.
func (a *Adapter) CreateChannel(ctx context.Context, name string) (bot.Channel, error) {
	if a.owner == "" {
		return bot.Channel{}, errNoOwner
	}
	title := a.claim(name)
	body := map[string]any{
		"title":         title,
		"owner_user_id": a.owner,
		// One uuid per war room: a retry of this call that reached
		// DingTalk before gets the same group, not a second one.
		"uuid": "warroom-" + a.seq.next(),
	}
	if a.cfg.TemplateID != "" {
		body["template_id"] = a.cfg.TemplateID
	}
	var out struct {
		Result struct {
			OpenConversationID string `json:"open_conversation_id"`
			ChatID             string `json:"chat_id"`
		} `json:"result"`
	}
	if err := a.oapi(ctx, "create scene group "+title, "/topapi/im/chat/scenegroup/create", body, &out); err != nil {
		a.release(title)
		return bot.Channel{}, a.explainGroup(err)
	}
	if out.Result.OpenConversationID == "" {
		a.release(title)
		return bot.Channel{}, fmt.Errorf("dingtalk: create scene group %s: the answer has no open_conversation_id", title)
	}
	a.mu.Lock()
	a.names[title] = out.Result.OpenConversationID
	a.mu.Unlock()
	return bot.Channel{ID: out.Result.OpenConversationID, Name: title}, nil
}

// FindChannel implements bot.ChannelFinder, as far as DingTalk allows: it
// has no way to look a group up by its title. A group this process made is
// found by its title; a name that is an open conversation id ("cid…",
// notify: ["#cidAbC…=="]) is that group; anything else is ENOTFOUND saying
// what to write instead.
func (a *Adapter) FindChannel(_ context.Context, name string) (bot.Channel, error) {
	name = strings.TrimPrefix(name, "#")
	a.mu.Lock()
	id := a.names[name]
	a.mu.Unlock()
	switch {
	case id != "" && id != claimed:
		return bot.Channel{ID: id, Name: name}, nil
	case strings.HasPrefix(name, "cid") && len(name) > 3:
		return bot.Channel{ID: name, Name: name}, nil
	}
	return bot.Channel{}, bot.Errorf(bot.ENOTFOUND, "DingTalk cannot find a group by its title (#%s); write the group's open conversation id instead, e.g. notify: [\"#cidAbC123==\"]", name)
}

// claim takes the first of name, name-2, ... that this process has not
// made yet.
func (a *Adapter) claim(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	title := name
	for n := 2; a.taken(title); n++ {
		title = fmt.Sprintf("%s-%d", name, n)
	}
	a.names[title] = claimed
	return title
}

// claimed marks a title being made; the group's id replaces it.
const claimed = "-"

func (a *Adapter) taken(title string) bool { _, ok := a.names[title]; return ok }

func (a *Adapter) release(title string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.names, title)
}

// Invite implements bot.Adapter: one member/add for everyone with a
// DingTalk userid. People without one are skipped (the core says who).
func (a *Adapter) Invite(ctx context.Context, channelID string, people []bot.Person) error {
	var ids []string
	for _, p := range people {
		if id := p.Account("dingtalk"); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	body := map[string]any{"open_conversation_id": channelID, "user_ids": strings.Join(ids, ",")}
	return a.oapi(ctx, "add members to "+channelID, "/topapi/im/chat/scenegroup/member/add", body, nil)
}

var errNoOwner = errors.New("dingtalk: cannot create a war-room group: DingTalk needs an owner, and dingtalk.owner is not set and no catalog person has a dingtalk userid; set dingtalk.owner to a userid (e.g. owner: manager4220) or give someone a dingtalk: userid under people")

// refusedTemplate reports whether DingTalk refused a call for its template
// (or for a parameter a template supplies).
func refusedTemplate(err error) (*apiError, bool) {
	e, ok := err.(*apiError)
	return e, ok && (e.Code == "40035" || e.Code == "4000" || strings.Contains(strings.ToLower(e.Msg), "template"))
}

// explainGroup turns DingTalk refusing a scene group into one line saying
// which setting to fix.
func (a *Adapter) explainGroup(err error) error {
	e, ok := refusedTemplate(err)
	switch {
	case !ok:
		return err
	case a.cfg.TemplateID == "":
		return fmt.Errorf("%w; DingTalk wants a scene-group template: set dingtalk.template_id to one that has the app's robot (Developer Console, Scene groups, Group templates)", e)
	}
	return fmt.Errorf("%w; check dingtalk.template_id %q (the template must exist and have the app's robot) and the owner %q (a userid in the organisation)", e, a.cfg.TemplateID, a.owner)
}
