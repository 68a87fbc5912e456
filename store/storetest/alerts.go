package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
)

// RunAlertKeys runs the bot.AlertKeys contract on stores that implement it.
func RunAlertKeys(t *testing.T, open Opener) {
	t.Helper()
	open = knowing(open)
	aks := func(t *testing.T) (bot.Store, bot.AlertKeys) {
		s := open(t)
		ak, ok := s.(bot.AlertKeys)
		if !ok {
			t.Skipf("%T does not implement bot.AlertKeys", s)
		}
		return s, ak
	}
	const group = `{}:{alertname="HighErrorRate", service="checkout"}`
	ctx := context.Background()
	createKeyed := func(t *testing.T, ak bot.AlertKeys, source, key, title string) (int64, bool) {
		t.Helper()
		id, created, err := ak.CreateAlertFault(ctx, source, key, []bot.Event{Declared(title, bot.P2), channel("C-" + title)})
		require.NoError(t, err)
		return id, created
	}

	t.Run("NoFaultIsNotFound", func(t *testing.T) {
		t.Parallel()
		_, ak := aks(t)
		_, err := ak.AlertFault(ctx, "alertmanager", group)
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v", err)
	})

	t.Run("CreateFilesTheFault", func(t *testing.T) {
		t.Parallel()
		s, ak := aks(t)
		before := create(t, s, Declared("by hand", bot.P3))
		evs := []bot.Event{Declared("5xx", bot.P1), channel("C1")}
		id, created, err := ak.CreateAlertFault(ctx, "alertmanager", group, evs)
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, before+1, id, "one sequence of fault ids")
		assert.Equal(t, []int64{id, id}, []int64{evs[0].FaultID, evs[1].FaultID}, "FaultID set in place")
		assert.Equal(t, []int{1, 2}, []int{evs[0].Seq, evs[1].Seq}, "Seq set in place")
		got, err := ak.AlertFault(ctx, "alertmanager", group)
		require.NoError(t, err)
		assert.Equal(t, id, got)
		f := fault(t, s, id)
		assert.Equal(t, "5xx", f.Title)
		assert.Equal(t, "C1", f.Channel)
		byCh, err := s.FaultByChannel(ctx, "C1")
		require.NoError(t, err)
		assert.Equal(t, id, byCh, "an alert's fault is a fault like any other")
		assert.Equal(t, id+1, create(t, s, Declared("after", bot.P3)))
	})

	t.Run("AnOpenFaultIsReturnedNotDoubled", func(t *testing.T) {
		t.Parallel()
		s, ak := aks(t)
		id, created := createKeyed(t, ak, "alertmanager", group, "first")
		require.True(t, created)
		again, created := createKeyed(t, ak, "alertmanager", group, "second")
		assert.False(t, created)
		assert.Equal(t, id, again)
		all, err := s.Faults(ctx, bot.FaultFilter{})
		require.NoError(t, err)
		require.Len(t, all, 1, "nothing recorded")
		assert.Equal(t, "first", all[0].Title)

		require.NoError(t, s.Append(ctx, id, 2, []bot.Event{Ev(bot.EventMitigated, nil)}))
		again, created = createKeyed(t, ak, "alertmanager", group, "third")
		assert.False(t, created, "mitigated is still open")
		assert.Equal(t, id, again)
	})

	t.Run("AResolvedFaultMakesWayForANewOne", func(t *testing.T) {
		t.Parallel()
		s, ak := aks(t)
		first, _ := createKeyed(t, ak, "alertmanager", group, "first")
		require.NoError(t, s.Append(ctx, first, 2, []bot.Event{Ev(bot.EventResolved, nil)}))
		second, created := createKeyed(t, ak, "alertmanager", group, "second")
		assert.True(t, created)
		assert.NotEqual(t, first, second)
		got, err := ak.AlertFault(ctx, "alertmanager", group)
		require.NoError(t, err)
		assert.Equal(t, second, got, "the newest")
		again, created := createKeyed(t, ak, "alertmanager", group, "third")
		assert.False(t, created)
		assert.Equal(t, second, again)
	})

	t.Run("KeysAndSourcesAreApart", func(t *testing.T) {
		t.Parallel()
		_, ak := aks(t)
		a, _ := createKeyed(t, ak, "alertmanager", "k1", "a")
		b, created := createKeyed(t, ak, "grafana", "k1", "b")
		assert.True(t, created, "another source's key")
		c, created := createKeyed(t, ak, "alertmanager", "k2", "c")
		assert.True(t, created, "another key")
		d, created := createKeyed(t, ak, "alertmanager", "K1", "d")
		assert.True(t, created, "keys are compared exactly")
		assert.Len(t, map[int64]bool{a: true, b: true, c: true, d: true}, 4)
		for _, k := range []struct {
			source, key string
			want        int64
		}{{"alertmanager", "k1", a}, {"grafana", "k1", b}, {"alertmanager", "k2", c}, {"alertmanager", "K1", d}} {
			got, err := ak.AlertFault(ctx, k.source, k.key)
			require.NoError(t, err)
			assert.Equal(t, k.want, got, "%s %s", k.source, k.key)
		}
	})

	t.Run("ConcurrentCreatesMakeOneFault", func(t *testing.T) {
		t.Parallel()
		s, ak := aks(t)
		const n = 16
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			ids     = map[int64]int{}
			created int
		)
		for i := range n {
			wg.Go(func() {
				id, c, err := ak.CreateAlertFault(ctx, "alertmanager", group, []bot.Event{Declared(fmt.Sprint("race ", i), bot.P2)})
				assert.NoError(t, err)
				mu.Lock()
				defer mu.Unlock()
				ids[id]++
				if c {
					created++
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 1, created, "exactly one creates")
		assert.Len(t, ids, 1, "all get the one fault")
		all, err := s.Faults(ctx, bot.FaultFilter{})
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})

	t.Run("NeedsDeclaredFirst", func(t *testing.T) {
		t.Parallel()
		s, ak := aks(t)
		_, _, err := ak.CreateAlertFault(ctx, "alertmanager", group, []bot.Event{update("no declare")})
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%v", err)
		_, _, err = ak.CreateAlertFault(ctx, "alertmanager", group, nil)
		assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%v", err)
		_, err = ak.AlertFault(ctx, "alertmanager", group)
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "nothing filed")
		all, err := s.Faults(ctx, bot.FaultFilter{})
		require.NoError(t, err)
		assert.Empty(t, all)
	})
}

