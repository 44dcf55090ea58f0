package ordering

import (
	"fmt"
	"math"
	"time"
)

// The supply–demand balance (供需平衡) of a brand, week by week: what the warehouse holds, what the
// manufacturer plans to bring, what the outlets will ask for, and what is left.

// WeekDemand is what one week of the balance starts from.
type WeekDemand struct {
	Week time.Time // Monday
	// Forecast is the brand's forecast demand of the week (cartons) from the latest forecast run, with
	// its 80% interval; HasForecast is false when no run covers the week.
	Forecast, Lo80, Hi80 float64
	HasForecast          bool
	Requested            int // what the week's cycle's live orders requested so far
	Delivered            int // what of the week's cycle is delivered already: it left the stock
	Arrivals             int // planned arrivals of the week still to come
}

// BalanceInput is everything Balance needs of one brand.
type BalanceInput struct {
	Brand string
	Name  string       // the brand's, carried to Balance
	Stock int          // current warehouse stock, Σ movements
	Weeks []WeekDemand // consecutive weeks from the current one
	// WeeklySales is the average weekly delivered quantity over the last SalesWindowWeeks weeks: the
	// denominator of the stock-to-sales ratio.
	WeeklySales float64
	Limits      *StockLimit // nil: none set
}

// SalesWindowWeeks is the window of average weekly sales in stock-to-sales ratios (存销比).
const SalesWindowWeeks = 4

// Stock warnings of a week of the balance.
const (
	WarnShortfall  = "shortfall"   // demand above what the week has
	WarnBelowLower = "below_lower" // projected stock below the lower limit
	WarnAboveUpper = "above_upper" // projected stock above the upper limit
	WarnRisk       = "risk"        // the high end of the forecast interval would not be covered
)

// BalanceWeek is one week of a brand's balance.
type BalanceWeek struct {
	WeekDemand
	// Demand is what the week still takes from stock: the larger of the forecast and what was
	// requested so far, less what was delivered already (never below 0). DemandHigh uses the high end
	// of the forecast interval instead. A week after the forecast run's takes the run rate for its
	// forecast, the average of the brand's forecast weeks: a balance longer than the run would
	// otherwise pile up stock and warn of a surplus that is not there. Without any forecast week,
	// only what was requested counts.
	Demand, DemandHigh float64
	Opening            float64 // the stock the week starts from (the previous week's projection)
	Available          float64 // opening (not below 0) + arrivals: the supply of the week
	Projected          float64 // stock at the end of the week: available − demand, not below 0
	Shortfall          float64 // demand the week's supply cannot meet
	Surplus            float64 // projected stock above the upper limit
	// DaysOfCover is how many days the projected stock lasts at the horizon's average daily demand;
	// nil when there is no demand.
	DaysOfCover *float64
	// StockToSales is the projected stock ÷ average weekly sales (weeks); nil without sales.
	StockToSales *float64
	Warnings     []string
}

// ScarceProposal proposes a brand as scarce for a cycle: its week's demand is above its supply, and
// Supply is what can be allocated (whole cartons).
type ScarceProposal struct {
	Week      time.Time
	Supply    int
	Demand    float64
	Shortfall float64
}

// Balance is a brand's supply–demand balance.
type Balance struct {
	Brand        string
	Name         string
	Stock        int
	WeeklySales  float64
	StockToSales *float64 // current stock ÷ weekly sales; nil without sales
	Limits       *StockLimit
	Weeks        []BalanceWeek
	Proposal     *ScarceProposal // the first week with a shortfall; nil when supply meets demand
}

// Shortfall reports whether any week falls short.
func (b Balance) Shortfall() bool { return b.Proposal != nil }

