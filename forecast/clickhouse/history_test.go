package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// insertSales writes order lines of a dataset straight into sales.
func insertSales(t *testing.T, conn driver.Conn, dataset string, sales []forecast.Sale) {
	t.Helper()
	var c struct {
		dataset, outlet, brand []string
		day                    []time.Time
		requested, granted     []float64
		delivered, limit       []float64
		limited                []uint8
	}
	for _, s := range sales {
		c.dataset = append(c.dataset, dataset)
		c.day = append(c.day, s.Day)
		c.outlet = append(c.outlet, s.Outlet)
		c.brand = append(c.brand, s.Brand)
		c.requested = append(c.requested, s.Requested)
		c.granted = append(c.granted, s.Granted)
		c.delivered = append(c.delivered, s.Delivered)
		c.limit = append(c.limit, s.Limit)
		c.limited = append(c.limited, seedFlag(s.Limited))
	}
	err := stores.InsertColumns(context.Background(), conn, "INSERT INTO sales (dataset, day, outlet, brand, requested, granted, "+
		"delivered, limit_qty, limited)", c.dataset, c.day, c.outlet, c.brand, c.requested, c.granted, c.delivered,
		c.limit, c.limited)
	if err != nil {
		t.Fatalf("insert sales: %v", err)
	}
	// The live lines again into sales_by_outlet, as the seed and the relay write them, each line its
	// own (a line's identity there is its outlet, day, brand, batch and order).
	if dataset != forecast.LiveDataset {
		return
	}
	batch, orders := make([]string, len(sales)), make([]uint64, len(sales))
	for i := range sales {
		batch[i], orders[i] = "test", testLines.Add(1)
	}
	err = stores.InsertColumns(context.Background(), conn, "INSERT INTO sales_by_outlet (dataset, day, outlet, brand, requested, "+
		"granted, delivered, order_id, batch_id)", c.dataset, c.day, c.outlet, c.brand, c.requested, c.granted, c.delivered, orders, batch)
	if err != nil {
		t.Fatalf("insert sales_by_outlet: %v", err)
	}
}

// testLines numbers the lines insertSales writes into sales_by_outlet.
var testLines atomic.Uint64

// line is an order line of the live history: requested, granted (and delivered) and whether a limit
// cut it.
func line(d, outlet, brand string, requested, granted float64, limited bool) forecast.Sale {
	return forecast.Sale{Day: day(d), Outlet: outlet, Brand: brand, Requested: requested, Granted: granted,
		Delivered: granted, Limited: limited}
}

// liveHistory is a small live history over three weeks: 2026-01-05 (A), 01-12 (B) and 01-19 (C).
var liveHistory = []forecast.Sale{
	line("2026-01-05", "O1", "B1", 5, 3, true), // A: a limit cut 5 to 3
	line("2026-01-14", "O1", "B1", 2, 2, false),
	line("2026-01-19", "O1", "B1", 4, 0, true), // C: a stock-out, limit 0
	line("2026-01-06", "O1", "B2", 1, 1, false),
	line("2026-01-08", "O1", "B2", 2, 2, false),                                                           // A again: summed
	{Day: day("2026-01-21"), Outlet: "O1", Brand: "B2", Requested: 2},                                     // C: a failed order
	line("2026-01-13", "O2", "B1", 4, 4, false),                                                           // B
	{Day: day("2026-01-16"), Outlet: "O2", Brand: "B1", Requested: 1, Granted: 1, Delivered: 0.5},         // B: half arrived
	{Day: day("2026-01-20"), Outlet: "O2", Brand: "B2", Requested: 3, Granted: 3, Delivered: 3, Limit: 3}, // C, at the limit
}

