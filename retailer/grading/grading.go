// Package grading recomputes outlets' grades (档位 1–30) from what they bought, by a rule that is
// published and explains every grade it sets: the grade decides an outlet's default limit of every
// scarce brand, and retailers ask why theirs is what it is.
//
// The rule (Rule, version RuleVersion): over the last Weeks weeks, each active outlet's purchase amount
// (delivered cartons × wholesale price) and quantity (delivered cartons) are ranked against every other
// active outlet's, as percentile ranks from 0 to 100 (ties share the mid rank; an outlet that bought
// nothing ranks 0). Its score is AmountWeight × the amount's rank + (1 − AmountWeight) × the quantity's.
// Grade g is earned by a score of at least (g − 1) × 100/30: the 30 grades split the score evenly, so
// each grade holds about a thirtieth of the outlets. The grade moves towards the earned one by at most
// MaxStep a period, so that one good or bad month does not swing an outlet's limits. Outlets that are
// suspended or closed keep their grade.
//
// Rule.Apply is pure; Grader reads its inputs and writes its result through small interfaces that the
// stores implement (retailer/postgres, retailer/clickhouse).
package grading

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/ordercast/ordercast/retailer"
)

// RuleVersion names the rule as it is written here; a change to it is a new version.
const RuleVersion = "purchases-percentile-v1"

// Defaults and bounds of the rule's parameters.
const (
	DefaultWeeks        = 13 // a quarter
	MinWeeks            = 4
	MaxWeeks            = 52
	DefaultAmountWeight = 0.7
	DefaultMaxStep      = 3
)

// ErrInvalidRule: a Rule out of bounds; the error wrapping it names the parameter.
var ErrInvalidRule = errors.New("grading: invalid rule")

// Rule is the published grading rule with its parameters.
type Rule struct {
	Weeks        int     // purchases of the last Weeks full weeks
	AmountWeight float64 // weight of the amount's rank; the quantity's is 1 − AmountWeight
	MaxStep      int     // most grades an outlet moves in one recomputation
}

// DefaultRule is the rule with its default parameters.
func DefaultRule() Rule {
	return Rule{Weeks: DefaultWeeks, AmountWeight: DefaultAmountWeight, MaxStep: DefaultMaxStep}
}

// Validate checks the rule's parameters.
func (r Rule) Validate() error {
	switch {
	case r.Weeks < MinWeeks || r.Weeks > MaxWeeks:
		return fmt.Errorf("%w: weeks %d: want %d to %d", ErrInvalidRule, r.Weeks, MinWeeks, MaxWeeks)
	case !(r.AmountWeight >= 0 && r.AmountWeight <= 1):
		return fmt.Errorf("%w: amount weight %v: want 0 to 1", ErrInvalidRule, r.AmountWeight)
	case r.MaxStep < 1 || r.MaxStep > retailer.MaxGrade-retailer.MinGrade:
		return fmt.Errorf("%w: max step %d: want 1 to %d", ErrInvalidRule, r.MaxStep, retailer.MaxGrade-retailer.MinGrade)
	}
	return nil
}

// Version names the rule and its parameters, as grade changes record it: ParseVersion reads it back.
func (r Rule) Version() string {
	return fmt.Sprintf("%s weeks=%d amount=%.2f step=%d", RuleVersion, r.Weeks, r.AmountWeight, r.MaxStep)
}

// ParseVersion reads a Version back into its rule; false for another rule's version.
func ParseVersion(v string) (Rule, bool) {
	var r Rule
	var name string
	n, err := fmt.Sscanf(v, "%s weeks=%d amount=%f step=%d", &name, &r.Weeks, &r.AmountWeight, &r.MaxStep)
	if err != nil || n != 4 || name != RuleVersion || r.Validate() != nil {
		return Rule{}, false
	}
	return r, true
}

// Text is the rule in words, as published to retailers.
func (r Rule) Text() string {
	return fmt.Sprintf("Grades 1–30 are recomputed from the last %d weeks' purchases. Each active outlet's purchase "+
		"amount and quantity (delivered cartons) are ranked against all active outlets as percentiles (0–100). "+
		"Score = %.0f%% of the amount's percentile + %.0f%% of the quantity's. Grade g needs a score of at least "+
		"(g − 1) × 100/30, so each grade holds about a thirtieth of the outlets. A grade moves by at most %d "+
		"per recomputation towards the grade earned. Suspended and closed outlets keep their grade.",
		r.Weeks, 100*r.AmountWeight, 100*(1-r.AmountWeight), r.MaxStep)
}

// Threshold is the lowest score that earns grade g.
func Threshold(g int) float64 {
	return float64(g-retailer.MinGrade) * 100 / float64(retailer.MaxGrade-retailer.MinGrade+1)
}

