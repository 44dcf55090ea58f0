package forecast

import (
	"slices"
)

// The learnt lost sales calibrated by the size of the week. LearnCensoring's lost sales are
// proportional to a week's expected sell-in within a week state (Theta[state] · x), one coefficient
// for the whole range of series sizes. They are not proportional: a retailer orders whole cartons
// and keeps some safety stock whatever its size, so a series that sells a carton every few weeks
// loses a smaller share of its demand to an empty shelf than one that sells a few a week, and one of
// one or two cartons a week, whose shelf is often a single carton, a larger one. The collection
// points show it: their lost sales, as the EM estimates them, against what the coefficients predict
// for the same weeks, differ by size class by up to a tenth (seeds 1–3 of the synthetic region:
// predicted / EM 1.02–1.04 below a quarter carton a week, 0.93–0.96 from a quarter to a half), and
// the outlets that do not scan, 92% of the demand, carry the error over. calibrateSize measures that
// ratio per week state and class of expected sell-in on the collection points' scanned weeks (the
// classes are quantiles of their expected sell-in, so that each has as many weeks), a ratio
// estimator (Σ lost / Σ predicted) shrunk towards 1 by PoolWeight weeks' worth of the cell's
// predicted lost sales; the correction of every outlet multiplies its learnt lost sales by its
// week's factor.

// SizeClasses is the number of classes of a week's expected sell-in the lost sales are calibrated in.
const SizeClasses = 5

// minSizeWeeks is the number of scanned weeks a state needs to be calibrated by size (else factor 1).
const minSizeWeeks = 500

// sizeCalibration holds the factors of the learnt lost sales by week state and class of expected
// sell-in. The zero value calibrates nothing (every factor 1).
type sizeCalibration struct {
	Edges  []float64                       // SizeClasses−1 ascending: a week of expected sell-in x is in the first class k with x < Edges[k], else the last
	Factor [numStates][SizeClasses]float64 // 0 (not calibrated) reads as 1
}

// factor returns the calibration factor of a week in state of expected sell-in x.
func (c *sizeCalibration) factor(state int, x float64) float64 {
	if len(c.Edges) == 0 {
		return 1
	}
	k, _ := slices.BinarySearch(c.Edges, x)
	for k < len(c.Edges) && c.Edges[k] <= x {
		k++
	}
	if f := c.Factor[state][k]; f > 0 {
		return f
	}
	return 1
}

// learntLost returns the learnt lost sales of a week of brand bc in state, of expected sell-in x and
// unmet request gap (the part of a cut week's request the limit did not grant).
func (lc *LearntCensoring) learntLost(bc *BrandCensoring, state int, x, gap float64) float64 {
	return bc.Theta[state]*x*lc.Size.factor(state, x) + bc.UnmetShare*gap
}

// sizeRow is one collection-point week as calibrateSize reads it: its state, expected sell-in, the
// EM's lost sales and the unmet request.
type sizeRow struct {
	state     int
	x         float64
	lost, gap float64
}

// brandRows pairs a brand's coefficients with its scanned weeks.
type brandRows struct {
	bc   *BrandCensoring
	rows []sizeRow
}

func byBrandRows(brands []string, rows func(string) []sizeRow) func(lc *LearntCensoring) []brandRows {
	return func(lc *LearntCensoring) []brandRows {
		out := make([]brandRows, 0, len(brands))
		for _, b := range brands {
			out = append(out, brandRows{bc: lc.Brands[b], rows: rows(b)})
		}
		return out
	}
}

// calibrateSize measures the size factors on the scanned weeks of every brand (lc's coefficients
// solved).
func calibrateSize(lc *LearntCensoring, rowsOf func(lc *LearntCensoring) []brandRows) sizeCalibration {
	brands := rowsOf(lc)
	var xs []float64
	for _, br := range brands {
		for _, r := range br.rows {
			if r.x > 0 {
				xs = append(xs, r.x)
			}
		}
	}
	var c sizeCalibration
	if len(xs) < SizeClasses*minSizeWeeks {
		return c
	}
	slices.Sort(xs)
	for k := 1; k < SizeClasses; k++ {
		c.Edges = append(c.Edges, xs[k*len(xs)/SizeClasses])
	}
	var num, den, n [numStates][SizeClasses]float64
	for _, br := range brands {
		for _, r := range br.rows {
			if r.x <= 0 {
				continue
			}
			k, _ := slices.BinarySearch(c.Edges, r.x)
			for k < len(c.Edges) && c.Edges[k] <= r.x {
				k++
			}
			num[r.state][k] += r.lost - br.bc.UnmetShare*r.gap
			den[r.state][k] += br.bc.Theta[r.state] * r.x
			n[r.state][k]++
		}
	}
	for s := range numStates {
		total := 0.0
		for k := range SizeClasses {
			total += n[s][k]
		}
		if total < minSizeWeeks {
			continue
		}
		for k := range SizeClasses {
			if n[s][k] == 0 || den[s][k] <= 0 {
				continue
			}
			prior := PoolWeight * den[s][k] / n[s][k] // PoolWeight weeks of the cell's predicted lost sales, at factor 1
			c.Factor[s][k] = max(0, (num[s][k]+prior)/(den[s][k]+prior))
		}
	}
	return c
}
