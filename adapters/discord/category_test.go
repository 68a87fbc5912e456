package discord_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/warroom/warroom/adapters/discord"
	"github.com/warroom/warroom/adapters/discord/discordfake"
)

// incidents makes the Incidents category with n channels in it.
func incidents(f *discordfake.Server, n int) string {
	cat := f.AddChannel(discordgo.Channel{Name: discord.CategoryName, Type: discordgo.ChannelTypeGuildCategory})
	for i := range n {
		f.AddChannel(discordgo.Channel{Name: fmt.Sprint("old-", i), ParentID: cat})
	}
	return cat
}

// children counts the channels under each category, by its name.
func children(f *discordfake.Server) map[string]int {
	names := map[string]string{}
	for _, c := range f.Channels() {
		if c.Type == discordgo.ChannelTypeGuildCategory {
			names[c.ID] = c.Name
		}
	}
	n := map[string]int{}
	for _, c := range f.Channels() {
		if c.Type == discordgo.ChannelTypeGuildCategory {
			n[c.Name] += 0
		} else if c.ParentID != "" {
			n[names[c.ParentID]]++
		}
	}
	return n
}

// Creates at once fill the category and go on in one new one: no
// category holds more than 50, and the new one is made once.
func TestConcurrentCreatesFillOneNewCategory(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	incidents(f, discord.CategoryLimit-3)
	a := newAdapter(t, f)
	f.SetLatency(5 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make([]error, 12)
	for i := range errs {
		wg.Go(func() { _, errs[i] = a.CreateChannel(t.Context(), fmt.Sprintf("fault-%d-x", i)) })
	}
	wg.Wait()
	a.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := children(f); got["Incidents"] != 50 || got["Incidents 2"] != 9 || len(got) != 2 {
		t.Fatalf("channels per category %v, want Incidents 50, Incidents 2 9", got)
	}
}

// The create that fills the last category with room makes the next one
// at once, in the background: the next declare makes no category.
func TestFullCategoryMakesTheNextAhead(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	incidents(f, discord.CategoryLimit-1)
	a := newAdapter(t, f)
	if _, err := a.CreateChannel(t.Context(), "fault-50-x"); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	if got := children(f); got["Incidents"] != 50 || len(got) != 2 {
		t.Fatalf("channels per category %v, want Incidents full and Incidents 2 made", got)
	}
	n := len(f.Calls())
	ch, err := a.CreateChannel(t.Context(), "fault-51-x")
	if err != nil {
		t.Fatal(err)
	}
	if parent := f.Channel(f.Channel(ch.ID).ParentID); parent.Name != "Incidents 2" {
		t.Fatalf("the 51st went under %q", parent.Name)
	}
	if calls := f.Calls()[n:]; len(calls) != 1 {
		t.Errorf("calls %v, want the channel's create only", calls)
	}
}

// A create that fails gives its place back.
func TestFailedCreateGivesItsPlaceBack(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	cat := incidents(f, discord.CategoryLimit-2)
	a := newAdapter(t, f)
	f.Inject("POST", "/guilds/"+f.Guild+"/channels", 1, discordfake.Fault{Status: 403, Code: 50013})
	if _, err := a.CreateChannel(t.Context(), "fault-1-x"); err == nil || !strings.Contains(err.Error(), "Manage Channels") {
		t.Fatalf("CreateChannel = %v, want the missing permission", err)
	}
	ch, err := a.CreateChannel(t.Context(), "fault-1-x")
	if err != nil {
		t.Fatal(err)
	}
	a.Wait()
	if got := f.Channel(ch.ID); got.ParentID != cat || got.Name != "fault-1-x" {
		t.Fatalf("created %+v, want fault-1-x, in Incidents", got)
	}
	if got := children(f); got["Incidents"] != 49 || len(got) != 1 {
		t.Fatalf("channels per category %v, want Incidents 49 and no other", got)
	}
}

// A category that could not be made fails the creates that waited for
// it; the next create tries again.
func TestFailedCategoryIsTriedAgain(t *testing.T) {
	t.Parallel()
	f := discordfake.New(t)
	incidents(f, discord.CategoryLimit)
	a := newAdapter(t, f)
	f.Inject("POST", "/guilds/"+f.Guild+"/channels", 1, discordfake.Fault{Status: 403, Code: 50013})
	if _, err := a.CreateChannel(t.Context(), "fault-1-x"); err == nil || !strings.Contains(err.Error(), "Incidents 2 category") {
		t.Fatalf("CreateChannel = %v, want the category's failure", err)
	}
	ch, err := a.CreateChannel(t.Context(), "fault-1-x")
	if err != nil {
		t.Fatal(err)
	}
	if parent := f.Channel(f.Channel(ch.ID).ParentID); parent.Name != "Incidents 2" {
		t.Fatalf("went under %q, want Incidents 2", parent.Name)
	}
}
