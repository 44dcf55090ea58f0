package allocation

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// o is an active outlet of a grade with a forecast.
func o(id string, grade int, demand float64) Outlet {
	return Outlet{ID: id, Grade: grade, Status: Active, Demand: demand, Area: "A"}
}

func with(x Outlet, f func(*Outlet)) Outlet { f(&x); return x }

func cartons(r *Result) []int {
	out := make([]int, len(r.Limits))
	for i, l := range r.Limits {
		out[i] = l.Cartons
	}
	return out
}

// Hand-made cases; each comment works the answer out.
func TestAllocateKnownAnswers(t *testing.T) {
	capped := func(c int) func(*Outlet) { return func(x *Outlet) { x.Cap = c } }
	bench := func(x *Outlet) { x.Benchmark = true }
	sel := func(x *Outlet) { x.Selected = true }
	tests := []struct {
		name string
		in   Input
		want []int
	}{
		{
			// Demand 4.2 + 2 + 0.8 = 7 for 4 cartons: λ = 4/7, quotas 2.4, 1.143, 0.457.
			// Whole parts 2 + 1 + 0 = 3; the carton left goes to the largest fraction, C's 0.457.
			name: "demand, largest remainder",
			in:   Input{Supply: 4, Mode: ByDemand, Outlets: []Outlet{o("A", 18, 4.2), o("B", 10, 2), o("C", 5, 0.8)}},
			want: []int{2, 1, 1},
		},
		{
			// A (forecast 10) is capped at 3; B and C share the other 6 by forecast: λ = 0.6, 3 each.
			name: "demand, cap",
			in: Input{Supply: 9, Mode: ByDemand, Outlets: []Outlet{
				with(o("A", 30, 10), capped(3)), o("B", 5, 5), o("C", 5, 5)}},
			want: []int{3, 3, 3},
		},
		{
			// Forecasts 1.2 and 0.3 for 10 cartons: each gets its forecast rounded up (2 and 1); the
			// other 7 stay unallocated. D has no forecast and gets nothing by demand.
			name: "demand, plenty",
			in:   Input{Supply: 10, Mode: ByDemand, Outlets: []Outlet{o("A", 3, 1.2), o("B", 3, 0.3), o("D", 3, 0)}},
			want: []int{2, 1, 0},
		},
		{
			// Three equal quotas of 2/3 for 2 cartons: equal fractions, so the higher grade goes
			// first (B and C, grade 20) before A (grade 10).
			name: "demand, ties by grade",
			in:   Input{Supply: 2, Mode: ByDemand, Outlets: []Outlet{o("A", 10, 1), o("C", 20, 1), o("B", 20, 1)}},
			want: []int{0, 1, 1},
		},
		{
			// The same with 1 carton: B and C tie on grade and forecast; B has the lower ID.
			name: "demand, ties by ID",
			in:   Input{Supply: 1, Mode: ByDemand, Outlets: []Outlet{o("A", 10, 1), o("C", 20, 1), o("B", 20, 1)}},
			want: []int{0, 0, 1},
		},
		{
			// Weights 1, 2, 3 (the grades) over 3 + 2 + 1 outlets: Σ n × w = 10, λ = 20/10 = 2,
			// quotas 2, 4, 6, all whole: 3×2 + 2×4 + 6 = 20.
			name: "grade, exact table",
			in: Input{Supply: 20, Mode: ByGrade, Outlets: []Outlet{
				o("a1", 1, 0), o("a2", 1, 0), o("a3", 1, 0), o("b1", 2, 0), o("b2", 2, 0), o("c1", 3, 0)}},
			want: []int{2, 2, 2, 4, 4, 6},
		},
		{
			// One outlet of grade 1, one of grade 2, 4 cartons: λ = 4/3, quotas 1.33 and 2.67.
			// Whole parts cost 3; grade 2 (fraction 0.67) is rounded up for 1 carton: 1 and 3.
			name: "grade, whole grade rounded up",
			in:   Input{Supply: 4, Mode: ByGrade, Outlets: []Outlet{o("a", 1, 0), o("b", 2, 0)}},
			want: []int{1, 3},
		},
		{
			// Two outlets each of grades 1 and 2, 7 cartons: λ = 7/6, quotas 1.17 and 2.33, table 1
			// and 2 costs 6. Rounding a grade up would cost 2 cartons; the 1 left goes as an extra
			// carton to the grade with the largest fraction, grade 2, to its higher forecast (b2).
			name: "grade, remainder carton",
			in: Input{Supply: 7, Mode: ByGrade, Outlets: []Outlet{
				o("a1", 1, 1), o("a2", 1, 1), o("b1", 2, 1), o("b2", 2, 2)}},
			want: []int{1, 1, 2, 3},
		},
		{
			// Caps 2 and 3 take 5 of 10 cartons; the other 5 stay unallocated. The suspended
			// outlet gets nothing.
			name: "grade, capacity short",
			in: Input{Supply: 10, Mode: ByGrade, Outlets: []Outlet{
				with(o("a", 5, 3), capped(2)), with(o("b", 9, 3), capped(3)),
				with(o("c", 9, 3), func(x *Outlet) { x.Status = Suspended })}},
			want: []int{2, 3, 0},
		},
		{
			// Districts X (forecast 3 + 3) and Y (2) share 10 cartons 7.5 : 2.5; the equal
			// fractions go to the larger forecast, X: 8 and 2. X's two grade-10 outlets get 4 each.
			name: "grade within district",
			in: Input{Supply: 10, Mode: ByGradeWithin, Dimension: District, Outlets: []Outlet{
				with(o("x1", 10, 3), func(x *Outlet) { x.Area = "X" }),
				with(o("x2", 10, 3), func(x *Outlet) { x.Area = "X" }),
				with(o("y1", 10, 2), func(x *Outlet) { x.Area = "Y" })}},
			want: []int{4, 4, 2},
		},
		{
			// Grade averages 2, 1, 3 break the order; pooling grades 1 and 2 gives weights 1.5,
			// 1.5, 3: Σ = 6, λ = 12/6 = 2, budgets 3, 3, 6.
			name: "price band",
			in: Input{Supply: 12, Mode: ByPriceBand, Brand: "class 1", Outlets: []Outlet{
				o("a", 1, 2), o("b", 2, 1), o("c", 3, 3)}},
			want: []int{3, 3, 6},
		},
		{
			// Only a and c are selected: forecasts 3 and 1 share 8 cartons, 6 and 2.
			name: "selected",
			in: Input{Supply: 8, Mode: BySelection, Outlets: []Outlet{
				with(o("a", 5, 3), sel), o("b", 30, 9), with(o("c", 5, 1), sel)}},
			want: []int{6, 0, 2},
		},
		{
			// Selected b has no forecast and counts as the average of a and c, 2: weights 3, 2, 1
			// share 12 cartons: 6, 4, 2.
			name: "selected, missing forecast imputed",
			in: Input{Supply: 12, Mode: BySelection, Outlets: []Outlet{
				with(o("a", 5, 3), sel), with(o("b", 5, 0), sel), with(o("c", 5, 1), sel)}},
			want: []int{6, 4, 2},
		},
		{
			// No forecast at all: 7 cartons evenly over 3, 2.33 each; the carton left goes to the
			// higher grade (c).
			name: "selected, evenly",
			in: Input{Supply: 7, Mode: BySelection, Outlets: []Outlet{
				with(o("a", 5, 0), sel), with(o("b", 5, 0), sel), with(o("c", 6, 0), sel)}},
			want: []int{2, 2, 3},
		},
		{
			// Coverage 100% with 3 cartons for 4 outlets: the 3 highest forecasts get a floor of 1
			// and the floors take the whole supply.
			name: "minimum coverage",
			in: Input{Supply: 3, Mode: ByDemand, Options: Options{MinCoverage: 1}, Outlets: []Outlet{
				o("a", 5, 10), o("b", 5, 1), o("c", 5, 0.5), o("d", 5, 0.2)}},
			want: []int{1, 1, 1, 0},
		},
		{
			// Benchmark a is served its forecast rounded up, 5; b and c share the other 3 by
			// forecast (4 and 2): λ = 0.5, 2 and 1.
			name: "benchmark first, demand",
			in: Input{Supply: 8, Mode: ByDemand, Options: Options{BenchmarkFirst: true}, Outlets: []Outlet{
				with(o("a", 1, 4.2), bench), o("b", 30, 4), o("c", 30, 2)}},
			want: []int{5, 2, 1},
		},
		{
			// Without the option, the same forecasts 4.2, 4, 2 share 8 cartons: λ = 8/10.2,
			// quotas 3.29, 3.14, 1.57: whole parts 7, the carton left to c (0.57).
			name: "benchmark not first",
			in: Input{Supply: 8, Mode: ByDemand, Outlets: []Outlet{
				with(o("a", 1, 4.2), bench), o("b", 30, 4), o("c", 30, 2)}},
			want: []int{3, 3, 2},
		},
		{
			// Grade table over grades 1 and 3 (weights 1 and 3), 8 cartons: λ = 2, quotas 2 and 6.
			// Benchmark a (grade 1, forecast 4.5) is served first: the larger of ⌈4.5⌉ = 5 and ⌈2⌉;
			// b gets the 3 left.
			name: "benchmark first, grade",
			in: Input{Supply: 8, Mode: ByGrade, Options: Options{BenchmarkFirst: true}, Outlets: []Outlet{
				with(o("a", 1, 4.5), bench), o("b", 3, 1)}},
			want: []int{5, 3},
		},
		{
			// Nothing to allocate.
			name: "no supply",
			in:   Input{Supply: 0, Mode: ByGrade, Outlets: []Outlet{o("a", 1, 1)}},
			want: []int{0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Allocate(tt.in)
			if err != nil {
				t.Fatalf("Allocate: %v", err)
			}
			if got := cartons(r); !slices.Equal(got, tt.want) {
				t.Errorf("Allocate(%s) = %v; want %v", tt.name, got, tt.want)
				for i := range r.Limits {
					t.Logf("%s", r.Explain(i))
				}
			}
		})
	}
}

