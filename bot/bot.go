package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Options are the settings of the core.
type Options struct {
	Command      string // the slash-command word; default "fault"
	CheckinEmoji string // default "white_check_mark"
	// Bridge is the conference URL template ({id} is the fault number), used
	// by `call` where the platform cannot open a voice channel itself.
	Bridge string
	// Permissions is who may run each command; nil is the default table
	// (DefaultPermissions). A config's `permissions:` rows are applied with
	// DefaultPermissions().With(rows).
	Permissions Permissions
	// BaseURL is where people reach the war-room pages (config base_url),
	// for the links chat gives; "" gives none, and the resolve summary
	// says how to set it.
	BaseURL string
}

// Bot is the war-room core. It turns what users do on the chat platform
// into events on faults' timelines, and answers through the adapter.
type Bot struct {
	store   Store
	adapter Adapter
	clock   Clock
	catalog *Catalog
	opts    Options
	log     *slog.Logger
	verbs   *Registry
	crons   schedules
	// notifier pages people; nil until a provider is configured.
	notifier Notifier
	plans    plansState
	alerts   alertState
	chat     chatState // the chat inbox (chatinbox.go)

	// locks serialise the commands on one fault so that decisions are
	// made on the state they will be appended to.
	locks keyLocks[int64]
	// opening maps the channel of a war room being declared to its fault
	// until declare records the room (channel id → fault id).
	opening sync.Map
	// vouched is who the store has been told may act (actors.go).
	vouched vouched
	// observer hears what is recorded (observe.go); nil: nobody.
	observer Observer
	// bg tracks work nobody waits for (pinning on remote platforms), so
	// that shutdown and tests can.
	bg sync.WaitGroup
}

// background runs fn beside the caller, on a context that outlives the
// request but keeps its values.
func (b *Bot) background(ctx context.Context, fn func(context.Context)) {
	ctx = context.WithoutCancel(ctx)
	b.bg.Go(func() { fn(ctx) })
}

// Wait blocks until background work is done, alerts taken included. Call
// it before exit.
func (b *Bot) Wait() {
	b.waitAlerts()
	b.bg.Wait()
}

