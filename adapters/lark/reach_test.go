package lark_test

import (
	"fmt"
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/lark/larkfake"
	"github.com/warroom/warroom/bot"
)

// TestEveryVerbIsReachable: each verb, with every argument, typed in a
// war room as Lark sends it (persons as @_user_N keys with a mentions
// list), reaches the core as its line with persons as <@open_id>.
func TestEveryVerbIsReachable(t *testing.T) {
	t.Parallel()
	f, _, rec := running(t)
	want := func(p string) string { return "<@" + users[p] + ">" }
	adaptertest.Reach(t, "fault", bot.DefaultRegistry(), want, func(t *testing.T, c adaptertest.Command) string {
		var mentions []larkfake.Mention
		keys := map[string]string{}
		typed := c.Line("fault", func(p string) string {
			if k, ok := keys[p]; ok {
				return k
			}
			keys[p] = fmt.Sprintf("@_user_%d", len(keys)+1)
			mentions = append(mentions, larkfake.Mention{Key: keys[p], OpenID: users[p], Name: p})
			return keys[p]
		})
		n := rec.Count()
		if ack := f.Say(t, "oc_war", users["alice"], typed, mentions...); ack.Code != 200 {
			t.Fatalf("answered %v", ack)
		}
		rec.Wait(t, n+1)
		return rec.Messages()[n].Text
	})
}
