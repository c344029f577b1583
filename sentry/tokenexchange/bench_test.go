package tokenexchange_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkTokenCached is the cost a Sentry request pays for its token while the cached one is valid.
func BenchmarkTokenCached(b *testing.B) {
	clk := newClock()
	br := broker(b, clk)
	src := newSource(b, baseConfig(br, clk))
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.Token(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkExchange is one discovery-free exchange against the loopback broker.
func BenchmarkExchange(b *testing.B) {
	clk := newClock()
	br := broker(b, clk)
	src := newSource(b, baseConfig(br, clk))
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		clk.Advance(time.Minute) // every token has expired: each Token call exchanges
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
