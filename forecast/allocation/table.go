package allocation

import (
	"math"
	"slices"
	"sort"
)

// table is one grade-table allocation over some outlets (see "The grade table" in the package
// documentation). An outlet i of grade g gets min(hi[i], max(lo[i], L[g])) cartons, plus one when
// the remainder reaches it.
type table struct {
	a      *allocator
	supply int64
	weight [MaxGrade + 1]float64
	start  [MaxGrade + 2]int // outlets of grade g are order[start[g]:start[g+1]]
	order  []int32           // the outlets, by grade
	his    []int64           // their ceilings (at most the supply), ascending within each grade
	pre    []int64           // prefix sums of his: pre[k] = Σ his[:k]
	floors [MaxGrade + 1]int64

	lam      float64               // the least λ whose quotas add up to the supply
	lamBelow float64               // a λ just below it, whose quotas add up to less
	q        [MaxGrade + 1]float64 // quota of each grade
	L        [MaxGrade + 1]int64   // limit of each grade
	raised   [MaxGrade + 1]bool    // rounded up by the largest remainder
	full     bool                  // the supply covers every outlet's ceiling
}

// newTable prepares a grade table of supply for outlets with the given grade weights.
func (a *allocator) newTable(supply int64, outlets []int32, weight *[MaxGrade + 1]float64) *table {
	t := &table{a: a, supply: supply, weight: *weight}
	for _, i := range outlets {
		t.start[a.in.Outlets[i].Grade+1]++
	}
	for g := 1; g <= MaxGrade+1; g++ {
		t.start[g] += t.start[g-1]
	}
	// Within each grade, ceilings under the supply first (to be sorted), then those at or above it,
	// which the table counts as the supply: no outlet can get more.
	front, back := t.start, t.start
	for g := MinGrade; g <= MaxGrade; g++ {
		back[g] = t.start[g+1]
	}
	t.order = make([]int32, len(outlets))
	t.his = make([]int64, len(outlets))
	for _, i := range outlets {
		g := a.in.Outlets[i].Grade
		if h := a.hi[i]; h < supply {
			t.order[front[g]], t.his[front[g]] = i, h
			front[g]++
		} else {
			back[g]--
			t.order[back[g]], t.his[back[g]] = i, supply
		}
		t.floors[g] += a.lo[i]
	}
	t.pre = make([]int64, len(outlets)+1)
	for g := MinGrade; g <= MaxGrade; g++ {
		slices.Sort(t.his[t.start[g]:front[g]])
	}
	for k, h := range t.his {
		t.pre[k+1] = t.pre[k] + h
	}
	return t
}

func (t *table) count(g int) int64 { return int64(t.start[g+1] - t.start[g]) }

// below counts grade g's outlets whose ceiling is under x.
func (t *table) below(g int, x float64) int {
	seg := t.his[t.start[g]:t.start[g+1]]
	return sort.Search(len(seg), func(k int) bool { return float64(seg[k]) >= x })
}

// at is Σ min(hi, max(lo, x)) over grade g's outlets. Ceilings are ≥ 1 and floors 0 or 1.
func (t *table) at(g int, x float64) float64 {
	n := t.count(g)
	if n == 0 {
		return 0
	}
	if x < 1 {
		return float64(t.floors[g]) + x*float64(n-t.floors[g])
	}
	k := t.below(g, x)
	return float64(t.pre[t.start[g]+k]-t.pre[t.start[g]]) + x*float64(n-int64(k))
}

// cost is what limit L costs over grade g's outlets.
func (t *table) cost(g int, L int64) int64 {
	if L == 0 {
		return t.floors[g]
	}
	k := t.below(g, float64(L))
	return t.pre[t.start[g]+k] - t.pre[t.start[g]] + L*(t.count(g)-int64(k))
}

// capacity is the most grade g's outlets can take: their ceilings, or only floors at weight 0.
func (t *table) capacity(g int) int64 {
	if t.weight[g] == 0 {
		return t.floors[g]
	}
	return t.pre[t.start[g+1]] - t.pre[t.start[g]]
}

