package ordering

import (
	"context"
	"time"
)

// What a manufacturer's portal shows of its brands beside the balance, stock and warnings: sales by
// area or outlet format, and how the supply of its scarce brands reached the outlets.

// SalesGrouping is the dimension sales are broken down by.
type SalesGrouping string

// Groupings of sales.
const (
	ByArea   SalesGrouping = "area"
	ByFormat SalesGrouping = "format" // the outlet's business format (业态)
)

// SalesRow is a brand's sales in one week and one area or outlet format (cartons).
type SalesRow struct {
	Week      time.Time
	Brand     string
	Group     string
	Delivered float64
	Requested float64
	Outlets   int // outlets that bought the brand
}

// SupplyOutcome is how a rationed brand's supply of one cycle reached the outlets.
type SupplyOutcome struct {
	Week time.Time
	SupplyState
}

// RationedSupply reads which brands were rationed in which cycles (ordering/postgres.Store): the
// published supplies of the weeks [from, to) of manufacturer's brands (every brand when 0), by week
// and brand code, with their supply line and publication only (no figures).
type RationedSupply interface {
	RationedSupply(ctx context.Context, manufacturer int64, from, to time.Time) ([]SupplyOutcome, error)
}

// KeptCycles serves cycle views kept at most maxAge old, else computed (a CycleCache).
type KeptCycles interface {
	KeptCycle(ctx context.Context, weekStart time.Time, maxAge time.Duration) (CycleView, error)
}

// KeptOutcomes answers how rationed brands' supply reached the outlets (the manufacturer portal) from
// the cycles' views, kept at most MaxAge (up to MaxCycleAge), instead of summing every limit and
// order line of all the cycles on each request (seconds over 100,000 outlets). A view has the same
// figures for each brand as the outcome: limits, requested and granted cartons, eligible and covered
// outlets. Its methods are safe for concurrent use when its stores are.
type KeptOutcomes struct {
	Plans  RationedSupply
	Cycles KeptCycles
	MaxAge time.Duration
}

// SupplyOutcomes returns, for the cycles of the weeks [from, to), every rationed brand of
// manufacturer (all when 0) with its figures, by week and brand code.
func (k *KeptOutcomes) SupplyOutcomes(ctx context.Context, manufacturer int64, from, to time.Time) ([]SupplyOutcome, error) {
	plans, err := k.Plans.RationedSupply(ctx, manufacturer, from, to)
	if err != nil {
		return nil, err
	}
	views := map[time.Time]map[string]SupplyState{}
	stateOf := func(week time.Time, brand string, maxAge time.Duration) (SupplyState, bool, error) {
		if _, ok := views[week]; !ok || maxAge == 0 {
			v, err := k.Cycles.KeptCycle(ctx, week, maxAge)
			if err != nil {
				return SupplyState{}, false, err
			}
			views[week] = map[string]SupplyState{}
			for _, s := range v.Supply {
				views[week][s.Brand] = s
			}
		}
		s, ok := views[week][brand]
		return s, ok && s.SupplyCartons != nil, nil
	}
	out := make([]SupplyOutcome, 0, len(plans))
	for _, p := range plans {
		s, ok, err := stateOf(p.Week, p.Brand, k.MaxAge)
		if err == nil && !ok { // published since the view was kept
			s, ok, err = stateOf(p.Week, p.Brand, 0)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, SupplyOutcome{Week: p.Week, SupplyState: s})
		}
	}
	return out, nil
}
