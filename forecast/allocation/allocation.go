// Package allocation turns the scarce supply of one brand for one order cycle into per-outlet limits
// (限量) in whole cartons, with a reason a retailer can read for every limit and summary figures for
// the planner (coverage, fill rate, share of supply per area, a Gini coefficient of fairness).
//
// It is pure: Allocate reads an Input and returns a Result, with no clock, no randomness, no I/O and
// no dependence on the order of the outlets. The same input, in any order, gives every outlet the
// same limit and the same explanation.
//
// # Modes
//
//   - ByGrade (grade): one limit per grade, non-decreasing from grade 1 to 30 (the grade table).
//   - ByGradeWithin (grade_within): the supply is first split across the groups of a Dimension
//     (district, market type, locality, business format, credit level) in proportion to their
//     forecast demand (to their eligible outlets when no group has a forecast), each group between
//     its floors and its capacity, by the largest remainder (ties: the larger forecast, then the
//     name); then each group gets its own grade table.
//   - ByPriceBand (price_band): the item allocated is a price band (a wholesale price class) rather
//     than one brand; each outlet's limit is a budget it may spend on any brand of the band. Budgets
//     follow a grade table whose weights are what each grade sells of the band (see below).
//   - BySelection (selected): only the selected outlets (a new product's launch outlets, say) share
//     the supply, in proportion to their forecast; the others get nothing. A selected outlet without
//     a forecast counts as the average selected outlet with one; when none has one, the supply is
//     shared evenly.
//   - ByDemand (demand): every outlet with a forecast gets its share of the forecast demand, never
//     more than its forecast rounded up to whole cartons (4.2 → at most 5); an outlet without a
//     forecast gets nothing.
//
// # Rules common to every mode
//
// Limits are whole cartons. Suspended and closed outlets get 0. No outlet gets more than its cap
// (Outlet.Cap). When the eligible outlets can take the whole supply (their capacity: the sum of their
// caps, in ByDemand of their forecasts rounded up, in the grade modes nothing for a grade of weight
// 0) the limits add up exactly to the supply; otherwise every eligible outlet gets its full capacity
// and the rest is reported as Result.Unallocated.
//
// Fractions are settled by the largest remainder: every outlet first gets the whole part of its quota,
// and the cartons left go one each to the outlets with the largest fractional parts. Equal fractions
// go first to the higher grade, then to the higher forecast, then to the lower outlet ID (byte order).
// The quota is computed exactly (in integers, from forecasts read to 0.001 carton), so ties are real
// ties and the order of the input does not matter.
//
// A quota in ByDemand and BySelection is the outlet's weight (its forecast) times one factor λ shared
// by all outlets, held between the outlet's floor (see MinCoverage) and its ceiling (its cap; in
// ByDemand also its forecast rounded up): quota = min(ceiling, max(floor, λ × forecast)), with λ
// chosen so that the quotas add up to the supply. λ is "the share of demand the supply covers".
//
// # The grade table (ByGrade, ByGradeWithin, ByPriceBand)
//
// Each grade g has a weight w(g), non-decreasing in g. In ByGrade and ByGradeWithin the weight is the
// grade itself (grade 30 weighs 30 times grade 1) unless Options.GradeWeights publishes other weights.
// In ByPriceBand it is the average forecast of the band of the grade's eligible outlets, made
// non-decreasing by pooling adjacent grades that break the order (weighted by their outlets), a grade
// without outlets taking the weight of the grade below it; with no forecasts at all it is the grade.
//
//  1. Quota: grade g's quota is λ × w(g), with λ chosen so that Σ over outlets of
//     min(cap, max(floor, λ × w(grade))) equals the supply. Quotas are non-decreasing in grade.
//  2. Whole cartons: each grade's limit is its quota rounded down. The cartons left are handed out by
//     the largest remainder a whole grade at a time: in order of the largest fractional quota (ties:
//     the higher grade) a grade is rounded up when the cartons left pay for every one of its outlets
//     and the grade above still has at least the raised limit. The table stays non-decreasing and
//     never costs more than the supply.
//  3. Remainder: cartons still left (fewer than any grade still to round up would cost) go one each
//     to single outlets, as one extra carton above their grade's limit: in the grade with the largest
//     fractional quota (ties: the higher grade) whose extra carton keeps it at or below the limit of
//     every higher grade with outlets below their caps, to its outlets with the highest forecast
//     (ties: lower outlet ID); then in the next such grade, until no carton is left.
//
// The table (Group.Table) and the weights and quotas behind it (Group.Weight, Group.Quota) are part
// of the Result, to be published.
//
// So an outlet of a higher grade never gets less than one of a lower grade in the same group, unless
// its cap holds it or the lower one was raised by MinCoverage or served first as a benchmark.
//
// # Options
//
// MinCoverage p: the ⌈p × eligible⌉ eligible outlets with the highest forecast (ties: higher grade,
// then lower ID), at most one per carton of supply, are guaranteed at least one carton (their floor),
// so at least that share of the eligible outlets is covered.
//
// BenchmarkFirst: benchmark outlets (标杆终端) are served before any other outlet. Each is given in
// full what it would get without scarcity, its forecast rounded up to whole cartons (in the grade
// modes the larger of that and its grade's quota rounded up), within its cap and at least its floor.
// The other outlets then share what is left by the mode's rule. When the supply, less the other
// outlets' floors, cannot serve the benchmark outlets in full, they share it in proportion to
// what they would have been given (in ByDemand and BySelection: to their forecasts), and the others
// get only their floors. Supply the others cannot take goes back to the benchmark outlets, up to
// their ceilings. In ByGradeWithin all this happens within each group, after the split.
package allocation

