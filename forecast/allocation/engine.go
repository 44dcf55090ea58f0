package allocation

import (
	"math"
	"slices"
)

// allocator holds the working state of one Allocate call, by outlet index.
type allocator struct {
	in     *Input
	res    *Result
	supply int64
	dm     []int64   // forecast, thousandths of a carton
	w      []int64   // weight in ByDemand and BySelection
	lo, hi []int64   // floor and ceiling, cartons
	full   []int64   // BenchmarkFirst: what a benchmark outlet is served in full
	x      []int64   // cartons
	q      []float64 // quota
	why    []Reason
	group  []int32 // group index, -1 when not eligible
	buf    []ranked
}

func newAllocator(in *Input) *allocator {
	n := len(in.Outlets)
	opts := in.Options
	opts.GradeWeights = slices.Clone(opts.GradeWeights)
	dm := make([]int64, n)
	w := dm // the weight is the forecast, except for BySelection's imputed forecasts
	if in.Mode == BySelection {
		w = make([]int64, n)
	}
	return &allocator{
		in: in,
		res: &Result{Brand: in.Brand, Mode: in.Mode, Dimension: in.Dimension, Options: opts,
			Supply: in.Supply, Limits: make([]Limit, n)},
		supply: int64(in.Supply),
		dm:     dm,
		w:      w,
		lo:     make([]int64, n),
		hi:     make([]int64, n),
		x:      make([]int64, n),
		q:      make([]float64, n),
		why:    make([]Reason, n),
		group:  make([]int32, n),
	}
}

func (a *allocator) id(i int32) string  { return a.in.Outlets[i].ID }
func (a *allocator) tie(i int32) uint64 { return tieKey(a.in.Outlets[i].Grade, a.dm[i]) }

func (a *allocator) run() {
	eligible := a.eligible()
	groups := a.groupOutlets(eligible)
	if a.supply > 0 && len(eligible) > 0 {
		a.cover(eligible)
		for g, s := range a.splitGroups(groups) {
			a.allocateGroup(g, s, groups[g])
		}
	}
	a.finish()
}

// eligible sets every outlet's forecast, weight and ceiling, marks the outlets that take no part,
// and returns those that do.
func (a *allocator) eligible() []int32 {
	in := a.in
	list := make([]int32, 0, len(in.Outlets))
	for i := range in.Outlets {
		o := &in.Outlets[i]
		a.dm[i], a.group[i] = milli(o.Demand), -1
		switch {
		case o.Status != Active:
			a.why[i] = Inactive
		case in.Mode == BySelection && !o.Selected:
			a.why[i] = NotSelected
		case in.Mode == ByDemand && a.dm[i] == 0:
			a.why[i] = NoDemand
		default:
			h := a.supply
			if o.Cap > 0 {
				h = min(h, int64(o.Cap))
			}
			if in.Mode == ByDemand {
				h = min(h, ceilCartons(a.dm[i]))
			}
			a.hi[i], a.w[i] = h, a.dm[i] // a.w may be a.dm
			list = append(list, int32(i))
		}
	}
	return list
}

// groupOutlets sorts the eligible outlets into the result's groups, by name.
func (a *allocator) groupOutlets(eligible []int32) [][]int32 {
	if len(eligible) == 0 {
		return nil
	}
	var names []string
	var members [][]int32
	if a.in.Mode == ByGradeWithin {
		index := map[string]int{}
		for _, i := range eligible {
			name := a.in.Dimension.of(&a.in.Outlets[i])
			if _, ok := index[name]; !ok {
				index[name] = len(names)
				names = append(names, name)
			}
		}
		sorted := slices.Clone(names)
		slices.Sort(sorted)
		for k, name := range sorted {
			index[name] = k
		}
		names, members = sorted, make([][]int32, len(sorted))
		for _, i := range eligible {
			k := index[a.in.Dimension.of(&a.in.Outlets[i])]
			members[k] = append(members[k], i)
		}
	} else {
		names, members = []string{""}, [][]int32{eligible}
	}
	a.res.Groups = make([]Group, len(names))
	for k, m := range members {
		gr := &a.res.Groups[k]
		gr.Name, gr.Outlets = names[k], len(m)
		var sum int64
		for _, i := range m {
			a.group[i] = int32(k)
			sum += a.dm[i]
		}
		gr.Demand = float64(sum) / 1000
	}
	if a.in.Mode == BySelection {
		a.impute(eligible, &a.res.Groups[0])
	}
	return members
}

