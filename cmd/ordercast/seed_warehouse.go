package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ordercast/ordercast/forecast/synth"
	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
	"github.com/ordercast/ordercast/retailer/indicators"
)

// The warehouse the seed leaves, so that the balance, the manufacturers' portal and the stock
// warnings show a distributor in its usual state: brands on sale in stock with their arrivals
// planned to meet demand, festivals included; scarce brands sold out, arriving as rationed.
const (
	seedPlanWeeks   = ordering.DefaultBalanceWeeks // weeks of planned arrivals, from the week under way
	seedDemandWeeks = 4                            // the last weeks of the history whose true demand the plan starts from
	seedStockWeeks  = 1.5                          // a brand on sale's stock, in weeks of its demand
	seedLowerWeeks  = 0.5                          // its lower stock limit
	seedUpperWeeks  = 3.0                          // its upper stock limit
	seedMargin      = 1.05
)

// seedWarehouse gathers what the warehouse plan starts from while the region is generated: each
// brand's true demand over the history's last weeks, and what it delivered in the last of them (a
// scarce brand's supply: its limits add up to more than the outlets take).
type seedWarehouse struct {
	from, to  time.Time          // the weeks of demand gathered
	last      time.Time          // the last of them
	demand    map[string]float64 // cartons over those weeks
	delivered map[string]float64 // cartons in the last week
}

func newSeedWarehouse(r *synth.Region) *seedWarehouse {
	n := min(seedDemandWeeks, r.Weeks)
	return &seedWarehouse{from: r.Week(r.Weeks - n), to: r.End(), last: r.Week(r.Weeks - 1),
		demand: map[string]float64{}, delivered: map[string]float64{}}
}

// add adds one outlet's true demand and deliveries.
func (s *seedWarehouse) add(h *synth.History) {
	for _, d := range h.Demand {
		if !d.Week.Before(s.from) && d.Week.Before(s.to) {
			s.demand[d.Brand] += d.Demand
		}
	}
	for _, l := range h.Sales {
		if !l.Day.Before(s.last) && l.Day.Before(s.to) {
			s.delivered[l.Brand] += l.Delivered
		}
	}
}

// brandSupply is one brand's input to the plan.
type brandSupply struct {
	Brand   string
	Scarce  bool
	Demand  float64   // average weekly true demand over the last weeks, cartons
	Supply  int       // scarce: cartons a week, as delivered in the last week
	Factors []float64 // per planned week: expected demand ÷ Demand
}

// warehousePlan is what the seed writes: each brand's stock, stock limits and planned arrivals on
// the Wednesday of each of weeks (today, if later in its week; none for a week over by today). A
// brand on sale holds seedStockWeeks of its demand and receives its expected demand with a margin;
// a scarce one holds nothing and receives what it delivered last.
func warehousePlan(brands []brandSupply, weeks []time.Time, today time.Time) (stock map[string]int,
	limits map[string]ordering.StockLimit, arrivals []ordering.ArrivalPlan) {
	stock, limits = map[string]int{}, map[string]ordering.StockLimit{}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	for _, b := range brands {
		lower, upper := int(math.Round(seedLowerWeeks*b.Demand)), int(math.Round(seedUpperWeeks*b.Demand))
		if b.Scarce {
			lower, upper = 0, int(math.Round(b.Demand))
		} else {
			stock[b.Brand] = int(math.Round(seedStockWeeks * b.Demand))
		}
		limits[b.Brand] = ordering.StockLimit{Lower: lower, Upper: max(lower, upper),
			Basis: fmt.Sprintf("seeded: %.1f and %.1f weeks of demand", seedLowerWeeks, seedUpperWeeks)}
		for i, monday := range weeks {
			on := monday.AddDate(0, 0, 2)
			if sunday := monday.AddDate(0, 0, 6); sunday.Before(day) {
				continue
			}
			if on.Before(day) {
				on = day
			}
			cartons := b.Supply
			if !b.Scarce {
				cartons = int(math.Ceil(b.Demand * b.Factors[i] * seedMargin))
			}
			if cartons > 0 {
				arrivals = append(arrivals, ordering.ArrivalPlan{Brand: b.Brand, ArrivesOn: on, Cartons: cartons, Cadence: ordering.Weekly})
			}
		}
	}
	return stock, limits, arrivals
}

// write plans the warehouse of region as of now and writes it: stock as a stock count, the limits,
// the arrivals in batches.
func (s *seedWarehouse) write(ctx context.Context, store *orderingpg.Store, r *synth.Region, now time.Time) (int, error) {
	n := min(seedDemandWeeks, r.Weeks)
	weeks := make([]time.Time, seedPlanWeeks)
	for i := range weeks {
		weeks[i] = r.Week(r.Weeks + i)
	}
	brands := make([]brandSupply, len(r.Brands))
	for b, br := range r.Brands {
		brands[b] = brandSupply{Brand: br.Code, Scarce: br.Scarce, Demand: s.demand[br.Code] / float64(n),
			Supply: int(math.Round(s.delivered[br.Code])), Factors: make([]float64, len(weeks))}
		for i, w := range weeks {
			f, err := r.PlanFactor(b, w, n)
			if err != nil {
				return 0, err
			}
			brands[b].Factors[i] = f
		}
	}
	stock, limits, arrivals := warehousePlan(brands, weeks, now)
	for _, b := range brands {
		if err := store.SetStockLimit(ctx, b.Brand, limits[b.Brand], 0, now); err != nil {
			return 0, fmt.Errorf("stock limits of %s: %w", b.Brand, err)
		}
		if c := stock[b.Brand]; c > 0 {
			m := ordering.Movement{Brand: b.Brand, Kind: ordering.Adjustment, Cartons: c, Reason: "opening stock count (seed)"}
			if _, err := store.RecordMovement(ctx, m, 0, now); err != nil {
				return 0, fmt.Errorf("stock of %s: %w", b.Brand, err)
			}
		}
	}
	for start := 0; start < len(arrivals); start += ordering.MaxArrivalLines {
		batch := arrivals[start:min(len(arrivals), start+ordering.MaxArrivalLines)]
		key := func(i int) string { return fmt.Sprintf("seed arrival %d", start+i) }
		if _, err := store.SubmitArrivals(ctx, 0, batch, "seed", 0, now, key); err != nil {
			return 0, fmt.Errorf("arrival plans: %w", err)
		}
	}
	return len(arrivals), nil
}

// seedTargets are the company's targets the seed sets, so that the managers' bulletin shows each
// figure against one, with its gap: what a distributor of this kind would hold its account managers
// to. A planner changes them on the targets page (PUT /api/v1/indicators/targets).
func seedTargets() []indicators.Target {
	t := func(ind indicators.Indicator, v float64) indicators.Target {
		return indicators.Target{Indicator: ind, Scope: indicators.AtCompany, Value: v, SetBy: "seed"}
	}
	return []indicators.Target{
		t(indicators.OrderSuccess, 0.90), t(indicators.FailedOrders, 0.02), t(indicators.EmptyOrders, 0.05),
		t(indicators.UploadRate, 0.95), t(indicators.ScarceCoverage, 0.80), t(indicators.NewProductShelf, 0.05),
		t(indicators.SellThrough, 0.40), t(indicators.StockOut, 0.02), t(indicators.StockToSales, 1.5),
		t(indicators.ForecastAccuracy, 0.75), t(indicators.Satisfaction, 85),
	}
}