import "math"

// Limits on the numbers an Input may hold. They keep every exact computation inside 64-bit integers.
const (
	MinGrade  = 1             // lowest outlet grade (档位)
	MaxGrade  = 30            // highest outlet grade
	MaxSupply = 1_000_000_000 // cartons of supply
	MaxDemand = 1_000_000     // cartons of one outlet's forecast
)

// Mode is a rule for turning supply into limits (货源投放方式). The values are the strings of the
// command line's --mode flag.
type Mode string

// The allocation modes; the package documentation gives each one's rule.
const (
	ByGrade       Mode = "grade"
	ByGradeWithin Mode = "grade_within"
	ByPriceBand   Mode = "price_band"
	BySelection   Mode = "selected"
	ByDemand      Mode = "demand"
)

// Modes lists every mode, in a fixed order.
var Modes = []Mode{ByGrade, ByGradeWithin, ByPriceBand, BySelection, ByDemand}

func (m Mode) valid() bool {
	switch m {
	case ByGrade, ByGradeWithin, ByPriceBand, BySelection, ByDemand:
		return true
	}
	return false
}

// graded reports whether the mode sets limits with a grade table.
func (m Mode) graded() bool { return m == ByGrade || m == ByGradeWithin || m == ByPriceBand }

// Dimension is what ByGradeWithin groups outlets by.
type Dimension string

// The dimensions ByGradeWithin accepts, each naming the Outlet field it reads.
const (
	District    Dimension = "district"     // Outlet.Area
	MarketType  Dimension = "market_type"  // Outlet.MarketType
	Locality    Dimension = "locality"     // Outlet.Rural: "urban" or "rural"
	Format      Dimension = "format"       // Outlet.Format
	CreditLevel Dimension = "credit_level" // Outlet.CreditLevel
)

// Dimensions lists every dimension, in a fixed order.
var Dimensions = []Dimension{District, MarketType, Locality, Format, CreditLevel}

func (d Dimension) valid() bool {
	switch d {
	case District, MarketType, Locality, Format, CreditLevel:
		return true
	}
	return false
}

// of returns outlet o's group under dimension d.
func (d Dimension) of(o *Outlet) string {
	switch d {
	case District:
		return o.Area
	case MarketType:
		return o.MarketType
	case Locality:
		if o.Rural {
			return "rural"
		}
		return "urban"
	case Format:
		return o.Format
	case CreditLevel:
		return o.CreditLevel
	}
	return ""
}

// Status is an outlet's licence status; the values are those of retailer.Status.
type Status string

// Outlet statuses. Only active outlets receive allocations.
const (
	Active    Status = "active"
	Suspended Status = "suspended"
	Closed    Status = "closed"
)

// Outlet is one licensed outlet as the allocation sees it.
type Outlet struct {
	ID          string // licence number; unique in an Input
	Grade       int    // MinGrade … MaxGrade
	Status      Status
	Area        string // county or district
	MarketType  string
	Rural       bool
	Format      string // business format (业态)
	CreditLevel string
	Benchmark   bool // benchmark outlet (标杆终端)
	// Demand is the latest forecast of the outlet's demand for the brand (in ByPriceBand: for the
	// band) in the cycle, in cartons; 0 when there is none. It is read to the nearest 0.001 carton.
	Demand   float64
	Cap      int  // at most this many cartons; 0 for no cap
	Selected bool // BySelection: the outlet is one of the selected outlets
}

// Options adjust any mode.
type Options struct {
	// MinCoverage is the share of eligible outlets, 0 … 1, guaranteed at least one carton: the
	// outlets with the highest forecast first. 0 guarantees nothing.
	MinCoverage float64
	// BenchmarkFirst serves benchmark outlets in full before the others.
	BenchmarkFirst bool
	// GradeWeights, when not nil, holds the weight of each grade from 1 to 30 (GradeWeights[0] is
	// grade 1): non-negative, non-decreasing, not all zero. Only the grade modes take it; nil means
	// the grade itself (ByGrade, ByGradeWithin) or the band's demand by grade (ByPriceBand).
	GradeWeights []float64
}

