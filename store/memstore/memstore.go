// Package memstore is a bot.Store in memory, in pure Go: for tests of the
// core and of adapters that need a store but not a file (and not cgo).
//
// It keeps what the SQLite store keeps, as that store does: each event as
// its JSON (times in UTC), so that what comes out is decoded afresh and
// never shares memory with what callers passed in or got out before, and a
// field that does not survive encoding is lost here too. It also implements
// bot.PlanVersions, bot.StepOutputs, bot.AlertKeys, bot.Inbox, bot.FaultCounter and
// bot.Actors (refusing events by actors it was not told of). It keeps
// the contract of store/storetest.
package memstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warroom/warroom/bot"
)

// Store is a bot.Store in memory. It is safe for concurrent use.
type Store struct {
	d      *data
	closed atomic.Bool
}

var (
	_ bot.Store        = (*Store)(nil)
	_ bot.PlanVersions = (*Store)(nil)
	_ bot.StepOutputs  = (*Store)(nil)
	_ bot.AlertKeys    = (*Store)(nil)
	_ bot.Inbox        = (*Store)(nil)
	_ bot.Actors       = (*Store)(nil)
	_ bot.FaultCounter = (*Store)(nil)
)

// data is what the handles on one store share.
type data struct {
	mu      sync.RWMutex
	faults  []*fault // fault id i+1 at i
	plans   map[planKey][]byte
	history []bot.PlanVersion // each plan version as first saved, oldest first
	clock   bot.Clock         // stamps a plan version's first sighting
	outputs map[outputKey]string
	alerts  map[alertKey][]int64 // the faults filed under each key, oldest first
	inbox   inbox
	policy  string          // the due index's policy fingerprint
	actors  map[string]bool // who may be an event's actor (bot.Actors)
	state   map[string][]byte
}

// fault is one fault's timeline, with the projection the listings select
// by.
type fault struct {
	id      int64
	events  [][]byte // the JSON of each event, FaultID and Seq set
	status  bot.Status
	level   bot.Level
	channel string
	types   map[bot.EventType]bool // the event types its timeline has
	due     time.Time              // when its timed work falls due; zero for never
}

type planKey struct{ name, version string }

type outputKey struct {
	fault     int64
	run, step int
}

// ErrClosed is the error of every call on a closed Store.
var ErrClosed = errors.New("memstore: the store is closed")

// New returns an empty store. It knows one actor, warroom itself, as a
// new SQLite file does.
func New() *Store {
	return &Store{d: &data{plans: map[planKey][]byte{}, outputs: map[outputKey]string{}, actors: map[string]bool{bot.ActorBot: true}}}
}