func TestSalesHistoryLive(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	insertSales(t, conn, forecast.LiveDataset, liveHistory)
	insertSales(t, conn, "other", []forecast.Sale{line("2026-01-26", "O1", "B1", 9, 9, false)}) // not live
	err := stores.InsertColumns(ctx, conn, "INSERT INTO outlets_dim (dataset, outlet, status, version)",
		[]string{"live", "live", "live"}, []string{"O1", "O2", "O2"}, []string{"active", "active", "closed"},
		[]uint64{1, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	err = stores.InsertColumns(ctx, conn, "INSERT INTO brands_dim (dataset, brand, scarce, version)",
		[]string{"live", "live", "live"}, []string{"B1", "B2", "B2"}, []uint8{1, 1, 0}, []uint64{1, 1, 2})
	if err != nil {
		t.Fatal(err)
	}

	o1b1 := forecast.SalesSeries{Outlet: "O1", Brand: "B1", Sales: []float64{3, 2, 0}, Requested: []float64{5, 2, 4},
		Censored: []bool{true, false, true}}
	o1b2 := forecast.SalesSeries{Outlet: "O1", Brand: "B2", Sales: []float64{3, 0, 0}}
	o2b1 := forecast.SalesSeries{Outlet: "O2", Brand: "B1", Sales: []float64{0, 4.5, 0}}
	o2b2 := forecast.SalesSeries{Outlet: "O2", Brand: "B2", Sales: []float64{0, 0, 3}}
	abc := []time.Time{day("2026-01-05"), day("2026-01-12"), day("2026-01-19")}
	ab := abc[:2]
	cut := func(s forecast.SalesSeries, n int) forecast.SalesSeries {
		s.Sales = s.Sales[:n]
		if s.Requested != nil {
			s.Requested, s.Censored = s.Requested[:n], s.Censored[:n]
		}
		return s
	}
	tests := []struct {
		name  string
		q     HistoryQuery
		weeks []time.Time
		want  []forecast.SalesSeries
	}{
		{"all", HistoryQuery{}, abc, []forecast.SalesSeries{o1b1, o1b2, o2b1, o2b2}},
		{"before the week of Wednesday 21 January", HistoryQuery{Before: day("2026-01-21")}, ab,
			[]forecast.SalesSeries{cut(o1b1, 2), cut(o1b2, 2), cut(o2b1, 2)}},
		{"active since week C", HistoryQuery{ActiveSince: day("2026-01-22")}, abc,
			[]forecast.SalesSeries{o1b1, o1b2, o2b2}},
		{"active outlets", HistoryQuery{ActiveOutlets: true}, abc, []forecast.SalesSeries{o1b1, o1b2}},
		{"scarce brands", HistoryQuery{ScarceBrands: true}, abc, []forecast.SalesSeries{o1b1, o2b1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Dataset = forecast.LiveDataset
			var progress []int
			tt.q.Progress = func(rows int) { progress = append(progress, rows) }
			p, err := s.SalesHistory(ctx, tt.q)
			if err != nil {
				t.Fatalf("SalesHistory(%+v): %v", tt.q, err)
			}
			if !slices.EqualFunc(p.Weeks, tt.weeks, time.Time.Equal) {
				t.Errorf("weeks = %v; want %v", p.Weeks, tt.weeks)
			}
			if !slices.EqualFunc(p.Series, tt.want, equalSeries) {
				t.Errorf("series =\n%+v\nwant\n%+v", p.Series, tt.want)
			}
			if len(progress) == 0 {
				t.Errorf("Progress was never called")
			}
		})
	}
}

func equalSeries(a, b forecast.SalesSeries) bool {
	return a.Outlet == b.Outlet && a.Brand == b.Brand && slices.Equal(a.Sales, b.Sales) &&
		slices.Equal(a.Requested, b.Requested) && slices.Equal(a.Censored, b.Censored)
}

// A daily dataset: days summed into Monday weeks; a week with fewer than 7 days in the data dropped.
func TestSalesHistoryDaily(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	var sales []forecast.Sale
	sale := func(d, outlet, brand string, qty float64) {
		sales = append(sales, forecast.Sale{Day: day(d), Outlet: outlet, Brand: brand, Requested: qty, Granted: qty, Delivered: qty})
	}
	sale("2026-01-03", "O3", "B1", 5) // Saturday: a partial week, dropped
	for d := range 7 {                // the week of 5 January: all 7 days
		sale(day("2026-01-05").AddDate(0, 0, d).Format(time.DateOnly), "O1", "B1", 1)
	}
	sale("2026-01-07", "O2", "B1", 10)
	for d := range 7 { // the week of 12 January, with one day in each of two series
		outlet := "O1"
		if d%2 == 1 {
			outlet = "O2"
		}
		sale(day("2026-01-12").AddDate(0, 0, d).Format(time.DateOnly), outlet, "B1", float64(d))
	}
	sale("2026-01-19", "O1", "B1", 3) // a partial week at the end, dropped
	i := 0
	res, err := s.ImportHistory(ctx, ImportMeta{Dataset: "tiny", Period: PeriodDay, Source: "test"},
		func() (forecast.Sale, error) {
			if i == len(sales) {
				return forecast.Sale{}, io.EOF
			}
			i++
			return sales[i-1], nil
		})
	if err != nil {
		t.Fatalf("ImportHistory: %v (%+v)", err, res)
	}
	var told []time.Time // the weeks OnWeeks was called with, before any row was read
	p, err := s.SalesHistory(ctx, HistoryQuery{Dataset: "tiny", OnWeeks: func(w []time.Time) { told = slices.Clone(w) }})
	if err != nil {
		t.Fatalf("SalesHistory: %v", err)
	}
	wantWeeks := []time.Time{day("2026-01-05"), day("2026-01-12")}
	if !slices.EqualFunc(told, wantWeeks, time.Time.Equal) {
		t.Errorf("OnWeeks was called with %v; want the panel's weeks %v", told, wantWeeks)
	}
	want := []forecast.SalesSeries{
		{Outlet: "O1", Brand: "B1", Sales: []float64{7, 0 + 2 + 4 + 6}},
		{Outlet: "O2", Brand: "B1", Sales: []float64{10, 1 + 3 + 5}},
		{Outlet: "O3", Brand: "B1", Sales: []float64{0, 0}}, // as forecast.Builder: a series, all zeros
	}
	if !slices.EqualFunc(p.Weeks, wantWeeks, time.Time.Equal) || !slices.EqualFunc(p.Series, want, equalSeries) {
		t.Errorf("SalesHistory(tiny) = %v %+v; want %v %+v", p.Weeks, p.Series, wantWeeks, want)
	}

	// The same through the pure Builder gives the same panel.
	b := forecast.NewBuilder(forecast.Daily)
	for _, x := range sales {
		b.Add(forecast.Observation{Day: x.Day, Outlet: x.Outlet, Brand: x.Brand, Qty: x.Delivered})
	}
	bp := b.Panel()
	if got := p.Panel(); !slices.EqualFunc(got.Weeks, bp.Weeks, time.Time.Equal) ||
		!slices.EqualFunc(got.Series, bp.Series, func(a, b forecast.Series) bool {
			return a.Outlet == b.Outlet && a.Brand == b.Brand && slices.Equal(a.Values, b.Values)
		}) {
		t.Errorf("SalesHistory(tiny).Panel() = %+v; forecast.Builder gives %+v", got, bp)
	}

	info, err := s.Dataset(ctx, "tiny")
	if err != nil || info.Period != PeriodDay || info.Rows != uint64(len(sales)) ||
		!info.FirstDay.Equal(day("2026-01-03")) || !info.LastDay.Equal(day("2026-01-19")) {
		t.Errorf("Dataset(tiny) = %+v, %v; want period day, %d rows, 2026-01-03 to 2026-01-19", info, err, len(sales))
	}
}

func TestDatasetUnknown(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	insertSales(t, conn, "unrecorded", []forecast.Sale{line("2026-01-05", "O1", "B1", 1, 1, false)})
	for _, name := range []string{"nothing", "unrecorded", forecast.LiveDataset} {
		if _, err := s.Dataset(ctx, name); !errors.Is(err, ErrUnknownDataset) {
			t.Errorf("Dataset(%s) = %v; want %v", name, err, ErrUnknownDataset)
		}
		if _, err := s.SalesHistory(ctx, HistoryQuery{Dataset: name}); !errors.Is(err, ErrUnknownDataset) {
			t.Errorf("SalesHistory(%s) = %v; want %v", name, err, ErrUnknownDataset)
		}
	}
}

func TestTrueDemand(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	insertSales(t, conn, forecast.LiveDataset, liveHistory)
	p, err := s.SalesHistory(ctx, HistoryQuery{Dataset: forecast.LiveDataset})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.TrueDemand(ctx, forecast.LiveDataset, p); !errors.Is(err, ErrUnknownDataset) {
		t.Errorf("TrueDemand without any = %v; want %v", err, ErrUnknownDataset)
	}
	w := s.NewSeedWriter("seed-1", 0)
	err = w.Add(ctx, nil, []forecast.DemandPoint{
		{Week: day("2026-01-05"), Outlet: "O1", Brand: "B1", Demand: 6},
		{Week: day("2026-01-19"), Outlet: "O1", Brand: "B1", Demand: 5},
		{Week: day("2026-01-12"), Outlet: "O2", Brand: "B2", Demand: 1},
		{Week: day("2026-01-12"), Outlet: "O9", Brand: "B1", Demand: 7}, // no such series
		{Week: day("2026-02-02"), Outlet: "O1", Brand: "B1", Demand: 8}, // after the calendar
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatalf("write true demand: %v", err)
	}
	d, err := s.TrueDemand(ctx, forecast.LiveDataset, p)
	if err != nil {
		t.Fatalf("TrueDemand: %v", err)
	}
	want := [][]float64{{6, 0, 5}, {0, 0, 0}, {0, 0, 0}, {0, 1, 0}}
	for i, sr := range d.Series {
		if sr.Outlet != p.Series[i].Outlet || sr.Brand != p.Series[i].Brand || !slices.Equal(sr.Values, want[i]) {
			t.Errorf("series %d = %s %s %v; want %s %s %v", i, sr.Outlet, sr.Brand, sr.Values,
				p.Series[i].Outlet, p.Series[i].Brand, want[i])
		}
	}
}

func TestCalendar(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	days, err := s.Calendar(ctx, "", day("2026-01-01"), day("2027-01-01"))
	if err != nil || len(days) != 0 {
		t.Fatalf("Calendar of an empty table = %v, %v; want nothing, no error", days, err)
	}
	err = stores.InsertColumns(ctx, conn, "INSERT INTO calendar (region, day, holiday, workday, version)",
		[]string{"CN", "CN", "CN", "CN"},
		[]time.Time{day("2026-02-17"), day("2026-02-14"), day("2026-02-14"), day("2027-02-06")},
		[]string{"Spring Festival", "", "make-up day", "Spring Festival"}, []uint8{0, 0, 1, 0}, []uint64{1, 1, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	days, err = s.Calendar(ctx, "", day("2026-01-01"), day("2027-01-01"))
	want := []CalendarDay{
		{Region: "CN", Day: day("2026-02-14"), Holiday: "make-up day", Workday: true},
		{Region: "CN", Day: day("2026-02-17"), Holiday: "Spring Festival"},
	}
	if err != nil || !slices.EqualFunc(days, want, func(a, b CalendarDay) bool {
		return a.Region == b.Region && a.Day.Equal(b.Day) && a.Holiday == b.Holiday && a.Workday == b.Workday
	}) {
		t.Errorf("Calendar = %+v, %v; want %+v", days, err, want)
	}
}

// The accumulator gives the same series whether it indexes outlet × brand in a table or a map, and
// across several chunks of series.
func TestSeriesAccumulator(t *testing.T) {
	outlets := map[uint64]string{11: "O2", 12: "O1", 13: "O3"}
	brands := map[uint64]string{21: "B2", 22: "B1"}
	build := func(sparse bool) []forecast.SalesSeries {
		a := newSeriesAccumulator(outlets, brands, 3)
		if sparse {
			a.dense, a.sparse = nil, make(map[uint64]int32)
		}
		for _, k := range [][2]uint64{{11, 21}, {12, 22}, {13, 21}, {11, 21}, {99, 21}, {12, 98}} {
			a.addSeries(k[0], k[1])
		}
		a.number()
		a.add(11, 21, 0, 2, 2, false)
		a.add(11, 21, 2, 5, 1, true)
		a.add(12, 22, 1, 3, 3, false)
		a.add(12, 22, 1, 4, 0, false) // a failed order: not censored, requests not kept
		a.add(13, 22, 1, 9, 9, false) // not a series to read
		a.add(99, 21, 1, 9, 9, false) // not an outlet to read
		return a.series()
	}
	want := []forecast.SalesSeries{
		{Outlet: "O1", Brand: "B1", Sales: []float64{0, 3, 0}},
		{Outlet: "O2", Brand: "B2", Sales: []float64{2, 0, 1}, Requested: []float64{2, 0, 5}, Censored: []bool{false, false, true}},
		{Outlet: "O3", Brand: "B2", Sales: []float64{0, 0, 0}},
	}
	for _, sparse := range []bool{false, true} {
		if got := build(sparse); !slices.EqualFunc(got, want, equalSeries) {
			t.Errorf("series (sparse index %v) = %+v; want %+v", sparse, got, want)
		}
	}

	// Many series: several chunks, transposed each into the memory of the one before.
	n := 3<<chunkShift + 5
	codes := make(map[uint64]string, n)
	for i := range n {
		codes[uint64(1000+i)] = fmt.Sprintf("O%06d", i)
	}
	a := newSeriesAccumulator(codes, map[uint64]string{1: "B"}, 4)
	for i := range n {
		a.addSeries(uint64(1000+i), 1)
	}
	a.number()
	for i := range n {
		for w := range 4 {
			a.add(uint64(1000+i), 1, w, 0, float64(i*10+w), false)
		}
	}
	for i, s := range a.series() {
		w := []float64{float64(i * 10), float64(i*10 + 1), float64(i*10 + 2), float64(i*10 + 3)}
		if s.Outlet != fmt.Sprintf("O%06d", i) || !slices.Equal(s.Sales, w) {
			t.Fatalf("series %d = %s %v; want O%06d %v", i, s.Outlet, s.Sales, i, w)
		}
	}
}
