package clickhouse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
)

// ErrInvalidRun is returned (wrapped) by WriteRun for a run whose parts do not fit together.
var ErrInvalidRun = errors.New("clickhouse: invalid forecast run")

// DefaultForecastBlockRows is how many rows go into one block of WriteRun's inserts.
const DefaultForecastBlockRows = 1 << 18

// BottomUp is the model name of brand and total forecasts that are sums of the outlets' (and of the
// total when it is the sum of the brands').
const BottomUp = "bottom-up"

// Run is one forecast run: what forecast_runs records and the reconciled forecasts of every level.
type Run = forecast.Run

// WriteRun stores a run: its weekly forecasts at every level in forecasts (level 'outlet' with the
// outlet and brand, 'brand' with outlet ”, 'total' with both ”), the outlet-level points again in
// forecasts_by_brand (ordered by brand and week, for BrandDemand), their monthly sums in
// forecasts_monthly (weeks split across months by days, forecast.SplitMonths), and last its row in
// forecast_runs. Readers should take a run as complete only once its forecast_runs row exists: a
// failed WriteRun may leave forecasts of its run id without one. Rows go in blocks of blockRows
// (DefaultForecastBlockRows when ≤ 0) through one INSERT per table, so memory stays at about one
// block per table; forecasts_by_brand's INSERT runs beside the other two, its rows in its key's order.
// progress, when not nil, is called with the number of rows of forecasts and forecasts_monthly
// written so far (from one goroutine at a time).
//
// It returns an error wrapping ErrInvalidRun when the slices of r disagree.
func (s *Store) WriteRun(ctx context.Context, r Run, blockRows int, progress func(rows int)) error {
	if err := checkRun(r); err != nil {
		return err
	}
	if blockRows <= 0 {
		blockRows = DefaultForecastBlockRows
	}
	w := &runWriter{s: s, r: r, blockRows: blockRows, progress: progress, split: forecast.SplitMonths(r.Weeks)}
	if err := w.write(ctx); err != nil {
		return fmt.Errorf("clickhouse: write forecast run %s: %w", r.ID, err)
	}
	return nil
}

func checkRun(r Run) error {
	n, h := len(r.Series), len(r.Weeks)
	switch {
	case r.ID == "":
		return fmt.Errorf("%w: no run id", ErrInvalidRun)
	case h == 0:
		return fmt.Errorf("%w: no forecast week", ErrInvalidRun)
	case len(r.Outlets) != n || len(r.Brands) != n || len(r.SeriesModel) != n || len(r.BrandOf) != n:
		return fmt.Errorf("%w: %d series with %d outlets, %d brands, %d models, %d brand indexes", ErrInvalidRun,
			n, len(r.Outlets), len(r.Brands), len(r.SeriesModel), len(r.BrandOf))
	case r.BrandModel != nil && len(r.BrandModel) != len(r.BrandCodes):
		return fmt.Errorf("%w: %d brand models for %d brands", ErrInvalidRun, len(r.BrandModel), len(r.BrandCodes))
	case len(r.Reconciled.Brands) != len(r.BrandCodes):
		return fmt.Errorf("%w: %d brand forecasts for %d brands", ErrInvalidRun, len(r.Reconciled.Brands), len(r.BrandCodes))
	case len(r.Reconciled.Total.Mean) != h:
		return fmt.Errorf("%w: the total has %d weeks; want %d", ErrInvalidRun, len(r.Reconciled.Total.Mean), h)
	}
	for i, f := range r.Series {
		if len(f.Mean) != h || len(f.Lower) != h || len(f.Upper) != h {
			return fmt.Errorf("%w: series %d: want %d weeks with an interval", ErrInvalidRun, i, h)
		}
	}
	for b, f := range r.Reconciled.Brands {
		if len(f.Mean) != h || len(f.Lower) != h || len(f.Upper) != h {
			return fmt.Errorf("%w: brand %d: want %d weeks with an interval", ErrInvalidRun, b, h)
		}
	}
	if t := r.Reconciled.Total; len(t.Lower) != h || len(t.Upper) != h {
		return fmt.Errorf("%w: the total: want %d weeks with an interval", ErrInvalidRun, h)
	}
	return nil
}