// ComputeBalance projects a brand's stock week by week: each week starts from the previous week's
// projected stock (the first from the current stock), adds its planned arrivals and takes its demand.
// A week whose demand is above its supply has a shortfall, and the first such week is proposed as a
// cycle where the brand is scarce, with the week's supply to allocate. Stock never projects below 0:
// demand that cannot be met is a shortfall, not negative stock.
func ComputeBalance(in BalanceInput) Balance {
	b := Balance{Brand: in.Brand, Name: in.Name, Stock: in.Stock, WeeklySales: in.WeeklySales, Limits: in.Limits,
		StockToSales: ratio(float64(in.Stock), in.WeeklySales)}
	weeks := make([]BalanceWeek, len(in.Weeks))
	rate, rateHigh := runRate(in)
	total := 0.0
	for i, w := range in.Weeks {
		weeks[i].WeekDemand = w
		point, high := w.Forecast, w.Hi80
		if !w.HasForecast {
			point, high = rate, rateHigh
		}
		weeks[i].Demand = weekDemand(point, w)
		weeks[i].DemandHigh = weekDemand(high, w)
		total += weeks[i].Demand
	}
	daily := 0.0
	if len(weeks) > 0 {
		daily = total / float64(7*len(weeks))
	}
	opening := float64(in.Stock)
	for i := range weeks {
		w := &weeks[i]
		w.Opening = opening
		w.Available = math.Max(0, opening) + float64(w.Arrivals)
		w.Projected = math.Max(0, w.Available-w.Demand)
		w.Shortfall = math.Max(0, w.Demand-w.Available)
		if daily > 0 {
			d := w.Projected / daily
			w.DaysOfCover = &d
		}
		w.StockToSales = ratio(w.Projected, in.WeeklySales)
		w.Warnings = []string{}
		if w.Shortfall > 0 {
			w.Warnings = append(w.Warnings, WarnShortfall)
			if b.Proposal == nil {
				b.Proposal = &ScarceProposal{Week: w.Week, Supply: int(math.Floor(w.Available + 1e-9)),
					Demand: w.Demand, Shortfall: w.Shortfall}
			}
		} else if w.DemandHigh > w.Available {
			w.Warnings = append(w.Warnings, WarnRisk)
		}
		if l := in.Limits; l != nil {
			if w.Projected < float64(l.Lower) {
				w.Warnings = append(w.Warnings, WarnBelowLower)
			}
			if w.Projected > float64(l.Upper) {
				w.Surplus = w.Projected - float64(l.Upper)
				w.Warnings = append(w.Warnings, WarnAboveUpper)
			}
		}
		opening = w.Projected
	}
	b.Weeks = weeks
	return b
}

// runRate is the weekly demand, and its high end, of a week no forecast covers: the average of the
// weeks a forecast covers, 0 when none is.
func runRate(in BalanceInput) (point, high float64) {
	n := 0
	for _, w := range in.Weeks {
		if w.HasForecast {
			n++
			point += w.Forecast
			high += w.Hi80
		}
	}
	if n == 0 {
		return 0, 0
	}
	return point / float64(n), high / float64(n)
}

// weekDemand is max(forecast, requested) − delivered, not below 0.
func weekDemand(forecast float64, w WeekDemand) float64 {
	return math.Max(0, math.Max(forecast, float64(w.Requested))-float64(w.Delivered))
}

func ratio(stock, weeklySales float64) *float64 {
	if weeklySales <= 0 {
		return nil
	}
	r := stock / weeklySales
	return &r
}

// Stock-limit proposal: the lower limit covers one week of demand plus a safety stock of the forecast
// interval's upper half-width; the upper limit covers UpperLimitWeeks weeks of demand. Weekly demand is
// the larger of the average forecast and the average weekly sales.
const (
	LowerLimitWeeks = 1
	UpperLimitWeeks = 4
)

// ProposeStockLimit proposes a brand's stock limits from its average weekly sales over the last
// SalesWindowWeeks weeks and its forecast weeks (those with HasForecast), by the rule of
// LowerLimitWeeks and UpperLimitWeeks. It returns nil when there is neither sales nor forecast.
func ProposeStockLimit(weeklySales float64, weeks []WeekDemand) *StockLimit {
	n, point, spread := 0, 0.0, 0.0
	for _, w := range weeks {
		if w.HasForecast {
			n++
			point += w.Forecast
			spread += math.Max(0, w.Hi80-w.Forecast)
		}
	}
	base := weeklySales
	if n > 0 {
		point, spread = point/float64(n), spread/float64(n)
		base = math.Max(base, point)
	}
	if base <= 0 {
		return nil
	}
	lower := int(math.Ceil(LowerLimitWeeks*base + spread - 1e-9))
	upper := max(lower, int(math.Ceil(UpperLimitWeeks*base-1e-9)))
	return &StockLimit{Lower: lower, Upper: upper, Basis: fmt.Sprintf(
		"proposed: weekly demand %.1f (larger of forecast %.1f over %d weeks and sales %.1f over %d weeks); "+
			"lower = %d week + safety %.1f, upper = %d weeks", base, point, n, weeklySales, SalesWindowWeeks,
		LowerLimitWeeks, spread, UpperLimitWeeks)}
}
