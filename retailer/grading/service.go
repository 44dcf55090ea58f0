package grading

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/retailer"
)

// OutletSource lists every outlet with its grade and status (retailer/postgres.Store), in id order.
type OutletSource interface {
	GradeInputs(ctx context.Context) ([]Outlet, error)
}

// PurchaseSource reads what each outlet bought from the day from to the day before to
// (retailer/clickhouse.Store); outlets that bought nothing may be absent. It returns an error
// matching retailer.ErrUnavailable when the history cannot be read.
type PurchaseSource interface {
	Purchases(ctx context.Context, from, to time.Time) (map[string]retailer.Purchase, error)
}

// Publisher writes recomputed grades (retailer/postgres.Store): every outlet's new grade, and for
// every ranked outlet a grade change effective from a day, with the rule version and its reason, in one
// transaction. It returns how many outlets' grades changed.
type Publisher interface {
	PublishGrades(ctx context.Context, results []Result, effective time.Time, ruleVersion string) (int, error)
}

// Grader recomputes grades from the stores. Its fields are required; it is safe for concurrent use
// when they are.
type Grader struct {
	Outlets   OutletSource
	Purchases PurchaseSource
	Store     Publisher
}

// Recomputation is what a rule gives on the purchases of a window.
type Recomputation struct {
	Rule     Rule
	From, To time.Time // the window's first Monday and the Monday after its last week
	Results  []Result  // every outlet, in id order
	Summary  Summary
}

// Window returns the weeks a rule reads at now: the last rule.Weeks full weeks before now's week, the
// week of now's calendar day in its location (the region's).
func (r Rule) Window(now time.Time) (from, to time.Time) {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	to = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // Monday
	return to.AddDate(0, 0, -7*r.Weeks), to
}

// Preview recomputes every outlet's grade under rule at now without writing anything.
func (g *Grader) Preview(ctx context.Context, rule Rule, now time.Time) (Recomputation, error) {
	if err := rule.Validate(); err != nil {
		return Recomputation{}, err
	}
	outlets, err := g.Outlets.GradeInputs(ctx)
	if err != nil {
		return Recomputation{}, err
	}
	from, to := rule.Window(now)
	bought, err := g.Purchases.Purchases(ctx, from, to)
	if err != nil {
		return Recomputation{}, err
	}
	for i := range outlets {
		p := bought[outlets[i].Licence]
		outlets[i].AmountCents, outlets[i].Cartons = p.AmountCents, p.Cartons
	}
	res := rule.Apply(outlets)
	return Recomputation{Rule: rule, From: from, To: to, Results: res, Summary: Summarize(res)}, nil
}

// Publish recomputes every outlet's grade under rule at now and writes the result, effective from
// now's day; the allocation reads the new grades from then on. It returns the recomputation and how
// many grades changed.
func (g *Grader) Publish(ctx context.Context, rule Rule, now time.Time) (Recomputation, int, error) {
	rc, err := g.Preview(ctx, rule, now)
	if err != nil {
		return rc, 0, err
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	changed, err := g.Store.PublishGrades(ctx, rc.Results, day, rule.Version())
	if err != nil {
		return rc, 0, fmt.Errorf("publish grades: %w", err)
	}
	return rc, changed, nil
}

// Record is an outlet's grade as published, with the rule that set it.
type Record struct {
	OutletID      int64
	Licence       string
	Grade         int
	EffectiveFrom time.Time // zero when no recomputation has set it: the grade came with the master data
	RuleVersion   string    // Rule.Version of the rule that set it
	Explanation   string
}
