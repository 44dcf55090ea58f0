package allocation

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Property tests: every rule of the package, over random inputs from fixed seeds.

// iterations per mode and property; outlets per input (at most).
var iterations, maxOutlets = 1500, 150

var demandPool = []float64{0, 0.5, 1, 1, 1.2, 2, 2, 3.7, 5, 12}

// randomInput draws an input of the given mode: sizes from 0 to ~150 outlets, many ties in
// forecasts and grades, some caps, benchmarks, inactive outlets and options.
func randomInput(rng *rand.Rand, mode Mode) Input {
	n := rng.IntN(maxOutlets)
	if rng.IntN(10) == 0 {
		n = rng.IntN(4)
	}
	grades := 1 + rng.IntN(MaxGrade)
	in := Input{Brand: "B" + strconv.Itoa(rng.IntN(9)), Mode: mode, Outlets: make([]Outlet, n)}
	total := 0.0
	for i := range in.Outlets {
		x := Outlet{ID: fmt.Sprintf("L%06d", i*7919%100003), Grade: 1 + rng.IntN(grades),
			Status: Active, Area: []string{"N", "S", "E", "W", ""}[rng.IntN(5)],
			MarketType: []string{"city", "town"}[rng.IntN(2)], Rural: rng.IntN(3) == 0,
			Format:      []string{"convenience", "kiosk", "supermarket"}[rng.IntN(3)],
			CreditLevel: []string{"A", "B", "C"}[rng.IntN(3)], Benchmark: rng.IntN(8) == 0,
			Selected: rng.IntN(3) == 0}
		switch rng.IntN(3) {
		case 0:
			x.Demand = demandPool[rng.IntN(len(demandPool))]
		case 1:
			x.Demand = math.Round(rng.Float64()*100) / 10
		default:
			x.Demand = rng.ExpFloat64() * float64(x.Grade) / 4
		}
		if rng.IntN(2) == 0 {
			x.Cap = 1 + rng.IntN(8)
		}
		switch rng.IntN(12) {
		case 0:
			x.Status = Suspended
		case 1:
			x.Status = Closed
		}
		total += x.Demand
		in.Outlets[i] = x
	}
	if mode == BySelection && n > 0 && !anySelected(in.Outlets) {
		in.Outlets[rng.IntN(n)].Selected = true
	}
	if mode == BySelection && n == 0 {
		in.Outlets = []Outlet{{ID: "only", Grade: 1, Status: Active, Selected: true}}
	}
	switch rng.IntN(6) {
	case 0:
		in.Supply = rng.IntN(5)
	case 1:
		in.Supply = rng.IntN(n + 1)
	case 2:
		in.Supply = rng.IntN(10 * (n + 1))
	default:
		in.Supply = int(total * (0.1 + 1.4*rng.Float64()))
	}
	if mode == ByGradeWithin {
		in.Dimension = Dimensions[rng.IntN(len(Dimensions))]
	}
	if rng.IntN(3) == 0 {
		in.Options.MinCoverage = []float64{0.1, 0.5, 0.9, 1, rng.Float64()}[rng.IntN(5)]
	}
	in.Options.BenchmarkFirst = rng.IntN(3) == 0
	if mode.graded() && rng.IntN(4) == 0 {
		w := make([]float64, MaxGrade)
		x := float64(rng.IntN(2))
		for g := range w {
			if rng.IntN(3) == 0 {
				x += rng.Float64() * 3
			}
			w[g] = x
		}
		w[MaxGrade-1]++
		in.Options.GradeWeights = w
	}
	return in
}

func anySelected(outlets []Outlet) bool {
	for _, x := range outlets {
		if x.Selected {
			return true
		}
	}
	return false
}

// ceiling is the most outlet x may get under in's rules, and whether it takes part at all.
func ceiling(in *Input, x *Outlet) (int, bool) {
	if x.Status != Active || in.Mode == BySelection && !x.Selected || in.Mode == ByDemand && milli(x.Demand) == 0 {
		return 0, false
	}
	h := in.Supply
	if x.Cap > 0 {
		h = min(h, x.Cap)
	}
	if in.Mode == ByDemand {
		h = min(h, int(ceilCartons(milli(x.Demand))))
	}
	return h, true
}

