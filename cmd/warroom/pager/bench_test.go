package pager_test

import (
	"context"
	"testing"

	"github.com/warroom/warroom/bot"
)

// BenchmarkFanoutPage pages one person through Twilio (a text and a call),
// PagerDuty and the webhook, each a local test server: the cost of the
// fan-out itself (four requests, three of them at once, JSON, form
// encoding, signing) over loopback.
func BenchmarkFanoutPage(b *testing.B) {
	s := newServices(b, &waits{})
	p := page(alice, bot.P1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.fanout.Page(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFanoutPageSerial is the same four requests one after the other,
// for comparison: what running the providers at once saves.
func BenchmarkFanoutPageSerial(b *testing.B) {
	w := &waits{}
	s := newServices(b, w)
	ps := s.providers
	p := page(alice, bot.P1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		for _, pr := range ps {
			if err := pr.Page(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
