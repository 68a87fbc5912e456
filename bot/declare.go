package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// DeclareRequest is a new fault, from a command, an alert or the API.
type DeclareRequest struct {
	Actor   string // person id of who declared it
	Level   Level
	Title   string
	Service string    // affected service; optional
	Cause   string    // suspected-cause service; optional
	Kind    string    // kind of fault, matched against plans; optional
	Origin  string    // channel it was declared in, to answer there; optional
	Started time.Time // when the fault began, if known (before now)
	// Via is where it came from (ViaChat, ViaAPI, ViaAlert...). A fault an
	// alert declares has no human handler: the first to check in becomes it.
	Via string

	// requestKey identifies the chat event the declare came in (its inbox
	// id): a replay of it after a crash finds the fault it recorded instead
	// of declaring a second one. Set from the context (inboxKey).
	requestKey string

	// Set by Alerts only, so that no chat or API request can: the key the
	// fault is filed under (the store makes one fault per key, however
	// many deliveries race); unlisted lets a service the catalog does not
	// know through (an alert's label; the war room is told of the gap);
	// events are recorded with the declaration; after is posted in the war
	// room after the kickoff.
	alertKey string
	unlisted bool
	events   []Event
	after    string
}

// declareArgs are `/fault declare`'s: P1|P2|P3|P4 <title...> [service=<name>] [cause=<name>] [kind=<kind>].
var declareArgs = []Arg{
	{Name: "level", Kind: ArgLevel, Required: true, Desc: "P1 (worst) to P4"},
	{Name: "title", Kind: ArgWord, Many: true, Required: true, Desc: "What is broken"},
	{Name: "name", Key: "service", Kind: ArgWord, Desc: "The affected service"},
	{Name: "name", Key: "cause", Kind: ArgWord, Desc: "The suspected-cause service"},
	{Name: "kind", Key: "kind", Kind: ArgWord, Desc: "The kind of fault (server-down, db-data-error...)"},
	{Name: "when", Key: "started", Kind: ArgText, Desc: "When it began: 13:40, 2026-04-08T13:40:00Z or 20m ago", Example: "20m ago"},
}

// parseDeclare reads `/fault declare` arguments.
func (b *Bot) parseDeclare(r *Request) (DeclareRequest, error) {
	usage := b.usage("declare")
	a, err := Tokenize(r.Cmd.Rest)
	if err != nil {
		return DeclareRequest{}, Errorf(EINVALID, "%s Type: %s", sentence(ErrorMessage(err)), usage)
	}
	if err := a.CheckOptions(usage, "service", "cause", "kind", "started"); err != nil {
		return DeclareRequest{}, err
	}
	if len(a.Words) == 0 {
		return DeclareRequest{}, Errorf(EINVALID, "a level and a title are needed. Type: %s", usage)
	}
	lvl, err := ParseLevel(a.Words[0])
	if err != nil {
		return DeclareRequest{}, Errorf(EINVALID, "%s Type: %s", sentence(ErrorMessage(err)), usage)
	}
	var started time.Time
	if s, ok := a.Options["started"]; ok {
		if started, err = ParseStarted(s, b.clock.Now()); err != nil {
			return DeclareRequest{}, Errorf(EINVALID, "%s Type: %s", sentence(ErrorMessage(err)), usage)
		}
	}
	return DeclareRequest{Started: started,
		Actor: r.Actor.ID, Level: lvl, Title: strings.Join(a.Words[1:], " "),
		Service: a.Options["service"], Cause: a.Options["cause"], Kind: a.Options["kind"],
		Origin: r.Channel, Via: ViaChat,
	}, nil
}

// validate checks a request and normalises its level. A name that is not
// in the catalog is bad input (EINVALID), as in every other command.
func (req *DeclareRequest) validate(c *Catalog, word string) error {
	if strings.TrimSpace(req.Title) == "" {
		return Errorf(EINVALID, "a title is needed. Type: /%s declare %s %s", word, orP2(req.Level), "<title...> service=<name>")
	}
	if len(req.Title) > 300 {
		return Errorf(EINVALID, "the title is %d characters; keep it under 300 and put details in /%s update", len(req.Title), word)
	}
	lvl, err := ParseLevel(string(req.Level))
	if err != nil {
		return err
	}
	req.Level = lvl
	if req.Service != "" && !req.unlisted {
		if _, err := c.Service(req.Service); err != nil {
			return c.noService("service", req.Service)
		}
	}
	if req.Cause != "" && !req.unlisted {
		if _, err := c.Service(req.Cause); err != nil {
			return c.noService("cause", req.Cause)
		}
	}
	return nil
}

