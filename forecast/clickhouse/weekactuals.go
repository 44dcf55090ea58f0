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

// actualsWeek is what the keeper holds of one week: its kept actuals (nil until a read kept them)
// and the read under way that will replace them, if any.
type actualsWeek struct {
	brands map[string]brandActual
	at     time.Time
	flight *actualsFlight
}

// actualsFlight is one query of weeks' actuals, shared by every reader of its weeks that finds
// nothing fresh enough kept: a request waits for the warmer's query (or another request's) rather
// than sending its own beside it. Its value holds each week of the flight once done without error.
type actualsFlight = flight[map[time.Time]map[string]brandActual]

// actualsQuery reads the actuals by week and brand of the weeks of [from, to) (Store.queryActuals).
type actualsQuery func(ctx context.Context, dataset string, against forecast.Against, from, to time.Time) (map[time.Time]map[string]brandActual, error)

// actualsQueryTimeout bounds one query of weeks' actuals begun by a reader. It does not end with
// the request that began it: others may be waiting for it, and the weeks kept serve the next ones.
const actualsQueryTimeout = 2 * time.Minute

// actualsKeeper keeps weeks' actuals for at most maxAge (0: nothing is kept). Readers of a week
// being read (by another reader or by WarmWeeks) wait for that read; a read that fails keeps
// nothing, and the next reader of its weeks reads them again.
type actualsKeeper struct {
	maxAge time.Duration
	now    func() time.Time
	query  actualsQuery

	mu    sync.Mutex
	weeks map[actualsKey]*actualsWeek

	requested, warmed atomic.Uint64 // reads of weeks for a reader (shared ones counted once), and by WarmWeeks
}

// KeepWeeks makes s keep each whole week's actuals by brand that the weekly forecast against actual
// reads (WeekFigures) for maxAge by now's clock, and returns s. Lines written meanwhile into a kept
// week (a late relay batch, an import) show once it is older than maxAge. Call it before s is used.
func (s *Store) KeepWeeks(maxAge time.Duration, now func() time.Time) *Store {
	s.actuals.maxAge, s.actuals.now, s.actuals.query = maxAge, now, s.queryActuals
	return s
}

// weekActuals returns the actuals by brand of each week of [from, to) (Mondays) of dataset, from the
// kept ones when fresh enough; the weeks not kept are read in one query, or waited for when being
// read.
func (s *Store) weekActuals(ctx context.Context, dataset string, against forecast.Against, from, to time.Time) (map[time.Time]map[string]brandActual, error) {
	if s.actuals.maxAge <= 0 {
		read, err := s.queryActuals(ctx, dataset, against, from, to)
		if err != nil {
			return nil, err
		}
		for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
			if read[w] == nil {
				read[w] = map[string]brandActual{}
			}
		}
		return read, nil
	}
	return s.actuals.read(ctx, dataset, against, from, to)
}

// read is weekActuals on a keeper.
func (k *actualsKeeper) read(ctx context.Context, dataset string, against forecast.Against, from, to time.Time) (map[time.Time]map[string]brandActual, error) {
	out := map[time.Time]map[string]brandActual{}
	for {
		var missing []time.Time
		waits := map[time.Time]*actualsFlight{}
		k.mu.Lock()
		now := k.now()
		for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
			if _, ok := out[w]; ok {
				continue
			}
			kept := k.weeks[actualsKey{dataset, against, w}]
			switch {
			case kept != nil && kept.brands != nil && now.Sub(kept.at) <= k.maxAge:
				out[w] = kept.brands
			case kept != nil && kept.flight != nil:
				waits[w] = kept.flight
			default:
				missing = append(missing, w)
			}
		}
		var mine *actualsFlight
		if len(missing) > 0 {
			mine = k.begin(dataset, against, missing)
		}
		k.mu.Unlock()
		if mine != nil {
			k.requested.Add(1)
			qctx, cancel := sharedReadContext(ctx, actualsQueryTimeout)
			k.fly(qctx, mine, dataset, against, missing)
			cancel()
			for _, w := range missing {
				waits[w] = mine
			}
		}
		readAgain := false
		for w, f := range waits {
			weeks, again, err := f.wait(ctx, f == mine)
			switch {
			case err != nil:
				return nil, err
			case again:
				readAgain = true // the week is read here on the next pass
			default:
				out[w] = weeks[w]
			}
		}
		if !readAgain {
			return out, nil
		}
	}
}