// AddActors makes ids known.
func (s *Store) AddActors(ctx context.Context, ids []string) error {
	if err := s.check(ctx, "add actors"); err != nil {
		return err
	}
	if slices.Contains(ids, "") {
		return bot.Errorf(bot.EINVALID, "an actor needs an id")
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	for _, id := range ids {
		s.d.actors[id] = true
	}
	return nil
}

// known refuses events by an actor the store does not know, as the SQLite
// store's trigger does; d.mu is held.
func (d *data) known(events []bot.Event) error {
	for _, e := range events {
		if !d.actors[e.Actor] {
			return bot.UnknownActor(e.Actor)
		}
	}
	return nil
}

// Close closes this handle: later calls on it fail with ErrClosed. What it
// kept stays for the handles Reopen gives.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// Ping is the health check's write probe (GET /healthz): it fails, as
// every call does, once the handle is closed.
func (s *Store) Ping(ctx context.Context) error { return s.check(ctx, "ping") }

// Reopen returns a new handle on the same faults, plans and outputs, as a
// restarted process gets on reopening the same file. The receiver may be
// closed.
func (s *Store) Reopen() *Store { return &Store{d: s.d} }

// check is the common start of each call.
func (s *Store) check(ctx context.Context, what string) error {
	if s.closed.Load() {
		return fmt.Errorf("memstore: %s: %w", what, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", what, err)
	}
	return nil
}

// encode returns the JSON of events as the store keeps them, and the events
// decoded from it: the caller's own are not touched.
func encode(events []bot.Event, faultID int64, firstSeq int) ([][]byte, []bot.Event, error) {
	raw := make([][]byte, len(events))
	out := make([]bot.Event, len(events))
	for i, e := range events {
		e.FaultID, e.Seq, e.At = faultID, firstSeq+i, e.At.UTC()
		b, err := json.Marshal(e)
		if err != nil {
			return nil, nil, fmt.Errorf("encode event %d: %w", e.Seq, err)
		}
		raw[i] = b
		if err := json.Unmarshal(b, &out[i]); err != nil {
			return nil, nil, fmt.Errorf("decode event %d: %w", e.Seq, err)
		}
	}
	return raw, out, nil
}

// decode returns a timeline as new events.
func decode(raw [][]byte) []bot.Event {
	events := make([]bot.Event, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &events[i]); err != nil {
			panic(fmt.Sprintf("memstore: decoding what it encoded: %v", err)) // cannot happen
		}
	}
	return events
}

// project applies events to the fault's projection columns.
func (f *fault) project(events []bot.Event) {
	p := bot.Fault{Status: f.status, Level: f.level, Channel: f.channel}
	if f.types == nil {
		f.types = map[bot.EventType]bool{}
	}
	for _, e := range events {
		bot.Apply(&p, e)
		f.types[e.Type] = true
	}
	f.status, f.level, f.channel = p.Status, p.Level, p.Channel
}

// CreateFault allocates the next fault id and records events under it.
// events[0] must be bot.EventDeclared. On success it sets FaultID and Seq
// (1, 2, ...) on the events in place.
func (s *Store) CreateFault(ctx context.Context, events []bot.Event) (int64, error) {
	if err := s.check(ctx, "create fault"); err != nil {
		return 0, err
	}
	if len(events) == 0 || events[0].Type != bot.EventDeclared {
		return 0, bot.Errorf(bot.EINVALID, "a fault's timeline must start with a %q event", bot.EventDeclared)
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.create(events)
}

// create records a new fault; d.mu is held and events[0] is declared.
func (d *data) create(events []bot.Event) (int64, error) {
	if err := d.known(events); err != nil {
		return 0, err
	}
	id := int64(len(d.faults) + 1)
	raw, evs, err := encode(events, id, 1)
	if err != nil {
		return 0, fmt.Errorf("memstore: create fault %d: %w", id, err)
	}
	f := &fault{id: id, events: raw}
	f.project(evs)
	d.faults = append(d.faults, f)
	for i := range events {
		events[i].FaultID, events[i].Seq = id, i+1
	}
	return id, nil
}

// Append records events after the fault's event number after. If the
// fault's last event is not after any more it fails with ECONFLICT and
// records nothing. On success it sets FaultID and Seq (after+1, ...) on the
// events in place. Appending no events does nothing.
func (s *Store) Append(ctx context.Context, faultID int64, after int, events []bot.Event) error {
	if len(events) == 0 {
		return nil
	}
	return s.append(ctx, faultID, after, events, nil)
}

// append is Append, setting the due time too unless due is nil.
func (s *Store) append(ctx context.Context, faultID int64, after int, events []bot.Event, due *time.Time) error {
	if err := s.check(ctx, "append"); err != nil {
		return err
	}
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := d.fault(faultID)
	if err != nil {
		return err
	}
	if n := len(f.events); n != after {
		return bot.Errorf(bot.ECONFLICT, "fault %d changed meanwhile (event %d, expected %d); reload it and try again", faultID, n, after)
	}
	if err := d.known(events); err != nil {
		return err
	}
	raw, evs, err := encode(events, faultID, after+1)
	if err != nil {
		return fmt.Errorf("memstore: append to fault %d: %w", faultID, err)
	}
	f.events = append(f.events, raw...)
	f.project(evs)
	if due != nil {
		f.due = *due
	}
	for i := range events {
		events[i].FaultID, events[i].Seq = faultID, after+1+i
	}
	return nil
}

// fault returns fault id; d.mu is held.
func (d *data) fault(id int64) (*fault, error) {
	if id < 1 || id > int64(len(d.faults)) {
		return nil, bot.Errorf(bot.ENOTFOUND, "fault %d not found", id)
	}
	return d.faults[id-1], nil
}

// timeline returns the raw timeline of fault id. The slice is shared but
// never written: appends past its length do not show through it.
func (s *Store) timeline(ctx context.Context, id int64, what string) ([][]byte, error) {
	if err := s.check(ctx, what); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	f, err := s.d.fault(id)
	if err != nil {
		return nil, err
	}
	return f.events[:len(f.events):len(f.events)], nil
}

// Events returns the fault's timeline in order; ENOTFOUND if there is no
// such fault.
func (s *Store) Events(ctx context.Context, faultID int64) ([]bot.Event, error) {
	raw, err := s.timeline(ctx, faultID, "events")
	if err != nil {
		return nil, err
	}
	return decode(raw), nil
}

// FaultByChannel returns the id of the newest fault whose war room is
// channelID; ENOTFOUND if there is none.
func (s *Store) FaultByChannel(ctx context.Context, channelID string) (int64, error) {
	if err := s.check(ctx, "fault by channel"); err != nil {
		return 0, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	if channelID != "" {
		for _, f := range slices.Backward(s.d.faults) {
			if f.channel == channelID {
				return f.id, nil
			}
		}
	}
	return 0, bot.Errorf(bot.ENOTFOUND, "no fault has its war room here")
}

// Faults lists the faults filter selects, newest first, each replayed from
// its timeline.
func (s *Store) Faults(ctx context.Context, filter bot.FaultFilter) ([]*bot.Fault, error) {
	if err := s.check(ctx, "list faults"); err != nil {
		return nil, err
	}
	var raws [][][]byte
	s.d.mu.RLock()
	for _, f := range slices.Backward(s.d.faults) {
		if filter.Limit > 0 && len(raws) == filter.Limit {
			break
		}
		if (len(filter.Status) == 0 || slices.Contains(filter.Status, f.status)) && (filter.WithEvent == "" || f.types[filter.WithEvent]) {
			raws = append(raws, f.events[:len(f.events):len(f.events)])
		}
	}
	s.d.mu.RUnlock()
	faults := make([]*bot.Fault, len(raws))
	for i, raw := range raws {
		faults[i] = bot.Replay(decode(raw))
	}
	return faults, nil
}

// SavePlan keeps a plan version's source; a version seen before is left as
// it was.
func (s *Store) SavePlan(ctx context.Context, p *bot.Plan) error {
	if err := s.check(ctx, "save plan"); err != nil {
		return err
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	k := planKey{p.Name, p.Version}
	if _, ok := s.d.plans[k]; !ok {
		s.d.plans[k] = slices.Clone(p.Source)
		s.d.history = append(s.d.history, bot.PlanVersion{Name: p.Name, Version: p.Version, File: p.File, FirstSeen: s.d.now()})
	}
	return nil
}

// PlanSource returns the file a plan version was read from.
func (s *Store) PlanSource(ctx context.Context, name, version string) ([]byte, error) {
	if err := s.check(ctx, "plan source"); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	src, ok := s.d.plans[planKey{name, version}]
	if !ok {
		return nil, bot.Errorf(bot.ENOTFOUND, "plan %s has no version %s on record", name, version)
	}
	return slices.Clone(src), nil
}

// SaveOutput keeps a step's output. Each step's output is recorded once; the
// fault must exist.
func (s *Store) SaveOutput(ctx context.Context, faultID int64, run, step int, output string) error {
	if err := s.check(ctx, "save output"); err != nil {
		return err
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if _, err := s.d.fault(faultID); err != nil {
		return err
	}
	k := outputKey{faultID, run, step}
	if _, ok := s.d.outputs[k]; ok {
		return bot.Errorf(bot.ECONFLICT, "output of fault %d run %d step %d is recorded already", faultID, run, step)
	}
	s.d.outputs[k] = output
	return nil
}

// Output returns a step's kept output.
func (s *Store) Output(ctx context.Context, faultID int64, run, step int) (string, error) {
	if err := s.check(ctx, "output"); err != nil {
		return "", err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	out, ok := s.d.outputs[outputKey{faultID, run, step}]
	if !ok {
		return "", bot.Errorf(bot.ENOTFOUND, "fault %d run %d step %d has no output on record", faultID, run, step)
	}
	return out, nil
}
