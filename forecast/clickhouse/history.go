package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// ErrUnknownDataset is returned (wrapped) for a dataset that has no history in sales, or that is
// imported but was never recorded in datasets.
var ErrUnknownDataset = errors.New("clickhouse: unknown dataset")

// Periods of a dataset's dates (DatasetInfo.Period).
const (
	PeriodDay  = "day"  // one row per day: summed into Monday weeks, partial weeks dropped
	PeriodWeek = "week" // one row per week, dated on its Monday (imports) or on the order day (live)
)

// DatasetInfo describes a dataset's history in sales.
type DatasetInfo = forecast.DatasetInfo

// Dataset describes the history of a dataset: forecast.LiveDataset (the company's order lines,
// weekly: every outlet orders on one day of the week) or an imported one, as its current import
// loaded it (the one its row in datasets names), with the period that import recorded. It returns an
// error wrapping ErrUnknownDataset when sales hold no row of the dataset, or when an imported
// dataset has no row in datasets.
func (s *Store) Dataset(ctx context.Context, dataset string) (DatasetInfo, error) {
	var info DatasetInfo
	err := s.readImport(ctx, dataset, func(sc salesScope) (err error) {
		info, err = s.datasetInfo(ctx, sc)
		return err
	})
	if err != nil {
		return DatasetInfo{}, fmt.Errorf("clickhouse: dataset %s: %w", dataset, err)
	}
	return info, nil
}

// datasetInfo describes the rows of sc.
func (s *Store) datasetInfo(ctx context.Context, sc salesScope) (DatasetInfo, error) {
	info := DatasetInfo{Dataset: sc.dataset, Period: sc.period}
	var first, last string
	where, args := sc.where()
	err := s.conn.QueryRow(ctx, "SELECT count(), toString(min(day)), toString(max(day)) FROM sales WHERE "+where,
		args...).Scan(&info.Rows, &first, &last)
	if err != nil {
		return DatasetInfo{}, err
	}
	if info.Rows == 0 {
		return DatasetInfo{}, fmt.Errorf("%w: %q has no sales history", ErrUnknownDataset, sc.dataset)
	}
	if info.FirstDay, err = time.Parse(time.DateOnly, first); err == nil {
		info.LastDay, err = time.Parse(time.DateOnly, last)
	}
	if err != nil {
		return DatasetInfo{}, err
	}
	return info, nil
}

// HistoryQuery says which weekly history SalesHistory reads.
type HistoryQuery = forecast.HistoryQuery

// SalesHistory reads the weekly sell-in of every outlet × brand series of q.Dataset, following
// BACKTEST.md:
//
//   - The calendar is the union of the weeks (Mondays) in which the dataset has any row before the
//     week of q.Before, whatever the filters; a week a series lacks is 0 in it.
//   - Daily datasets (period day) are summed into Monday weeks, and a week of which fewer than 7
//     distinct days occur in the dataset is dropped. Weekly datasets are summed per Monday week;
//     the live dataset is weekly by order day (each outlet orders on one weekday), so it is summed
//     per Monday week and no week is dropped for missing days.
//   - Sales are the delivered quantities, Requested the requested ones, and a week is Censored when
//     any of its lines was limited (a limit or a stock-out cut the grant, a stock-out by limit 0).
//     To save memory, Requested and Censored are nil for a series without any censored week.
//
// Series are sorted by outlet, then brand. It returns ErrUnknownDataset (wrapped) for a dataset
// without history.
//
// How: the codes, the calendar and the set of series come from four small queries run at once;
// then the rows come as narrow numeric columns (cityHash64 of the outlet and brand codes, the week,
// the quantities), summed per series and week by ClickHouse for daily datasets (weekly ones have
// about one row per series and week already), and are placed into dense arrays (see
// seriesAccumulator). Measured on 1M series of 103 weeks (32M rows) on two cores: about 12 s in all.
// One groupArray row per series instead took 49 s: 25 s for the server's GROUP BY, 24 s for the
// driver to decode the arrays element by element.
//
// All its queries read one import of an imported dataset, the current one (readImport).
func (s *Store) SalesHistory(ctx context.Context, q HistoryQuery) (forecast.SalesPanel, error) {
	var p forecast.SalesPanel
	err := s.readImport(ctx, q.Dataset, func(sc salesScope) (err error) {
		p, err = s.salesHistory(ctx, q, sc)
		return err
	})
	if err != nil {
		return forecast.SalesPanel{}, fmt.Errorf("clickhouse: read history of %s: %w", q.Dataset, err)
	}
	return p, nil
}

