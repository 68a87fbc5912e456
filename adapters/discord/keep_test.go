package discord_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/discord/discordfake"
	"github.com/warroom/warroom/bot"
)

// keeper is a bot.Keeper in front of a Recorder: it keeps each id once (as
// the core's inbox does) and refuses everything while refuse is set.
type keeper struct {
	*adaptertest.Recorder
	mu     sync.Mutex
	refuse bool
	kept   []string
}

func (k *keeper) Keep(ctx context.Context, ev bot.Inbound) (*bot.Kept, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.refuse {
		return nil, bot.Errorf(bot.EUNAVAILABLE, "the store cannot keep it now (disk I/O error)")
	}
	if slices.Contains(k.kept, ev.ID) {
		return nil, nil
	}
	k.kept = append(k.kept, ev.ID)
	return bot.Keep(ctx, k.Recorder, ev)
}

func (k *keeper) set(refuse bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refuse = refuse
}

func (k *keeper) ids() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.kept)
}

// errorAnswer is the text of an interaction's immediate answer (type 4).
func errorAnswer(f *discordfake.Server, tok string) (string, bool) {
	for _, c := range f.Calls() {
		if strings.Contains(c.Path, "/"+tok+"/callback") && c.Body["type"] == float64(4) {
			data, _ := c.Body["data"].(map[string]any)
			text, _ := data["content"].(string)
			return text, true
		}
	}
	return "", false
}

// Every interaction and gateway event is kept, under its Discord id,
// before it is answered and handled. An interaction the store cannot keep
// is answered "nothing was recorded" (Discord never sends it again) and
// not handled; a gateway event is handled all the same, the gateway not
// sending it again either.
func TestEventsAreKeptBeforeTheyAreAnswered(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	a := newAdapter(t, f)
	k := &keeper{Recorder: &adaptertest.Recorder{}}
	startRun(t, t.Context(), a, k)
	ch := f.AddChannel(discordgo.Channel{Name: "general"})

	id, _ := f.Slash(ch, "111", "fault", "help")
	k.Wait(t, 1)
	f.Say(ch, "111", "<@"+a.BotID()+"> /fault help")
	k.Wait(t, 2)
	f.React(ch, "m1", "111", "✅")
	k.Wait(t, 3)
	got := k.ids()
	if len(got) != 3 || got[0] != "interaction:"+id || !strings.HasPrefix(got[1], "message:") || got[2] != "reaction:"+ch+":m1:111:✅" {
		t.Fatalf("kept %v", got)
	}

	k.set(true)
	_, tok := f.Slash(ch, "111", "fault", "help")
	deadline := time.Now().Add(adaptertest.Timeout)
	text, ok := errorAnswer(f, tok)
	for ; !ok && time.Now().Before(deadline); text, ok = errorAnswer(f, tok) {
		time.Sleep(time.Millisecond) // polling the fake, bounded
	}
	if !ok || !strings.Contains(text, "nothing was recorded") || !strings.Contains(text, "Send it again") {
		t.Fatalf("refused interaction answered %q (%v)", text, ok)
	}
	f.React(ch, "m2", "111", "✅")
	k.Wait(t, 4)
	if n := len(k.Messages()); n != 2 {
		t.Fatalf("%d messages handled, want 2: the refused interaction is not", n)
	}
	if n := len(k.Reactions()); n != 2 {
		t.Fatalf("%d reactions handled, want 2: a gateway event is handled though not kept", n)
	}
}
