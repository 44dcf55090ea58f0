package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The portal's sales by area or format and the balance's weekly sales both sum whole weeks of the
// sales history, which is ordered by (dataset, day, outlet, brand): a per-brand sum over weeks reads
// every line of those days (about 900,000 a week over 100,000 outlets), and the portal's count of
// distinct outlets per week, brand and group costs seconds more. Both are answered here from one
// aggregate per week (every brand, by area and format together), computed once and kept.

// weekCell is one week's sales of one brand in one (area, business format) cell of the outlets as
// the latest outlets_dim says ("" and "" for outlets it does not know).
type weekCell struct {
	brand, area, format string
	delivered           float64
	requested           float64
	outlets             uint64 // distinct outlets with a line
	lines               uint64
}

// keptWeek is a week's cells, or their computation while done is open.
type keptWeek struct {
	done  chan struct{}
	cells []weekCell
	err   error
	at    time.Time
}

// weekKeeper keeps weeks' cells for at most maxAge (0: nothing is kept). Requests for a week being
// computed share the computation.
type weekKeeper struct {
	maxAge time.Duration
	now    func() time.Time

	mu    sync.Mutex
	weeks map[time.Time]*keptWeek

	requested, warmed atomic.Uint64 // weeks computed for a reader, and by WarmWeeks
}

// weekQueryTimeout bounds one week's computation. It does not end with the request that began it:
// another request may be waiting for it, and a kept week serves the next ones.
const weekQueryTimeout = 2 * time.Minute

// KeepWeeks makes s keep each whole week's sales aggregate it computes (for the portal's sales and
// the balance's weekly sales) for maxAge by now's clock, and returns s. Lines written meanwhile into
// a kept week (a late relay batch, an import) show once it is older than maxAge. Call it before s
// is used.
func (s *Store) KeepWeeks(maxAge time.Duration, now func() time.Time) *Store {
	s.weeks.maxAge, s.weeks.now = maxAge, now
	return s
}

// weekCells returns the cells of the weeks of [from, to) (both Mondays) of the live sales, week by
// week, from the kept ones when they are fresh enough.
func (s *Store) weekCells(ctx context.Context, from, to time.Time) (map[time.Time][]weekCell, error) {
	out := map[time.Time][]weekCell{}
	for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
		cells, err := s.weekOf(ctx, w)
		if err != nil {
			return nil, err
		}
		out[w] = cells
	}
	return out, nil
}

func (s *Store) weekOf(ctx context.Context, week time.Time) ([]weekCell, error) {
	k := &s.weeks
	if k.maxAge <= 0 {
		return s.queryWeek(ctx, week)
	}
	k.mu.Lock()
	if k.weeks == nil {
		k.weeks = map[time.Time]*keptWeek{}
	}
	kept := k.weeks[week]
	if kept != nil {
		select {
		case <-kept.done:
			if kept.err != nil || k.now().Sub(kept.at) > k.maxAge {
				kept = nil
			}
		default: // under way: share it
		}
	}
	if kept == nil {
		kept = &keptWeek{done: make(chan struct{})}
		k.weeks[week] = kept
		k.mu.Unlock()
		k.requested.Add(1)
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), weekQueryTimeout)
		kept.cells, kept.err = s.queryWeek(qctx, week)
		cancel()
		kept.at = k.now()
		close(kept.done)
		return kept.cells, kept.err
	}
	k.mu.Unlock()
	select {
	case <-kept.done:
		return kept.cells, kept.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// WarmWeeks computes the aggregate of each whole week of [from, to) (Mondays) whose kept one is
// missing or older than a quarter of the age weeks are kept, and keeps it in place of the one kept
// before, which readers are served (if fresh enough) until then: a server warms the weeks its pages
// read before they go stale, so that no page waits for one. The weeks least fresh go first (the
// latest of those equally fresh: the balance reads the last 4), so that passes cut short (a deadline
// on ctx, a loaded server) still keep the stalest ones warm. It does
// nothing unless s keeps weeks (KeepWeeks).
func (s *Store) WarmWeeks(ctx context.Context, from, to time.Time) error {
	k := &s.weeks
	if k.maxAge <= 0 {
		return nil
	}
	type due struct {
		week time.Time
		at   time.Time // when its kept aggregate was computed; zero when none is kept
	}
	var weeks []due
	k.mu.Lock()
	for w := to.AddDate(0, 0, -7); !w.Before(from); w = w.AddDate(0, 0, -7) { // the latest first among equals
		d := due{week: w}
		if kept := k.weeks[w]; kept != nil {
			select {
			case <-kept.done:
				if kept.err == nil {
					d.at = kept.at
				}
			default: // a reader computes it now
				continue
			}
		}
		if !d.at.IsZero() && k.now().Sub(d.at) < k.maxAge/4 {
			continue
		}
		weeks = append(weeks, d)
	}
	k.mu.Unlock()
	slices.SortStableFunc(weeks, func(a, b due) int { return a.at.Compare(b.at) })
	for _, d := range weeks {
		k.warmed.Add(1)
		qctx, cancel := context.WithTimeout(ctx, weekQueryTimeout)
		cells, err := s.queryWeek(qctx, d.week)
		cancel()
		if err != nil {
			return err
		}
		done := make(chan struct{})
		close(done)
		k.mu.Lock()
		if k.weeks == nil {
			k.weeks = map[time.Time]*keptWeek{}
		}
		k.weeks[d.week] = &keptWeek{done: done, cells: cells, at: k.now()}
		k.mu.Unlock()
	}
	return nil
}

// WeekComputations returns how many weeks' aggregates were computed for a reader (shared
// computations counted once) and by WarmWeeks, since s was made.
func (s *Store) WeekComputations() (requested, warmed uint64) {
	return s.weeks.requested.Load(), s.weeks.warmed.Load()
}

// queryWeek sums the live sales of the week beginning on week by brand and the outlets' area and
// business format. An outlet is in one cell, so outlets add up across cells.
func (s *Store) queryWeek(ctx context.Context, week time.Time) ([]weekCell, error) {
	rows, err := s.conn.Query(ctx, `SELECT brand, area, fmt, sum(delivered), sum(requested), uniqExact(outlet), count()
		FROM (SELECT brand, outlet, delivered, requested FROM sales WHERE dataset = ? AND day >= toDate(?) AND day < toDate(?))
		ANY LEFT JOIN (SELECT outlet, argMax(area, version) AS area, argMax(business_format, version) AS fmt
			FROM outlets_dim WHERE dataset = ? GROUP BY outlet) USING outlet
		GROUP BY brand, area, fmt`,
		liveDataset, week.Format(time.DateOnly), week.AddDate(0, 0, 7).Format(time.DateOnly), liveDataset)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: sales of the week of %s: %w", week.Format(time.DateOnly), err)
	}
	defer rows.Close()
	var out []weekCell
	for rows.Next() {
		var c weekCell
		if err := rows.Scan(&c.brand, &c.area, &c.format, &c.delivered, &c.requested, &c.outlets, &c.lines); err != nil {
			return nil, fmt.Errorf("clickhouse: sales of the week of %s: %w", week.Format(time.DateOnly), err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: sales of the week of %s: %w", week.Format(time.DateOnly), err)
	}
	return out, nil
}

// isMonday reports whether t is a Monday at midnight UTC.
func isMonday(t time.Time) bool {
	return t.Weekday() == time.Monday && t.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
}
