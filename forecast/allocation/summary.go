package allocation

import (
	"cmp"
	"slices"
	"sort"
)

// Summary is what a planner checks before publishing an allocation. Every figure is over the
// eligible outlets (active, selected in BySelection, with a forecast in ByDemand).
//
// An outlet's fill rate is min(limit, forecast) ÷ forecast, defined for outlets with a forecast: the
// share of its forecast demand its limit lets it buy, at most 1.
type Summary struct {
	Supply      int
	Allocated   int
	Unallocated int
	Eligible    int
	Covered     int     // eligible outlets with at least one carton
	Coverage    float64 // Covered ÷ Eligible: the scarce-brand coverage (紧俏品牌覆盖率); 0 with none eligible
	Demand      float64 // Σ forecast, cartons
	// FillRate is Σ min(limit, forecast) ÷ Σ forecast: the share of the forecast demand the limits
	// can serve. 0 when no outlet has a forecast.
	FillRate float64
	// Gini is the Gini coefficient of the outlets' fill rates over the outlets with a forecast:
	// Σᵢ Σⱼ |fᵢ − fⱼ| ÷ (2 n² mean f), computed as 2 Σₖ k f₍ₖ₎ ÷ (n Σ f) − (n + 1) ÷ n over the
	// rates sorted ascending. 0 when every outlet's fill rate is the same, approaching 1 when a few
	// outlets get everything; 0 when no outlet has a forecast or no fill rate is above 0.
	Gini   float64
	Grades []GradeSummary // grades with eligible outlets, ascending
	Areas  []AreaSummary  // areas with eligible outlets, by name
}

// GradeSummary is the Summary of one grade's eligible outlets.
type GradeSummary struct {
	Grade    int
	Outlets  int
	Covered  int
	Cartons  int
	Demand   float64
	FillRate float64 // Σ min(limit, forecast) ÷ Σ forecast
}

// AreaSummary is the Summary of one area's eligible outlets.
type AreaSummary struct {
	Area    string
	Outlets int
	Cartons int
	Share   float64 // Cartons ÷ Supply: the area's share of the supply; 0 without supply
}

// Summary computes the summary figures of r.
func (r *Result) Summary() Summary {
	s := Summary{Supply: r.Supply, Allocated: r.Allocated, Unallocated: r.Unallocated()}
	type grade struct {
		outlets, covered, cartons int
		demand, served            int64 // thousandths of a carton
	}
	var grades [MaxGrade + 1]grade
	areas := map[string]*AreaSummary{}
	var demand, served int64
	fill := make([]float64, 0, len(r.Limits))
	for i := range r.Limits {
		l := &r.Limits[i]
		if !l.Eligible() {
			continue
		}
		g := &grades[l.Grade]
		g.outlets++
		g.cartons += l.Cartons
		if l.Cartons > 0 {
			g.covered++
		}
		if d := milli(l.Demand); d > 0 {
			got := min(int64(l.Cartons)*1000, d)
			g.demand += d
			g.served += got
			fill = append(fill, float64(got)/float64(d))
		}
		a := areas[l.Area]
		if a == nil {
			a = &AreaSummary{Area: l.Area}
			areas[l.Area] = a
		}
		a.Outlets++
		a.Cartons += l.Cartons
	}
	for k := MinGrade; k <= MaxGrade; k++ {
		g := &grades[k]
		if g.outlets == 0 {
			continue
		}
		s.Eligible += g.outlets
		s.Covered += g.covered
		demand += g.demand
		served += g.served
		s.Grades = append(s.Grades, GradeSummary{Grade: k, Outlets: g.outlets, Covered: g.covered,
			Cartons: g.cartons, Demand: float64(g.demand) / 1000, FillRate: ratio(g.served, g.demand)})
	}
	if s.Eligible > 0 {
		s.Coverage = float64(s.Covered) / float64(s.Eligible)
	}
	s.Demand = float64(demand) / 1000
	s.FillRate = ratio(served, demand)
	s.Gini = gini(fill)
	for _, a := range areas {
		if r.Supply > 0 {
			a.Share = float64(a.Cartons) / float64(r.Supply)
		}
		s.Areas = append(s.Areas, *a)
	}
	sort.Slice(s.Areas, func(i, j int) bool { return s.Areas[i].Area < s.Areas[j].Area })
	return s
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// gini returns the Gini coefficient of x (non-negative), sorting x.
func gini(x []float64) float64 {
	slices.Sort(x)
	var sum, weighted float64
	for k, v := range x {
		sum += v
		weighted += float64(k+1) * v
	}
	if sum == 0 {
		return 0
	}
	n := float64(len(x))
	return max(0, 2*weighted/(n*sum)-(n+1)/n)
}

// Largest returns the indexes into r.Limits of the n largest limits, largest first (ties: the
// input's order), for showing a sample of an allocation. A few of many are picked in one pass (a page
// of 50 of 100,000 outlets) rather than by sorting them all.
func (r *Result) Largest(n int) []int {
	n = min(max(n, 0), len(r.Limits))
	if n*8 >= len(r.Limits) {
		idx := make([]int, len(r.Limits))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(r.Limits[b].Cartons, r.Limits[a].Cartons) })
		return idx[:n]
	}
	// A heap of the best n so far, the worst on top: the fewest cartons, then the latest. An outlet
	// met later loses every tie, so it enters only with more cartons than the worst.
	worse := func(a, b int) bool { // a ranks after b
		ca, cb := r.Limits[a].Cartons, r.Limits[b].Cartons
		return ca < cb || ca == cb && a > b
	}
	h := make([]int, 0, n)
	down := func(k int) {
		for {
			w, l, rt := k, 2*k+1, 2*k+2
			if l < len(h) && worse(h[l], h[w]) {
				w = l
			}
			if rt < len(h) && worse(h[rt], h[w]) {
				w = rt
			}
			if w == k {
				return
			}
			h[k], h[w] = h[w], h[k]
			k = w
		}
	}
	for i := range r.Limits {
		switch {
		case len(h) < n:
			h = append(h, i)
			for k := len(h) - 1; k > 0 && worse(h[k], h[(k-1)/2]); k = (k - 1) / 2 {
				h[k], h[(k-1)/2] = h[(k-1)/2], h[k]
			}
		case n > 0 && r.Limits[i].Cartons > r.Limits[h[0]].Cartons:
			h[0] = i
			down(0)
		}
	}
	slices.SortFunc(h, func(a, b int) int {
		if worse(a, b) {
			return 1
		}
		return -1
	})
	return h
}
