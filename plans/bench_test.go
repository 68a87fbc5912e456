package plans_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/plans"
)

// Runner overhead per script step: a shell script that only exits, and a
// copy of true(1) (which exec's directly), each run to its end with its
// output collected.
func BenchmarkScriptStep(b *testing.B) {
	b.Run("sh", func(b *testing.B) {
		p := scriptPlan(b, map[string]string{"scripts/noop.sh": "#!/bin/sh\n:\n"}, "", "[scripts/noop.sh]")
		benchSteps(b, p, 1)
	})
	b.Run("binary", func(b *testing.B) {
		p := truePlan(b)
		benchSteps(b, p, 1)
	})
}

// 100 script steps started at once, per op.
func BenchmarkScriptSteps100Concurrent(b *testing.B) {
	benchSteps(b, truePlan(b), 100)
}

func truePlan(b *testing.B) *bot.Plan {
	dir := planDir(b, nil)
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		b.Skip("no /bin/true")
	}
	require.NoError(b, os.MkdirAll(filepath.Join(dir, "bin"), 0o755))
	require.NoError(b, os.WriteFile(filepath.Join(dir, "bin/true"), data, 0o755))
	return mustParse(b, dir, "name: t\ntitle: T\nimpact: P4\nsteps: [{name: s, script: [bin/true]}]\n")
}

func benchSteps(b *testing.B, p *bot.Plan, n int) {
	r := &plans.Runner{Getenv: noEnv}
	ctx := context.Background()
	req := bot.StepRequest{Plan: p, Step: p.Steps[0], FaultID: 1, Run: 1}
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if res := r.Run(ctx, req, func(string) {}); res.Status != bot.StepOK {
					b.Error(res.Detail)
				}
			})
		}
		wg.Wait()
	}
}

// A POST job step with a JSON body against a local server.
func BenchmarkJobStep(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "job 42 started\n")
	}))
	b.Cleanup(srv.Close)
	p := jobPlan(b, `{method: POST, url: "${JOBS_URL}/api/job/{{host}}/run", headers: {Authorization: "Bearer ${JOBS_TOKEN}"}, body: '{"host": "{{host}}"}'}`)
	r := jobRunner(srv)
	req := bot.StepRequest{Plan: p, Step: p.Steps[0], Params: map[string]string{"host": "web-1"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := r.Run(ctx, req, func(string) {}); res.Status != bot.StepOK {
			b.Fatal(res.Detail)
		}
	}
}

// Loading the three example plans from disk.
func BenchmarkLoadExamples(b *testing.B) {
	dir := b.TempDir()
	require.NoError(b, plans.WriteExamples(dir))
	b.ReportAllocs()
	for b.Loop() {
		if _, probs := plans.Load(dir); len(probs) > 0 {
			b.Fatal(probs)
		}
	}
}
