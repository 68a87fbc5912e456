package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/warroom/warroom/adapters/console"
	"github.com/warroom/warroom/bot"
)

// keeping is the test core behind a keeper that keeps what it is told to
// and refuses lines saying "refuse".
type keeping struct {
	core
	kept *[]string
}

func (k keeping) Keep(ctx context.Context, ev bot.Inbound) (*bot.Kept, error) {
	if ev.Message != nil && strings.Contains(ev.Message.Text, "refuse") {
		return nil, bot.Errorf(bot.EUNAVAILABLE, "the store cannot keep it now (disk I/O error)")
	}
	*k.kept = append(*k.kept, ev.Message.Text)
	return bot.Keep(ctx, k.core, ev)
}

// Each line is kept before it is handled; a line the store cannot keep is
// not handled, and the console says to type it again.
func TestLinesAreKeptBeforeTheyAreHandled(t *testing.T) {
	t.Parallel()
	out := &screen{}
	a := console.New(strings.NewReader("alice: one\nalice: refuse this\nalice: two\n"), out)
	var kept []string
	if err := a.Run(t.Context(), keeping{core{a}, &kept}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kept, ",") != "one,two" {
		t.Errorf("kept %q", kept)
	}
	want := `[#general] warroom: alice said "one"
* line 2 was not recorded: the store cannot keep it now (disk I/O error); type it again
[#general] warroom: alice said "two"
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