// Earned is the grade a score (0–100) earns.
func Earned(score float64) int {
	g := retailer.MinGrade + int(math.Floor(score*float64(retailer.MaxGrade-retailer.MinGrade+1)/100+1e-9))
	return min(retailer.MaxGrade, max(retailer.MinGrade, g))
}

// Outlet is one outlet's input: its grade now and what it bought in the rule's weeks.
type Outlet struct {
	ID          int64
	Licence     string
	Grade       int
	Status      retailer.Status
	AmountCents int64   // delivered cartons × wholesale price
	Cartons     float64 // delivered cartons
}

// Result is an outlet's recomputed grade with what explains it.
type Result struct {
	Outlet
	New         int     // the grade the rule sets
	Earned      int     // the grade the score earns, before MaxStep
	AmountRank  float64 // percentile rank of the amount, 0–100
	CartonsRank float64 // percentile rank of the quantity, 0–100
	Score       float64 // 0–100
	Ranked      bool    // false for outlets that keep their grade (not active)
	Reason      string
}

// Apply recomputes every outlet's grade. Results come in the order of outlets.
func (r Rule) Apply(outlets []Outlet) []Result {
	var amounts, cartons []float64
	for _, o := range outlets {
		if o.Status == retailer.Active {
			amounts = append(amounts, float64(o.AmountCents))
			cartons = append(cartons, o.Cartons)
		}
	}
	sort.Float64s(amounts)
	sort.Float64s(cartons)
	weeks := float64(r.Weeks)
	out := make([]Result, len(outlets))
	for i, o := range outlets {
		res := Result{Outlet: o, New: o.Grade, Earned: o.Grade}
		if o.Status != retailer.Active {
			res.Reason = fmt.Sprintf("%s: grade %d kept", o.Status, o.Grade)
			out[i] = res
			continue
		}
		res.Ranked = true
		res.AmountRank = percentileRank(amounts, float64(o.AmountCents))
		res.CartonsRank = percentileRank(cartons, o.Cartons)
		res.Score = r.AmountWeight*res.AmountRank + (1-r.AmountWeight)*res.CartonsRank
		res.Earned = Earned(res.Score)
		res.New = min(o.Grade+r.MaxStep, max(o.Grade-r.MaxStep, res.Earned))
		res.Reason = fmt.Sprintf("%d weeks: %s a week (percentile %.1f), %.1f cartons a week (percentile %.1f); "+
			"score %.1f earns grade %d (from %.1f)", r.Weeks, money(float64(o.AmountCents)/weeks), res.AmountRank,
			o.Cartons/weeks, res.CartonsRank, res.Score, res.Earned, Threshold(res.Earned))
		switch {
		case res.New == o.Grade:
			res.Reason += fmt.Sprintf("; grade %d kept", o.Grade)
		case res.New != res.Earned:
			res.Reason += fmt.Sprintf("; %d → %d, at most %d a period", o.Grade, res.New, r.MaxStep)
		default:
			res.Reason += fmt.Sprintf("; %d → %d", o.Grade, res.New)
		}
		out[i] = res
	}
	return out
}

// percentileRank is the share of sorted below v plus half the share equal to it, 0–100; 0 for an
// empty sorted.
func percentileRank(sorted []float64, v float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	below := sort.SearchFloat64s(sorted, v)
	upTo := sort.Search(len(sorted), func(i int) bool { return sorted[i] > v })
	return 100 * (float64(below) + float64(upTo-below)/2) / float64(len(sorted))
}

// money formats cents as yuan with two decimals.
func money(cents float64) string {
	return fmt.Sprintf("¥%.2f", cents/100)
}

// Summary counts what a recomputation changes.
type Summary struct {
	Outlets, Ranked, Up, Down, Same, Capped int
	Before, After                           [retailer.MaxGrade + 1]int // outlets per grade; index 0 unused
}

// Summarize counts results.
func Summarize(results []Result) Summary {
	var s Summary
	s.Outlets = len(results)
	for _, r := range results {
		if r.Grade < retailer.MinGrade || r.Grade > retailer.MaxGrade || r.New < retailer.MinGrade || r.New > retailer.MaxGrade {
			continue // not a grade: the stores never hold one
		}
		s.Before[r.Grade]++
		s.After[r.New]++
		if !r.Ranked {
			continue
		}
		s.Ranked++
		switch {
		case r.New > r.Grade:
			s.Up++
		case r.New < r.Grade:
			s.Down++
		default:
			s.Same++
		}
		if r.New != r.Earned {
			s.Capped++
		}
	}
	return s
}
