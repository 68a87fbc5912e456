package bot_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/store/memstore"
)

// sharedStore is one process's handle on a store several share, that can
// tell which of them live (bot.Liveness), as the PostgreSQL store does.
type sharedStore struct {
	*memstore.Store
	id    string
	alive *sync.Map // id → bool
}

func (s sharedStore) Self() string { return s.id }

func (s sharedStore) Alive(_ context.Context, id string) (bool, error) {
	v, _ := s.alive.Load(id)
	b, _ := v.(bool)
	return b, nil
}

// A process starting beside one that is running a plan leaves that run
// alone; once that process is gone, the next leader marks it interrupted.
func TestAStartingProcessLeavesALiveOnesRunAlone(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := r.ctx
	p := testPlan()
	p.Approval.Self = true
	var alive sync.Map
	alive.Store("A", true)
	alive.Store("B", true)
	process := func(id string) (*bot.Bot, *fakeRunner) {
		b, err := bot.New(sharedStore{r.db.Reopen(), id, &alive}, r.chat, r.clock, testCatalog(), r.opts, nil)
		require.NoError(t, err)
		require.NoError(t, b.SetPlans(ctx, []*bot.Plan{p}))
		fr := newFakeRunner()
		b.UseRunner(fr)
		return b, fr
	}
	a, fa := process("A")
	release := make(chan struct{})
	fa.block["drain"] = release
	f, err := a.Declare(ctx, bot.DeclareRequest{Actor: "dee", Level: bot.P2, Title: "Ledger stuck", Service: "ledger", Via: bot.ViaChat})
	require.NoError(t, err)
	dee := bot.Actor{Person: bot.Person{ID: "dee"}, Via: bot.ViaChat}
	_, err = a.RequestRun(ctx, dee, f.ID, bot.RunRequest{Plan: "drain-ledger", Params: map[string]string{"node": "ledger-1"}})
	require.NoError(t, err)
	_, err = a.Approve(ctx, dee, f.ID, 1)
	require.NoError(t, err)
	<-fa.started // A runs step 1

	b, fb := process("B")
	require.NoError(t, b.Start(ctx))
	run := r.fault(f.ID).Runs[0]
	assert.Equal(t, bot.RunRunning, run.Status, "A lives and runs it")
	assert.Equal(t, "A", run.Owner)

	alive.Store("A", false) // A is killed; B leads
	require.NoError(t, b.TakeOver(ctx))
	run = r.fault(f.ID).Runs[0]
	assert.Equal(t, bot.RunInterrupted, run.Status)
	assert.Contains(t, run.Detail, "not re-run by itself")
	assert.Empty(t, fb.Calls(), "never re-run by itself")
	close(release)
	a.Wait()
	assert.Equal(t, bot.RunInterrupted, r.fault(f.ID).Runs[0].Status, "the dead process's late result cannot reopen it")
}