// impute weighs BySelection's outlets without a forecast as the average selected outlet with one,
// or every outlet alike when none has one.
func (a *allocator) impute(eligible []int32, gr *Group) {
	var sum, n int64
	for _, i := range eligible {
		if a.dm[i] > 0 {
			sum, n = sum+a.dm[i], n+1
		}
	}
	if n == 0 {
		gr.Even, gr.Imputed = true, float64(a.supply)/float64(len(eligible))
		for _, i := range eligible {
			a.w[i] = 1
		}
		return
	}
	avg := max(1, (sum+n/2)/n)
	gr.Imputed = float64(avg) / 1000
	for _, i := range eligible {
		if a.dm[i] == 0 {
			a.w[i] = avg
		}
	}
}

// cover sets a floor of one carton for the MinCoverage share of eligible outlets with the highest
// forecast.
func (a *allocator) cover(eligible []int32) {
	p := a.in.Options.MinCoverage
	if p == 0 {
		return
	}
	k := int64(math.Ceil(p*float64(len(eligible)) - 1e-9))
	k = min(k, a.supply, int64(len(eligible)))
	cands := slices.Grow(a.buf[:0], len(eligible))
	for _, i := range eligible {
		cands = append(cands, ranked{key: uint64(a.dm[i]), tie: uint64(a.in.Outlets[i].Grade), i: i})
	}
	top(cands, int(k), a.id)
	for _, c := range cands[:k] {
		a.lo[c.i] = 1
	}
	a.buf = cands
}

// weights returns the grade weights of a group of outlets in a grade mode.
func (a *allocator) weights(members []int32) [MaxGrade + 1]float64 {
	if a.in.Mode == ByPriceBand && a.in.Options.GradeWeights == nil {
		return a.bandWeights(members)
	}
	return gradeWeights(a.in.Options.GradeWeights)
}

// splitGroups divides the supply across groups in proportion to their forecasts (to their outlets
// when no group has a forecast), each group between its floors and its capacity.
func (a *allocator) splitGroups(groups [][]int32) []int64 {
	if len(groups) == 1 {
		return []int64{a.supply}
	}
	n := len(groups)
	w, lo, hi := make([]int64, n), make([]int64, n), make([]int64, n)
	items := make([]int32, n)
	weight := gradeWeights(a.in.Options.GradeWeights)
	anyDemand := false
	for g, m := range groups {
		items[g] = int32(g)
		for _, i := range m {
			w[g] += a.dm[i]
			lo[g] += a.lo[i]
			if weight[a.in.Outlets[i].Grade] > 0 {
				hi[g] += a.hi[i]
			} else {
				hi[g] += a.lo[i]
			}
		}
		anyDemand = anyDemand || w[g] > 0
	}
	s := split{supply: a.supply, items: items, w: w, lo: lo, hi: hi, even: !anyDemand,
		tie:  func(g int32) uint64 { return uint64(w[g]) },
		name: func(g int32) string { return a.res.Groups[g].Name },
		x:    make([]int64, n), q: make([]float64, n), buf: &a.buf}
	s.run()
	return s.x
}

// allocateGroup allocates a group's supply to its outlets: benchmark outlets first when asked,
// then the others by the mode's rule.
func (a *allocator) allocateGroup(g int, supply int64, members []int32) {
	gr := &a.res.Groups[g]
	gr.Supply = int(supply)
	graded := a.in.Mode.graded()
	var weight [MaxGrade + 1]float64
	if graded {
		weight = a.weights(members)
		gr.Weight = weight
	}
	rest, bench := members, []int32(nil)
	if a.in.Options.BenchmarkFirst {
		var others []int32
		for _, i := range members {
			if a.in.Outlets[i].Benchmark {
				bench = append(bench, i)
			} else {
				others = append(others, i)
			}
		}
		if len(bench) > 0 {
			supply -= a.serveFirst(supply, members, bench, others, &weight)
			rest = others
		}
	}
	if graded {
		t := a.newTable(supply, rest, &weight)
		t.solve()
		t.allocate()
		gr.Scale = t.lam
		for k := MinGrade; k <= MaxGrade; k++ {
			gr.Table[k], gr.Quota[k] = int(t.L[k]), t.q[k]
		}
	} else {
		s := split{supply: supply, items: rest, w: a.w, lo: a.lo, hi: a.hi, tie: a.tie, name: a.id,
			x: a.x, q: a.q, why: a.why, buf: &a.buf}
		gr.Scale = s.run()
		if !gr.Even {
			gr.Scale *= 1000 // weights are thousandths of a carton
		}
	}
	if len(bench) > 0 {
		a.topUpBenchmarks(int64(gr.Supply), members, bench)
	}
}

