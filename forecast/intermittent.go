package forecast

import "math"

// Intermittent demand: weeks without any sale are common for a small outlet and a minor brand. The
// methods here separate how much is bought when something is bought (the size) from how often
// something is bought. A week with y ≤ 0 counts as a week without demand; returns are not sizes.

// defaultIntermittentAlphas is the grid of smoothing weights of Croston and SBA.
var defaultIntermittentAlphas = []float64{0.05, 0.1, 0.2, 0.3}

// defaultTSBAlphas and defaultTSBBetas are the grids of TSB's size and probability weights.
var (
	defaultTSBAlphas = []float64{0.05, 0.15, 0.3}
	defaultTSBBetas  = []float64{0.03, 0.1, 0.2}
)

// Croston is Croston's method: at each week with demand, the size z and the interval p since the
// previous demand week are smoothed with the same weight α,
//
//	z ← z + α(y_t − z),  p ← p + α(q − p)
//
// starting from the first demand (z = its size) and the first interval between two demands (p), and
// every week is forecast as z/p. Until a second demand the interval is not known, only that it is
// longer than the q weeks without demand since the first, and the rate is z/(q+1). Textbook Croston
// starts p at the first demand's position counting from 1; but series reach the models without their
// leading zeros (Engine), so that position is always 1, and a series that sold once (a new product's
// first order filling the shelf, a brand an outlet tried) would be forecast to sell as much every
// week, and every interval learnt from 1 upwards, too short for as long as α takes to forget it.
// α comes from Alphas (0.05, 0.1, 0.2, 0.3 when nil) by the smallest sum of squared one-step errors
// over the weeks after the first demand. A series without demand is forecast as 0. The interval is
// ± z·σ, σ² the mean squared one-step error: a rate forecast, so the spread does not grow with the
// horizon.
type Croston struct {
	Alphas []float64
}

// Name returns "croston".
func (Croston) Name() string { return "croston" }

// Forecast implements Model.
func (m Croston) Forecast(y []float64, f Forecast, _ *Scratch) {
	crostonForecast(y, f, m.Alphas, false)
}

// SBA is the Syntetos–Boylan approximation: Croston's method with the forecast multiplied by
// (1 − α/2) to remove Croston's upward bias. α is chosen as in Croston, on the corrected forecasts.
type SBA struct {
	Alphas []float64
}

// Name returns "sba".
func (SBA) Name() string { return "sba" }

// Forecast implements Model.
func (m SBA) Forecast(y []float64, f Forecast, _ *Scratch) {
	crostonForecast(y, f, m.Alphas, true)
}

func crostonForecast(y []float64, f Forecast, alphas []float64, sba bool) {
	if alphas == nil {
		alphas = defaultIntermittentAlphas
	}
	first := -1
	for t, v := range y {
		if v > 0 {
			first = t
			break
		}
	}
	if first < 0 || len(alphas) == 0 {
		f.zero()
		return
	}
	best, bestRate := math.Inf(1), 0.0
	for _, a := range alphas {
		k := 1.0
		if sba {
			k = 1 - a/2
		}
		var c crostonState
		c.start(y[first])
		var sse float64
		for t := first + 1; t < len(y); t++ {
			e := y[t] - k*c.rate()
			sse += e * e
			c.step(y[t], a)
		}
		if sse < best {
			best, bestRate = sse, k*c.rate()
		}
	}
	sd := 0.0
	if n := len(y) - first - 1; n > 0 {
		sd = math.Sqrt(best / float64(n))
	}
	for j := range f.Mean {
		f.put(j, bestRate, sd)
	}
}

// crostonState is Croston's size and interval after some weeks, and the weeks since the last demand.
type crostonState struct {
	z, p float64 // p is 0 until a second demand gives the first interval
	q    float64
}

// start is the state at the first demand, of size y.
func (c *crostonState) start(y float64) { *c = crostonState{z: y} }

// rate is the forecast of every week ahead: z/p, or z/(q+1) while the interval is not known.
func (c *crostonState) rate() float64 {
	if c.p == 0 {
		return c.z / (c.q + 1)
	}
	return c.z / c.p
}

// step moves the state over a week of demand y with the smoothing weight a.
func (c *crostonState) step(y, a float64) {
	c.q++
	if y <= 0 {
		return
	}
	if c.p == 0 {
		c.p = c.q // the first interval
	} else {
		c.p += a * (c.q - c.p)
	}
	c.z += a * (y - c.z)
	c.q = 0
}

