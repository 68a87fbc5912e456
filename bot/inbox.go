package bot

import (
	"context"
	"time"
)

// InboxItem is something that arrived from outside (an alert webhook's
// delivery, each inbound chat event) and is kept until it has been acted
// on.
type InboxItem struct {
	// Source is the kind of item, which decides who acts on it ("alerts"
	// for the alert intake, "chat" for the chat inbox). IDs are unique within a source.
	Source string
	// ID identifies the item: an item put again with an ID the inbox has
	// (a platform's redelivery) is the same item, kept once.
	ID       string
	Payload  []byte
	Received time.Time // stamped by the caller, from its clock
}

// Inbox is a Store that keeps what arrives before it is acted on, so that
// answering "received" is a promise a crash cannot break: Put before the
// answer, act, then Done; at start, whatever is still Pending is acted on.
// It is optional: the core finds it by type assertion.
type Inbox interface {
	// Put keeps an item. fresh is false, and nothing is changed, when the
	// source already has an item with that ID (done or not).
	Put(ctx context.Context, item InboxItem) (fresh bool, err error)
	// Pending returns up to limit items of source not yet Done, oldest
	// first (in the order they were put); limit <= 0 means all.
	Pending(ctx context.Context, source string, limit int) ([]InboxItem, error)
	// Done marks an item acted on; it is not Pending again. Marking it done
	// twice is not an error; an ID the source does not have is ENOTFOUND.
	Done(ctx context.Context, source, id string) error
}

// AlertKeys is a Store that indexes faults by the key of the alerts that
// declared them, so that an alert finds its open fault, and two deliveries
// of one new alert group, however they race (in one process or several),
// make one fault. It is optional: the core finds it by type assertion.
type AlertKeys interface {
	// AlertFault returns the newest fault declared under source's key,
	// resolved or not; ENOTFOUND when there is none.
	AlertFault(ctx context.Context, source, key string) (int64, error)
	// CreateAlertFault is CreateFault under source's key, atomically: when
	// a fault declared under the key is not resolved, it returns that
	// fault's id with created false and records nothing; else it creates
	// the fault from events (as CreateFault does) and files it under the
	// key.
	CreateAlertFault(ctx context.Context, source, key string, events []Event) (id int64, created bool, err error)
}

// AdapterState is a Store that keeps small values for the chat adapters
// (Matrix's sync position), so that whichever process holds the platform's
// event connection next goes on from where the last one stopped. Optional:
// found by type assertion.
type AdapterState interface {
	// State returns the value under key; nil, and no error, when none.
	State(ctx context.Context, key string) ([]byte, error)
	// SetState keeps value under key, replacing what was there.
	SetState(ctx context.Context, key string, value []byte) error
}
