package synth

import (
	"math"
	"math/rand/v2"
)

// Streams: every part of the region draws from its own PCG stream, derived from the seed, a purpose
// and an index, so that what one outlet draws never depends on another, on batch sizes or on the
// order in which outlets are generated.
const (
	streamBrands uint64 = iota + 1
	streamBrandWeeks
	streamOutletMaster
	streamOutletProfile
	streamOutletHistory
	streamManagers
	streamSatisfaction
	streamCurrentWeek
)

// splitmix64 is the finaliser of SplitMix64: a bijective mixer with good avalanche.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// streamSeeds returns the two PCG seeds of stream (purpose, index) under seed.
func streamSeeds(seed, purpose, index uint64) (uint64, uint64) {
	a := splitmix64(seed ^ splitmix64(purpose))
	b := splitmix64(a ^ splitmix64(index+0x632be59bd9b4e019))
	return a, b
}

// newStream returns a generator on stream (purpose, index) under seed.
func newStream(seed, purpose, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(streamSeeds(seed, purpose, index)))
}

// reseed points an existing PCG at stream (purpose, index): generators are reused across outlets.
func reseed(src *rand.PCG, seed, purpose, index uint64) {
	src.Seed(streamSeeds(seed, purpose, index))
}

// poisson draws from a Poisson distribution with mean lambda: by multiplying uniforms below 10, by
// Hörmann's transformed rejection (PTRS) above.
func poisson(r *rand.Rand, lambda float64) int {
	switch {
	case lambda <= 0:
		return 0
	case lambda < 10:
		limit := math.Exp(-lambda)
		k := 0
		p := r.Float64()
		for p > limit {
			k++
			p *= r.Float64()
		}
		return k
	}
	slam := math.Sqrt(lambda)
	loglam := math.Log(lambda)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lambda + 0.43)
		if us >= 0.07 && v <= vr {
			return int(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -lambda+k*loglam-lg {
			return int(k)
		}
	}
}

// gammaMean1 draws from a Gamma distribution with the given shape (≥ 1) and mean 1 (Marsaglia and
// Tsang). Mixing a Poisson mean with it gives a negative binomial: overdispersed counts.
func gammaMean1(r *rand.Rand, shape float64) float64 {
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v / shape
		}
	}
}

// lognormal draws a multiplier with median 1 and log-standard deviation sigma.
func lognormal(r *rand.Rand, sigma float64) float64 {
	return math.Exp(sigma * r.NormFloat64())
}

// uniform draws from [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 {
	return lo + (hi-lo)*r.Float64()
}

// pick draws an index with probability proportional to weights.
func pick(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// truncNormalInt draws round(N(mean, sd)) until it falls in [lo, hi].
func truncNormalInt(r *rand.Rand, mean, sd float64, lo, hi int) int {
	for {
		v := int(math.Round(mean + sd*r.NormFloat64()))
		if v >= lo && v <= hi {
			return v
		}
	}
}