// TSB is the Teunter–Syntetos–Babai method: the probability π that a week has demand is smoothed
// every week, π ← π + β(1[y_t > 0] − π), the size z only in weeks with demand, z ← z + α(y_t − z),
// and every week is forecast as π·z. Unlike Croston's, its forecast decays while no demand comes, so it
// suits items that fade out. π starts as the share of weeks with demand and z as the mean demand size
// (both over the series); α and β come from Alphas × Betas (0.05, 0.15, 0.3 and 0.03, 0.1, 0.2
// when nil) by the smallest sum of squared one-step errors. The interval is ± z·σ as in Croston.
type TSB struct {
	Alphas, Betas []float64
}

// Name returns "tsb".
func (TSB) Name() string { return "tsb" }

// Forecast implements Model.
func (m TSB) Forecast(y []float64, f Forecast, _ *Scratch) {
	alphas, betas := m.Alphas, m.Betas
	if alphas == nil {
		alphas = defaultTSBAlphas
	}
	if betas == nil {
		betas = defaultTSBBetas
	}
	var nz int
	var size float64
	for _, v := range y {
		if v > 0 {
			nz++
			size += v
		}
	}
	if nz == 0 || len(alphas) == 0 || len(betas) == 0 {
		f.zero()
		return
	}
	pi0, z0 := float64(nz)/float64(len(y)), size/float64(nz)
	var best, bestRate float64
	if len(alphas) == 3 && len(betas) == 3 {
		best, bestRate = tsbFit3(y, pi0, z0, [3]float64(alphas), [3]float64(betas))
	} else {
		best, bestRate = tsbFit(y, pi0, z0, alphas, betas)
	}
	sd := math.Sqrt(best / float64(len(y)))
	for j := range f.Mean {
		f.put(j, bestRate, sd)
	}
}

// tsbFit returns the smallest sum of squared one-step errors of TSB on y over the grid alphas ×
// betas, from π = pi0 and z = z0, and the forecast π·z of the fit that has it (the first in the grid's
// order on a tie).
func tsbFit(y []float64, pi0, z0 float64, alphas, betas []float64) (best, rate float64) {
	best = math.Inf(1)
	for _, a := range alphas {
		for _, b := range betas {
			pi, z := pi0, z0
			var sse float64
			for _, v := range y {
				e := v - pi*z
				sse += e * e
				if v > 0 {
					pi += b * (1 - pi)
					z += a * (v - z)
				} else {
					pi -= b * pi
				}
			}
			if sse < best {
				best, rate = sse, pi*z
			}
		}
	}
	return best, rate
}

// tsbFit3 is tsbFit, starting from π = pi and z = z, for a grid of 3 α × 3 β, the default, in one
// pass: π's run depends on β alone and z's on α alone, so the pass keeps three of each and adds the
// nine pairs' errors, each exactly as tsbFit adds it. Nine independent sums keep the processor busy
// where tsbFit's one chain at a time leaves it waiting, and a week's test for demand is made once,
// not nine times.
func tsbFit3(y []float64, pi, z float64, a, b [3]float64) (best, rate float64) {
	p0, p1, p2 := pi, pi, pi                                // π for β = b[0], b[1], b[2]
	z0, z1, z2 := z, z, z                                   // z for α = a[0], a[1], a[2]
	var s00, s01, s02, s10, s11, s12, s20, s21, s22 float64 // s_ij: α = a[i], β = b[j]
	for _, v := range y {
		e00, e01, e02 := v-p0*z0, v-p1*z0, v-p2*z0
		e10, e11, e12 := v-p0*z1, v-p1*z1, v-p2*z1
		e20, e21, e22 := v-p0*z2, v-p1*z2, v-p2*z2
		s00 += e00 * e00
		s01 += e01 * e01
		s02 += e02 * e02
		s10 += e10 * e10
		s11 += e11 * e11
		s12 += e12 * e12
		s20 += e20 * e20
		s21 += e21 * e21
		s22 += e22 * e22
		if v > 0 {
			p0 += b[0] * (1 - p0)
			p1 += b[1] * (1 - p1)
			p2 += b[2] * (1 - p2)
			z0 += a[0] * (v - z0)
			z1 += a[1] * (v - z1)
			z2 += a[2] * (v - z2)
		} else {
			p0 -= b[0] * p0
			p1 -= b[1] * p1
			p2 -= b[2] * p2
		}
	}
	best = math.Inf(1)
	sums := [9]float64{s00, s01, s02, s10, s11, s12, s20, s21, s22}
	pis, zs := [3]float64{p0, p1, p2}, [3]float64{z0, z1, z2}
	for k, sse := range sums {
		if sse < best {
			best, rate = sse, pis[k%3]*zs[k/3]
		}
	}
	return best, rate
}