func orP2(l Level) Level {
	if l == "" {
		return P2
	}
	return l
}

// Declare opens a war room: records the fault, creates its channel, invites
// the affected and suspected-cause services' contacts, the level's commander
// and the declarer in one call, and posts the kickoff. A failing platform
// does not undo the declaration: the fault is recorded and the failure said.
// A request with an Origin is answered there: on Concurrent platforms as
// soon as the channel exists, beside the invitations and the kickoff;
// elsewhere once everything is done.
func (b *Bot) Declare(ctx context.Context, req DeclareRequest) (*Fault, error) {
	f, _, err := b.declare(ctx, req)
	return f, err
}

// declare is Declare. Under an alert key that has an open fault already it
// declares nothing and returns that fault's id (in a bare Fault) with
// created false.
func (b *Bot) declare(ctx context.Context, req DeclareRequest) (f *Fault, created bool, err error) {
	if req.Via != ViaAlert {
		req.alertKey, req.unlisted, req.events, req.after = "", false, nil, ""
	}
	if err := req.validate(b.catalog, b.opts.Command); err != nil {
		return nil, false, err
	}
	human := req.Via != ViaAlert
	if human {
		if err := b.authorize(nil, req.Actor, ask{command: "declare"}); err != nil {
			b.log.Info("declare refused", "actor", req.Actor, "via", req.Via)
			return nil, false, err
		}
	}
	if err := b.vouch(ctx, req.Actor); err != nil {
		return nil, false, err
	}
	now := b.clock.Now()
	if req.Started.After(now) { // a sender's clock ahead of ours
		req.Started = now
	}
	evs := []Event{{Type: EventDeclared, At: now, Actor: req.Actor, Level: req.Level,
		Text: strings.TrimSpace(req.Title), Service: req.Service, Cause: req.Cause, Kind: req.Kind, Started: req.Started}}
	commander := b.catalog.Commander(req.Level, req.Service, now)
	if commander != "" {
		evs = append(evs, Event{Type: EventRoleAssigned, At: now, Actor: ActorBot, Role: RoleCommander, Person: commander, Text: "policy"})
	}
	if human {
		evs = append(evs, Event{Type: EventRoleAssigned, At: now, Actor: ActorBot, Role: RoleHandler, Person: req.Actor, Text: "declared it"})
	}
	for _, e := range req.events {
		if e.At.IsZero() {
			e.At = now
		}
		evs = append(evs, e)
	}
	var id int64
	ak, keyed := b.store.(AlertKeys)
	switch {
	case req.alertKey != "":
		if !keyed {
			return nil, false, Errorf(EUNAVAILABLE, "this store keeps no alert index")
		}
		if id, created, err = ak.CreateAlertFault(ctx, req.Actor, req.alertKey, evs); err != nil {
			return nil, false, err
		} else if !created {
			return &Fault{ID: id}, false, nil
		}
	case req.requestKey != "" && keyed:
		if id, created, err = ak.CreateAlertFault(ctx, requestSource, req.requestKey, evs); err != nil {
			return nil, false, err
		} else if !created {
			return b.redeclare(ctx, id, req)
		}
	default:
		if id, err = b.store.CreateFault(ctx, evs); err != nil {
			return nil, false, err
		}
	}
	defer b.lock(id)()
	f = Replay(evs)
	b.observeDeclared(f, evs, req.Via)
	f, err = b.openRoom(ctx, f, req)
	return f, true, err
}

// requestSource is the alert index's source for the chat events that
// declared faults (DeclareRequest.requestKey).
const requestSource = "warroom-chat-event"

// redeclare settles a declare whose chat event was handled before, by a
// process that died before marking it done (a replay at start or at a
// takeover): the fault it recorded is not declared again. Its war room is
// opened now if that process did not get so far; else the declarer is
// answered again.
func (b *Bot) redeclare(ctx context.Context, id int64, req DeclareRequest) (*Fault, bool, error) {
	defer b.lock(id)()
	f, err := b.load(ctx, id)
	if err != nil {
		return nil, false, err
	}
	b.log.Info("a declare handled before a restart is not declared again", "fault", id, "request", req.requestKey)
	if f.Channel == "" {
		f, err = b.openRoom(ctx, f, req)
		return f, false, err
	}
	if req.Origin != "" && req.Origin != f.Channel {
		b.reply(ctx, req.Origin, KindReply, b.declaredText(f, len(f.Participants)))
	}
	return f, false, nil
}

