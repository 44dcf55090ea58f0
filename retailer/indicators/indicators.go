// Package indicators computes the figures account managers are held to (日通报、周分析、月对标: the
// daily bulletin, the weekly analysis and the monthly benchmarking): order success rate, the
// empty-order list, failed orders, terminal upload rate, scarce-brand coverage, new-product shelving,
// sell-through, stock-outs, stock-to-sales ratio, forecast accuracy and customer satisfaction, per
// outlet and rolled up per account manager, route, area and company, for a day, a week or a month,
// each beside its target with the gap.
//
// Every rate is a sum of per-outlet numerators over a sum of per-outlet denominators, so that a rollup
// is exact at every level. A figure whose denominator is empty is "no data" with the reason (an outlet
// that joined after the period, a cycle with no scheduled outlets, a manager with no collection
// points), never 0 or NaN.
//
// The package holds the types and the pure rollup; the facts come from the stores through the small
// interfaces of Service (retailer/indicators/postgres for current orders, targets and satisfaction,
// retailer/indicators/clickhouse for history, scans and accuracy scores).
package indicators

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors.
var (
	// ErrInvalid wraps invalid input (a period, level, indicator or target); the message names it.
	ErrInvalid = errors.New("indicators: invalid")
	// ErrForbidden is a request outside the caller's scope: a role that reads no indicators, or a
	// manager asking for another manager's figures or targets it may not set.
	ErrForbidden = errors.New("indicators: forbidden")
	// ErrUnknownManager is a principal of role manager whose account manager no longer exists.
	ErrUnknownManager = errors.New("indicators: unknown account manager")
)

// Indicator names one figure.
type Indicator string

// The indicators.
const (
	OrderSuccess     Indicator = "order_success_rate"    // outlets paid ÷ outlets scheduled to order
	EmptyOrders      Indicator = "empty_order_rate"      // outlets 2+ cycles without an order ÷ active outlets
	UploadRate       Indicator = "upload_rate"           // collection points that uploaded ÷ collection points
	ScarceCoverage   Indicator = "scarce_coverage"       // outlets that received a scarce brand ÷ eligible outlets
	NewProductShelf  Indicator = "new_product_shelving"  // (outlet, new brand) bought and shown ÷ pairs
	SellThrough      Indicator = "sell_through_rate"     // (outlet, brand) ordered now ÷ ordered in the previous 3 periods
	StockOut         Indicator = "stock_out_rate"        // demand records granted 0 ÷ demand records
	StockToSales     Indicator = "stock_to_sales"        // cartons in stock ÷ average weekly cartons sold (weeks)
	ForecastAccuracy Indicator = "forecast_accuracy"     // stored monthly scores against AccuracyBasis, 1 − Σ|A−F|/ΣA
	Satisfaction     Indicator = "customer_satisfaction" // mean survey score, 0–100
	FailedOrders     Indicator = "failed_order_rate"     // orders failed ÷ orders that reached cut-off
)

// AccuracyBasis is what the forecast accuracy indicator holds forecasts to: the quantities retailers
// requested (`ordercast score -against requested`), not the sales. The engine forecasts demand, and
// the sales of a scarce brand are what its limits let through, so against sales a forecast looks high
// wherever limits bind, for every manager alike (the seeded region's company: +24% in October 2026,
// +43% in November, where against requests +15% and against the true demand +6%): a figure no one
// can act on. The requests are the demand the orders keep before limits cut it.
const AccuracyBasis = "requested"

// notScored is forecast accuracy's reason for no data in a month never scored against AccuracyBasis.
const notScored = "the month was not scored against " + AccuracyBasis + " quantities (ordercast score -against " +
	AccuracyBasis + ")"

// Spec says how an indicator reads.
type Spec struct {
	Indicator      Indicator
	Unit           string // ratio (0–1), weeks or score (0–100)
	HigherIsBetter bool
	Cadence        PeriodKind // the period the bulletin shows it over
	NoData         string     // the reason when nothing counts towards it
	Basis          string     // what the figure is measured against, where that is a choice ("" elsewhere)
}

// Specs lists every indicator in the order reports show them.
var Specs = []Spec{
	{OrderSuccess, "ratio", true, Day, "no outlet was scheduled to order in the period", ""},
	{FailedOrders, "ratio", false, Day, "no order reached cut-off in the period", ""},
	{EmptyOrders, "ratio", false, Day, "no active outlet", ""},
	{UploadRate, "ratio", true, Day, "no collection points", ""},
	{ScarceCoverage, "ratio", true, Week, "no eligible active outlet", ""},
	{NewProductShelf, "ratio", true, Week, "no new product within its shelving weeks", ""},
	{SellThrough, "ratio", true, Week, "nothing was ordered in the previous 3 periods", ""},
	{StockOut, "ratio", false, Week, "no demand records in the period", ""},
	{StockToSales, "weeks", false, Week, "no stock count with sales in the window", ""},
	{ForecastAccuracy, "ratio", true, Month, notScored, AccuracyBasis},
	{Satisfaction, "score", true, Month, "no satisfaction score recorded for the month", ""},
}

