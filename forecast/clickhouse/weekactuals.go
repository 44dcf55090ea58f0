package clickhouse

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// The accuracy page's weekly forecast against actual sums whole weeks of sales (ordered by dataset,
// day, outlet, brand: every line of the weeks' days, about 900,000 a week over 100,000 outlets) or of
// true demand (ordered by outlet: the whole dataset). A scored month's weeks are past, so their sums
// by brand are computed once and kept (KeepWeeks); the company's and each brand's figures add them up.

// brandActual is a week's actual of one brand and the lines it sums.
type brandActual struct {
	sum   float64
	lines uint64
}

type actualsKey struct {
	dataset string
	against forecast.Against
	week    time.Time
}

type keptActuals struct {
	brands map[string]brandActual
	at     time.Time
}

// actualsKeeper keeps weeks' actuals for at most maxAge (0: nothing is kept).
type actualsKeeper struct {
	maxAge time.Duration
	now    func() time.Time

	mu    sync.Mutex
	weeks map[actualsKey]keptActuals

	requested, warmed atomic.Uint64 // reads of weeks for a reader, and by WarmWeeks
}

// KeepWeeks makes s keep each whole week's actuals by brand that the weekly forecast against actual
// reads (WeekFigures) for maxAge by now's clock, and returns s. Lines written meanwhile into a kept
// week (a late relay batch, an import) show once it is older than maxAge. Call it before s is used.
func (s *Store) KeepWeeks(maxAge time.Duration, now func() time.Time) *Store {
	s.actuals.maxAge, s.actuals.now = maxAge, now
	return s
}

// weekActuals returns the actuals by brand of each week of [from, to) (Mondays) of dataset, from the
// kept ones when fresh enough; the weeks not kept are read in one query.
func (s *Store) weekActuals(ctx context.Context, dataset string, against forecast.Against, from, to time.Time) (map[time.Time]map[string]brandActual, error) {
	k := &s.actuals
	out := map[time.Time]map[string]brandActual{}
	var first, last time.Time
	if k.maxAge > 0 {
		k.mu.Lock()
		for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
			if kept, ok := k.weeks[actualsKey{dataset, against, w}]; ok && k.now().Sub(kept.at) <= k.maxAge {
				out[w] = kept.brands
				continue
			}
			if first.IsZero() {
				first = w
			}
			last = w
		}
		k.mu.Unlock()
		if first.IsZero() {
			return out, nil
		}
	} else {
		first, last = from, to.AddDate(0, 0, -7)
	}
	k.requested.Add(1)
	read, err := s.queryActuals(ctx, dataset, against, first, last.AddDate(0, 0, 7))
	if err != nil {
		return nil, err
	}
	at := time.Time{}
	if k.maxAge > 0 {
		at = k.now()
		k.mu.Lock()
		if k.weeks == nil {
			k.weeks = map[actualsKey]keptActuals{}
		}
	}
	for w := first; !w.After(last); w = w.AddDate(0, 0, 7) {
		if read[w] == nil {
			read[w] = map[string]brandActual{}
		}
		out[w] = read[w]
		if k.maxAge > 0 {
			k.weeks[actualsKey{dataset, against, w}] = keptActuals{brands: read[w], at: at}
		}
	}
	if k.maxAge > 0 {
		k.mu.Unlock()
	}
	return out, nil
}

// WarmWeeks reads the actuals by brand of each week of [from, to) (Mondays) of dataset in one
// query and keeps them, in place of those kept before, which readers are served (if fresh enough)
// until then: a server warms the weeks its accuracy page reads before they go stale, so that no page
// waits for them. It does nothing unless s keeps weeks (KeepWeeks).
func (s *Store) WarmWeeks(ctx context.Context, dataset string, against forecast.Against, from, to time.Time) error {
	k := &s.actuals
	if k.maxAge <= 0 || !from.Before(to) {
		return nil
	}
	k.warmed.Add(1)
	read, err := s.queryActuals(ctx, dataset, against, from, to)
	if err != nil {
		return fmt.Errorf("clickhouse: actuals of the weeks of %s to %s: %w", dateString(from), dateString(to), err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.weeks == nil {
		k.weeks = map[actualsKey]keptActuals{}
	}
	at := k.now()
	for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
		if read[w] == nil {
			read[w] = map[string]brandActual{}
		}
		k.weeks[actualsKey{dataset, against, w}] = keptActuals{brands: read[w], at: at}
	}
	return nil
}

// WeekComputations returns how many reads of weeks' actuals were made for a reader (one per read of
// the weeks not kept) and by WarmWeeks, since s was made.
func (s *Store) WeekComputations() (requested, warmed uint64) {
	return s.actuals.requested.Load(), s.actuals.warmed.Load()
}

// LatestScoredMonth returns the latest month of dataset scored against against, or an error wrapping
// forecast.ErrNoScores when none was.
func (s *Store) LatestScoredMonth(ctx context.Context, dataset string, against forecast.Against) (time.Time, error) {
	var month time.Time
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT max(month), count() FROM accuracy_scores WHERE dataset = ? AND against = ? AND level = ?",
		dataset, string(against), string(forecast.ScoreCompany)).Scan(&month, &n)
	switch {
	case err != nil:
		return time.Time{}, fmt.Errorf("clickhouse: latest scored month: %w", err)
	case n == 0:
		return time.Time{}, fmt.Errorf("%w of %s against %s", forecast.ErrNoScores, dataset, against)
	}
	return month, nil
}

// queryActuals sums the actuals of the weeks of [from, to) by week and brand: of an imported
// dataset, those of its current import (readImport).
func (s *Store) queryActuals(ctx context.Context, dataset string, against forecast.Against, from, to time.Time) (map[time.Time]map[string]brandActual, error) {
	switch against {
	case forecast.AgainstSales, forecast.AgainstRequested:
		column := "delivered"
		if against == forecast.AgainstRequested {
			column = "requested"
		}
		var out map[time.Time]map[string]brandActual
		err := s.readImport(ctx, dataset, func(sc salesScope) (err error) {
			where, args := sc.where()
			out, err = s.sumActuals(ctx, "SELECT toString(toMonday(day)) AS w, brand, sum("+column+"), count() FROM sales "+
				"WHERE "+where+" AND day >= toDate(?) AND day < toDate(?) GROUP BY w, brand",
				append(args, dateString(from), dateString(to))...)
			return err
		})
		return out, err
	case forecast.AgainstTruth:
		return s.sumActuals(ctx, "SELECT toString(week) AS w, brand, sum(demand), count() FROM true_demand "+
			"WHERE dataset = ? AND week >= toDate(?) AND week < toDate(?) GROUP BY w, brand",
			dataset, dateString(from), dateString(to))
	default:
		return nil, fmt.Errorf("%w: against %q", forecast.ErrInvalidScore, against)
	}
}

// sumActuals runs query, which returns (week, brand, sum, lines) rows.
func (s *Store) sumActuals(ctx context.Context, query string, args ...any) (map[time.Time]map[string]brandActual, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[time.Time]map[string]brandActual{}
	for rows.Next() {
		var week, brand string
		var a brandActual
		if err := rows.Scan(&week, &brand, &a.sum, &a.lines); err != nil {
			return nil, err
		}
		w, err := time.Parse(time.DateOnly, week)
		if err != nil {
			return nil, fmt.Errorf("week %q: %w", week, err)
		}
		if out[w] == nil {
			out[w] = map[string]brandActual{}
		}
		out[w][brand] = a
	}
	return out, rows.Err()
}