// runWriter writes one Run.
type runWriter struct {
	s         *Store
	r         Run
	blockRows int
	progress  func(int)
	split     forecast.MonthSplit
	written   int

	weekly  *stores.Insertion
	byBrand *stores.Insertion
	monthly *stores.Insertion
	wc      weeklyColumns
	bc      byBrandColumns
	mc      monthlyColumns
}

// weeklyColumns hold a block of forecasts rows, column by column (run_id, dataset and as_of are
// the same in every row and kept in constant columns).
type weeklyColumns struct {
	runID, dataset, level, outlet, brand, model []string
	asOf, week                                  []time.Time
	point, lo, hi                               []float64
}

// byBrandColumns hold a block of forecasts_by_brand rows: the outlet-level rows of weeklyColumns.
type byBrandColumns struct {
	runID, brand, outlet []string
	asOf, week           []time.Time
	point                []float64
}

type monthlyColumns struct {
	runID, dataset, level, outlet, brand []string
	asOf, month                          []time.Time
	point                                []float64
}

func (w *runWriter) write(ctx context.Context) error {
	r := w.r
	w.weekly = stores.NewInsertion(w.s.conn, "INSERT INTO forecasts (run_id, dataset, as_of, level, outlet, brand, week, model, point, lo80, hi80)", w.blockRows)
	w.byBrand = stores.NewInsertion(w.s.conn, "INSERT INTO forecasts_by_brand (run_id, as_of, brand, week, outlet, point)", w.blockRows)
	w.monthly = stores.NewInsertion(w.s.conn, "INSERT INTO forecasts_monthly (run_id, dataset, as_of, level, outlet, brand, month, point)", w.blockRows)
	ok := false
	defer func() {
		if !ok {
			w.weekly.Abort()
			w.byBrand.Abort()
			w.monthly.Abort()
		}
	}()
	// forecasts and forecasts_monthly in the series' order, forecasts_by_brand in its key's order at
	// the same time, on connections of their own; the first error stops the other, and is the one
	// returned (not the other's cancellation).
	insertCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopOthersOnError := func(write func(context.Context) error) func() error {
		return func() error {
			err := write(insertCtx)
			if err != nil {
				cancel(err)
			}
			return err
		}
	}
	if err := concurrently(stopOthersOnError(w.writeLevels), stopOthersOnError(w.writeByBrand)); err != nil {
		return context.Cause(insertCtx)
	}
	ok = true
	finished := r.FinishedAt
	if finished.IsZero() {
		finished = time.Now().UTC()
	}
	err := stores.InsertColumns(ctx, w.s.conn, "INSERT INTO forecast_runs (run_id, dataset, as_of, horizon, series, models, "+
		"started_at, finished_at)", []string{r.ID}, []string{r.Dataset}, []time.Time{r.AsOf},
		[]uint16{uint16(len(r.Weeks))}, []uint64{uint64(len(r.Series))}, []string{r.Models},
		[]time.Time{r.StartedAt}, []time.Time{finished})
	if err != nil {
		return fmt.Errorf("forecast_runs: %w", err)
	}
	return nil
}

// writeLevels writes forecasts and forecasts_monthly: every outlet's series, then the brands, then
// the total.
func (w *runWriter) writeLevels(ctx context.Context) error {
	r := w.r
	monthly := make([]float64, len(w.split.Months))
	for i, f := range r.Series {
		if err := w.add(ctx, forecast.OutletLevel, r.Outlets[i], r.Brands[i], r.SeriesModel[i], f, monthly); err != nil {
			return err
		}
	}
	for b, f := range r.Reconciled.Brands {
		model := BottomUp
		if r.BrandModel != nil && r.BrandModel[b] != "" {
			model = r.BrandModel[b]
		}
		if err := w.add(ctx, forecast.BrandLevel, "", r.BrandCodes[b], model, f, monthly); err != nil {
			return err
		}
	}
	total := BottomUp
	if r.TotalModel != "" {
		total = r.TotalModel
	}
	if err := w.add(ctx, forecast.TotalLevel, "", "", total, r.Reconciled.Total, monthly); err != nil {
		return err
	}
	if err := w.flush(ctx, true); err != nil {
		return err
	}
	if err := w.weekly.Finish(); err != nil {
		return fmt.Errorf("forecasts: %w", err)
	}
	if err := w.monthly.Finish(); err != nil {
		return fmt.Errorf("forecasts_monthly: %w", err)
	}
	return nil
}