// SpecOf returns the spec of an indicator.
func SpecOf(ind Indicator) (Spec, bool) {
	for _, s := range Specs {
		if s.Indicator == ind {
			return s, true
		}
	}
	return Spec{}, false
}

// ParseIndicator checks an indicator name.
func ParseIndicator(s string) (Indicator, error) {
	if _, ok := SpecOf(Indicator(s)); !ok {
		return "", fmt.Errorf("%w: unknown indicator %q", ErrInvalid, s)
	}
	return Indicator(s), nil
}

// Level is what rows are rolled up by.
type Level string

// The levels.
const (
	AtCompany Level = "company"
	AtArea    Level = "area"
	AtRoute   Level = "route"
	AtManager Level = "manager"
	AtOutlet  Level = "outlet"
)

// ParseLevel checks a level name.
func ParseLevel(s string) (Level, error) {
	switch l := Level(s); l {
	case AtCompany, AtArea, AtRoute, AtManager, AtOutlet:
		return l, nil
	}
	return "", fmt.Errorf("%w: level %q: want company, area, route, manager or outlet", ErrInvalid, s)
}

// PeriodKind is a day, an ISO week or a calendar month.
type PeriodKind string

// The period kinds.
const (
	Day   PeriodKind = "day"
	Week  PeriodKind = "week"
	Month PeriodKind = "month"
)

// Period is a half-open range of days [Start, End) in UTC dates.
type Period struct {
	Kind       PeriodKind
	Start, End time.Time
}

// PeriodOf returns the period of kind that holds date.
func PeriodOf(kind PeriodKind, date time.Time) (Period, error) {
	d := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)
	switch kind {
	case Day:
		return Period{Day, d, d.AddDate(0, 0, 1)}, nil
	case Week:
		monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		return Period{Week, monday, monday.AddDate(0, 0, 7)}, nil
	case Month:
		first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		return Period{Month, first, first.AddDate(0, 1, 0)}, nil
	}
	return Period{}, fmt.Errorf("%w: period %q: want day, week or month", ErrInvalid, kind)
}

// Previous is the period of the same kind before p.
func (p Period) Previous() Period {
	prev, _ := PeriodOf(p.Kind, p.Start.AddDate(0, 0, -1))
	return prev
}

// Back is the start of the n periods of p's kind before p.
func (p Period) Back(n int) time.Time {
	switch p.Kind {
	case Month:
		return p.Start.AddDate(0, -n, 0)
	case Week:
		return p.Start.AddDate(0, 0, -7*n)
	}
	return p.Start.AddDate(0, 0, -n)
}

// UnderWay says whether p holds today's calendar date (its year, month and day, whatever its
// location) and so has not ended: its figures are so far, not final.
func (p Period) UnderWay(today time.Time) bool {
	d := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	return !d.Before(p.Start) && d.Before(p.End)
}

// String is the period as a report names it: 2026-11-30, week 2026-11-30 or 2026-11.
func (p Period) String() string {
	switch p.Kind {
	case Month:
		return p.Start.Format("2006-01")
	case Week:
		return "week " + p.Start.Format(time.DateOnly)
	}
	return p.Start.Format(time.DateOnly)
}

// Outlet is what the indicators know of an outlet: where it rolls up and whether it counts.
type Outlet struct {
	Licence         string
	Name            string
	Address         string
	Area            string
	Route           string
	Manager         string // account manager's code; "" when none is assigned
	Status          string // active, suspended, closed
	CollectionPoint bool
	OrderDay        int       // ISO weekday
	Joined          time.Time // the day the outlet was created
	BalanceCents    int64
}

// activeIn reports whether the outlet counts in a period: active and joined before it ended.
func (o Outlet) activeIn(p Period) bool {
	return o.Status == "active" && o.Joined.Before(p.End)
}

// AccountManager is an account manager, with or without outlets.
type AccountManager struct {
	Code  string
	Name  string
	Area  string
	Phone string
}

// Ratio is a numerator over a denominator; rollups add both.
type Ratio struct{ Num, Den float64 }

// Add returns r + o.
func (r Ratio) Add(o Ratio) Ratio { return Ratio{r.Num + o.Num, r.Den + o.Den} }