// solve finds λ and the quota of every grade.
func (t *table) solve() {
	total := int64(0)
	for g := MinGrade; g <= MaxGrade; g++ {
		total += t.capacity(g)
	}
	if t.supply >= total {
		t.full, t.lam = true, math.Inf(1)
		for g := MinGrade; g <= MaxGrade; g++ {
			if n := t.count(g); n > 0 && t.weight[g] > 0 {
				t.L[g] = t.his[t.start[g+1]-1]
			}
			t.L[g] = max(t.L[g], t.L[g-1])
			t.q[g] = float64(t.L[g])
		}
		return
	}
	lo, hi := 0.0, 0.0
	for g := MinGrade; g <= MaxGrade; g++ {
		if t.count(g) > 0 && t.weight[g] > 0 {
			hi = max(hi, float64(t.his[t.start[g+1]-1])/t.weight[g])
		}
	}
	sum := func(lam float64) float64 {
		s := 0.0
		for g := MinGrade; g <= MaxGrade; g++ {
			s += t.at(g, lam*t.weight[g])
		}
		return s
	}
	// The least λ whose quotas add up to the supply: where the sum is flat (every outlet held at
	// a floor or a ceiling) quotas stay as low as they can.
	if sum(0) >= float64(t.supply) {
		hi = 0
	}
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			break
		}
		if sum(mid) >= float64(t.supply) {
			hi = mid
		} else {
			lo = mid
		}
	}
	t.lam, t.lamBelow = hi, lo
	for g := MinGrade; g <= MaxGrade; g++ {
		t.q[g] = hi * t.weight[g]
	}
}

// floor sets every grade's limit to its quota rounded down and returns the supply left.
func (t *table) floor() int64 {
	left := t.supply
	for g := MinGrade; g <= MaxGrade; g++ {
		t.L[g] = int64(math.Floor(t.q[g]))
		left -= t.cost(g, t.L[g])
	}
	return left
}

// fraction is how far grade g's quota is above its limit.
func (t *table) fraction(g int) float64 { return t.q[g] - float64(t.L[g]) }

// candidate reports whether an extra carton above grade g's limit L would reach outlet i: below
// its ceiling and not held at its floor above L.
func (t *table) candidate(i int32, L int64) bool {
	return t.a.hi[i] > L && (L >= 1 || t.a.lo[i] == 0)
}

// allocate rounds the table to whole cartons and writes every outlet's cartons, quota and reasons.
func (t *table) allocate() {
	a := t.a
	if t.full {
		for _, i := range t.order {
			if t.weight[a.in.Outlets[i].Grade] > 0 {
				h := min(a.hi[i], t.supply)
				a.x[i], a.q[i] = h, float64(h)
				if h == a.hi[i] {
					a.why[i] |= atUpper
				}
			} else {
				a.x[i], a.q[i] = a.lo[i], float64(a.lo[i])
				a.why[i] |= floorWhy(a.lo[i])
			}
		}
		return
	}
	left := t.floor()
	if left < 0 { // rounding in the sums went over: the λ just below never does
		t.lam = t.lamBelow
		for g := MinGrade; g <= MaxGrade; g++ {
			t.q[g] = t.lam * t.weight[g]
		}
		left = t.floor()
	}

	// Whole grades, largest fraction first (ties: the higher grade).
	grades := make([]int, 0, MaxGrade)
	for g := MaxGrade; g >= MinGrade; g-- {
		grades = append(grades, g)
	}
	slices.SortStableFunc(grades, func(g, h int) int {
		fg, fh := t.fraction(g), t.fraction(h)
		switch {
		case fg > fh:
			return -1
		case fg < fh:
			return 1
		}
		return 0
	})
	for _, g := range grades {
		if t.fraction(g) <= 0 || g < MaxGrade && t.L[g+1] < t.L[g]+1 {
			continue
		}
		if c := t.cost(g, t.L[g]+1) - t.cost(g, t.L[g]); c <= left {
			t.L[g]++
			t.raised[g] = true
			left -= c
		}
	}

	// Single cartons from the remainder.
	var open [MaxGrade + 1]int64 // outlets an extra carton could still reach
	for g := MinGrade; g <= MaxGrade; g++ {
		if t.weight[g] == 0 {
			continue
		}
		for _, i := range t.order[t.start[g]:t.start[g+1]] {
			if t.candidate(i, t.L[g]) {
				open[g]++
			}
		}
	}
	for left > 0 {
		best := 0
		for g := MinGrade; g <= MaxGrade; g++ {
			if open[g] == 0 || !t.safe(g, &open) {
				continue
			}
			if best == 0 || t.fraction(g) >= t.fraction(best) {
				best = g
			}
		}
		if best == 0 {
			break
		}
		k := min(left, open[best])
		t.extra(best, int(k))
		open[best], left = 0, left-k
	}

	for g := MinGrade; g <= MaxGrade; g++ {
		for _, i := range t.order[t.start[g]:t.start[g+1]] {
			lo, hi := a.lo[i], a.hi[i]
			a.x[i] += min(hi, max(lo, t.L[g]))
			a.q[i] = min(float64(hi), max(float64(lo), t.q[g]))
			switch {
			case t.q[g] >= float64(hi):
				a.why[i] |= atUpper
			case t.q[g] < float64(lo):
				a.why[i] |= CoverageFloor
			case t.raised[g] && t.L[g] <= hi:
				a.why[i] |= RoundedUp
			}
		}
	}
}