// topUpBenchmarks gives the benchmark outlets what the others could not take of a group's supply,
// above what they were served first, in proportion to the mode's weights.
func (a *allocator) topUpBenchmarks(supply int64, members, bench []int32) {
	left := supply
	for _, i := range members {
		left -= a.x[i]
	}
	if left <= 0 {
		return
	}
	w := a.w
	if a.in.Mode.graded() {
		w = a.full
	}
	floored := make([]Reason, len(bench))
	for k, i := range bench {
		a.lo[i] = a.x[i] // what they were served is now their floor
		left += a.x[i]
		floored[k] = a.why[i] & CoverageFloor
	}
	s := split{supply: left, items: bench, w: w, lo: a.lo, hi: a.hi, tie: a.tie, name: a.id,
		x: a.x, q: a.q, why: a.why, buf: &a.buf}
	s.run()
	for k, i := range bench {
		a.why[i] = a.why[i]&^CoverageFloor | floored[k]
	}
}

// serveFirst serves a group's benchmark outlets before the others and returns the cartons used.
func (a *allocator) serveFirst(supply int64, members, bench, others []int32, weight *[MaxGrade + 1]float64) int64 {
	if a.full == nil {
		a.full = make([]int64, len(a.in.Outlets))
	}
	var quota *[MaxGrade + 1]float64
	if a.in.Mode.graded() {
		t := a.newTable(supply, members, weight)
		t.solve()
		quota = &t.q
	}
	var need int64
	for _, i := range bench {
		want := ceilCartons(a.dm[i])
		switch {
		case quota != nil:
			want = max(want, int64(math.Ceil(quota[a.in.Outlets[i].Grade]-1e-9)))
		case a.in.Mode == BySelection && a.res.Groups[0].Even:
			want = int64(math.Ceil(a.res.Groups[0].Imputed - 1e-9))
		case a.in.Mode == BySelection:
			want = ceilCartons(a.w[i])
		}
		f := min(a.hi[i], max(a.lo[i], want))
		a.full[i] = f
		need += f
		a.why[i] |= ServedFirst
		switch {
		case want > a.hi[i]:
			a.why[i] |= atUpper
		case want < a.lo[i]:
			a.why[i] |= CoverageFloor
		}
	}
	avail := supply
	for _, i := range others {
		avail -= a.lo[i]
	}
	if need <= avail {
		for _, i := range bench {
			a.x[i], a.q[i] = a.full[i], float64(a.full[i])
		}
		return need
	}
	w := a.w
	if a.in.Mode.graded() {
		w = a.full
	}
	s := split{supply: avail, items: bench, w: w, lo: a.lo, hi: a.full, tie: a.tie, name: a.id,
		x: a.x, q: a.q, why: a.why, buf: &a.buf}
	s.run()
	for _, i := range bench {
		if a.full[i] < a.hi[i] {
			a.why[i] &^= atUpper
		}
	}
	return avail
}

// finish writes the limits and the total.
func (a *allocator) finish() {
	total := 0
	for i := range a.in.Outlets {
		o := &a.in.Outlets[i]
		why := a.why[i]
		if why.Has(atUpper) {
			why &^= atUpper
			switch {
			case o.Cap > 0 && a.hi[i] == int64(o.Cap):
				why |= Capped
			case a.in.Mode == ByDemand && a.hi[i] == ceilCartons(a.dm[i]):
				why |= DemandCapped
			}
		}
		a.res.Limits[i] = Limit{Outlet: o.ID, Grade: o.Grade, Status: o.Status, Area: o.Area,
			Group: int(a.group[i]), Demand: o.Demand, Cap: o.Cap, Quota: a.q[i], Cartons: int(a.x[i]),
			Reason: why}
		total += int(a.x[i])
	}
	a.res.Allocated = total
}
