package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/report"
)

func catalog() *bot.Catalog {
	return &bot.Catalog{
		People: map[string]bot.Person{"ana": {ID: "ana", Name: "Ana Ruiz"}, "eve": {ID: "eve", Name: "Eve | *Ops*"}},
		Levels: map[bot.Level]bot.LevelPolicy{bot.P1: {CheckinWithin: time.Minute}},
	}
}

func postmortem(t *testing.T, events []bot.Event, opts report.Options) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, report.Postmortem(&buf, events, opts))
	return buf.String()
}

func TestPostmortemGolden(t *testing.T) {
	t.Parallel()
	md := postmortem(t, fixture(), report.Options{BaseURL: "https://warroom.example.com/", Catalog: catalog()})
	for _, want := range []string{
		"# Postmortem draft: fault 7 — Ledger \\| writes \\*time out\\* on \\`shard\\_7\\`\n",
		"War room: <https://warroom.example.com/incidents/7>",
		"- **Level:** P1 (graded P2 → P1)\n",
		"- **Duration:** 45m0s\n",
		"| Affected service | ledger |\n",
		"| Suspected cause | queue |\n",
		"| Time to first check-in (MTTA) | 1m30s (@ben), over the P1 check-in window of 1m0s |\n",
		"| Time to mitigate (MTTM) | 20m0s |\n",
		"| Time to resolve (MTTR) | 45m0s |\n",
		"| Check-in rate | 4/5 (80%) |\n",
		"| Eve \\| \\*Ops\\* (@eve) | +0s (contact of ledger) | **not checked in** | — | dm at 14:24:00 |\n",
		"### Run #1: drain-ledger (sha256:0123456789ab): failed\n",
		"| 2 verify | failed | 1m0s | exit status 3 [whole output](https://warroom.example.com/api/incidents/7/runs/1/steps/2/output) |\n",
		"| 2 | roll back \\*4.2\\* \\| then watch | @ben | 14:05:00 by @dee | **open** |\n",
		"- [ ] Task #2 for @ben is still open",
		"- [ ] Eve \\| \\*Ops\\* (@eve) never checked in",
		"- [ ] Run #1 of drain-ledger failed",
		"**To fill in:** why it happened, and why then (the suspected cause recorded was queue).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the draft lacks %q", want)
		}
	}
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "|") {
			assert.True(t, strings.HasSuffix(l, "|"), "a table row stays one line: %q", l)
		}
	}
	assert.NotContains(t, md, "kickoff posted", "the bot's bookkeeping is no part of the story")
	golden(t, "postmortem.md", []byte(md))
}

func TestPostmortemOpenFault(t *testing.T) {
	t.Parallel()
	ev := fixture()[:20] // before mitigate
	md := postmortem(t, ev, report.Options{Now: fixtureStart.Add(2 * time.Hour)})
	assert.Contains(t, md, "- **Duration:** 2h0m0s so far (still open on 2026-04-08 16:00:00 UTC)")
	assert.Contains(t, md, "| Time to mitigate (MTTM) | — |")
	assert.Contains(t, md, "- [ ] The fault is still open: finish this draft once it is resolved.")
	assert.NotContains(t, md, "War room: <", "no base_url, no links")
	assert.NotContains(t, md, "whole output")
	golden(t, "postmortem-open.md", []byte(md))
}

func TestPostmortemOneEvent(t *testing.T) {
	t.Parallel()
	md := postmortem(t, fixture()[:1], report.Options{})
	assert.Contains(t, md, "Nobody was invited.")
	assert.Contains(t, md, "No plan was run.")
	assert.Contains(t, md, "No task was given.")
	assert.Contains(t, md, "Drafted by warroom from the fault's timeline on 2026-04-08 14:00:00 UTC")
}

func TestPostmortemNoEvents(t *testing.T) {
	t.Parallel()
	assert.ErrorContains(t, report.Postmortem(&bytes.Buffer{}, nil, report.Options{}), "no events")
}

func TestEscape(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain text, 4.2 - ok #1":     "plain text, 4.2 - ok #1",
		"a | b":                       `a \| b`,
		"*bold* _it_ `code` ~s~":      "\\*bold\\* \\_it\\_ \\`code\\` \\~s\\~",
		"<script>&amp; [x](y)":        `\<script\>\&amp; \[x\](y)`,
		"line one\nline two\r\n\nend": "line one line two end",
		`back\slash`:                  `back\\slash`,
	} {
		assert.Equal(t, want, report.Escape(in), in)
	}
}