// safe reports whether one carton above grade g's limit keeps g at or below the limit of every
// higher grade that still has outlets at their grade's limit and under their ceilings.
func (t *table) safe(g int, open *[MaxGrade + 1]int64) bool {
	for h := g + 1; h <= MaxGrade; h++ {
		if open[h] > 0 && t.L[h] < t.L[g]+1 {
			return false
		}
	}
	return true
}

// extra gives one carton above the limit to the k outlets of grade g with the highest forecast
// (ties: lower ID) among those it can reach.
func (t *table) extra(g, k int) {
	a := t.a
	cands := a.buf[:0]
	for _, i := range t.order[t.start[g]:t.start[g+1]] {
		if t.candidate(i, t.L[g]) {
			cands = append(cands, ranked{key: uint64(a.dm[i]), i: i})
		}
	}
	top(cands, k, a.id)
	for _, c := range cands[:k] {
		a.x[c.i]++
		a.why[c.i] |= Remainder
	}
	a.buf = cands
}

// bandWeights returns ByPriceBand's grade weights: the average forecast of each grade's outlets,
// made non-decreasing by pooling adjacent violators (weighted by outlets); a grade without outlets
// weighs as the grade below it (0 below the lowest grade with outlets). With no forecast at all it
// returns the grades themselves.
func (a *allocator) bandWeights(outlets []int32) [MaxGrade + 1]float64 {
	var sum, n [MaxGrade + 1]int64
	for _, i := range outlets {
		g := a.in.Outlets[i].Grade
		sum[g] += a.dm[i]
		n[g]++
	}
	type block struct {
		sum, n int64
		last   int // highest grade in the block
	}
	var blocks []block
	for g := MinGrade; g <= MaxGrade; g++ {
		if n[g] == 0 {
			continue
		}
		blocks = append(blocks, block{sum[g], n[g], g})
		for len(blocks) > 1 {
			b, c := blocks[len(blocks)-2], blocks[len(blocks)-1]
			if float64(b.sum)/float64(b.n) <= float64(c.sum)/float64(c.n) {
				break
			}
			blocks = append(blocks[:len(blocks)-2], block{b.sum + c.sum, b.n + c.n, c.last})
		}
	}
	var w [MaxGrade + 1]float64
	positive := false
	k := 0
	for g := MinGrade; g <= MaxGrade; g++ {
		for k < len(blocks) && blocks[k].last < g {
			k++
		}
		if n[g] == 0 {
			w[g] = w[g-1]
		} else {
			w[g] = float64(blocks[k].sum) / float64(blocks[k].n) / 1000
		}
		positive = positive || w[g] > 0
	}
	if !positive {
		return gradeWeights(nil)
	}
	return w
}

// gradeWeights returns the published weights, or the grades themselves when there are none.
func gradeWeights(published []float64) [MaxGrade + 1]float64 {
	var w [MaxGrade + 1]float64
	for g := MinGrade; g <= MaxGrade; g++ {
		if published != nil {
			w[g] = published[g-1]
		} else {
			w[g] = float64(g)
		}
	}
	return w
}