// New returns a Bot with the core verbs registered.
func New(store Store, adapter Adapter, clock Clock, catalog *Catalog, opts Options, log *slog.Logger) (*Bot, error) {
	if opts.Command == "" {
		opts.Command = "fault"
	}
	if opts.CheckinEmoji == "" {
		opts.CheckinEmoji = "white_check_mark"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	verbs, err := defaultRegistry()
	if err != nil {
		return nil, err
	}
	return &Bot{store: store, adapter: adapter, clock: clock, catalog: catalog, opts: opts, log: log, verbs: verbs}, nil
}

// Start prepares the bot for a (re)started process: plan runs the last
// process left mid-step are marked interrupted and announced, adapters
// without a memory of their own learn the open war rooms' kickoff messages,
// and the alert intake starts, acting first on what the last process kept
// but did not act on; the chat events kept but not handled are handled,
// in the background. Plan runs started from now on, and the intake, stop
// when ctx ends.
func (b *Bot) Start(ctx context.Context) error {
	if err := b.start(ctx); err != nil {
		return err
	}
	if err := b.startAlerts(ctx); err != nil {
		return err
	}
	return b.replayChat(ctx)
}

// TakeOver is what a process does each time it becomes the leader of
// several on one database: it marks interrupted the plan runs of processes
// that died, and handles the chat events and alert deliveries that another
// process kept and did not handle (the leader that died had acknowledged
// them to the platform). Which are another's to take
// is the store's to say (its Pending: never those a live process holds).
// Start did the same for this process's own past. Their handling ends with
// ctx, the term: what is cut short stays for the next leader.
func (b *Bot) TakeOver(ctx context.Context) error {
	if err := b.interruptOrphanRuns(ctx); err != nil {
		return err
	}
	if err := b.requeueAlerts(ctx); err != nil {
		return err
	}
	return b.replayChat(ctx)
}

func (b *Bot) start(ctx context.Context) error {
	b.plans.runCtx = ctx
	// The store learns the catalog's people now, so that its table of
	// actors is whole for whoever reads the file; a store that cannot be
	// written is told later, on the first command that writes.
	if err := b.vouch(ctx); err != nil {
		b.log.Warn("telling the store who may act", "err", err)
	}
	if err := b.rearm(ctx, b.store); err != nil {
		return err
	}
	if err := b.interruptOrphanRuns(ctx); err != nil {
		return err
	}
	km, ok := b.adapter.(KickoffMemory)
	if !ok {
		return nil
	}
	// An adapter without a memory of its own (the console) hears of every
	// open war room's kickoff.
	open, err := b.store.Faults(ctx, FaultFilter{Status: []Status{StatusOpen, StatusMitigated}})
	if err != nil {
		return err
	}
	for _, f := range open {
		if f.Channel != "" && f.Kickoff != "" {
			km.RememberKickoff(f.Channel, f.Kickoff)
		}
	}
	return nil
}

// interruptOrphanRuns marks interrupted the plan runs that were running
// in a process that is gone (interruptRuns; runsElsewhere spares those a
// live process runs). Only faults with a run started are read: at a
// restart with many open faults, replaying every timeline is what the due
// index is there to spare.
func (b *Bot) interruptOrphanRuns(ctx context.Context) error {
	running, err := b.store.Faults(ctx, FaultFilter{Status: []Status{StatusOpen, StatusMitigated}, WithEvent: EventRunStarted})
	if err != nil {
		return err
	}
	for _, f := range running {
		unlock := b.lock(f.ID)
		_ = b.contain(ctx, f, "restart", func() error { b.interruptRuns(ctx, f); return nil })
		unlock()
	}
	return nil
}

// UseNotifier sets how people are paged.
func (b *Bot) UseNotifier(n Notifier) { b.notifier = n }

// Register adds a capability's verb to the command registry.
func (b *Bot) Register(v Verb) error { return b.verbs.Register(v) }

// Registry returns the command registry.
func (b *Bot) Registry() *Registry { return b.verbs }

// Clock returns the bot's clock.
func (b *Bot) Clock() Clock { return b.clock }

// Store returns the bot's store.
func (b *Bot) Store() Store { return b.store }

// Catalog returns the bot's catalog.
func (b *Bot) Catalog() *Catalog { return b.catalog }

// load is a fault's state now, folded from its timeline.
func (b *Bot) load(ctx context.Context, id int64) (*Fault, error) { return LoadFault(ctx, b.store, id) }

// peek loads a fault for the wording of a usage error only (nil if it
// cannot): commands that parse leave the loading to their use case.
func (b *Bot) peek(ctx context.Context, id int64) *Fault {
	f, err := b.load(ctx, id)
	if err != nil {
		return nil
	}
	return f
}

func (b *Bot) lock(id int64) func() { return b.locks.lock(id) }

// faultByChannel finds the fault whose war room is channel. For a room
// being declared it waits until declare has recorded it (declare holds the
// fault's lock until then), so that what is typed or reacted there is
// decided on the recorded room and kickoff.
func (b *Bot) faultByChannel(ctx context.Context, channel string) (int64, error) {
	if id, ok := b.opening.Load(channel); ok {
		b.lock(id.(int64))()
		return id.(int64), nil
	}
	return b.store.FaultByChannel(ctx, channel)
}

// HandleMessage runs the command in a message, if it holds one, and answers
// in the channel. It never panics on input and never returns an error: what
// went wrong is the answer.
func (b *Bot) HandleMessage(ctx context.Context, in Incoming) {
	cmd, ok := ParseCommand(b.opts.Command, in.Text)
	if !ok {
		if hint := b.misworded(in.Text); hint != "" {
			b.reply(ctx, in.Channel, KindError, "⚠️ "+hint)
		}
		return
	}
	defer func() {
		if p := recover(); p != nil { // a bug must not take the war room down
			b.log.Error("command panicked", "text", in.Text, "panic", p)
			b.reply(ctx, in.Channel, KindError, "internal error running that command; it is in warroom's log. Nothing recorded was lost.")
		}
	}()
	var after *afterCommand
	if s, ok := b.adapter.(Sequential); ok && s.Sequential() {
		after = &afterCommand{}
		ctx = context.WithValue(ctx, afterKey{}, after)
	}
	if err := b.run(ctx, in, cmd); err != nil {
		if ErrorCode(err) == EINTERNAL { // the store failed, most likely: say what happened
			b.log.Error("command failed", "text", in.Text, "err", err)
			err = Errorf(EINTERNAL, "%s; that command was not recorded: type it again", ErrorMessage(err))
		}
		b.reply(ctx, in.Channel, KindError, "⚠️ "+ErrorMessage(err))
	}
	if after != nil {
		ctx = context.WithValue(ctx, afterKey{}, nil) // what it starts goes to the background
		for _, fn := range after.fns {
			fn(ctx)
		}
	}
}

// misworded answers a line that is a command but for a typo in the command
// word ("/faults status"): silence would leave the typist waiting. A line
// whose next word is no verb is someone else's chat, and is left alone.
func (b *Bot) misworded(text string) string {
	word, rest := SplitFirst(strings.TrimSpace(text))
	if !strings.HasPrefix(word, "/") || len(word) < 2 || Closest(word[1:], []string{b.opts.Command}) == "" {
		return ""
	}
	verb, _ := SplitFirst(rest)
	if _, err := b.verbs.Lookup(b.opts.Command, strings.ToLower(verb)); err != nil {
		return ""
	}
	return fmt.Sprintf("%s is not warroom's command word; did you mean /%s %s?", word, b.opts.Command, strings.TrimSpace(rest))
}

func (b *Bot) run(ctx context.Context, in Incoming, cmd Command) error {
	v, err := b.verbs.Lookup(b.opts.Command, cmd.Verb)
	if err != nil {
		return err
	}
	r := &Request{Channel: in.Channel, Actor: b.identify(ctx, in.User), Cmd: cmd, verb: v.Name}
	if v.Scope == AnyChannel {
		return v.Run(ctx, b, r)
	}
	id, err := b.faultByChannel(ctx, in.Channel)
	if ErrorCode(err) == ENOTFOUND {
		return b.notAWarRoom(ctx, v)
	} else if err != nil {
		return err
	}
	r.FaultID = id
	return v.Run(ctx, b, r)
}

func (b *Bot) notAWarRoom(ctx context.Context, v *Verb) error {
	msg := fmt.Sprintf("/%s %s works in a fault's war room, and this channel is not one", b.opts.Command, v.Name)
	open, err := b.store.Faults(ctx, FaultFilter{Status: []Status{StatusOpen, StatusMitigated}, Limit: 5})
	if err == nil && len(open) > 0 {
		var rooms []string
		for _, f := range open {
			if f.ChannelName != "" {
				rooms = append(rooms, fmt.Sprintf("#%s", f.ChannelName))
			}
		}
		msg += "; open war rooms: " + strings.Join(rooms, ", ")
	} else {
		msg += fmt.Sprintf("; open one with /%s declare P1|P2|P3|P4 <title> service=<name>", b.opts.Command)
	}
	return Errorf(EINVALID, "%s", msg)
}

// HandleReaction checks in whoever reacts with the check-in emoji to a war
// room's kickoff message. Other reactions are ignored; removing one is not a
// check-out.
func (b *Bot) HandleReaction(ctx context.Context, r Reaction) {
	if NormalizeEmoji(r.Emoji) != NormalizeEmoji(b.opts.CheckinEmoji) {
		return
	}
	id, err := b.faultByChannel(ctx, r.Channel)
	if err != nil {
		if ErrorCode(err) != ENOTFOUND {
			b.log.Error("reaction: finding the fault", "channel", r.Channel, "err", err)
		}
		return
	}
	f, err := b.load(ctx, id)
	if err != nil {
		b.log.Error("reaction: loading the fault", "fault", id, "err", err)
		return
	}
	if r.Message != f.Kickoff || !f.Open() {
		return
	}
	p := b.identify(ctx, r.User)
	if pt, ok := f.Participant(p.ID); ok && pt.CheckedIn() {
		return // a second ✅ is not news
	}
	a := Actor{Person: p, Via: ViaChat}
	_, err = b.act(ctx, a, f.ID, ask{command: "checkin"}, func(f *Fault) (string, error) {
		if pt, ok := f.Participant(p.ID); ok && pt.CheckedIn() {
			return "", nil // checked in meanwhile
		}
		return b.checkin(ctx, f, p, CheckinReaction)
	})
	if ErrorCode(err) == EFORBIDDEN {
		b.reply(ctx, r.Channel, KindError, "⚠️ "+ErrorMessage(err))
	} else if err != nil {
		b.log.Warn("reaction check-in", "fault", f.ID, "person", p.ID, "err", err)
	}
}

// identify maps a platform user to a catalog person: by platform id, else by
// email where the adapter can tell it. Someone the catalog does not know
// still gets a person, keyed by their platform id, so that anyone in the
// workspace can declare or check in.
func (b *Bot) identify(ctx context.Context, uid string) Person {
	if b.byID() {
		if p, ok := b.catalog.People[uid]; ok {
			return p
		}
	} else if p, ok := b.catalog.ByAccount(b.adapter.Platform(), uid); ok {
		return p
	}
	if d, ok := b.adapter.(Directory); ok && uid != "" {
		email, err := d.UserEmail(ctx, uid)
		if err != nil {
			b.log.Debug("looking up a user's email", "user", uid, "err", err)
		} else if p, ok := b.catalog.ByEmail(email); ok {
			return p
		}
	}
	return b.bare(uid)
}

// person returns the catalog record of a person id, or a bare one.
func (b *Bot) person(id string) Person {
	if p, ok := b.catalog.People[id]; ok {
		return p
	}
	return b.bare(id)
}

// bare is someone the catalog does not know, keyed by their platform id.
func (b *Bot) bare(uid string) Person {
	return Person{ID: uid, Accounts: map[string]string{b.adapter.Platform(): uid}}
}

// byID reports whether the platform's users are the catalog's ids.
func (b *Bot) byID() bool {
	p, ok := b.adapter.(PeopleByID)
	return ok && p.UsersAreCatalogIDs()
}

// onChat reports whether a person can be reached on the chat platform.
func (b *Bot) onChat(p Person) bool { return UserID(b.adapter, p) != "" }

// resolvePerson reads a command's @person argument: a platform mention
// (`<@U123>`, `<@!123>`), `@alice` or `alice`.
func (b *Bot) resolvePerson(ctx context.Context, arg string) (Person, error) {
	if strings.HasPrefix(arg, "<@") && strings.HasSuffix(arg, ">") {
		uid := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(arg, ">"), "<@"), "!")
		if i := strings.IndexByte(uid, '|'); i >= 0 { // Slack's <@U123|name>
			uid = uid[:i]
		}
		if uid == "" {
			return Person{}, Errorf(EINVALID, "%q is not a mention; type @person", arg)
		}
		return b.identify(ctx, uid), nil
	}
	if arg == "" || arg == "@" {
		return Person{}, Errorf(EINVALID, "a person is missing; type @person (a mention or a catalog id such as @alice)")
	}
	return b.catalog.Person(arg)
}

// mention renders a person for a message.
func (b *Bot) mention(id string) string {
	if id == "" {
		return "nobody"
	}
	if m, ok := b.adapter.(Mentioner); ok {
		return m.Mention(b.person(id))
	}
	return "@" + id
}

func (b *Bot) mentions(ids []string) string {
	if len(ids) == 0 {
		return "nobody"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = b.mention(id)
	}
	return strings.Join(out, ", ")
}

// reply posts an answer in a channel. A failed post is logged: there is no
// one else to tell.
func (b *Bot) reply(ctx context.Context, channel string, kind MessageKind, text string) {
	if _, err := b.adapter.Post(ctx, channel, Message{Kind: kind, Text: text}); err != nil {
		b.log.Error("posting a reply", "channel", channel, "err", err)
	}
}
