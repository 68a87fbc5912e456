package bot

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Channel is a chat channel as an adapter created it.
type Channel struct {
	ID   string // the platform's id, used in every later call
	Name string // what people see; may carry a suffix when the name was taken
}

// MessageKind tells adapters what a message is for, so that they can render
// it (Block Kit, embeds) and remember it (the kickoff takes reactions).
type MessageKind string

// Message kinds.
const (
	KindReply   MessageKind = "reply"   // an answer to a command
	KindError   MessageKind = "error"   // a one-line error answer
	KindKickoff MessageKind = "kickoff" // the war room's first message; ✅ on it checks in
	KindSummary MessageKind = "summary" // the recovery-metrics summary
	KindNotice  MessageKind = "notice"  // anything warroom says unasked
	// KindApproval asks for a decision; its Buttons carry the commands.
	KindApproval MessageKind = "approval"
)

// Button is a clickable choice on platforms that have buttons. A click is
// delivered to the Handler as the user typing Command (`/fault approve 3`)
// in the message's channel; platforms without buttons show Text, which
// always says what to type instead.
type Button struct {
	Label   string
	Command string // the full command line a click stands for
	Style   string // "primary", "danger" or ""
}

// Field is a labelled value of a structured message.
type Field struct {
	Label string
	Value string
}

// Message is what warroom posts. Text is always complete on its own (the
// console prints only it); Title and Fields let richer adapters lay it out.
type Message struct {
	Kind    MessageKind
	Text    string
	Title   string
	Fields  []Field
	Buttons []Button
}

// Adapter is a chat platform. It is deliberately small: what every platform
// can do. Further capabilities are the optional interfaces below, found by
// type assertion.
type Adapter interface {
	// Platform names the platform ("console", "slack", "discord", "memory");
	// it selects which catalog id maps people to platform users.
	Platform() string
	// CreateChannel creates a war-room channel. A taken name is not an error:
	// the adapter picks a free variant and says so in the returned Channel.
	CreateChannel(ctx context.Context, name string) (Channel, error)
	// Invite adds people to a channel in one call where the platform allows.
	Invite(ctx context.Context, channelID string, people []Person) error
	// Post posts a message in a channel and returns its id.
	Post(ctx context.Context, channelID string, m Message) (string, error)
	// DM sends a direct message to a person.
	DM(ctx context.Context, p Person, m Message) error
	// Run delivers inbound messages and reactions to h until ctx is done or
	// the platform's input ends (console EOF), and returns then.
	Run(ctx context.Context, h Handler) error
}

// InviteError is an Invite error naming whom the platform refused, by
// person id; everyone else was invited. Adapters whose platform invites
// one person per call (Matrix) return it, so that only those refused are
// recorded as not invited.
type InviteError struct {
	Failed map[string]error
}

func (e *InviteError) Error() string {
	ids := make([]string, 0, len(e.Failed))
	for id := range e.Failed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%s: %v", id, e.Failed[id])
	}
	return "not invited: " + strings.Join(parts, "; ")
}

// Topicer is an adapter that can set a channel's topic.
type Topicer interface {
	SetTopic(ctx context.Context, channelID, topic string) error
}

// Pinner is an adapter that can pin a message.
type Pinner interface {
	Pin(ctx context.Context, channelID, messageID string) error
}

// Mentioner is an adapter with its own mention syntax (`<@U123>`). Without
// it warroom writes `@id`.
type Mentioner interface {
	Mention(p Person) string
}

// Concurrent is an adapter whose calls may overlap. Declare then invites
// while it posts the kickoff, and sets the topic and pins in the background,
// so a war room is ready in two round trips (create, then invite ∥ post).
// Adapters whose output must come in order (the console) leave it out.
type Concurrent interface {
	Concurrent() bool
}

// Sequential is an adapter whose input is a script read one line after
// another (the console): work a command starts, such as a plan run, is
// finished before the next line is handled, so a replayed scenario always
// gives the same transcript. Chat platforms leave it out: their users act
// at once, and a run goes on while the war room talks.
type Sequential interface {
	Sequential() bool
}

// VoiceRooms is an adapter that can open a voice channel beside a war room
// (Discord): `/fault call` then makes one instead of posting a bridge URL.
type VoiceRooms interface {
	// CreateVoice opens a voice channel named name next to the war room
	// warRoomID, open to people, and returns it with a link to join.
	CreateVoice(ctx context.Context, warRoomID, name string, people []Person) (ch Channel, joinURL string, err error)
	// DeleteVoice removes it (at resolve).
	DeleteVoice(ctx context.Context, voiceID string) error
}

