package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"hash/fnv"
	"sync"
)

// The alert intake: what makes "2xx means stored and will be acted on"
// true. TakeAlerts keeps a delivery in the store's Inbox before it returns
// (the hook answers only then), and hands it to a worker; the worker acts on
// it (Alerts) and marks it done. What was kept but not done when the
// process stopped is acted on at the next Start, once; a delivery whose
// acting failed (the store down) is tried again by Tick.
//
// Deliveries of one group (AlertBatch.Group) go to the same worker, so they
// are acted on in the order they were taken: a group's "resolved" never
// overtakes its "firing".

// InboxAlerts is the inbox source of alert deliveries.
const InboxAlerts = "alerts"

// alertWorkers act on deliveries side by side (each group on one of them).
const alertWorkers = 8

type alertIntake struct {
	mu   sync.Mutex
	cond sync.Cond // on mu: work queued, work done, stopped

	started, stopped bool
	// inflight are the inbox ids queued or being acted on, so that a
	// rescan of the inbox does not queue them twice; finished those acted
	// on since the rescan began (its read may predate their Done).
	inflight, finished map[string]bool
	queues             [alertWorkers][]queuedAlerts
	busy               int // deliveries queued or being acted on
}

type queuedAlerts struct {
	id    string
	batch AlertBatch
}

func (in *alertIntake) init() {
	if in.inflight == nil {
		in.inflight, in.finished = map[string]bool{}, map[string]bool{}
		in.cond.L = &in.mu
	}
}

// TakeAlerts keeps a delivery and has it acted on: it returns once the
// delivery is stored, before it is acted on. A store that cannot take it
// is EUNAVAILABLE (the sender should send it again); a batch the core
// cannot act on is EINVALID.
func (b *Bot) TakeAlerts(ctx context.Context, batch AlertBatch) error {
	if err := batch.Validate(); err != nil {
		return err
	}
	ib, ok := b.store.(Inbox)
	if !ok {
		return Errorf(EUNAVAILABLE, "this store has no inbox, so alerts cannot be kept")
	}
	payload, err := json.Marshal(batch)
	if err != nil {
		return Errorf(EINVALID, "the alerts cannot be kept: %v", err)
	}
	id := newInboxID()
	in := &b.alerts.intake
	in.mu.Lock()
	in.init()
	in.inflight[id] = true // a rescan meanwhile must not queue it: this call does
	in.mu.Unlock()

	_, err = ib.Put(ctx, InboxItem{Source: InboxAlerts, ID: id, Payload: payload, Received: b.clock.Now()})

	in.mu.Lock()
	defer in.mu.Unlock()
	if err != nil {
		delete(in.inflight, id)
		b.log.Error("keeping alerts", "source", batch.Source, "err", err)
		return Errorf(EUNAVAILABLE, "the store cannot keep alerts now; send them again")
	}
	if !in.started || in.stopped {
		delete(in.inflight, id) // kept: Start acts on it
		return nil
	}
	in.enqueue(id, batch)
	return nil
}

// enqueue queues a delivery on its group's worker; in.mu is held.
func (in *alertIntake) enqueue(id string, batch AlertBatch) {
	h := fnv.New32a()
	h.Write([]byte(batch.Source))
	h.Write([]byte{0})
	h.Write([]byte(batch.Group))
	w := h.Sum32() % alertWorkers
	in.inflight[id] = true
	in.queues[w] = append(in.queues[w], queuedAlerts{id, batch})
	in.busy++
	in.cond.Broadcast()
}

// startAlerts starts the intake's workers, which stop when ctx ends, and
// queues what the inbox kept but did not act on.
func (b *Bot) startAlerts(ctx context.Context) error {
	ib, ok := b.store.(Inbox)
	if !ok {
		return nil
	}
	in := &b.alerts.intake
	in.mu.Lock()
	in.init()
	if in.started {
		in.mu.Unlock()
		return nil
	}
	in.started = true
	for w := range alertWorkers {
		go b.alertWorker(ctx, ib, w)
	}
	in.mu.Unlock()
	go func() {
		<-ctx.Done()
		in.mu.Lock()
		in.stopped = true
		in.cond.Broadcast()
		in.mu.Unlock()
	}()
	return b.requeueAlerts(ctx)
}