// forEach runs check over iterations random inputs of every mode.
func forEach(t *testing.T, seed uint64, check func(in *Input, r *Result) string) {
	t.Helper()
	for k, mode := range Modes {
		rng := rand.New(rand.NewPCG(seed, uint64(k)))
		for it := range iterations {
			in := randomInput(rng, mode)
			r, err := Allocate(in)
			if err != nil {
				t.Fatalf("%s #%d: Allocate: %v", mode, it, err)
			}
			if msg := check(&in, r); msg != "" {
				t.Fatalf("%s #%d (supply %d, %d outlets, options %+v): %s", mode, it, in.Supply,
					len(in.Outlets), in.Options, msg)
			}
		}
	}
}

func TestPropertySumExactAndNeverAbove(t *testing.T) {
	forEach(t, 1, func(in *Input, r *Result) string {
		sum, capacity := 0, 0
		for i := range r.Limits {
			sum += r.Limits[i].Cartons
			l := &r.Limits[i]
			if h, ok := ceiling(in, &in.Outlets[i]); ok && (!in.Mode.graded() || r.Groups[l.Group].Weight[l.Grade] > 0) {
				capacity += h
			}
		}
		switch {
		case sum != r.Allocated:
			return fmt.Sprintf("Σ cartons = %d; Allocated = %d", sum, r.Allocated)
		case sum > in.Supply:
			return fmt.Sprintf("Σ cartons = %d above the supply %d", sum, in.Supply)
		case capacity >= in.Supply && sum != in.Supply:
			return fmt.Sprintf("Σ cartons = %d; want the supply %d (capacity %d)", sum, in.Supply, capacity)
		case capacity < in.Supply && sum < capacity:
			return fmt.Sprintf("Σ cartons = %d below the capacity %d", sum, capacity)
		}
		return ""
	})
}

func TestPropertyCapsAndDemand(t *testing.T) {
	forEach(t, 2, func(in *Input, r *Result) string {
		for i, l := range r.Limits {
			x := &in.Outlets[i]
			h, _ := ceiling(in, x)
			switch {
			case l.Cartons < 0:
				return fmt.Sprintf("%s: %d cartons", l.Outlet, l.Cartons)
			case x.Cap > 0 && l.Cartons > x.Cap:
				return fmt.Sprintf("%s: %d cartons above its cap %d", l.Outlet, l.Cartons, x.Cap)
			case in.Mode == ByDemand && l.Cartons > h:
				return fmt.Sprintf("%s: %d cartons above its forecast %v rounded up", l.Outlet, l.Cartons, x.Demand)
			case l.Reason.Has(Capped) && l.Cartons != x.Cap:
				return fmt.Sprintf("%s: capped at %d with cap %d", l.Outlet, l.Cartons, x.Cap)
			}
		}
		return ""
	})
}

func TestPropertyInactiveGetNothing(t *testing.T) {
	forEach(t, 3, func(in *Input, r *Result) string {
		for i, l := range r.Limits {
			x := &in.Outlets[i]
			_, ok := ceiling(in, x)
			switch {
			case !ok && (l.Cartons != 0 || l.Eligible()):
				return fmt.Sprintf("%s (%s, selected %v, forecast %v): %d cartons, group %d", l.Outlet,
					x.Status, x.Selected, x.Demand, l.Cartons, l.Group)
			case x.Status != Active && (!l.Reason.Has(Inactive) || r.Explain(i) != "outlet "+string(x.Status)+": no allocation"):
				return fmt.Sprintf("%s: reason %b, explanation %q", l.Outlet, l.Reason, r.Explain(i))
			case ok && !l.Eligible():
				return fmt.Sprintf("%s: eligible but in no group", l.Outlet)
			}
		}
		return ""
	})
}