// historyFilter is the WHERE clause shared by the queries of one SalesHistory, with its arguments.
type historyFilter struct {
	where string
	args  []any
}

func (f historyFilter) with(extra string, args ...any) (string, []any) {
	return f.where + extra, append(slices.Clip(f.args), args...)
}

func (s *Store) salesHistory(ctx context.Context, q HistoryQuery, sc salesScope) (forecast.SalesPanel, error) {
	info, err := s.datasetInfo(ctx, sc)
	if err != nil {
		return forecast.SalesPanel{}, err
	}
	where, args := sc.where()
	f := historyFilter{where: " WHERE " + where, args: args}
	if !q.Before.IsZero() {
		f.where += " AND day < toDate(?)"
		f.args = append(f.args, dateString(forecast.Monday(q.Before)))
	}

	// Four independent queries, run at once: the calendar, the outlet and brand codes, the series.
	// Every series with a row counts, even one whose rows all fall in dropped partial weeks (it is
	// then all zeros, as BACKTEST.md's protocol has it).
	outletWhere, outletArgs := f.where, f.args
	if q.ActiveOutlets {
		outletWhere, outletArgs = f.with(" AND outlet GLOBAL IN (SELECT outlet FROM outlets_dim WHERE dataset = ? "+
			"GROUP BY outlet HAVING argMax(status, version) = 'active')", q.Dataset)
	}
	brandWhere, brandArgs := f.where, f.args
	if q.ScarceBrands {
		brandWhere, brandArgs = f.with(" AND brand GLOBAL IN (SELECT brand FROM brands_dim WHERE dataset = ? "+
			"GROUP BY brand HAVING argMax(scarce, version) = 1)", q.Dataset)
	}
	seriesWhere, seriesArgs := f.where, f.args
	if !q.ActiveSince.IsZero() {
		seriesWhere, seriesArgs = f.with(" AND day >= toDate(?)", dateString(forecast.Monday(q.ActiveSince)))
	}
	var (
		weeks           []uint16
		outlets, brands map[uint64]string
		pairs           [][2]uint64
	)
	err = concurrently(
		func() (err error) { weeks, err = s.calendarWeeks(ctx, f, info.Period == PeriodDay); return err },
		func() (err error) {
			outlets, err = s.codes(ctx, "sales", "outlet", outletWhere, outletArgs)
			return err
		},
		func() (err error) { brands, err = s.codes(ctx, "sales", "brand", brandWhere, brandArgs); return err },
		func() (err error) { pairs, err = s.seriesKeys(ctx, seriesWhere, seriesArgs); return err },
	)
	if err != nil {
		return forecast.SalesPanel{}, err
	}
	p := forecast.SalesPanel{Weeks: make([]time.Time, len(weeks))}
	weekIndex := make(map[uint16]int, len(weeks))
	for i, w := range weeks {
		weekIndex[w] = i
		p.Weeks[i] = time.Unix(int64(w)*86400, 0).UTC()
	}
	if len(weeks) == 0 {
		return p, nil
	}
	if q.OnWeeks != nil {
		q.OnWeeks(p.Weeks)
	}
	acc := newSeriesAccumulator(outlets, brands, len(weeks))
	for _, k := range pairs {
		acc.addSeries(k[0], k[1])
	}
	pairs = nil
	acc.number()

	// Only rows from the first week of the calendar on: the days of a dropped partial week before
	// it would only be skipped.
	f.where += " AND day >= toDate(?)"
	f.args = append(slices.Clip(f.args), dateString(p.Weeks[0]))
	var query string
	if info.Period == PeriodDay {
		query = "SELECT cityHash64(outlet) AS o, cityHash64(brand) AS b, toUInt16(toMonday(day)) AS w, " +
			"sum(requested), sum(delivered), max(limited) FROM sales" + f.where + " GROUP BY o, b, w"
	} else {
		query = "SELECT cityHash64(outlet), cityHash64(brand), toUInt16(toMonday(day)), requested, delivered, limited " +
			"FROM sales" + f.where
	}
	rows, err := s.conn.Query(ctx, query, f.args...)
	if err != nil {
		return forecast.SalesPanel{}, err
	}
	var (
		ho, hb           uint64
		w                uint16
		requested, sales float64
		limited          uint8
		scanned          int
	)
	dest := []any{&ho, &hb, &w, &requested, &sales, &limited} // one slice for every Scan
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return forecast.SalesPanel{}, err
		}
		if scanned++; scanned%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				rows.Close()
				return forecast.SalesPanel{}, err
			}
			if q.Progress != nil {
				q.Progress(scanned)
			}
		}
		if t, ok := weekIndex[w]; ok { // else a partial week of a daily dataset
			acc.add(ho, hb, t, requested, sales, limited != 0)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return forecast.SalesPanel{}, err
	}
	if q.Progress != nil {
		q.Progress(scanned)
	}
	p.Series = acc.series()
	return p, nil
}