func TestGradeTablePublished(t *testing.T) {
	// λ = 7/6: quotas g × 7/6; table 1, 2 for the populated grades; grade 3 (empty, quota 3.5)
	// rounds up for free to 4; every grade's limit is non-decreasing.
	r, err := Allocate(Input{Supply: 7, Mode: ByGrade, Outlets: []Outlet{
		o("a1", 1, 1), o("a2", 1, 1), o("b1", 2, 1), o("b2", 2, 2)}})
	if err != nil {
		t.Fatal(err)
	}
	tab := r.Groups[0].Table
	if tab[1] != 1 || tab[2] != 2 || tab[3] != 4 {
		t.Errorf("Table[1:4] = %v; want [1 2 4]", tab[1:4])
	}
	for g := MinGrade + 1; g <= MaxGrade; g++ {
		if tab[g] < tab[g-1] {
			t.Errorf("Table[%d] = %d < Table[%d] = %d", g, tab[g], g-1, tab[g-1])
		}
	}
	if q := r.Groups[0].Quota[2]; math.Abs(q-7.0/3) > 1e-9 {
		t.Errorf("Quota[2] = %v; want 7/3", q)
	}
	if !r.Limits[3].Reason.Has(Remainder) || r.Limits[2].Reason.Has(Remainder) {
		t.Errorf("reasons %v, %v; want the remainder carton on b2 only", r.Limits[2].Reason, r.Limits[3].Reason)
	}
}