// In the grade modes, no outlet gets more than one of a higher grade in its group that is below its
// ceiling, leaving out outlets raised by the minimum coverage or served first as benchmarks.
func TestPropertyMonotoneInGrade(t *testing.T) {
	forEach(t, 4, func(in *Input, r *Result) string {
		if !in.Mode.graded() {
			return ""
		}
		for g := range r.Groups {
			tab := r.Groups[g].Table
			for k := MinGrade + 1; k <= MaxGrade; k++ {
				if tab[k] < tab[k-1] {
					return fmt.Sprintf("group %q: Table[%d] = %d < Table[%d] = %d", r.Groups[g].Name, k, tab[k], k-1, tab[k-1])
				}
			}
			var most, least [MaxGrade + 2]int // most cartons of any outlet; least of a free outlet
			for k := range least {
				least[k] = math.MaxInt
			}
			for i, l := range r.Limits {
				if l.Group != g || l.Reason.Has(ServedFirst) || l.Reason.Has(CoverageFloor) {
					continue
				}
				most[l.Grade] = max(most[l.Grade], l.Cartons)
				if h, _ := ceiling(in, &in.Outlets[i]); l.Cartons < h {
					least[l.Grade] = min(least[l.Grade], l.Cartons)
				}
			}
			below := 0 // most cartons of any outlet of a lower grade
			for k := MinGrade; k <= MaxGrade; k++ {
				if least[k] < below {
					return fmt.Sprintf("group %q: grade %d has a free outlet with %d cartons, a lower grade one with %d",
						r.Groups[g].Name, k, least[k], below)
				}
				below = max(below, most[k])
			}
		}
		return ""
	})
}

func TestPropertyDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	forEach(t, 5, func(in *Input, r *Result) string {
		shuffled := *in
		shuffled.Outlets = append([]Outlet(nil), in.Outlets...)
		rng.Shuffle(len(shuffled.Outlets), func(i, j int) {
			shuffled.Outlets[i], shuffled.Outlets[j] = shuffled.Outlets[j], shuffled.Outlets[i]
		})
		r2, err := Allocate(shuffled)
		if err != nil {
			return err.Error()
		}
		byID := map[string]int{}
		for i, l := range r2.Limits {
			byID[l.Outlet] = i
		}
		for i, l := range r.Limits {
			j := byID[l.Outlet]
			l2 := r2.Limits[j]
			if l.Group >= 0 && r.Groups[l.Group].Name != r2.Groups[l2.Group].Name {
				return fmt.Sprintf("%s: group %q, shuffled %q", l.Outlet, r.Groups[l.Group].Name, r2.Groups[l2.Group].Name)
			}
			l.Group, l2.Group = 0, 0
			if l != l2 {
				return fmt.Sprintf("%+v; shuffled %+v", l, l2)
			}
			if e, e2 := r.Explain(i), r2.Explain(j); e != e2 {
				return fmt.Sprintf("%q; shuffled %q", e, e2)
			}
		}
		if s, s2 := r.Summary(), r2.Summary(); !reflect.DeepEqual(s, s2) {
			return fmt.Sprintf("summary %+v; shuffled %+v", s, s2)
		}
		if again, _ := Allocate(*in); !reflect.DeepEqual(again, r) {
			return "a second run differs"
		}
		return ""
	})
}

func TestPropertyMinimumCoverage(t *testing.T) {
	forEach(t, 6, func(in *Input, r *Result) string {
		p := in.Options.MinCoverage
		if p == 0 {
			return ""
		}
		s := r.Summary()
		want := min(int(math.Ceil(p*float64(s.Eligible)-1e-9)), in.Supply, s.Eligible)
		if s.Covered < want {
			return fmt.Sprintf("%d of %d eligible outlets covered; want at least %d (%v)", s.Covered, s.Eligible, want, p)
		}
		floor := floors(in)
		for _, l := range r.Limits {
			if l.Cartons < floor[l.Outlet] {
				return fmt.Sprintf("%s, among the highest forecasts, has no carton: %s", l.Outlet, r.Explain(indexOf(r, l.Outlet)))
			}
		}
		return ""
	})
}

