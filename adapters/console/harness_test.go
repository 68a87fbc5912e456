package console_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/warroom/warroom/adapters/adaptertest"
	"github.com/warroom/warroom/adapters/console"
	"github.com/warroom/warroom/bot"
)

// screen is the console's output. It keeps each Write apart: the console
// writes one message per Write, which is how the harness tells two posts
// from one two-line post.
type screen struct {
	mu     sync.Mutex
	writes []string
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.writes, "")
}

// texts returns the messages printed behind prefix, one per Write.
func (s *screen) texts(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, w := range s.writes {
		if !strings.HasPrefix(w, prefix) {
			continue
		}
		var lines []string
		for l := range strings.Lines(w) {
			l = strings.TrimPrefix(strings.TrimSuffix(l, "\n"), prefix)
			lines = append(lines, strings.TrimPrefix(l, " "))
		}
		out = append(out, strings.Join(lines, "\n"))
	}
	return out
}

// harness drives the console through a pipe, as a terminal would.
type harness struct {
	a   *console.Adapter
	in  *io.PipeWriter
	out *screen
	rec *adaptertest.Recorder
}

func newHarness(t *testing.T) adaptertest.Harness {
	r, w := io.Pipe()
	t.Cleanup(func() { w.Close() }) // ends the console's reading goroutine
	out := &screen{}
	return &harness{a: console.New(r, out), in: w, out: out}
}

func (h *harness) Adapter() bot.Adapter        { return h.a }
func (h *harness) Person(id string) bot.Person { return bot.Person{ID: id} }

func (h *harness) Start(ctx context.Context, hd bot.Handler) <-chan error {
	h.rec = &adaptertest.Recorder{Then: hd}
	done := make(chan error, 1)
	go func() { done <- h.a.Run(ctx, h.rec) }()
	return done
}

// typeLines types lines and waits until they caused one more handler call.
func (h *harness) typeLines(t *testing.T, lines ...string) {
	t.Helper()
	n := h.rec.Count()
	if _, err := io.WriteString(h.in, strings.Join(lines, "\n")+"\n"); err != nil {
		t.Fatal(err)
	}
	h.rec.Wait(t, n+1)
}

// Say types in ch, which exists: the console refuses to switch to a
// channel it does not know.
func (h *harness) Say(t *testing.T, ch, person, text string) {
	h.a.KnowChannels(ch)
	h.typeLines(t, "#"+ch, person+": "+text)
}

// React can only react to the channel's kickoff: that is the console's way.
func (h *harness) React(t *testing.T, ch, _, person, emoji string) {
	h.a.KnowChannels(ch)
	h.typeLines(t, "#"+ch, person+": +"+emoji)
}

func (h *harness) Members(_ *testing.T, ch string) []string {
	var out []string
	for _, l := range h.out.texts("* invited ") {
		if who, ok := strings.CutSuffix(l, " to #"+ch); ok {
			for p := range strings.SplitSeq(who, ", ") {
				out = append(out, strings.TrimPrefix(p, "@"))
			}
		}
	}
	return out
}

func (h *harness) Posts(_ *testing.T, ch string) []string {
	return h.out.texts(fmt.Sprintf("[#%s] warroom:", ch))
}

func (h *harness) DMs(_ *testing.T, person string) []string {
	return h.out.texts(fmt.Sprintf("[@%s] warroom:", person))
}

func (h *harness) Topic(_ *testing.T, ch string) string {
	topics := h.out.texts("* topic of #" + ch + ":")
	if len(topics) == 0 {
		return ""
	}
	return topics[len(topics)-1]
}

func TestContract(t *testing.T) {
	t.Parallel()
	adaptertest.Run(t, newHarness)
}