// requeueAlerts queues the inbox's alert deliveries that are neither done
// nor queued: at start, what the last process left; on Tick, what failed.
func (b *Bot) requeueAlerts(ctx context.Context) error {
	ib, ok := b.store.(Inbox)
	if !ok {
		return nil
	}
	in := &b.alerts.intake
	in.mu.Lock()
	if !in.started || in.stopped {
		in.mu.Unlock()
		return nil
	}
	clear(in.finished)
	in.mu.Unlock()
	// Read without the lock: the hooks keep taking alerts meanwhile. An id
	// put since is in flight already (TakeAlerts marks it first); one acted
	// on since is finished.
	items, err := ib.Pending(ctx, InboxAlerts, 0)
	if err != nil {
		return err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return nil
	}
	for _, it := range items {
		if in.inflight[it.ID] || in.finished[it.ID] {
			continue
		}
		var batch AlertBatch
		if err := json.Unmarshal(it.Payload, &batch); err != nil || batch.Validate() != nil {
			b.log.Error("an alert delivery in the inbox cannot be read; it is dropped", "id", it.ID, "err", err)
			if err := ib.Done(ctx, InboxAlerts, it.ID); err != nil {
				b.log.Error("dropping an unreadable alert delivery", "id", it.ID, "err", err)
			}
			continue
		}
		in.enqueue(it.ID, batch)
	}
	return nil
}

// alertWorker acts on worker w's queue until ctx ends; what is still queued
// then stays in the inbox for the next start.
func (b *Bot) alertWorker(ctx context.Context, ib Inbox, w int) {
	in := &b.alerts.intake
	for {
		in.mu.Lock()
		for len(in.queues[w]) == 0 && !in.stopped {
			in.cond.Wait()
		}
		if in.stopped {
			for _, q := range in.queues[w] {
				delete(in.inflight, q.id)
			}
			in.busy -= len(in.queues[w])
			in.queues[w] = nil
			in.cond.Broadcast()
			in.mu.Unlock()
			return
		}
		q := in.queues[w][0]
		in.queues[w] = in.queues[w][1:]
		in.mu.Unlock()

		b.actOnAlerts(ctx, ib, q)

		in.mu.Lock()
		delete(in.inflight, q.id)
		in.finished[q.id] = true
		in.busy--
		in.cond.Broadcast()
		in.mu.Unlock()
	}
}

func (b *Bot) actOnAlerts(ctx context.Context, ib Inbox, q queuedAlerts) {
	defer func() {
		if p := recover(); p != nil { // a bug must not stop the intake
			b.log.Error("acting on alerts panicked; they stay in the inbox", "id", q.id, "panic", p)
		}
	}()
	_, err := b.Alerts(ctx, q.batch)
	switch code := ErrorCode(err); code {
	case "", EINVALID:
		if err != nil { // never acted on, however often tried
			b.log.Error("alerts refused", "source", q.batch.Source, "err", err)
		}
		if err := ib.Done(ctx, InboxAlerts, q.id); err != nil {
			b.log.Error("marking alerts done; they will be acted on again", "id", q.id, "err", err)
		}
	default:
		b.log.Error("acting on alerts failed; they are tried again", "source", q.batch.Source, "id", q.id, "err", err)
	}
}

// waitAlerts blocks until no delivery is queued or being acted on (or the
// intake stopped).
func (b *Bot) waitAlerts() {
	in := &b.alerts.intake
	in.mu.Lock()
	defer in.mu.Unlock()
	in.init()
	for in.busy > 0 {
		in.cond.Wait()
	}
}

func newInboxID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