// RunInbox runs the bot.Inbox contract on stores that implement it.
func RunInbox(t *testing.T, open Opener) {
	t.Helper()
	open = knowing(open)
	inboxes := func(t *testing.T) bot.Inbox {
		s := open(t)
		ib, ok := s.(bot.Inbox)
		if !ok {
			t.Skipf("%T does not implement bot.Inbox", s)
		}
		return ib
	}
	ctx := context.Background()
	cet := time.FixedZone("CET", 3600)
	item := func(source, id, payload string, n int) bot.InboxItem {
		return bot.InboxItem{Source: source, ID: id, Payload: []byte(payload), Received: t0.Add(time.Duration(n) * time.Second).In(cet)}
	}
	put := func(t *testing.T, ib bot.Inbox, it bot.InboxItem) bool {
		t.Helper()
		fresh, err := ib.Put(ctx, it)
		require.NoError(t, err)
		return fresh
	}
	pending := func(t *testing.T, ib bot.Inbox, source string, limit int) []bot.InboxItem {
		t.Helper()
		items, err := ib.Pending(ctx, source, limit)
		require.NoError(t, err)
		return items
	}
	ids := func(items []bot.InboxItem) []string {
		out := []string{}
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}

	t.Run("PendingInTheOrderPut", func(t *testing.T) {
		t.Parallel()
		ib := inboxes(t)
		assert.Empty(t, pending(t, ib, "alerts", 0))
		// Ids that sort otherwise than they came: the order is the put's.
		for i, id := range []string{"c", "a", "b"} {
			assert.True(t, put(t, ib, item("alerts", id, `{"n":"`+id+`"} ünï ✅`+"\x00", i)))
		}
		got := pending(t, ib, "alerts", 0)
		require.Equal(t, []string{"c", "a", "b"}, ids(got))
		assert.Equal(t, `{"n":"c"} ünï ✅`+"\x00", string(got[0].Payload))
		assert.Equal(t, "alerts", got[0].Source)
		assert.True(t, got[1].Received.Equal(t0.Add(time.Second)), "received kept to the nanosecond: %v", got[1].Received)
		assert.Equal(t, []string{"c", "a"}, ids(pending(t, ib, "alerts", 2)), "limit")
		assert.Len(t, pending(t, ib, "alerts", -1), 3, "a limit <= 0 is all")
	})

	t.Run("AnIDIsKeptOnce", func(t *testing.T) {
		t.Parallel()
		ib := inboxes(t)
		assert.True(t, put(t, ib, item("alerts", "x", "first", 0)))
		assert.False(t, put(t, ib, item("alerts", "x", "second", 1)), "a redelivery")
		got := pending(t, ib, "alerts", 0)
		require.Len(t, got, 1)
		assert.Equal(t, "first", string(got[0].Payload))
		require.NoError(t, ib.Done(ctx, "alerts", "x"))
		assert.False(t, put(t, ib, item("alerts", "x", "third", 2)), "done is still seen")
		assert.Empty(t, pending(t, ib, "alerts", 0))
	})

	t.Run("DoneIsNotPending", func(t *testing.T) {
		t.Parallel()
		ib := inboxes(t)
		for i, id := range []string{"a", "b", "c"} {
			put(t, ib, item("alerts", id, id, i))
		}
		require.NoError(t, ib.Done(ctx, "alerts", "b"))
		assert.Equal(t, []string{"a", "c"}, ids(pending(t, ib, "alerts", 0)))
		require.NoError(t, ib.Done(ctx, "alerts", "b"), "done twice")
		err := ib.Done(ctx, "alerts", "nope")
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "%v", err)
		err = ib.Done(ctx, "slack", "a")
		assert.Equal(t, bot.ENOTFOUND, bot.ErrorCode(err), "another source's id: %v", err)
		assert.Equal(t, []string{"a", "c"}, ids(pending(t, ib, "alerts", 0)))
	})

	t.Run("SourcesAreApart", func(t *testing.T) {
		t.Parallel()
		ib := inboxes(t)
		assert.True(t, put(t, ib, item("alerts", "1", "alert", 0)))
		assert.True(t, put(t, ib, item("slack", "1", "event", 1)), "the same id in another source")
		assert.Equal(t, "alert", string(pending(t, ib, "alerts", 0)[0].Payload))
		require.NoError(t, ib.Done(ctx, "slack", "1"))
		assert.Empty(t, pending(t, ib, "slack", 0))
		assert.Len(t, pending(t, ib, "alerts", 0), 1)
	})

	t.Run("NeedsSourceAndID", func(t *testing.T) {
		t.Parallel()
		ib := inboxes(t)
		for _, it := range []bot.InboxItem{item("", "1", "x", 0), item("alerts", "", "x", 0)} {
			_, err := ib.Put(ctx, it)
			assert.Equal(t, bot.EINVALID, bot.ErrorCode(err), "%+v: %v", it, err)
		}
		fresh, err := ib.Put(ctx, bot.InboxItem{Source: "alerts", ID: "empty", Received: t0})
		require.NoError(t, err)
		assert.True(t, fresh, "an empty payload is a payload")
		assert.Empty(t, pending(t, ib, "alerts", 0)[0].Payload)
	})

	t.Run("NoAliasing", func(t *testing.T) {
		t.Parallel()
		ib := inboxes(t)
		it := item("alerts", "a", "original", 0)
		put(t, ib, it)
		copy(it.Payload, "CHANGED!")
		got := pending(t, ib, "alerts", 0)
		assert.Equal(t, "original", string(got[0].Payload), "changing what was put changes nothing kept")
		copy(got[0].Payload, "CHANGED!")
		assert.Equal(t, "original", string(pending(t, ib, "alerts", 0)[0].Payload), "changing what came out changes nothing kept")
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		t.Parallel()
		ib := inboxes(t)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			fresh int
		)
		for i := range 32 {
			wg.Go(func() {
				_, err := ib.Put(ctx, item("alerts", fmt.Sprint("distinct-", i), "x", i))
				assert.NoError(t, err)
				f, err := ib.Put(ctx, item("alerts", "same", fmt.Sprint(i), i))
				assert.NoError(t, err)
				if f {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		assert.Equal(t, 1, fresh, "one put of the same id is fresh")
		assert.Len(t, pending(t, ib, "alerts", 0), 33)
	})
}