// Input is one allocation: one brand (or price band), one cycle's supply, one mode.
type Input struct {
	Brand     string    // brand code, or in ByPriceBand the band's name; used in explanations
	Supply    int       // cartons to allocate, 0 … MaxSupply
	Mode      Mode      // the rule that turns supply into limits
	Dimension Dimension // ByGradeWithin only: what to group outlets by
	Options   Options
	Outlets   []Outlet
}

// Reason is a set of flags saying what shaped an outlet's limit.
type Reason uint16

// The flags of a Reason.
const (
	Inactive      Reason = 1 << iota // suspended or closed: no allocation
	NotSelected                      // BySelection: not a selected outlet: no allocation
	NoDemand                         // ByDemand: no forecast demand: no allocation
	ServedFirst                      // a benchmark outlet served first (Options.BenchmarkFirst)
	CoverageFloor                    // raised to one carton by Options.MinCoverage
	Capped                           // held at the outlet's cap
	DemandCapped                     // ByDemand: held at the forecast rounded up
	RoundedUp                        // the quota's fraction was rounded up by the largest remainder
	Remainder                        // grade modes: one carton above the grade's limit, from the remainder

	atUpper Reason = 1 << 15 // internal: held at the upper bound; resolved into Capped or DemandCapped
)

// Has reports whether r includes every flag of f.
func (r Reason) Has(f Reason) bool { return r&f == f }

var reasonNames = []string{"inactive", "not-selected", "no-demand", "served-first", "coverage-floor",
	"capped", "demand-capped", "rounded-up", "remainder"}

// String lists the flags of r, as "capped|rounded-up"; "" when there is none.
func (r Reason) String() string {
	var s []byte
	for k, name := range reasonNames {
		if r&(1<<k) != 0 {
			if len(s) > 0 {
				s = append(s, '|')
			}
			s = append(s, name...)
		}
	}
	return string(s)
}

// Limit is one outlet's allocation, with the numbers that explain it.
type Limit struct {
	Outlet  string // Outlet.ID
	Grade   int
	Status  Status
	Area    string
	Group   int     // index into Result.Groups; -1 when the outlet was not eligible
	Demand  float64 // the forecast, cartons, as given
	Cap     int     // the outlet's cap; 0 for none
	Quota   float64 // cartons due before rounding to whole cartons
	Cartons int     // the limit: whole cartons the outlet may order in the cycle
	Reason  Reason
}

// Eligible reports whether the outlet took part in the allocation: active, selected in BySelection,
// with a forecast in ByDemand.
func (l *Limit) Eligible() bool { return l.Group >= 0 }

// Group is one group of eligible outlets: the groups of the Dimension in ByGradeWithin, else the
// single group of all eligible outlets (with an empty Name).
type Group struct {
	Name    string
	Outlets int     // eligible outlets
	Demand  float64 // their forecasts, cartons
	Supply  int     // cartons given to the group
	// Scale is λ of ByDemand and BySelection, the share of demand the supply covers: a quota
	// between its floor and ceiling is Scale × forecast (Scale cartons per outlet when Even); +Inf
	// when the supply covers every outlet's ceiling. In the grade modes it is λ of the grade table:
	// grade g's quota is Scale × Weight[g].
	Scale float64
	// Imputed is BySelection's stand-in forecast for a selected outlet without one: the average
	// forecast of those with one, or the supply over the outlets when none has one (Even).
	Imputed float64
	Even    bool // BySelection: no selected outlet has a forecast, so the supply is shared evenly
	// Table holds the grade table of the grade modes: Table[g] is grade g's limit; Table[0] is
	// unused. Quota[g] is grade g's quota before rounding, Weight[g] its weight.
	Table  [MaxGrade + 1]int
	Quota  [MaxGrade + 1]float64
	Weight [MaxGrade + 1]float64
}

// Result is an allocation: one Limit per input outlet, in the input's order.
type Result struct {
	Brand     string
	Mode      Mode
	Dimension Dimension
	Options   Options
	Supply    int
	Allocated int // Σ Cartons
	Limits    []Limit
	Groups    []Group
}

// Unallocated is the supply the eligible outlets could not take (their capacity fell short).
func (r *Result) Unallocated() int { return r.Supply - r.Allocated }

// Allocate computes the limits of in. It returns a *ValidationError matching one of the Err values
// when the input is invalid; it has no other error.
func Allocate(in Input) (*Result, error) {
	return allocate(in, false)
}

// allocate is Allocate; outletsValid skips the checks of the outlets that validOutlets passed before.
func allocate(in Input, outletsValid bool) (*Result, error) {
	if err := in.validate(outletsValid); err != nil {
		return nil, err
	}
	a := newAllocator(&in)
	a.run()
	return a.res, nil
}

// milli reads cartons to the nearest 0.001 carton.
func milli(cartons float64) int64 { return int64(math.Round(cartons * 1000)) }

// ceilCartons is the whole cartons it takes to cover m thousandths of a carton.
func ceilCartons(m int64) int64 { return (m + 999) / 1000 }
