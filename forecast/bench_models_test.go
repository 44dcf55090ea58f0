package forecast

import (
	"math"
	"testing"
)

// benchSeries returns a noisy seasonal weekly series of n weeks.
func benchSeries(n int) []float64 {
	y := make([]float64, n)
	for t := range y {
		y[t] = 100 + 30*math.Sin(2*math.Pi*float64(t)/52) + float64((t*7919)%23)
	}
	return y
}

// BenchmarkModels times each model on one series of 143 weeks (Walmart's length), intervals included:
// go test ./forecast/ -run '^$' -bench Models -count 3
func BenchmarkModels(b *testing.B) {
	y := benchSeries(143)
	for _, m := range DefaultCandidates() {
		b.Run(m.Name(), func(b *testing.B) {
			var s Scratch
			f := Forecast{Mean: make([]float64, 4), Lower: make([]float64, 4), Upper: make([]float64, 4)}
			b.ReportAllocs()
			for b.Loop() {
				m.Forecast(y, f, &s)
			}
		})
	}
}