// concurrently runs fns at once and returns the first of their errors.
func concurrently(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// seriesKeys returns the distinct (cityHash64(outlet), cityHash64(brand)) of the rows of sales that
// where selects.
func (s *Store) seriesKeys(ctx context.Context, where string, args []any) ([][2]uint64, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT cityHash64(outlet), cityHash64(brand) FROM sales"+where, args...)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	defer rows.Close()
	var out [][2]uint64
	var k [2]uint64
	for rows.Next() {
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return nil, fmt.Errorf("series: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	return out, nil
}

// calendarWeeks returns the weeks of the dataset's calendar as day numbers of their Mondays,
// ascending: every week with a row, or, for daily data, every week with a row on each of its 7 days.
func (s *Store) calendarWeeks(ctx context.Context, f historyFilter, daily bool) ([]uint16, error) {
	query := "SELECT toUInt16(toMonday(day)) AS w, toUInt64(uniqExact(day)) FROM sales" + f.where + " GROUP BY w ORDER BY w"
	if !daily {
		query = "SELECT DISTINCT toUInt16(toMonday(day)) AS w, toUInt64(7) FROM sales" + f.where + " ORDER BY w"
	}
	rows, err := s.conn.Query(ctx, query, f.args...)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	defer rows.Close()
	var weeks []uint16
	for rows.Next() {
		var w uint16
		var days uint64
		if err := rows.Scan(&w, &days); err != nil {
			return nil, fmt.Errorf("calendar: %w", err)
		}
		if days == 7 {
			weeks = append(weeks, w)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return weeks, nil
}

// codes returns the distinct values of column (outlet or brand) of the rows of table that where
// selects, by their cityHash64. It fails on a hash collision, which would merge two codes' series.
func (s *Store) codes(ctx context.Context, table, column, where string, args []any) (map[uint64]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+column+", cityHash64("+column+") FROM "+table+where+" GROUP BY "+column, args...)
	if err != nil {
		return nil, fmt.Errorf("%ss: %w", column, err)
	}
	defer rows.Close()
	out := make(map[uint64]string)
	for rows.Next() {
		var code string
		var h uint64
		if err := rows.Scan(&code, &h); err != nil {
			return nil, fmt.Errorf("%ss: %w", column, err)
		}
		if other, ok := out[h]; ok {
			return nil, fmt.Errorf("%ss %q and %q have the same cityHash64; rename one", column, other, code)
		}
		out[h] = code
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%ss: %w", column, err)
	}
	return out, nil
}

// dayNumber returns the days since 1970-01-01 of t's date.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// seriesAccumulator places rows into dense weekly series as they stream in.
//
// Series are numbered in the order of their outlet and brand codes before any row comes, and rows
// are summed week-major (all series of a week side by side) in chunks of series: ClickHouse returns
// rows in the table's order (by day, then outlet and brand), so the rows of a day land on
// increasing, nearby addresses. Once every row is in, each chunk is transposed to one array per
// series and let go. Writing rows straight into per-series arrays (103 weeks apart in memory) took
// four times as long on 1M series: nearly every row missed the TLB.
type seriesAccumulator struct {
	weeks       int
	outletIdx   map[uint64]int32 // by cityHash64 of the code; indexes in the order of the codes
	brandIdx    map[uint64]int32
	outletCodes []string // by index
	brandCodes  []string
	dense       []int32          // outlet × brand → series + 1, when small enough
	sparse      map[uint64]int32 // (outlet << 32 | brand) → series + 1, otherwise
	slots       []uint64         // outlet × brand of each series, ascending once numbered
	chunks      [][]float64      // chunk c holds series c·chunkSeries … week-major: [week][series]
	diffs       [][]requestDiff  // rows whose request differs from their sales or that were limited
}

// chunkShift sets the series per chunk of a seriesAccumulator: 1 << chunkShift.
const chunkShift = 14

// requestDiff is a row that matters to the requests of its series: a limited one, or one whose
// request differs from its sales.
type requestDiff struct {
	series  int32
	week    uint16
	limited bool
	delta   float64 // requested − sales
}

type seriesKey struct{ outlet, brand int32 }

// maxDenseIndex bounds the outlet × brand table of a seriesAccumulator (4 bytes an entry).
const maxDenseIndex = 1 << 25

func newSeriesAccumulator(outlets, brands map[uint64]string, weeks int) *seriesAccumulator {
	a := &seriesAccumulator{weeks: weeks}
	a.outletIdx, a.outletCodes = indexCodes(outlets)
	a.brandIdx, a.brandCodes = indexCodes(brands)
	if n := len(a.outletCodes) * len(a.brandCodes); n <= maxDenseIndex {
		a.dense = make([]int32, n)
	} else {
		a.sparse = make(map[uint64]int32)
	}
	return a
}

// indexCodes numbers codes in sorted order.
func indexCodes(codes map[uint64]string) (map[uint64]int32, []string) {
	hashes := make([]uint64, 0, len(codes))
	for h := range codes {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, func(x, y uint64) int { return strings.Compare(codes[x], codes[y]) })
	idx := make(map[uint64]int32, len(codes))
	sorted := make([]string, len(hashes))
	for i, h := range hashes {
		idx[h] = int32(i)
		sorted[i] = codes[h]
	}
	return idx, sorted
}

// slot returns the outlet × brand slot of a row, or false for an outlet or brand not selected.
func (a *seriesAccumulator) slot(ho, hb uint64) (uint64, bool) {
	o, ok := a.outletIdx[ho]
	if !ok {
		return 0, false
	}
	b, ok := a.brandIdx[hb]
	if !ok {
		return 0, false
	}
	return uint64(o)*uint64(len(a.brandCodes)) + uint64(b), true
}

// addSeries records a series to read.
func (a *seriesAccumulator) addSeries(ho, hb uint64) {
	if slot, ok := a.slot(ho, hb); ok {
		a.slots = append(a.slots, slot)
	}
}

// number numbers the recorded series by slot, that is by outlet and brand code, and allocates
// their weeks.
func (a *seriesAccumulator) number() {
	slices.Sort(a.slots)
	a.slots = slices.Compact(a.slots)
	for i, slot := range a.slots {
		if a.dense != nil {
			a.dense[slot] = int32(i) + 1
		} else {
			a.sparse[slot] = int32(i) + 1
		}
	}
	n := len(a.slots)
	for lo := 0; lo < n; lo += 1 << chunkShift {
		a.chunks = append(a.chunks, make([]float64, a.weeks<<chunkShift))
	}
}

// add adds a row of week t to its series; rows of series not recorded are ignored.
func (a *seriesAccumulator) add(ho, hb uint64, t int, requested, sales float64, limited bool) {
	slot, ok := a.slot(ho, hb)
	if !ok {
		return
	}
	var i int32
	if a.dense != nil {
		i = a.dense[slot]
	} else {
		i = a.sparse[slot]
	}
	if i == 0 {
		return
	}
	i--
	a.chunks[i>>chunkShift][t<<chunkShift+int(i)&(1<<chunkShift-1)] += sales
	if limited || requested != sales {
		// In blocks, not one growing slice: no copying of millions of rows as it grows.
		if k := len(a.diffs); k == 0 || len(a.diffs[k-1]) == cap(a.diffs[k-1]) {
			a.diffs = append(a.diffs, make([]requestDiff, 0, 1<<16))
		}
		k := len(a.diffs) - 1
		a.diffs[k] = append(a.diffs[k], requestDiff{series: i, week: uint16(t), limited: limited, delta: requested - sales})
	}
}

// series returns the series, sorted by outlet and brand, with the requests and censored weeks of
// those that have any censored week. The accumulator is spent.
func (a *seriesAccumulator) series() []forecast.SalesSeries {
	n, weeks := len(a.slots), a.weeks
	out := make([]forecast.SalesSeries, n)
	nb := uint64(len(a.brandCodes))
	const tile = 256 // series transposed at a time: their weeks stay in cache
	// Each chunk is transposed into the memory of the chunk before it, which is done with: one
	// spare chunk in all, and no fresh memory to fault in (page faults cost as much as the rest).
	var spare []float64
	if len(a.chunks) > 0 {
		spare = make([]float64, len(a.chunks[0]))
	}
	for c, chunk := range a.chunks {
		lo := c << chunkShift
		m := min(n-lo, 1<<chunkShift)
		block := spare[: m*weeks : m*weeks]
		spare = chunk
		for t0 := 0; t0 < m; t0 += tile {
			t1 := min(t0+tile, m)
			for t := range weeks {
				src := chunk[t<<chunkShift+t0 : t<<chunkShift+t1]
				for k, v := range src {
					block[(t0+k)*weeks+t] = v
				}
			}
		}
		a.chunks[c] = nil
		for k := range m {
			slot := a.slots[lo+k]
			out[lo+k] = forecast.SalesSeries{Outlet: a.outletCodes[slot/nb], Brand: a.brandCodes[slot%nb],
				Sales: block[k*weeks : (k+1)*weeks : (k+1)*weeks]}
		}
	}
	for _, block := range a.diffs {
		for _, d := range block {
			if s := &out[d.series]; d.limited && s.Censored == nil {
				s.Censored = make([]bool, weeks)
				s.Requested = slices.Clone(s.Sales)
			}
		}
	}
	for _, block := range a.diffs {
		for _, d := range block {
			if s := &out[d.series]; s.Censored != nil {
				s.Requested[d.week] += d.delta
				s.Censored[d.week] = s.Censored[d.week] || d.limited
			}
		}
	}
	a.diffs = nil
	return out
}

// TrueDemand returns the true demand (table true_demand, written by the seed generator) of every
// series of p on p's calendar, in p's order; a week without a row is 0. It returns an error wrapping
// ErrUnknownDataset when the dataset has no true demand at all in p's weeks.
func (s *Store) TrueDemand(ctx context.Context, dataset string, p forecast.SalesPanel) (forecast.Panel, error) {
	out, err := s.trueDemand(ctx, dataset, p)
	if err != nil {
		return forecast.Panel{}, fmt.Errorf("clickhouse: read true demand of %s: %w", dataset, err)
	}
	return out, nil
}

func (s *Store) trueDemand(ctx context.Context, dataset string, p forecast.SalesPanel) (forecast.Panel, error) {
	out := forecast.Panel{Weeks: p.Weeks, Series: make([]forecast.Series, len(p.Series))}
	block := make([]float64, len(p.Series)*len(p.Weeks))
	outletIdx, brandIdx := make(map[string]int32), make(map[string]int32)
	index := make(map[seriesKey]int32, len(p.Series))
	for i, sr := range p.Series {
		n := len(p.Weeks)
		out.Series[i] = forecast.Series{Outlet: sr.Outlet, Brand: sr.Brand, Values: block[i*n : (i+1)*n : (i+1)*n]}
		o, ok := outletIdx[sr.Outlet]
		if !ok {
			o = int32(len(outletIdx))
			outletIdx[sr.Outlet] = o
		}
		b, ok := brandIdx[sr.Brand]
		if !ok {
			b = int32(len(brandIdx))
			brandIdx[sr.Brand] = b
		}
		index[seriesKey{o, b}] = int32(i)
	}
	if len(p.Weeks) == 0 {
		return out, nil
	}
	weekIndex := make(map[uint16]int, len(p.Weeks))
	for i, w := range p.Weeks {
		weekIndex[uint16(dayNumber(w))] = i
	}
	where := " WHERE dataset = ? AND week >= toDate(?) AND week <= toDate(?)"
	args := []any{dataset, dateString(p.Weeks[0]), dateString(p.Weeks[len(p.Weeks)-1])}
	outlets, err := s.codes(ctx, "true_demand", "outlet", where, args)
	if err != nil {
		return forecast.Panel{}, err
	}
	if len(outlets) == 0 {
		return forecast.Panel{}, fmt.Errorf("%w: no true demand in %s … %s", ErrUnknownDataset,
			dateString(p.Weeks[0]), dateString(p.Weeks[len(p.Weeks)-1]))
	}
	brands, err := s.codes(ctx, "true_demand", "brand", where, args)
	if err != nil {
		return forecast.Panel{}, err
	}
	rows, err := s.conn.Query(ctx, "SELECT cityHash64(outlet), cityHash64(brand), toUInt16(toMonday(week)), demand "+
		"FROM true_demand"+where, args...)
	if err != nil {
		return forecast.Panel{}, err
	}
	defer rows.Close()
	var (
		ho, hb uint64
		w      uint16
		demand float64
	)
	for rows.Next() {
		if err := rows.Scan(&ho, &hb, &w, &demand); err != nil {
			return forecast.Panel{}, err
		}
		t, ok := weekIndex[w]
		if !ok {
			continue
		}
		o, ok := outletIdx[outlets[ho]]
		if !ok {
			continue
		}
		b, ok := brandIdx[brands[hb]]
		if !ok {
			continue
		}
		if i, ok := index[seriesKey{o, b}]; ok {
			out.Series[i].Values[t] += demand
		}
	}
	if err := rows.Err(); err != nil {
		return forecast.Panel{}, err
	}
	return out, nil
}

// CalendarDay is one day of the calendar table.
type CalendarDay = forecast.CalendarDay

// Calendar returns the days of the calendar table in [from, to), of every region, by region and
// day, each day as its latest version says; then, when dataset is not empty, the holidays imported
// for dataset (ImportHolidays) in [from, to), by day, with their Dataset set. An empty calendar is no
// error.
func (s *Store) Calendar(ctx context.Context, dataset string, from, to time.Time) ([]CalendarDay, error) {
	rows, err := s.conn.Query(ctx, "SELECT region, toString(day) AS d, argMax(holiday, version), argMax(workday, version) "+
		"FROM calendar WHERE day >= toDate(?) AND day < toDate(?) GROUP BY region, d ORDER BY region, d",
		dateString(from), dateString(to))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read calendar: %w", err)
	}
	defer rows.Close()
	var out []CalendarDay
	for rows.Next() {
		var c CalendarDay
		var day string
		var workday uint8
		if err := rows.Scan(&c.Region, &day, &c.Holiday, &workday); err != nil {
			return nil, fmt.Errorf("clickhouse: read calendar: %w", err)
		}
		if c.Day, err = time.Parse(time.DateOnly, day); err != nil {
			return nil, fmt.Errorf("clickhouse: read calendar: day %q: %w", day, err)
		}
		c.Workday = workday != 0
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read calendar: %w", err)
	}
	if dataset == "" {
		return out, nil
	}
	imported, err := s.holidayDays(ctx, dataset, from, to)
	if err != nil {
		return nil, err
	}
	return append(out, imported...), nil
}
