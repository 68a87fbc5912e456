package plans

import (
	"bytes"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/warroom/warroom/bot/redact"
)

const (
	// DefaultMaxOutput is how much of a step's output is kept.
	DefaultMaxOutput = 1 << 20
	// maxLine is how long a line without its end may grow before it is
	// passed on anyway: output must keep moving.
	maxLine = 64 << 10
)

// newRedactor hides secrets in a step's output (bot/redact): the token
// formats and assignments it knows, and the values of the ${VAR}s the step
// used.
func newRedactor(values map[string]string) *redact.Redactor {
	vs := make([]string, 0, len(values))
	for _, v := range values {
		vs = append(vs, v)
	}
	return redact.New(vs...)
}

// sink collects a step's output: it passes whole lines on as they come,
// redacted, keeps them up to a cap and counts what it drops. It is used
// by one goroutine at a time. What it passes on goes through a relay, so
// that a slow taker never holds up the reader (and through it the script):
// what is kept does not depend on how fast chat is.
type sink struct {
	limit   int64 // raw bytes kept at most
	kept    int64
	dropped int64
	full    bool
	pending []byte // raw bytes kept but not passed on yet: a partial line
	red     *redact.Redactor
	out     *relay          // nil: nobody takes it
	text    strings.Builder // what was passed on
}

func newSink(limit int64, red *redact.Redactor, out func(string)) *sink {
	s := &sink{limit: limit, red: red}
	if out != nil {
		s.out = newRelay(out)
	}
	return s
}

// finish waits until everything passed on has been taken. Run calls it
// before it returns, so that out is never called after.
func (s *sink) finish() {
	if s.out != nil {
		s.out.close()
	}
}

// Write takes raw output; it never fails, so that a step is never
// blocked on its own output.
func (s *sink) Write(p []byte) (int, error) {
	n := len(p)
	if s.full {
		s.dropped += int64(n)
		return n, nil
	}
	if room := s.limit - s.kept; int64(len(p)) > room {
		cut := int(room)
		// Never keep half a character.
		for i := 0; i < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(p[cut]); i++ {
			cut--
		}
		s.dropped += int64(len(p) - cut)
		p = p[:cut]
		s.full = true
	}
	s.kept += int64(len(p))
	s.pending = append(s.pending, p...)
	if s.full {
		s.flush()
		return n, nil
	}
	if i := bytes.LastIndexByte(s.pending, '\n'); i >= 0 {
		s.emit(s.pending[:i+1])
		s.pending = append(s.pending[:0], s.pending[i+1:]...)
	} else if len(s.pending) >= maxLine {
		// Pass on all but a trailing incomplete character.
		cut := lastRuneStart(s.pending)
		if utf8.FullRune(s.pending[cut:]) {
			cut = len(s.pending)
		}
		s.emit(s.pending[:cut])
		s.pending = append(s.pending[:0], s.pending[cut:]...)
	}
	return n, nil
}

func lastRuneStart(b []byte) int {
	i := len(b) - 1
	for j := 0; i > 0 && j < utf8.UTFMax-1 && !utf8.RuneStart(b[i]); j++ {
		i--
	}
	return max(i, 0)
}

// flush passes on a partial line: the step has gone quiet, or ended.
func (s *sink) flush() {
	if len(s.pending) == 0 {
		return
	}
	s.emit(s.pending)
	s.pending = s.pending[:0]
}

func (s *sink) emit(raw []byte) {
	t := s.red.Redact(strings.ToValidUTF8(string(raw), "\uFFFD"))
	if s.full {
		t = s.red.Tail(t)
	}
	s.text.WriteString(t)
	if s.out != nil {
		s.out.send(t)
	}
}

// note adds a line of warroom's own to the output (a retry, say).
func (s *sink) note(line string) {
	s.flush()
	if s.full {
		return
	}
	s.Write([]byte("[warroom] " + line + "\n"))
}

// relay calls out with each chunk sent to it, in order, from a goroutine
// of its own: send never waits for out.
type relay struct {
	out func(string)

	mu     sync.Mutex
	idle   *sync.Cond // signalled when the queue is empty and out returned
	queue  []string
	busy   bool // out is being called
	closed bool
	wake   chan struct{} // capacity 1
	done   chan struct{}
}

func newRelay(out func(string)) *relay {
	r := &relay{out: out, wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.idle = sync.NewCond(&r.mu)
	go r.run()
	return r
}

func (r *relay) send(chunk string) {
	r.mu.Lock()
	r.queue = append(r.queue, chunk)
	r.mu.Unlock()
	r.poke()
}

func (r *relay) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *relay) run() {
	defer close(r.done)
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.busy = false
			r.idle.Broadcast()
			closed := r.closed
			r.mu.Unlock()
			if closed {
				return
			}
			<-r.wake
			continue
		}
		chunk := r.queue[0]
		r.queue[0] = ""
		r.queue = r.queue[1:]
		r.busy = true
		r.mu.Unlock()
		r.out(chunk)
	}
}

// drain waits until every chunk sent so far has been taken.
func (r *relay) drain() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.queue) > 0 || r.busy {
		r.idle.Wait()
	}
}

// close waits until every chunk has been taken, and stops the goroutine.
func (r *relay) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.poke()
	<-r.done
}