func TestExplain(t *testing.T) {
	outlets := []Outlet{
		with(o("L18", 18, 4.2), func(x *Outlet) { x.Area = "X" }),
		o("L10", 10, 2), o("L05", 5, 0.8),
		with(o("S1", 9, 3), func(x *Outlet) { x.Status = Suspended }),
		with(o("C1", 9, 3), func(x *Outlet) { x.Status = Closed }),
		with(o("K1", 30, 9), func(x *Outlet) { x.Cap = 1 }),
	}
	r, err := Allocate(Input{Supply: 5, Mode: ByDemand, Outlets: outlets})
	if err != nil {
		t.Fatal(err)
	}
	// λ: K1 is held at its cap of 1; the others share 4 cartons over 7: λ = 4/7 = 57%.
	// L18: 4.2 × 4/7 = 2.4, rounded down; L05: 0.457, rounded up.
	want := []string{
		"limit 2 cartons: grade 18; forecast 4.2 cartons; supply covers 57% of demand; 2.4 rounded down to 2 by largest remainder",
		"limit 1 carton: grade 10; forecast 2 cartons; supply covers 57% of demand; 1.14 rounded down to 1 by largest remainder",
		"limit 1 carton: grade 5; forecast 0.8 cartons; supply covers 57% of demand; 0.46 rounded up to 1 by largest remainder",
		"outlet suspended: no allocation",
		"outlet closed: no allocation",
		"limit 1 carton: grade 30; forecast 9 cartons; supply covers 57% of demand; held at the outlet cap of 1 carton",
	}
	got := r.Explanations()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Explain(%d) = %q; want %q", i, got[i], want[i])
		}
		if one := r.Explain(i); one != got[i] {
			t.Errorf("Explain(%d) = %q; Explanations()[%d] = %q", i, one, i, got[i])
		}
	}

	g, err := Allocate(Input{Supply: 7, Mode: ByGrade, Outlets: []Outlet{
		o("a1", 1, 1), o("a2", 1, 1), o("b1", 2, 1), o("b2", 2, 2)}})
	if err != nil {
		t.Fatal(err)
	}
	for i, frag := range []string{"grade 1 limit 1 carton (quota 1.17 rounded down)", "", "",
		"grade 2 limit 2 cartons (quota 2.33 rounded down); plus 1 carton left over"} {
		if e := g.Explain(i); !strings.Contains(e, frag) {
			t.Errorf("Explain(%d) = %q; want it to contain %q", i, e, frag)
		}
	}
}