// openRoom opens a recorded fault's war room: creates its channel,
// invites the services' contacts, the commander and the declarer in one
// call, posts the kickoff and answers the declarer. f's lock is held.
func (b *Bot) openRoom(ctx context.Context, f *Fault, req DeclareRequest) (*Fault, error) {
	id, commander, human := f.ID, f.Commander, req.Via != ViaAlert
	ch, err := b.adapter.CreateChannel(ctx, ChannelName(id, f.Title))
	if err != nil {
		b.log.Warn("creating the war-room channel", "fault", id, "err", err)
		if rerr := b.record(ctx, f, Event{Type: EventChannelFailed, Actor: ActorBot, Text: err.Error()}); rerr != nil {
			return f, rerr
		}
		return f, Errorf(EUNAVAILABLE, "declared %s (%s) but its war-room channel could not be created: %v", f.Ref(), f.Level, err)
	}
	// Everything from here to the kickoff is recorded in one transaction;
	// meanwhile commands typed in the new room find the fault through
	// opening, and wait on its lock until the room is recorded.
	bt := b.begin(f)
	b.stage(&bt, Event{Type: EventChannelCreated, Actor: ActorBot, Channel: ch.ID, Text: ch.Name})
	b.opening.Store(ch.ID, id)
	defer b.opening.Delete(ch.ID)

	var people []invitee
	people = append(people, b.contactsOf(f.Service, "contact of "+f.Service)...)
	people = append(people, b.contactsOf(f.Cause, "contact of "+f.Cause+", the suspected cause")...)
	people = append(people, invitee{commander, fmt.Sprintf("commander for %s", f.Level)})
	if human {
		people = append(people, invitee{req.Actor, "declared it"})
	}
	plan := b.planInvites(f, ActorBot, people)
	kickoff := b.kickoff(f, plan.ids())
	answer := req.Origin != "" && req.Origin != f.Channel

	var (
		msgID            string
		callErr, postErr error
	)
	_, concurrent := b.adapter.(Concurrent)
	if concurrent {
		// Remote platforms: the war room exists, so the declarer is
		// answered while the invitations are made and the kickoff is
		// posted (two round trips in all, the answer's included); topic and
		// pin are not worth waiting for. What fails after the answer is
		// said to the declarer after it.
		var wg sync.WaitGroup
		wg.Go(func() { callErr = plan.call(ctx, b, f) })
		if answer {
			text := b.declaredText(f, len(f.Participants)+len(plan.people))
			wg.Go(func() { b.reply(ctx, req.Origin, KindReply, text) })
		}
		msgID, postErr = b.adapter.Post(ctx, f.Channel, kickoff)
		wg.Wait()
	} else {
		callErr = plan.call(ctx, b, f)
		b.setTopic(ctx, f)
		msgID, postErr = b.adapter.Post(ctx, f.Channel, kickoff)
	}
	_, inviteErr := plan.stage(b, &bt, callErr)
	if postErr == nil {
		b.stage(&bt, Event{Type: EventKickoffPosted, Actor: ActorBot, Message: msgID})
		if human && f.Invited(req.Actor) { // declaring is being there
			b.stage(&bt, Event{Type: EventCheckedIn, Actor: req.Actor, Person: req.Actor, Via: CheckinDeclared})
		}
	}
	if err := b.commit(ctx, &bt); err != nil {
		return f, err
	}
	if postErr != nil {
		return f, Errorf(EUNAVAILABLE, "declared %s in #%s but the kickoff could not be posted: %v", f.Ref(), f.ChannelName, postErr)
	}
	if concurrent {
		snap := *f
		b.background(ctx, func(ctx context.Context) { b.setTopic(ctx, &snap); b.pin(ctx, &snap, msgID) })
	} else {
		b.pin(ctx, f, msgID)
	}
	if inviteErr != nil {
		b.reply(ctx, f.Channel, KindError, "⚠️ "+ErrorMessage(inviteErr))
		if concurrent && answer { // the answer said they were being invited
			b.reply(ctx, req.Origin, KindError, fmt.Sprintf("⚠️ declared %s in #%s, but %s", f.Ref(), f.ChannelName, ErrorMessage(inviteErr)))
		}
	}
	if req.after != "" {
		b.reply(ctx, f.Channel, KindNotice, req.after)
	}
	if concurrent {
		// Stakeholders and pagers may be slow (a paging provider retries
		// for seconds): the declarer's answer does not wait for them.
		b.background(ctx, func(ctx context.Context) {
			defer b.lock(id)()
			if f, err := b.load(ctx, id); err == nil {
				b.tellOutside(ctx, f)
			}
		})
	} else {
		b.tellOutside(ctx, f)
		if answer {
			b.reply(ctx, req.Origin, KindReply, b.declaredText(f, len(f.Participants)))
		}
	}
	return f, nil
}