// With BenchmarkFirst, a non-benchmark outlet gets more than its coverage floor only when every
// benchmark outlet of its group has its forecast rounded up (within its ceiling), and in the grade
// modes a benchmark outlet below its ceiling has at least as much as any other outlet of its group
// of the same or a lower grade.
func TestPropertyBenchmarkFirst(t *testing.T) {
	forEach(t, 7, func(in *Input, r *Result) string {
		if !in.Options.BenchmarkFirst || in.Supply == 0 {
			return ""
		}
		floor := floors(in)
		for g := range r.Groups {
			othersServed := false
			var mostBelow [MaxGrade + 1]int // most cartons of a non-benchmark outlet, by grade
			for i, l := range r.Limits {
				if l.Group != g || in.Outlets[i].Benchmark {
					continue
				}
				if l.Cartons > floor[l.Outlet] {
					othersServed = true
					mostBelow[l.Grade] = max(mostBelow[l.Grade], l.Cartons)
				}
			}
			for k := MinGrade + 1; k <= MaxGrade; k++ {
				mostBelow[k] = max(mostBelow[k], mostBelow[k-1])
			}
			for i, l := range r.Limits {
				x := &in.Outlets[i]
				if l.Group != g || !x.Benchmark {
					continue
				}
				if !l.Reason.Has(ServedFirst) {
					return fmt.Sprintf("benchmark %s not served first: %b", l.Outlet, l.Reason)
				}
				h, _ := ceiling(in, x)
				want := int(ceilCartons(milli(x.Demand)))
				if in.Mode == BySelection && x.Demand == 0 {
					want = int(math.Ceil(r.Groups[g].Imputed - 1e-9))
				}
				want = min(h, want)
				if othersServed && l.Cartons < want {
					return fmt.Sprintf("benchmark %s has %d cartons, less than %d, while others are served: %s",
						l.Outlet, l.Cartons, want, r.Explain(i))
				}
				if in.Mode.graded() && othersServed && l.Cartons < h && l.Cartons < mostBelow[l.Grade] {
					return fmt.Sprintf("benchmark %s (grade %d) has %d cartons, an outlet of its grade or lower %d",
						l.Outlet, l.Grade, l.Cartons, mostBelow[l.Grade])
				}
			}
		}
		return ""
	})
}

func indexOf(r *Result, id string) int {
	for i := range r.Limits {
		if r.Limits[i].Outlet == id {
			return i
		}
	}
	return -1
}

// floors recomputes the minimum coverage's floors: one carton for the ⌈p × eligible⌉ eligible
// outlets with the highest forecast (ties: higher grade, lower ID), at most one per carton.
func floors(in *Input) map[string]int {
	var eligible []*Outlet
	for i := range in.Outlets {
		if _, ok := ceiling(in, &in.Outlets[i]); ok {
			eligible = append(eligible, &in.Outlets[i])
		}
	}
	slices.SortFunc(eligible, func(a, b *Outlet) int {
		if da, db := milli(a.Demand), milli(b.Demand); da != db {
			return cmp.Compare(db, da)
		}
		if a.Grade != b.Grade {
			return cmp.Compare(b.Grade, a.Grade)
		}
		return strings.Compare(a.ID, b.ID)
	})
	k := 0
	if p := in.Options.MinCoverage; p > 0 {
		k = min(int(math.Ceil(p*float64(len(eligible))-1e-9)), in.Supply, len(eligible))
	}
	out := map[string]int{}
	for _, x := range eligible[:k] {
		out[x.ID] = 1
	}
	return out
}

func TestPropertyExplained(t *testing.T) {
	forEach(t, 8, func(in *Input, r *Result) string {
		for i, l := range r.Limits {
			e := r.Explain(i)
			switch {
			case l.Eligible() && !strings.HasPrefix(e, fmt.Sprintf("limit %d carton", l.Cartons)):
				return fmt.Sprintf("%s: %d cartons explained as %q", l.Outlet, l.Cartons, e)
			case !l.Eligible() && !strings.HasSuffix(e, "no allocation"):
				return fmt.Sprintf("%s: not eligible, explained as %q", l.Outlet, e)
			case l.Eligible() && in.Supply > 0 && !strings.Contains(e, "grade "+strconv.Itoa(l.Grade)):
				return fmt.Sprintf("%s: explanation %q lacks the grade", l.Outlet, e)
			}
		}
		return ""
	})
}

// The same properties over fewer, larger inputs (up to 5,000 outlets).
func TestPropertiesLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs skipped under -short")
	}
	iterations, maxOutlets = 20, 5000
	defer func() { iterations, maxOutlets = 1500, 150 }()
	t.Run("sum", TestPropertySumExactAndNeverAbove)
	t.Run("caps", TestPropertyCapsAndDemand)
	t.Run("inactive", TestPropertyInactiveGetNothing)
	t.Run("monotone", TestPropertyMonotoneInGrade)
	t.Run("deterministic", TestPropertyDeterministic)
	t.Run("coverage", TestPropertyMinimumCoverage)
	t.Run("benchmark", TestPropertyBenchmarkFirst)
}
