package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
)

// The scorer's view of the store.
var (
	_ forecast.ScoreSource     = (*Store)(nil)
	_ forecast.OutletDirectory = (*Store)(nil)
	_ forecast.ScoreWriter     = (*Store)(nil)
)

// CoveringRun returns the latest complete forecast run of dataset whose weeks cover the month that
// starts on month (forecast.RunInfo.Covers), or an error wrapping forecast.ErrNoRun.
func (s *Store) CoveringRun(ctx context.Context, dataset string, month time.Time) (forecast.RunInfo, error) {
	from := monthStart(month)
	fr, err := s.oneRun(ctx, "WHERE dataset = ? AND as_of <= toDate(?) AND addWeeks(as_of, horizon) >= toDate(?)",
		dataset, dateString(from), dateString(from.AddDate(0, 1, 0)))
	if err != nil {
		return forecast.RunInfo{}, fmt.Errorf("clickhouse: forecast run of %s covering %s: %w", dataset, from.Format("2006-01"), err)
	}
	return fr, nil
}

// MonthForecasts returns the outlet × brand forecasts of the month starting on month that run
// stored in forecasts_monthly.
func (s *Store) MonthForecasts(ctx context.Context, runID string, month time.Time) ([]forecast.ScoreItem, error) {
	rows, err := s.conn.Query(ctx, "SELECT outlet, brand, point FROM forecasts_monthly "+
		"WHERE run_id = ? AND level = 'outlet' AND month = toDate(?)", runID, dateString(monthStart(month)))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read monthly forecasts of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []forecast.ScoreItem
	for rows.Next() {
		var it forecast.ScoreItem
		if err := rows.Scan(&it.Outlet, &it.Brand, &it.Forecast); err != nil {
			return nil, fmt.Errorf("clickhouse: read monthly forecasts of run %s: %w", runID, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read monthly forecasts of run %s: %w", runID, err)
	}
	return out, nil
}

// MonthActuals returns the month's actual outlet × brand quantities of dataset, items whose actual
// is 0 left out:
//
//   - AgainstSales: the delivered quantities of sales. Rows of the live dataset and of daily imports
//     count in the month of their day (a live line is dated on its order day); rows of weekly imports
//     are dated on their Monday and stand for the whole week, so they are split across months by
//     days, as forecasts are (forecast.SplitMonths).
//   - AgainstRequested: the requested quantities of the same lines, counted the same way: what
//     retailers asked for, limits and failed deductions not deducted.
//   - AgainstTruth: the weekly true demand (true_demand), split across months by days.
//
// It returns an error wrapping ErrUnknownDataset when the dataset has no history, or, against the
// truth, no true demand in the month.
func (s *Store) MonthActuals(ctx context.Context, dataset string, month time.Time, against forecast.Against) ([]forecast.ScoreItem, error) {
	out, err := s.monthActuals(ctx, dataset, monthStart(month), against)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read actuals of %s in %s: %w", dataset, monthStart(month).Format("2006-01"), err)
	}
	return out, nil
}

func (s *Store) monthActuals(ctx context.Context, dataset string, from time.Time, against forecast.Against) ([]forecast.ScoreItem, error) {
	to := from.AddDate(0, 1, 0)
	// weeks that start up to 6 days before the month reach into it
	weekLo := from.AddDate(0, 0, -7)
	switch against {
	case forecast.AgainstTruth:
		out, err := s.scoreItems(ctx, "SELECT outlet, brand, toString(week) AS w, sum(demand) FROM true_demand "+
			"WHERE dataset = ? AND week > toDate(?) AND week < toDate(?) GROUP BY outlet, brand, w", true, from, to,
			dataset, dateString(weekLo), dateString(to))
		if err == nil && len(out) == 0 {
			err = fmt.Errorf("%w: %q has no true demand in the month (only seeded data has)", ErrUnknownDataset, dataset)
		}
		return out, err
	case forecast.AgainstSales, forecast.AgainstRequested:
		column := "delivered"
		if against == forecast.AgainstRequested {
			column = "requested"
		}
		var out []forecast.ScoreItem
		err := s.readImport(ctx, dataset, func(sc salesScope) error {
			if _, err := s.datasetInfo(ctx, sc); err != nil {
				return err
			}
			where, args := sc.where()
			var err error
			if dataset != forecast.LiveDataset && sc.period == PeriodWeek {
				out, err = s.scoreItems(ctx, "SELECT outlet, brand, toString(toMonday(day)) AS w, sum("+column+") FROM sales "+
					"WHERE "+where+" AND day > toDate(?) AND day < toDate(?) GROUP BY outlet, brand, w", true, from, to,
					append(args, dateString(weekLo), dateString(to))...)
			} else {
				out, err = s.scoreItems(ctx, "SELECT outlet, brand, '', sum("+column+") FROM sales "+
					"WHERE "+where+" AND day >= toDate(?) AND day < toDate(?) GROUP BY outlet, brand", false, from, to,
					append(args, dateString(from), dateString(to))...)
			}
			return err
		})
		return out, err
	default:
		return nil, fmt.Errorf("%w: against %q", forecast.ErrInvalidScore, against)
	}
}

// scoreItems runs query, which returns (outlet, brand, week, quantity) rows, and sums the
// quantities of [from, to) by outlet and brand, items of sum 0 left out. A weekly query's rows
// (week a Monday) are split across months by days.
func (s *Store) scoreItems(ctx context.Context, query string, weekly bool, from, to time.Time, args ...any) ([]forecast.ScoreItem, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type itemKey struct{ outlet, brand string }
	index := make(map[itemKey]int)
	var out []forecast.ScoreItem
	shares := make(map[string]float64) // week → share of its days in the month
	for rows.Next() {
		var outlet, brand, week string
		var qty float64
		if err := rows.Scan(&outlet, &brand, &week, &qty); err != nil {
			return nil, err
		}
		if weekly {
			share, ok := shares[week]
			if !ok {
				w, err := time.Parse(time.DateOnly, week)
				if err != nil {
					return nil, fmt.Errorf("week %q: %w", week, err)
				}
				share = daysIn(w, from, to) / 7
				shares[week] = share
			}
			qty *= share
		}
		if qty == 0 {
			continue
		}
		k := itemKey{outlet, brand}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, forecast.ScoreItem{Outlet: outlet, Brand: brand})
		}
		out[i].Actual += qty
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// daysIn returns how many of the 7 days from monday fall in [from, to).
func daysIn(monday, from, to time.Time) float64 {
	n := 0
	for d := range 7 {
		day := monday.AddDate(0, 0, d)
		if !day.Before(from) && day.Before(to) {
			n++
		}
	}
	return float64(n)
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// OutletInfos returns the outlets of dataset in outlets_dim, each with the manager and area of its
// latest version.
func (s *Store) OutletInfos(ctx context.Context, dataset string) ([]forecast.OutletInfo, error) {
	rows, err := s.conn.Query(ctx, "SELECT outlet, argMax(manager, version), argMax(area, version) FROM outlets_dim "+
		"WHERE dataset = ? GROUP BY outlet ORDER BY outlet", dataset)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read outlets of %s: %w", dataset, err)
	}
	defer rows.Close()
	var out []forecast.OutletInfo
	for rows.Next() {
		var o forecast.OutletInfo
		if err := rows.Scan(&o.Outlet, &o.Manager, &o.Area); err != nil {
			return nil, fmt.Errorf("clickhouse: read outlets of %s: %w", dataset, err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read outlets of %s: %w", dataset, err)
	}
	return out, nil
}

// WriteScores stores a scoring in accuracy_scores. Every row of one scoring carries the same
// scored_at, later than that of any earlier scoring of the same month, dataset and against (a second
// after it when set.ScoredAt is not), so that readers take the latest scoring as a whole: rows of
// keys scored before and not now are no longer read, and the ReplacingMergeTree drops the rows a
// later scoring replaced when it merges. NaN WAPE and bias (no actual) are stored as NaN.
func (s *Store) WriteScores(ctx context.Context, set forecast.ScoreSet) error {
	month := monthStart(set.Month)
	var last time.Time
	err := s.conn.QueryRow(ctx, "SELECT max(scored_at) FROM accuracy_scores WHERE month = toDate(?) AND dataset = ? AND against = ?",
		dateString(month), set.Dataset, string(set.Against)).Scan(&last)
	if err != nil {
		return fmt.Errorf("clickhouse: write accuracy scores: %w", err)
	}
	at := set.ScoredAt.UTC().Truncate(time.Second)
	if !at.After(last) {
		at = last.Add(time.Second)
	}
	n := len(set.Scores)
	if n == 0 {
		return nil
	}
	c := struct {
		month, at                                []time.Time
		dataset, against, level, key, runID      []string
		actual, fc, absErr, accuracy, wape, bias []float64
	}{}
	for _, sc := range set.Scores {
		c.month = append(c.month, month)
		c.at = append(c.at, at)
		c.dataset = append(c.dataset, set.Dataset)
		c.against = append(c.against, string(set.Against))
		c.level = append(c.level, string(sc.Level))
		c.key = append(c.key, sc.Key)
		c.runID = append(c.runID, set.RunID)
		c.actual = append(c.actual, sc.Actual)
		c.fc = append(c.fc, sc.Forecast)
		c.absErr = append(c.absErr, sc.AbsError)
		c.accuracy = append(c.accuracy, sc.Accuracy)
		c.wape = append(c.wape, sc.WAPE)
		c.bias = append(c.bias, sc.Bias)
	}
	err = stores.InsertColumns(ctx, s.conn, "INSERT INTO accuracy_scores (month, dataset, against, level, key, run_id, "+
		"actual, forecast, abs_error, accuracy, wape, bias, scored_at)",
		c.month, c.dataset, c.against, c.level, c.key, c.runID, c.actual, c.fc, c.absErr, c.accuracy, c.wape, c.bias, c.at)
	if err != nil {
		return fmt.Errorf("clickhouse: write accuracy scores: %w", err)
	}
	return nil
}

// Scores returns the latest scoring of a month at one level, scores sorted by key: what a planner's
// or a manager's screen shows (a manager's outlets by Keys). WAPE and Bias are NaN where the key had
// no actual: encode them as null. It returns an error wrapping forecast.ErrNoScores when the month was never
// scored for the dataset and against. A store that keeps scores (KeepScores) answers a read without
// keys from the level it kept while that is still the month's latest scoring.
func (s *Store) Scores(ctx context.Context, q forecast.ScoreQuery) (forecast.ScoreSet, error) {
	if q.Dataset == "" {
		q.Dataset = forecast.LiveDataset
	}
	if q.Against == "" {
		q.Against = forecast.AgainstSales
	}
	if q.Level == "" {
		q.Level = forecast.ScoreCompany
	}
	q.Month = monthStart(q.Month)
	if s.scores.on && q.Keys == nil {
		return s.scores.get(ctx, q, false)
	}
	return s.readScores(ctx, q)
}

// readScores is Scores from the table, q's defaults filled in.
func (s *Store) readScores(ctx context.Context, q forecast.ScoreQuery) (forecast.ScoreSet, error) {
	month := monthStart(q.Month)
	set := forecast.ScoreSet{Month: month, Dataset: q.Dataset, Against: q.Against}
	where := "WHERE month = toDate(?) AND dataset = ? AND against = ?"
	scope := []any{dateString(month), q.Dataset, string(q.Against)}
	query := "SELECT key, run_id, actual, forecast, abs_error, accuracy, wape, bias, scored_at FROM accuracy_scores " +
		where + " AND level = ? AND scored_at = (SELECT max(scored_at) FROM accuracy_scores " + where + ")"
	args := append(append(append([]any{}, scope...), string(q.Level)), scope...)
	if q.Keys != nil {
		query += " AND has(?, key)"
		args = append(args, q.Keys)
	}
	rows, err := s.conn.Query(ctx, query+" ORDER BY key", args...)
	if err != nil {
		return forecast.ScoreSet{}, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sc := forecast.Score{Level: q.Level}
		if err := rows.Scan(&sc.Key, &set.RunID, &sc.Actual, &sc.Forecast, &sc.AbsError, &sc.Accuracy, &sc.WAPE,
			&sc.Bias, &set.ScoredAt); err != nil {
			return forecast.ScoreSet{}, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
		}
		set.Scores = append(set.Scores, sc)
	}
	if err := rows.Err(); err != nil {
		return forecast.ScoreSet{}, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
	}
	if set.RunID == "" {
		var scored uint64
		if err := s.conn.QueryRow(ctx, "SELECT count() FROM accuracy_scores "+where, scope...).Scan(&scored); err != nil {
			return forecast.ScoreSet{}, fmt.Errorf("clickhouse: read accuracy scores: %w", err)
		}
		if scored == 0 {
			return forecast.ScoreSet{}, fmt.Errorf("%w of %s against %s in %s", forecast.ErrNoScores, q.Dataset, q.Against, month.Format("2006-01"))
		}
	}
	return set, nil
}