// declaredText is the declarer's answer: the fault and its war room.
func (b *Bot) declaredText(f *Fault, invited int) string {
	return fmt.Sprintf("🚨 declared %s (%s): %s — war room #%s, %d invited", f.Ref(), f.Level, f.Title, f.ChannelName, invited)
}

// tellOutside tells those outside the war room of a new fault: the level's
// stakeholders, a paging service that follows faults, and those paged.
func (b *Bot) tellOutside(ctx context.Context, f *Fault) {
	b.notify(ctx, f, fmt.Sprintf("declared by %s; commander %s", b.declarer(f), b.mention(f.Commander)))
	b.track(ctx, f, true)
	b.pageAtDeclare(ctx, f)
}

func (b *Bot) setTopic(ctx context.Context, f *Fault) {
	if t, ok := b.adapter.(Topicer); ok && f.Channel != "" {
		if err := t.SetTopic(ctx, f.Channel, b.topic(f)); err != nil {
			b.log.Warn("setting the topic", "fault", f.ID, "err", err)
		}
	}
}

func (b *Bot) pin(ctx context.Context, f *Fault, msgID string) {
	if p, ok := b.adapter.(Pinner); ok {
		if err := p.Pin(ctx, f.Channel, msgID); err != nil {
			b.log.Warn("pinning the kickoff", "fault", f.ID, "err", err)
		}
	}
}

func verbDeclare(ctx context.Context, b *Bot, r *Request) error {
	req, err := b.parseDeclare(r)
	if err != nil {
		return err
	}
	req.requestKey = inboxKey(ctx)
	_, err = b.Declare(ctx, req) // answers in r.Channel, the request's Origin
	return err
}

// topic is the war-room channel's topic.
func (b *Bot) topic(f *Fault) string {
	state := ""
	if f.Status != StatusOpen {
		state = " [" + string(f.Status) + "]"
	}
	return fmt.Sprintf("%s%s %s · commander %s · handler %s", f.Level, state, f.Title, b.mention(f.Commander), b.mention(f.Handler))
}

// kickoff is the war room's first message: what, who, how to check in.
func (b *Bot) kickoff(f *Fault, invited []string) Message {
	w := b.opts.Command
	lines := []string{
		fmt.Sprintf("🚨 %s %s: %s", f.Level, f.Ref(), f.Title),
		"Services: " + b.services(f),
		fmt.Sprintf("Commander: %s · Handler: %s · Responders: %s", b.mention(f.Commander), b.mention(f.Handler), b.mentions(f.Responders)),
		"Invited: " + b.mentions(invited),
	}
	if bl := b.bridgeLine(f); bl != "" {
		lines = append(lines, bl)
	}
	lines = append(lines,
		fmt.Sprintf("Check in: react :%s: to this message or type /%s checkin", NormalizeEmoji(b.opts.CheckinEmoji), w),
		fmt.Sprintf("Post progress with /%s update <text>; /%s help lists every command", w, w),
	)
	return Message{
		Kind:  KindKickoff,
		Title: fmt.Sprintf("%s %s: %s", f.Level, f.Ref(), f.Title),
		Text:  strings.Join(lines, "\n"),
		Fields: []Field{
			{"Level", string(f.Level)}, {"Services", b.services(f)},
			{"Commander", b.mention(f.Commander)}, {"Handler", b.mention(f.Handler)},
		},
	}
}

func (b *Bot) services(f *Fault) string {
	s := "affected " + orDash(f.Service) + " · suspected cause " + orDash(f.Cause)
	if f.Kind != "" {
		s += " · kind " + f.Kind
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
