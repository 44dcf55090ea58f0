package main

import (
	"context"
	"time"

	"github.com/ordercast/ordercast/ordering"
	orderingpg "github.com/ordercast/ordercast/ordering/postgres"
)

// keptCycles is the ordering store with its cycle views kept computed (ordering.CycleCache): the
// API's GET /cycles/{week}?max_age=N, which the planner's cycle and allocation pages ask for, serves a
// view at most N seconds old, and this process's own publications (a supply plan, an allocation)
// drop the kept views so that they show at once. Without max_age the view is computed.
type keptCycles struct {
	*orderingpg.Store
	views *ordering.CycleCache
}

func newKeptCycles(store *orderingpg.Store) keptCycles {
	return keptCycles{Store: store, views: &ordering.CycleCache{Source: store, Now: time.Now}}
}

// Cycle computes the view of the cycle of weekStart (and keeps it).
func (k keptCycles) Cycle(ctx context.Context, weekStart time.Time) (ordering.CycleView, error) {
	return k.views.Cycle(ctx, weekStart)
}

// KeptCycle serves the view of the cycle of weekStart kept at most maxAge, else computes it.
func (k keptCycles) KeptCycle(ctx context.Context, weekStart time.Time, maxAge time.Duration) (ordering.CycleView, error) {
	return k.views.Kept(ctx, weekStart, maxAge)
}

// PublishSupply publishes and drops the kept views.
func (k keptCycles) PublishSupply(ctx context.Context, cycleID, userID int64, ifVersion int, plan []ordering.SupplyLine,
	limits []ordering.OutletLimit, source string, now time.Time) error {
	defer k.views.Forget()
	return k.Store.PublishSupply(ctx, cycleID, userID, ifVersion, plan, limits, source, now)
}

// PublishAllocation publishes and drops the kept views.
func (k keptCycles) PublishAllocation(ctx context.Context, week time.Time, line ordering.SupplyLine, mode, allocationID string,
	basedOn time.Time, limits []ordering.OutletLimit, userID int64, now time.Time) error {
	defer k.views.Forget()
	return k.Store.PublishAllocation(ctx, week, line, mode, allocationID, basedOn, limits, userID, now)
}
