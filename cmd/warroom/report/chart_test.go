package report_test

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/bot"
	"github.com/warroom/warroom/cmd/warroom/report"
)

// wellFormed checks that svg parses as XML and returns its text content.
func wellFormed(t *testing.T, svg []byte) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(svg)))
	var text strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if c, ok := tok.(xml.CharData); ok {
			text.Write(c)
			text.WriteByte('\n')
		}
	}
	return text.String()
}

func TestChartGolden(t *testing.T) {
	t.Parallel()
	svg, err := report.Chart(fixture())
	require.NoError(t, err)
	again, err := report.Chart(fixture())
	require.NoError(t, err)
	require.Equal(t, svg, again, "the same timeline draws the same bytes")
	text := wellFormed(t, svg)
	for _, want := range []string{
		"Fault 7 (P1): Ledger | writes *time out* on `shard_7`",
		"declared P2", "mitigated", "resolved", "P2 to P1", "@ben", "@dee", "@cy", "#1", "#1 done",
		"#1 drain-ledger", "#1 failed", "#2 succeeded",
		"status", "check-ins", "updates", "plans", "UTC", "14:10",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "@ana", "the declarer's own check-in is no mark")
	golden(t, "chart.svg", svg)
}

func TestChartOneEvent(t *testing.T) {
	t.Parallel()
	svg, err := report.Chart(fixture()[:1])
	require.NoError(t, err)
	text := wellFormed(t, svg)
	assert.Contains(t, text, "declared P2")
	assert.Contains(t, text, "14:00", "a one-event fault still has a time axis")
	golden(t, "chart-one.svg", svg)
}

func TestChartBurst(t *testing.T) {
	t.Parallel()
	svg, err := report.Chart(burst(40))
	require.NoError(t, err)
	text := wellFormed(t, svg)
	assert.Contains(t, text, "@p00 +39 more check-ins", "forty check-ins in one second share one label")
	assert.Contains(t, text, "#1 +39 more updates")
	assert.Contains(t, text, "declared P1, mitigated, resolved")
	assert.Equal(t, 1, strings.Count(text, "@p"), "no pile of forty labels")
	golden(t, "chart-burst.svg", svg)
}

func TestChartLong(t *testing.T) {
	t.Parallel()
	svg, err := report.Chart(long())
	require.NoError(t, err)
	text := wellFormed(t, svg)
	assert.Contains(t, text, "Apr 9", "an axis over days names the days")
	assert.Contains(t, text, "Apr 13")
	golden(t, "chart-long.svg", svg)
}

func TestChartNoEvents(t *testing.T) {
	t.Parallel()
	_, err := report.Chart(nil)
	assert.ErrorContains(t, err, "no events")
}

func TestChartTitleOneLine(t *testing.T) {
	t.Parallel()
	ev := fixture()[:1]
	ev[0].Text = "a\nb <script>" + strings.Repeat("x", 100)
	ev[0].At = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svg, err := report.Chart([]bot.Event{ev[0]})
	require.NoError(t, err)
	text := wellFormed(t, svg)
	assert.Contains(t, text, "a b <script>x", "folded to one line, and escaped (the XML parsed)")
	assert.Contains(t, text, "…")
}
