package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// OutletDemand is an outlet's expected demand per brand (cartons) in the week starting week, for
// suggested quantities, and what it rests on: the forecast of the latest run covering the week when
// there is one with the outlet in it, else the average weekly demand of the recent weeks before now.
func (s *Store) OutletDemand(ctx context.Context, outlet string, week, now time.Time) (map[string]float64, string, error) {
	demand, run, err := s.OutletForecast(ctx, outlet, week)
	switch {
	case err == nil && len(demand) > 0:
		return demand, "forecast " + run, nil
	case err != nil && !errors.Is(err, forecast.ErrNoRun):
		return nil, "", err
	}
	demand, err = s.RecentWeeklyDemand(ctx, outlet, now)
	if err != nil {
		return nil, "", err
	}
	return demand, fmt.Sprintf("average of the last %d weeks", RecentWeeks), nil
}