// writeByBrand writes the outlets' points into forecasts_by_brand in the order of its key (brand,
// week, outlet). ClickHouse 18.16 stores a block that arrives in its key's order without sorting it:
// 5M rows of a run took 3.4–3.9 s of the server's time so, against 7.6–11.1 s in the order of the
// series (docs/BENCHMARKS.md, "The 1M-series run on this machine").
func (w *runWriter) writeByBrand(ctx context.Context) error {
	r, b := w.r, &w.bc
	for _, group := range seriesByBrand(r) {
		for j, week := range r.Weeks {
			for _, i := range group {
				b.runID = append(b.runID, r.ID)
				b.asOf = append(b.asOf, r.AsOf)
				b.brand = append(b.brand, r.Brands[i])
				b.week = append(b.week, week)
				b.outlet = append(b.outlet, r.Outlets[i])
				b.point = append(b.point, r.Series[i].Mean[j])
				if len(b.point) >= w.blockRows {
					if err := w.flushByBrand(ctx); err != nil {
						return err
					}
				}
			}
		}
	}
	if err := w.flushByBrand(ctx); err != nil {
		return err
	}
	if err := w.byBrand.Finish(); err != nil {
		return fmt.Errorf("forecasts_by_brand: %w", err)
	}
	return nil
}

