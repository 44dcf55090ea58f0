package allocation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// city draws n outlets like the synthetic region's: grades weighted to the middle, forecasts growing
// with grade, a third capped, 2% benchmarks, 5% suspended or closed, 20 districts. It returns them
// with the sum of their forecasts.
func city(n int) ([]Outlet, float64) {
	rng := rand.New(rand.NewPCG(42, 42))
	outlets := make([]Outlet, n)
	total := 0.0
	for i := range outlets {
		g := min(MaxGrade, max(MinGrade, int(math.Round(15+6*rng.NormFloat64()))))
		d := math.Round(4*math.Exp(0.11*float64(g-1))*rng.ExpFloat64()*0.1*100) / 100
		x := Outlet{ID: fmt.Sprintf("%012d", 330100000000+i*7919%n), Grade: g, Status: Active,
			Area: fmt.Sprintf("district-%02d", rng.IntN(20)), MarketType: []string{"city", "town", "village"}[rng.IntN(3)],
			Rural: rng.IntN(3) == 0, Format: []string{"convenience", "supermarket", "kiosk", "restaurant"}[rng.IntN(4)],
			CreditLevel: []string{"AAA", "AA", "A", "B"}[rng.IntN(4)], Benchmark: rng.IntN(50) == 0, Demand: d,
			Selected: rng.IntN(10) == 0}
		if rng.IntN(3) == 0 {
			x.Cap = 1 + rng.IntN(10)
		}
		if rng.IntN(20) == 0 {
			x.Status = Suspended
		}
		total += d
		outlets[i] = x
	}
	return outlets, total
}

// cpuPerOp reports the CPU time the process spent per operation (user and system, every thread,
// the garbage collector's included) as cpu-ns/op: on a shared machine it is steadier than the wall
// time of ns/op. Call it before the loop and defer the function it returns.
func cpuPerOp(b *testing.B) func() {
	start, ok := cpuTime()
	return func() {
		if end, _ := cpuTime(); ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func benchmarkInput(b *testing.B, mode Mode, opts Options) Input {
	outlets, total := city(300_000)
	in := Input{Brand: "B0001", Supply: int(0.6 * total), Mode: mode, Options: opts, Outlets: outlets}
	if mode == ByGradeWithin {
		in.Dimension = District
	}
	if mode == BySelection {
		in.Supply = int(0.6 * total / 10)
	}
	return in
}

// BenchmarkAllocate300k allocates one brand over 300,000 outlets in each mode, with and without the
// options. Explanations are built on demand: see BenchmarkPreview300k.
func BenchmarkAllocate300k(b *testing.B) {
	for _, mode := range Modes {
		for _, opts := range []struct {
			name string
			o    Options
		}{{"plain", Options{}}, {"coverage+benchmarks", Options{MinCoverage: 0.8, BenchmarkFirst: true}}} {
			b.Run(string(mode)+"/"+opts.name, func(b *testing.B) {
				in := benchmarkInput(b, mode, opts.o)
				b.ReportAllocs()
				defer cpuPerOp(b)()
				for b.Loop() {
					if _, err := Allocate(in); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPreview300k is what publishing costs: allocate, the summary, and every outlet's
// explanation written out through one reused buffer, as an adapter streams them to a store.
func BenchmarkPreview300k(b *testing.B) {
	for _, mode := range Modes {
		b.Run(string(mode), func(b *testing.B) {
			in := benchmarkInput(b, mode, Options{MinCoverage: 0.8, BenchmarkFirst: true})
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for b.Loop() {
				r, err := Allocate(in)
				if err != nil {
					b.Fatal(err)
				}
				_ = r.Summary()
				n := 0
				for i := range r.Limits {
					buf = r.AppendExplanation(buf[:0], i)
					n += len(buf)
				}
				if n == 0 {
					b.Fatal("no explanation")
				}
			}
		})
	}
}

// BenchmarkExplanations300k builds every explanation as a string at once (ByGradeWithin, the longest).
func BenchmarkExplanations300k(b *testing.B) {
	r, err := Allocate(benchmarkInput(b, ByGradeWithin, Options{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		_ = r.Explanations()
	}
}

func BenchmarkSummary300k(b *testing.B) {
	r, err := Allocate(benchmarkInput(b, ByDemand, Options{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		_ = r.Summary()
	}
}

// BenchmarkKeepPlan100k encodes the plan a preview of 100,000 outlets keeps, and decodes it as a
// later page of the preview does.
func BenchmarkKeepPlan100k(b *testing.B) {
	outlets, total := city(100_000)
	r, err := Allocate(Input{Brand: "B0001", Supply: int(0.6 * total), Mode: ByGrade, Outlets: outlets})
	if err != nil {
		b.Fatal(err)
	}
	plan := &Plan{ID: "p", Request: Request{Brand: "B0001", Supply: r.Supply, Mode: ByGrade}, Result: r}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			body, err := EncodePlan(plan)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(body)), "bytes")
		}
	})
	body, _ := EncodePlan(plan)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			if _, err := DecodePlan(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
