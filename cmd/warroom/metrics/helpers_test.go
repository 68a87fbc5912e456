package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// series finds the one series of name whose labels include pairs (name,
// value, ...), as a scrape would see it.
func series(t *testing.T, g prometheus.Gatherer, name string, pairs ...string) *dto.Metric {
	t.Helper()
	families, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(pairs); i += 2 {
				if have[pairs[i]] != pairs[i+1] {
					continue next
				}
			}
			return m
		}
	}
	t.Fatalf("no series %s%v", name, pairs)
	return nil
}

// gathered is a counter's or a gauge's value.
func gathered(t *testing.T, g prometheus.Gatherer, name string, pairs ...string) float64 {
	t.Helper()
	m := series(t, g, name, pairs...)
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return m.GetGauge().GetValue()
}

// histogram is a histogram's count and sum at a level.
func histogram(t *testing.T, g prometheus.Gatherer, name, level string) []float64 {
	t.Helper()
	h := series(t, g, name, "level", level).GetHistogram()
	require.NotNil(t, h, "%s is a histogram", name)
	return []float64{float64(h.GetSampleCount()), h.GetSampleSum()}
}