// begin registers a read of weeks under way, to be done by fly; k.mu is held.
func (k *actualsKeeper) begin(dataset string, against forecast.Against, weeks []time.Time) *actualsFlight {
	f := newFlight[map[time.Time]map[string]brandActual]()
	if k.weeks == nil {
		k.weeks = map[actualsKey]*actualsWeek{}
	}
	for _, w := range weeks {
		key := actualsKey{dataset, against, w}
		kept := k.weeks[key]
		if kept == nil {
			kept = &actualsWeek{}
			k.weeks[key] = kept
		}
		kept.flight = f
	}
	return f
}

// fly reads the weeks (sorted) of f in one query, keeps them unless it failed, and ends f.
func (k *actualsKeeper) fly(ctx context.Context, f *actualsFlight, dataset string, against forecast.Against, weeks []time.Time) {
	read, err := k.query(ctx, dataset, against, weeks[0], weeks[len(weeks)-1].AddDate(0, 0, 7))
	var flown map[time.Time]map[string]brandActual
	if err == nil {
		flown = make(map[time.Time]map[string]brandActual, len(weeks))
	}
	k.mu.Lock()
	at := k.now()
	for _, w := range weeks {
		key := actualsKey{dataset, against, w}
		kept := k.weeks[key]
		if err == nil {
			brands := read[w]
			if brands == nil {
				brands = map[string]brandActual{}
			}
			flown[w] = brands
			kept.brands, kept.at = brands, at
		}
		if kept.flight == f {
			kept.flight = nil
		}
		if kept.brands == nil && kept.flight == nil {
			delete(k.weeks, key)
		}
	}
	k.mu.Unlock()
	f.finish(flown, err)
}

// WarmWeeks reads the actuals by brand of each week of [from, to) (Mondays) of dataset in one
// query and keeps them, in place of those kept before, which readers are served (if fresh enough)
// until then: a server warms the weeks its accuracy page reads before they go stale, so that no page
// waits for them. Readers that find a week missing or stale meanwhile wait for this read instead of
// reading it beside it; weeks a reader is reading are left to that read. It does nothing unless s
// keeps weeks (KeepWeeks).
func (s *Store) WarmWeeks(ctx context.Context, dataset string, against forecast.Against, from, to time.Time) error {
	k := &s.actuals
	if k.maxAge <= 0 || !from.Before(to) {
		return nil
	}
	var weeks []time.Time
	k.mu.Lock()
	for w := from; w.Before(to); w = w.AddDate(0, 0, 7) {
		if kept := k.weeks[actualsKey{dataset, against, w}]; kept == nil || kept.flight == nil {
			weeks = append(weeks, w)
		}
	}
	var f *actualsFlight
	if len(weeks) > 0 {
		f = k.begin(dataset, against, weeks)
	}
	k.mu.Unlock()
	if f == nil {
		return nil
	}
	k.warmed.Add(1)
	k.fly(ctx, f, dataset, against, weeks)
	if f.err != nil { // f is done: fly finished it
		return fmt.Errorf("clickhouse: actuals of the weeks of %s to %s: %w", dateString(from), dateString(to), f.err)
	}
	return nil
}

// WeekComputations returns how many reads of weeks' actuals were made for a reader (one per read of
// the weeks not kept) and by WarmWeeks, since s was made.
func (s *Store) WeekComputations() (requested, warmed uint64) {
	return s.actuals.requested.Load(), s.actuals.warmed.Load()
}

// LatestScoredMonth returns the latest month of dataset scored against against (empty: live, and
// sales, as Scores takes them), or an error wrapping forecast.ErrNoScores when none was.
func (s *Store) LatestScoredMonth(ctx context.Context, dataset string, against forecast.Against) (time.Time, error) {
	if dataset == "" {
		dataset = forecast.LiveDataset
	}
	if against == "" {
		against = forecast.AgainstSales
	}
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
