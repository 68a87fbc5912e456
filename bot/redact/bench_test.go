package redact_test

import (
	"strings"
	"testing"

	"github.com/warroom/warroom/bot/redact"
)

// A MiB of output with no trigger word, and one where every line has some
// (but no secret): the runner and the core each redact a step's output.
func BenchmarkRedact(b *testing.B) {
	for name, line := range map[string]string{
		"plain":   "2026-04-08T14:00:00Z INFO request handled in 12ms status=200 path=/api/v1/things\n",
		"suspect": "2026-04-08T14:00:00Z INFO test passed: session key=k1 rotated, token refreshed for user 42\n",
	} {
		s := strings.Repeat(line, (1<<20)/len(line))
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				redact.String(s)
			}
		})
	}
}
