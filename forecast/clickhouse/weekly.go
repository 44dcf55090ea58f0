package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// WeekFigures returns, week by week from q.From to q.To, the run's forecast of the company's total
// (or of q.Brand) with its 80% interval beside the week's actual: the sum of the delivered
// (AgainstSales) or requested (AgainstRequested) quantities of the sales dated in the week, or its
// true demand (AgainstTruth). Every week of the span is listed, in order. It returns an error
// wrapping forecast.ErrNoFigures when no week has a forecast or an actual.
func (s *Store) WeekFigures(ctx context.Context, q forecast.WeeklyQuery) ([]forecast.WeekFigure, error) {
	if q.Dataset == "" {
		q.Dataset = forecast.LiveDataset
	}
	if q.Against == "" {
		q.Against = forecast.AgainstSales
	}
	out, err := s.weekFigures(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: weekly forecast against actual of run %s: %w", q.RunID, err)
	}
	return out, nil
}

func (s *Store) weekFigures(ctx context.Context, q forecast.WeeklyQuery) ([]forecast.WeekFigure, error) {
	from, to := dateString(q.From), dateString(q.To)
	var out []forecast.WeekFigure
	index := map[string]int{}
	for w := q.From; w.Before(q.To); w = w.AddDate(0, 0, 7) {
		index[w.Format(time.DateOnly)] = len(out)
		out = append(out, forecast.WeekFigure{Week: w})
	}
	level, brand := string(forecast.TotalLevel), ""
	if q.Brand != "" {
		level, brand = string(forecast.BrandLevel), q.Brand
	}
	found := false
	rows, err := s.conn.Query(ctx, "SELECT toString(week), point, lo80, hi80 FROM forecasts "+
		"WHERE run_id = ? AND level = ? AND brand = ? AND week >= toDate(?) AND week < toDate(?)", q.RunID, level, brand, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var week string
		var f forecast.WeekFigure
		if err := rows.Scan(&week, &f.Forecast, &f.Lo80, &f.Hi80); err != nil {
			return nil, err
		}
		if i, ok := index[week]; ok {
			out[i].Forecasted, out[i].Forecast, out[i].Lo80, out[i].Hi80 = true, f.Forecast, f.Lo80, f.Hi80
			found = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	actuals, err := s.weekActuals(ctx, q.Dataset, q.Against, q.From, q.To)
	if err != nil {
		return nil, err
	}
	for i := range out {
		for brand, a := range actuals[out[i].Week] {
			if q.Brand == "" || brand == q.Brand {
				out[i].Actual += a.sum
				found = found || a.lines > 0
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: brand %q from %s to %s", forecast.ErrNoFigures, q.Brand, from, to)
	}
	return out, nil
}
