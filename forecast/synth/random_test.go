package synth

import (
	"math"
	"testing"
)

func TestSynthPoisson(t *testing.T) {
	tests := []struct {
		name   string
		lambda float64
	}{
		{"zero", 0},
		{"rare", 0.05},
		{"small", 0.7},
		{"below switch", 9.5},
		{"above switch", 10.5},
		{"large", 240},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := newStream(7, 99, uint64(tt.lambda*1000))
			const n = 200000
			sum, sq := 0.0, 0.0
			for range n {
				k := float64(poisson(rng, tt.lambda))
				if k < 0 {
					t.Fatalf("poisson(%v) = %v; want ≥ 0", tt.lambda, k)
				}
				sum += k
				sq += k * k
			}
			mean := sum / n
			variance := sq/n - mean*mean
			tol := 4*math.Sqrt(tt.lambda/n) + 1e-9
			if math.Abs(mean-tt.lambda) > tol {
				t.Errorf("poisson(%v): mean %v; want %v ± %v", tt.lambda, mean, tt.lambda, tol)
			}
			if math.Abs(variance-tt.lambda) > 0.03*tt.lambda+1e-9 {
				t.Errorf("poisson(%v): variance %v; want %v ± 3%%", tt.lambda, variance, tt.lambda)
			}
		})
	}
}

func TestSynthGammaMean1(t *testing.T) {
	tests := []struct {
		name  string
		shape float64
	}{
		{"shape 1", 1},
		{"shape 4", 4},
		{"shape 20", 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := newStream(3, 98, uint64(tt.shape))
			const n = 200000
			sum, sq := 0.0, 0.0
			for range n {
				x := gammaMean1(rng, tt.shape)
				if x <= 0 {
					t.Fatalf("gammaMean1(%v) = %v; want > 0", tt.shape, x)
				}
				sum += x
				sq += x * x
			}
			mean := sum / n
			variance := sq/n - mean*mean
			if math.Abs(mean-1) > 0.01 {
				t.Errorf("gammaMean1(%v): mean %v; want 1 ± 0.01", tt.shape, mean)
			}
			if want := 1 / tt.shape; math.Abs(variance-want) > 0.05*want {
				t.Errorf("gammaMean1(%v): variance %v; want %v ± 5%%", tt.shape, variance, want)
			}
		})
	}
}

func TestSynthStreamsIndependent(t *testing.T) {
	seen := map[[2]uint64]string{}
	for seed := range uint64(3) {
		for purpose := range uint64(7) {
			for index := range uint64(50) {
				a, b := streamSeeds(seed, purpose, index)
				if prev, ok := seen[[2]uint64{a, b}]; ok {
					t.Fatalf("streamSeeds(%d, %d, %d) repeats %s", seed, purpose, index, prev)
				}
				seen[[2]uint64{a, b}] = "an earlier stream"
			}
		}
	}
}
