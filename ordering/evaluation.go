package ordering

import (
	"context"
	"math"
	"sort"
	"time"
)

// Brand evaluation (品牌评价) per brand and month.

// BrandMonth is what a brand's evaluation of a month rests on.
type BrandMonth struct {
	Brand, Name  string
	Manufacturer string
	NewProduct   bool
	Launch       time.Time // zero unless a new product
	FirstSale    time.Time // the first month with sales in the history; zero with none
	// Sales holds the delivered cartons of the month (last) and the EvaluationMonths − 1 months before
	// it, oldest first.
	Sales []float64
	// Buyers is the outlets with a delivery of the brand in the month; Active the active outlets.
	Buyers, Active int
	// Ordered is the outlets that ordered the brand in any of the 3 months before; Reordered those of
	// them that ordered it in the month too.
	Ordered, Reordered int
	Stock              *int     // warehouse stock at the month's end; nil when not known
	Accuracy           *float64 // forecast accuracy of the brand's month, against AccuracyBasis; nil when not scored
}

// AccuracyBasis is what a brand's forecast accuracy is read against: the quantities retailers
// requested, as for the managers' indicator. Against sales a scarce brand, whose sales are what its
// limits let through, would rank low on accuracy for being scarce.
const AccuracyBasis = "requested"

// EvaluationMonths is how many months of sales an evaluation looks at.
const EvaluationMonths = 12

// Evaluation is a brand's evaluation of a month.
type Evaluation struct {
	BrandMonth
	Month time.Time
	// Growth is the month's sales over the month before's, less 1; nil when the month before had none.
	Growth *float64
	// ListingRate is Buyers ÷ Active: the outlets carrying the brand (上柜率 of the month).
	ListingRate float64
	// StockToSales is the stock at the month's end ÷ the month's average weekly sales; nil without
	// stock or sales.
	StockToSales *float64
	// SellThrough (动销率) is Reordered ÷ Ordered; nil when nobody ordered it in the 3 months before.
	SellThrough *float64
	Stage       Lifecycle
	Score       float64 // 0 … 1: the mean percentile of growth, listing rate, sell-through and accuracy
	Rank        int     // 1 is the best score
}

// The life-cycle rule, applied in this order to a month m:
//
//  1. introduced: launched (a new product's launch date, else the first month with sales) less than
//     IntroducedMonths months before the end of m;
//  2. retired: the month's sales are below RetiredShare of the best month of the last
//     EvaluationMonths, and fell in each of the last 3 months (or there were none in m at all after
//     earlier sales);
//  3. cultivated: launched less than CultivatedMonths months before the end of m and still growing
//     (sales of m at least those of the month before);
//  4. maintained: every other brand.
const (
	IntroducedMonths = 3
	CultivatedMonths = 12
	RetiredShare     = 0.2
)

// Stage is the life-cycle stage of b in month by the rule above.
func Stage(b BrandMonth, month time.Time) Lifecycle {
	end := month.AddDate(0, 1, 0)
	launch := b.FirstSale
	if b.NewProduct && !b.Launch.IsZero() {
		launch = b.Launch
	}
	s := b.Sales
	n := len(s)
	if !launch.IsZero() && launch.After(end.AddDate(0, -IntroducedMonths, 0)) {
		return Introduced
	}
	if n > 0 {
		best := 0.0
		for _, v := range s {
			best = math.Max(best, v)
		}
		last := s[n-1]
		falling := n >= 4 && s[n-1] < s[n-2] && s[n-2] < s[n-3] && s[n-3] < s[n-4]
		if best > 0 && (last == 0 || (last < RetiredShare*best && falling)) {
			return Retired
		}
	}
	if !launch.IsZero() && launch.After(end.AddDate(0, -CultivatedMonths, 0)) && (n < 2 || s[n-1] >= s[n-2]) {
		return Cultivated
	}
	return Maintained
}

// weeksIn is the number of weeks in month (days ÷ 7).
func weeksIn(month time.Time) float64 {
	return float64(month.AddDate(0, 1, 0).Sub(month).Hours()) / (24 * 7)
}

// Evaluate evaluates brands in month (its first day) and ranks them by score, best first (ties by
// code).
func Evaluate(month time.Time, brands []BrandMonth) []Evaluation {
	out := make([]Evaluation, len(brands))
	for i, b := range brands {
		e := Evaluation{BrandMonth: b, Month: month, Stage: Stage(b, month)}
		n := len(b.Sales)
		sales := 0.0
		if n > 0 {
			sales = b.Sales[n-1]
		}
		if n > 1 && b.Sales[n-2] > 0 {
			g := sales/b.Sales[n-2] - 1
			e.Growth = &g
		}
		if b.Active > 0 {
			e.ListingRate = float64(b.Buyers) / float64(b.Active)
		}
		if b.Stock != nil && sales > 0 {
			r := float64(*b.Stock) / (sales / weeksIn(month))
			e.StockToSales = &r
		}
		if b.Ordered > 0 {
			r := float64(b.Reordered) / float64(b.Ordered)
			e.SellThrough = &r
		}
		out[i] = e
	}
	score(out)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Brand < out[j].Brand
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// score sets each evaluation's Score: the mean, over growth, listing rate, sell-through and forecast
// accuracy where the brand has them, of its percentile among the brands that have it (the share of
// those brands it is above, ties counting half).
func score(es []Evaluation) {
	indicators := []func(e Evaluation) *float64{
		func(e Evaluation) *float64 { return e.Growth },
		func(e Evaluation) *float64 { r := e.ListingRate; return &r },
		func(e Evaluation) *float64 { return e.SellThrough },
		func(e Evaluation) *float64 { return e.Accuracy },
	}
	sums, counts := make([]float64, len(es)), make([]int, len(es))
	for _, ind := range indicators {
		var have []float64
		for _, e := range es {
			if v := ind(e); v != nil {
				have = append(have, *v)
			}
		}
		if len(have) < 2 {
			continue
		}
		for i, e := range es {
			v := ind(e)
			if v == nil {
				continue
			}
			above := 0.0
			for _, h := range have {
				switch {
				case *v > h:
					above++
				case *v == h:
					above += 0.5
				}
			}
			sums[i] += (above - 0.5) / float64(len(have)-1) // itself counts half: 0 for the lowest, 1 for the highest
			counts[i]++
		}
	}
	for i := range es {
		if counts[i] > 0 {
			es[i].Score = sums[i] / float64(counts[i])
		}
	}
}

// EvaluationHistory reads what evaluations rest on from the history store
// (ordering/clickhouse.Store): one BrandMonth per brand of brands known to it, Stock left nil.
type EvaluationHistory interface {
	BrandMonths(ctx context.Context, month time.Time, brands []string) ([]BrandMonth, error)
}

// StockHistory reads each brand's warehouse stock at a time, from its movements
// (ordering/postgres.Store); brands without a movement before it are absent.
type StockHistory interface {
	StockAt(ctx context.Context, at time.Time) (map[string]int, error)
}

// Evaluator evaluates brands month by month.
type Evaluator struct {
	History EvaluationHistory
	Stock   StockHistory
}

// Evaluate evaluates brands in month (any day of it), ranked.
func (v *Evaluator) Evaluate(ctx context.Context, month time.Time, brands []string) ([]Evaluation, error) {
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	bms, err := v.History.BrandMonths(ctx, month, brands)
	if err != nil {
		return nil, err
	}
	stock, err := v.Stock.StockAt(ctx, month.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	for i := range bms {
		if n, ok := stock[bms[i].Brand]; ok {
			bms[i].Stock = &n
		}
	}
	return Evaluate(month, bms), nil
}