func TestSummary(t *testing.T) {
	outlets := []Outlet{
		with(o("a", 1, 4), func(x *Outlet) { x.Area = "X" }),
		with(o("b", 1, 4), func(x *Outlet) { x.Area = "X" }),
		with(o("c", 2, 2), func(x *Outlet) { x.Area = "Y" }),
		with(o("d", 2, 0), func(x *Outlet) { x.Area = "Y" }),
		with(o("e", 2, 5), func(x *Outlet) { x.Area = "Y"; x.Status = Closed }),
	}
	// Grade table, weights 1 and 2 over 2 + 2 outlets, 6 cartons: λ = 1, limits 1, 1, 2, 2.
	r, err := Allocate(Input{Supply: 6, Mode: ByGrade, Outlets: outlets})
	if err != nil {
		t.Fatal(err)
	}
	if got := cartons(r); !slices.Equal(got, []int{1, 1, 2, 2, 0}) {
		t.Fatalf("cartons = %v; want [1 1 2 2 0]", got)
	}
	s := r.Summary()
	// Fill rates of the outlets with a forecast: 1/4, 1/4, 2/2 = 0.25, 0.25, 1.
	// Overall fill: (1 + 1 + 2) / (4 + 4 + 2) = 0.4.
	// Gini of 0.25, 0.25, 1: Σ|fi − fj| over ordered pairs = 4 × 0.75 = 3; 2 n² mean = 2 × 9 × 0.5 = 9;
	// G = 3/9 = 1/3.
	if s.Eligible != 4 || s.Covered != 4 || s.Coverage != 1 || s.Allocated != 6 || s.Unallocated != 0 {
		t.Errorf("Summary = %+v; want 4 eligible, 4 covered, 6 allocated", s)
	}
	if math.Abs(s.FillRate-0.4) > 1e-12 || math.Abs(s.Gini-1.0/3) > 1e-12 || s.Demand != 10 {
		t.Errorf("FillRate, Gini, Demand = %v, %v, %v; want 0.4, 1/3, 10", s.FillRate, s.Gini, s.Demand)
	}
	wantGrades := []GradeSummary{
		{Grade: 1, Outlets: 2, Covered: 2, Cartons: 2, Demand: 8, FillRate: 0.25},
		{Grade: 2, Outlets: 2, Covered: 2, Cartons: 4, Demand: 2, FillRate: 1},
	}
	if !slices.Equal(s.Grades, wantGrades) {
		t.Errorf("Grades = %+v; want %+v", s.Grades, wantGrades)
	}
	wantAreas := []AreaSummary{{Area: "X", Outlets: 2, Cartons: 2, Share: 2.0 / 6}, {Area: "Y", Outlets: 2, Cartons: 4, Share: 4.0 / 6}}
	if !slices.Equal(s.Areas, wantAreas) {
		t.Errorf("Areas = %+v; want %+v", s.Areas, wantAreas)
	}
}