// seriesByBrand returns the indexes of r's series grouped by brand, the groups in the order of the
// brands' codes and each group in the order of the outlets' codes.
func seriesByBrand(r Run) [][]int {
	groupOf := map[string]int{}
	var groups [][]int
	for i, b := range r.Brands {
		g, ok := groupOf[b]
		if !ok {
			g = len(groups)
			groupOf[b] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	byOutlet := func(a, b int) int { return cmp.Compare(r.Outlets[a], r.Outlets[b]) }
	for _, g := range groups {
		if !slices.IsSortedFunc(g, byOutlet) { // a run's series come sorted, but for new products
			slices.SortStableFunc(g, byOutlet)
		}
	}
	slices.SortFunc(groups, func(a, b []int) int { return cmp.Compare(r.Brands[a[0]], r.Brands[b[0]]) })
	return groups
}

// add appends the weekly and monthly rows of one forecast, flushing full blocks.
func (w *runWriter) add(ctx context.Context, level forecast.Level, outlet, brand, model string, f forecast.Forecast,
	monthly []float64) error {
	r, c := w.r, &w.wc
	for j, week := range r.Weeks {
		c.runID = append(c.runID, r.ID)
		c.dataset = append(c.dataset, r.Dataset)
		c.asOf = append(c.asOf, r.AsOf)
		c.level = append(c.level, string(level))
		c.outlet = append(c.outlet, outlet)
		c.brand = append(c.brand, brand)
		c.week = append(c.week, week)
		c.model = append(c.model, model)
		c.point = append(c.point, f.Mean[j])
		c.lo = append(c.lo, f.Lower[j])
		c.hi = append(c.hi, f.Upper[j])
	}
	m := &w.mc
	for k, v := range w.split.Sum(monthly, f.Mean) {
		m.runID = append(m.runID, r.ID)
		m.dataset = append(m.dataset, r.Dataset)
		m.asOf = append(m.asOf, r.AsOf)
		m.level = append(m.level, string(level))
		m.outlet = append(m.outlet, outlet)
		m.brand = append(m.brand, brand)
		m.month = append(m.month, w.split.Months[k])
		m.point = append(m.point, v)
	}
	if len(c.point) >= w.blockRows || len(m.point) >= w.blockRows {
		return w.flush(ctx, false)
	}
	return nil
}

// flush hands the gathered rows of forecasts and forecasts_monthly to their inserts, which send a
// block when it is full (or at the end).
func (w *runWriter) flush(ctx context.Context, last bool) error {
	c, m := &w.wc, &w.mc
	if n := len(c.point); n > 0 && (last || n >= w.blockRows) {
		err := w.weekly.Append(ctx, n, c.runID, c.dataset, c.asOf, c.level, c.outlet, c.brand, c.week, c.model,
			c.point, c.lo, c.hi)
		if err != nil {
			return fmt.Errorf("forecasts: %w", err)
		}
		w.written += n
		*c = weeklyColumns{runID: c.runID[:0], dataset: c.dataset[:0], level: c.level[:0], outlet: c.outlet[:0],
			brand: c.brand[:0], model: c.model[:0], asOf: c.asOf[:0], week: c.week[:0], point: c.point[:0],
			lo: c.lo[:0], hi: c.hi[:0]}
	}
	if n := len(m.point); n > 0 && (last || n >= w.blockRows) {
		err := w.monthly.Append(ctx, n, m.runID, m.dataset, m.asOf, m.level, m.outlet, m.brand, m.month, m.point)
		if err != nil {
			return fmt.Errorf("forecasts_monthly: %w", err)
		}
		w.written += n
		*m = monthlyColumns{runID: m.runID[:0], dataset: m.dataset[:0], level: m.level[:0], outlet: m.outlet[:0],
			brand: m.brand[:0], asOf: m.asOf[:0], month: m.month[:0], point: m.point[:0]}
	}
	if w.progress != nil {
		w.progress(w.written)
	}
	return nil
}

// flushByBrand hands the gathered rows of forecasts_by_brand to its insert.
func (w *runWriter) flushByBrand(ctx context.Context) error {
	b := &w.bc
	if n := len(b.point); n > 0 {
		if err := w.byBrand.Append(ctx, n, b.runID, b.asOf, b.brand, b.week, b.outlet, b.point); err != nil {
			return fmt.Errorf("forecasts_by_brand: %w", err)
		}
		*b = byBrandColumns{runID: b.runID[:0], brand: b.brand[:0], outlet: b.outlet[:0], asOf: b.asOf[:0],
			week: b.week[:0], point: b.point[:0]}
	}
	return nil
}

// ForecastRun is a row of forecast_runs.
type ForecastRun = forecast.RunInfo

// LatestRun returns the complete forecast run of dataset with the latest as-of date, the latest
// started among those.
func (s *Store) LatestRun(ctx context.Context, dataset string) (ForecastRun, error) {
	fr, err := s.oneRun(ctx, "WHERE dataset = ?", dataset)
	if err != nil {
		return ForecastRun{}, fmt.Errorf("clickhouse: latest forecast run of %s: %w", dataset, err)
	}
	return fr, nil
}

// runColumns are the columns of forecast_runs that oneRun scans.
const runColumns = "run_id, dataset, toString(as_of), horizon, series, models, started_at, finished_at"

// oneRun returns the run of forecast_runs that where selects with the latest as-of, then the latest
// started, or forecast.ErrNoRun.
func (s *Store) oneRun(ctx context.Context, where string, args ...any) (ForecastRun, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+runColumns+" FROM forecast_runs "+where+
		" ORDER BY as_of DESC, started_at DESC, run_id DESC LIMIT 1", args...)
	if err != nil {
		return ForecastRun{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return ForecastRun{}, err
		}
		return ForecastRun{}, forecast.ErrNoRun
	}
	var fr ForecastRun
	var asOf string
	var horizon uint16
	if err := rows.Scan(&fr.ID, &fr.Dataset, &asOf, &horizon, &fr.Series, &fr.Models, &fr.StartedAt, &fr.FinishedAt); err != nil {
		return ForecastRun{}, err
	}
	fr.Horizon = int(horizon)
	if fr.AsOf, err = time.Parse(time.DateOnly, asOf); err != nil {
		return ForecastRun{}, fmt.Errorf("as_of %q: %w", asOf, err)
	}
	return fr, nil
}
