package bot_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/adapters/memory"
	"github.com/warroom/warroom/bot"
)

// answerFirst is a concurrent platform on which the war room's invitations
// and kickoff are not done until the declarer has been answered in
// #general: a declare that waited for them to answer would be stuck, and
// fails after a bound instead of hanging.
type answerFirst struct {
	*memory.Adapter
	answered    chan struct{}
	once        sync.Once
	failKickoff bool
}

func (*answerFirst) Concurrent() bool { return true }

func (a *answerFirst) wait() error {
	select {
	case <-a.answered:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("the declarer was not answered meanwhile")
	}
}

func (a *answerFirst) Invite(ctx context.Context, ch string, people []bot.Person) error {
	if err := a.wait(); err != nil {
		return err
	}
	return a.Adapter.Invite(ctx, ch, people)
}

func (a *answerFirst) Post(ctx context.Context, ch string, m bot.Message) (string, error) {
	if m.Kind == bot.KindKickoff {
		if err := a.wait(); err != nil {
			return "", err
		}
		if a.failKickoff {
			return "", errors.New("channel_is_archived")
		}
	}
	id, err := a.Adapter.Post(ctx, ch, m)
	if ch == "general" {
		a.once.Do(func() { close(a.answered) })
	}
	return id, err
}

func answerFirstRig(t *testing.T) (*rig, *answerFirst) {
	r := newRig(t)
	chat := &answerFirst{Adapter: r.chat, answered: make(chan struct{})}
	b, err := bot.New(r.db, chat, r.clock, testCatalog(), bot.Options{}, nil)
	require.NoError(t, err)
	r.bot = b
	return r, chat
}

// On a concurrent platform the declarer is answered as soon as the war
// room's channel exists, beside the invitations and the kickoff, with who
// is being invited.
func TestDeclareAnswersOnceTheRoomExists(t *testing.T) {
	t.Parallel()
	r, _ := answerFirstRig(t)
	f := r.declare("/fault declare P2 Ledger down service=ledger cause=queue")
	r.bot.Wait()
	assert.Equal(t, []string{"🚨 declared fault 1 (P2): Ledger down — war room #fault-1-ledger-down, 4 invited"}, r.chat.Texts("general"))
	assert.Equal(t, [][]string{{"ana", "ben", "cy", "dee"}}, r.chat.Invites(f.Channel))
	assert.NotEmpty(t, f.Kickoff)
	assert.Len(t, f.Participants, 4)
}

// What fails after the answer is said to the declarer after it.
func TestDeclareFailuresAfterTheAnswerAreSaid(t *testing.T) {
	t.Parallel()
	r, _ := answerFirstRig(t)
	r.chat.FailNext("Invite", errors.New("not_in_channel"))
	f := r.declare("/fault declare P2 Queue down service=queue")
	r.bot.Wait()
	assert.Equal(t, []string{
		"🚨 declared fault 1 (P2): Queue down — war room #fault-1-queue-down, 3 invited",
		"⚠️ declared fault 1 in #fault-1-queue-down, but could not invite @cy, @dee, @ana: not_in_channel",
	}, r.chat.Texts("general"))
	assert.Contains(t, r.chat.Texts(f.Channel)[1], "could not invite @cy, @dee, @ana: not_in_channel", "the war room is told too")
	assert.Empty(t, f.Participants)

	r, chat := answerFirstRig(t)
	chat.failKickoff = true
	r.declare("/fault declare P2 Queue down service=queue")
	assert.Equal(t, []string{
		"🚨 declared fault 1 (P2): Queue down — war room #fault-1-queue-down, 3 invited",
		"⚠️ declared fault 1 in #fault-1-queue-down but the kickoff could not be posted: channel_is_archived",
	}, r.chat.Texts("general"))
}