func TestGini(t *testing.T) {
	tests := []struct {
		x    []float64
		want float64
	}{
		{nil, 0},
		{[]float64{0, 0}, 0},
		{[]float64{0.5, 0.5, 0.5}, 0},
		{[]float64{0, 1}, 0.5},        // |0 − 1| × 2 / (2 × 4 × 0.5)
		{[]float64{0, 0, 0, 1}, 0.75}, // 6 / (2 × 16 × 0.25)
		{[]float64{1, 0.25, 0.25}, 1.0 / 3},
	}
	for _, tt := range tests {
		if got := gini(slices.Clone(tt.x)); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("gini(%v) = %v; want %v", tt.x, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := []Outlet{o("a", 1, 1)}
	tests := []struct {
		name  string
		in    Input
		err   error
		field string
	}{
		{"negative supply", Input{Supply: -1, Mode: ByGrade, Outlets: ok}, ErrSupply, "supply"},
		{"supply too large", Input{Supply: MaxSupply + 1, Mode: ByGrade, Outlets: ok}, ErrSupply, "supply"},
		{"unknown mode", Input{Supply: 1, Mode: "lottery", Outlets: ok}, ErrMode, "mode"},
		{"no mode", Input{Supply: 1, Outlets: ok}, ErrMode, "mode"},
		{"within without dimension", Input{Supply: 1, Mode: ByGradeWithin, Outlets: ok}, ErrDimension, "dimension"},
		{"unknown dimension", Input{Supply: 1, Mode: ByGradeWithin, Dimension: "star sign", Outlets: ok}, ErrDimension, "dimension"},
		{"dimension outside grade_within", Input{Supply: 1, Mode: ByGrade, Dimension: District, Outlets: ok}, ErrDimension, "dimension"},
		{"coverage above 1", Input{Supply: 1, Mode: ByGrade, Options: Options{MinCoverage: 1.5}, Outlets: ok}, ErrCoverage, "options.min_coverage"},
		{"coverage NaN", Input{Supply: 1, Mode: ByGrade, Options: Options{MinCoverage: math.NaN()}, Outlets: ok}, ErrCoverage, "options.min_coverage"},
		{"weights short", Input{Supply: 1, Mode: ByGrade, Options: Options{GradeWeights: []float64{1}}, Outlets: ok}, ErrGradeWeights, "options.grade_weights"},
		{"weights decreasing", Input{Supply: 1, Mode: ByGrade, Options: Options{GradeWeights: decreasing()}, Outlets: ok}, ErrGradeWeights, "options.grade_weights"},
		{"weights in demand mode", Input{Supply: 1, Mode: ByDemand, Options: Options{GradeWeights: linear()}, Outlets: ok}, ErrGradeWeights, "options.grade_weights"},
		{"weights all zero", Input{Supply: 1, Mode: ByGrade, Options: Options{GradeWeights: make([]float64, 30)}, Outlets: ok}, ErrGradeWeights, "options.grade_weights"},
		{"no ID", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{o("", 1, 1)}}, ErrOutletID, "outlets[0].id"},
		{"duplicate", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{o("a", 1, 1), o("b", 1, 1), o("a", 2, 1)}}, ErrDuplicateOutlet, "outlets[2].id"},
		{"grade 0", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{o("a", 0, 1)}}, ErrGrade, "outlets[0].grade"},
		{"grade 31", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{o("a", 31, 1)}}, ErrGrade, "outlets[0].grade"},
		{"no status", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{{ID: "a", Grade: 1}}}, ErrStatus, "outlets[0].status"},
		{"negative demand", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{o("a", 1, -0.5)}}, ErrDemand, "outlets[0].demand"},
		{"NaN demand", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{o("a", 1, math.NaN())}}, ErrDemand, "outlets[0].demand"},
		{"infinite demand", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{o("a", 1, math.Inf(1))}}, ErrDemand, "outlets[0].demand"},
		{"negative cap", Input{Supply: 1, Mode: ByGrade, Outlets: []Outlet{with(o("a", 1, 1), func(x *Outlet) { x.Cap = -1 })}}, ErrCap, "outlets[0].cap"},
		{"nothing selected", Input{Supply: 1, Mode: BySelection, Outlets: ok}, ErrNoSelected, "outlets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Allocate(tt.in)
			var ve *ValidationError
			if !errors.Is(err, tt.err) || !errors.As(err, &ve) || ve.Field != tt.field {
				t.Fatalf("Allocate(%s) = %v; want %v on field %s", tt.name, err, tt.err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "allocation: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	if err := (&Input{Supply: 0, Mode: ByDemand}).Validate(); err != nil {
		t.Errorf("Validate(no outlets) = %v; want nil", err)
	}
}

func linear() []float64 {
	w := make([]float64, MaxGrade)
	for g := range w {
		w[g] = float64(g + 1)
	}
	return w
}

func decreasing() []float64 {
	w := linear()
	w[10] = 0
	return w
}
