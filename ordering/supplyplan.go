package ordering

import (
	"context"
	"fmt"
	"time"
)

// BalanceQuery selects the balances to compute.
type BalanceQuery struct {
	Brand        string // one brand's code; "" for every brand
	Manufacturer int64  // only this manufacturer's brands (a manufacturer's own view, by id); 0 for all
	From         time.Time
	Weeks        int // how many weeks from From's week, 1 … MaxBalanceWeeks
}

// MaxBalanceWeeks bounds a balance's horizon.
const MaxBalanceWeeks = 26

// DefaultBalanceWeeks is the horizon of a balance that names none: the weeks a planner plans
// arrivals for. A forecast that the balance reads should cover them, from the week under way.
const DefaultBalanceWeeks = 8

// BalanceFacts reads what the system of record knows for balances (ordering/postgres.Store): per
// brand of q (sorted by code) its current stock, its stock limits, and for each of q.Weeks weeks from
// the Monday of q.From the outstanding planned arrivals (the first week also takes overdue ones), the
// quantities the week's cycle requested and delivered so far. Forecasts are left zero. A brand that
// does not exist, or is not q.Manufacturer's, is ErrNotFound.
type BalanceFacts interface {
	BalanceFacts(ctx context.Context, q BalanceQuery) ([]BalanceInput, error)
}

// BrandForecast is one week of a brand's forecast.
type BrandForecast struct {
	Week              time.Time
	Point, Lo80, Hi80 float64
}

// DemandHistory reads brand-level forecasts and sales (ordering/clickhouse.Store).
// BrandForecasts returns, for the latest forecast run of the live data, the weeks of [from, to) of
// each brand named, and the run's id ("" and no error when there is no run). WeeklySales returns
// each brand's average weekly delivered cartons over the SalesWindowWeeks weeks before the week of
// now.
type DemandHistory interface {
	BrandForecasts(ctx context.Context, brands []string, from, to time.Time) (map[string][]BrandForecast, string, error)
	WeeklySales(ctx context.Context, brands []string, now time.Time) (map[string]float64, error)
}

// Balancer computes supply–demand balances from the system of record and the history store.
type Balancer struct {
	Facts   BalanceFacts
	History DemandHistory
}

// Balances is the result of Balancer.Balances.
type Balances struct {
	From        time.Time
	Weeks       int
	ForecastRun string // "" when no forecast run was found: demand is what was requested
	Brands      []Balance
}

// Balances computes q's balances as of now. q.From zero means now.
func (b *Balancer) Balances(ctx context.Context, q BalanceQuery, now time.Time) (Balances, error) {
	if q.From.IsZero() {
		q.From = now
	}
	q.From = mondayOf(q.From)
	if q.Weeks < 1 || q.Weeks > MaxBalanceWeeks {
		return Balances{}, &ValidationError{Fields: map[string]string{"weeks": fmt.Sprintf("want 1 to %d", MaxBalanceWeeks)}}
	}
	inputs, err := b.Facts.BalanceFacts(ctx, q)
	if err != nil {
		return Balances{}, err
	}
	out := Balances{From: q.From, Weeks: q.Weeks, Brands: make([]Balance, 0, len(inputs))}
	if len(inputs) == 0 {
		return out, nil
	}
	codes := make([]string, len(inputs))
	for i, in := range inputs {
		codes[i] = in.Brand
	}
	forecasts, run, err := b.History.BrandForecasts(ctx, codes, q.From, q.From.AddDate(0, 0, 7*q.Weeks))
	if err != nil {
		return Balances{}, fmt.Errorf("brand forecasts: %w", err)
	}
	sales, err := b.History.WeeklySales(ctx, codes, now)
	if err != nil {
		return Balances{}, fmt.Errorf("weekly sales: %w", err)
	}
	out.ForecastRun = run
	for _, in := range inputs {
		byWeek := map[string]BrandForecast{}
		for _, f := range forecasts[in.Brand] {
			byWeek[f.Week.Format(time.DateOnly)] = f
		}
		for i := range in.Weeks {
			if f, ok := byWeek[in.Weeks[i].Week.Format(time.DateOnly)]; ok {
				in.Weeks[i].Forecast, in.Weeks[i].Lo80, in.Weeks[i].Hi80, in.Weeks[i].HasForecast = f.Point, f.Lo80, f.Hi80, true
			}
		}
		in.WeeklySales = sales[in.Brand]
		out.Brands = append(out.Brands, ComputeBalance(in))
	}
	return out, nil
}

// ProposedLimits proposes stock limits for q's brands from their sales and forecasts
// (ProposeStockLimit); brands with neither are left out.
func (b *Balancer) ProposedLimits(ctx context.Context, q BalanceQuery, now time.Time) (map[string]StockLimit, error) {
	bs, err := b.Balances(ctx, q, now)
	if err != nil {
		return nil, err
	}
	out := map[string]StockLimit{}
	for _, bal := range bs.Brands {
		weeks := make([]WeekDemand, len(bal.Weeks))
		for i, w := range bal.Weeks {
			weeks[i] = w.WeekDemand
		}
		if l := ProposeStockLimit(bal.WeeklySales, weeks); l != nil {
			out[bal.Brand] = *l
		}
	}
	return out, nil
}

// mondayOf is the Monday of t's week, at midnight UTC of t's calendar day.
func mondayOf(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}
