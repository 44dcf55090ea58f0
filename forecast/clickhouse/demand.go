package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
)

// OutletDemand is an outlet's demand per brand (cartons) in the week starting week, for suggested
// quantities, and what it rests on: the forecast of the latest run covering the week when there is
// one with the outlet in it (its point and the upper bound of its 80% interval, the safety stock),
// else the average weekly demand of the recent weeks before now (no interval).
func (s *Store) OutletDemand(ctx context.Context, outlet string, week, now time.Time) (map[string]ordering.Demand, string, error) {
	demand, run, err := s.OutletForecast(ctx, outlet, week)
	switch {
	case err == nil && len(demand) > 0:
		return demand, "forecast " + run, nil
	case err != nil && !errors.Is(err, forecast.ErrNoRun):
		return nil, "", err
	}
	recent, err := s.RecentWeeklyDemand(ctx, outlet, now)
	if err != nil {
		return nil, "", err
	}
	demand = make(map[string]ordering.Demand, len(recent))
	for b, v := range recent {
		demand[b] = ordering.Demand{Expected: v}
	}
	return demand, fmt.Sprintf("average of the last %d weeks", RecentWeeks), nil
}