// KickoffMemory is an adapter that keeps no history of its own (the
// console). At start the core tells it the kickoff message of every open war
// room, so that reactions there still check people in after a restart.
type KickoffMemory interface {
	RememberKickoff(channelID, messageID string)
}

// Directory is an adapter that can look up a platform user's email, so that
// people the catalog lists without a platform id (only an email) are still
// recognised when they type or are mentioned.
type Directory interface {
	UserEmail(ctx context.Context, userID string) (string, error)
}

// Incoming is a text message a user typed.
type Incoming struct {
	Channel string // the platform's channel id
	User    string // the platform's user id
	Text    string
}

// Reaction is an emoji a user added to a message.
type Reaction struct {
	Channel string
	Message string // the id Post returned
	User    string
	Emoji   string // a shortcode ("white_check_mark") or the character ("✅")
}

// Handler receives what users do on the platform. Adapters call it from their
// event loop; it answers through the Adapter, passing the ctx it was given to
// every adapter call it makes while handling. Adapters may therefore put
// reply routing in ctx values (a Slack response_url, a Discord interaction
// token) and answer a command through it.
type Handler interface {
	HandleMessage(ctx context.Context, m Incoming)
	HandleReaction(ctx context.Context, r Reaction)
}

// FaultFilter selects faults.
type FaultFilter struct {
	Status []Status // any of these; empty means all
	Limit  int      // 0 means no limit
	// WithEvent keeps only faults whose timeline has an event of this type
	// (a restart looks for runs the last process started): the store
	// answers from an index, not by reading every timeline.
	WithEvent EventType
}

// Store keeps faults as their append-only timelines: what the core needs is
// create, append at an expected version, read a timeline, look a war room
// up, and list. It stamps storage time from an injected clock; event times
// come from the core.
type Store interface {
	// CreateFault allocates the next fault id and records the declare event
	// under it, returning the id. events[0] must be EventDeclared. It sets
	// FaultID and Seq (1, 2, ...) on the events in place.
	CreateFault(ctx context.Context, events []Event) (int64, error)
	// Append records events after the fault's event number after. If other
	// events were appended meanwhile it fails with ECONFLICT and records
	// nothing. It sets FaultID and Seq (after+1, ...) on the events in place.
	Append(ctx context.Context, faultID int64, after int, events []Event) error
	// Events returns a fault's timeline in order; ENOTFOUND if there is no
	// such fault. The core folds it into the fault (LoadFault).
	Events(ctx context.Context, faultID int64) ([]Event, error)
	// FaultByChannel finds the newest fault whose war room is channelID;
	// ENOTFOUND if none.
	FaultByChannel(ctx context.Context, channelID string) (int64, error)
	// Faults lists faults, newest first.
	Faults(ctx context.Context, filter FaultFilter) ([]*Fault, error)
	// DueIndex keeps when each fault's timed work next falls due; the core
	// records through AppendDue.
	DueIndex
}

// LoadFault is a fault's state now: its timeline, replayed.
func LoadFault(ctx context.Context, s Store, id int64) (*Fault, error) {
	events, err := s.Events(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return nil, Errorf(ENOTFOUND, "there is no fault %d", id)
	}
	return Replay(events), nil
}

// ChannelFinder is an adapter that can look a channel up by the name people
// see ("status" for #status), so that a level's `notify: ["#status"]`
// reaches the channel's id: Post takes ids, and platforms such as Discord
// take nothing else. Without it the core posts to "#name" as it stands
// (the console and similar adapters where names are ids).
type ChannelFinder interface {
	// FindChannel returns the channel named name (without "#"; a leading
	// one is ignored). When the platform has none it fails with ENOTFOUND
	// and a message that names the channel and the platform; other failures
	// (permissions, the network) are EUNAVAILABLE. Adapters may cache the
	// answer briefly.
	FindChannel(ctx context.Context, name string) (Channel, error)
}

// PeopleByID is an adapter whose users are the catalog's people under their
// catalog ids (the console, the memory adapter): people need no account on
// it.
type PeopleByID interface {
	UsersAreCatalogIDs() bool
}

// UserID is a person's user id on an adapter's platform: the catalog id
// where its users are catalog ids, else their account there ("" if none).
func UserID(a Adapter, p Person) string {
	if by, ok := a.(PeopleByID); ok && by.UsersAreCatalogIDs() {
		return p.ID
	}
	return p.Account(a.Platform())
}
