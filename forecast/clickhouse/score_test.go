package clickhouse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
)

// writeFlatRun stores a run of the live dataset whose outlet × brand series forecast point every
// week, and returns it.
func writeFlatRun(t *testing.T, s *Store, id, asOf string, horizon int, started time.Time, points map[[2]string]float64) Run {
	t.Helper()
	weeks := make([]time.Time, horizon)
	for j := range weeks {
		weeks[j] = day(asOf).AddDate(0, 0, 7*j)
	}
	keys := slices.SortedFunc(maps.Keys(points), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	r := Run{ID: id, Dataset: forecast.LiveDataset, AsOf: weeks[0], Weeks: weeks, Models: "flat", StartedAt: started}
	brandIdx := make(map[string]int)
	for _, k := range keys {
		if _, ok := brandIdx[k[1]]; !ok {
			brandIdx[k[1]] = len(r.BrandCodes)
			r.BrandCodes = append(r.BrandCodes, k[1])
		}
	}
	r.Series = forecast.NewForecasts(len(keys), horizon, true)
	for i, k := range keys {
		for j := range horizon {
			// an interval of ±half the point: OutletForecast reads its upper bound
			r.Series[i].Mean[j], r.Series[i].Lower[j], r.Series[i].Upper[j] = points[k], points[k]/2, points[k]*1.5
		}
		r.Outlets = append(r.Outlets, k[0])
		r.Brands = append(r.Brands, k[1])
		r.SeriesModel = append(r.SeriesModel, "flat")
		r.BrandOf = append(r.BrandOf, brandIdx[k[1]])
	}
	rec, err := forecast.Reconcile(r.Series, r.BrandOf, len(r.BrandCodes))
	if err != nil {
		t.Fatal(err)
	}
	r.Reconciled = rec
	if err := s.WriteRun(context.Background(), r, 0, nil); err != nil {
		t.Fatalf("WriteRun %s: %v", id, err)
	}
	return r
}

func insertTrueDemand(t *testing.T, conn driver.Conn, dataset string, rows []forecast.DemandPoint) {
	t.Helper()
	var ds, outlet, brand []string
	var week []time.Time
	var demand []float64
	for _, r := range rows {
		ds, week, outlet, brand, demand = append(ds, dataset), append(week, r.Week), append(outlet, r.Outlet),
			append(brand, r.Brand), append(demand, r.Demand)
	}
	err := stores.InsertColumns(context.Background(), conn, "INSERT INTO true_demand (dataset, week, outlet, brand, demand)",
		ds, week, outlet, brand, demand)
	if err != nil {
		t.Fatal(err)
	}
}

func itemsOf(items []forecast.ScoreItem, actual bool) map[[2]string]float64 {
	out := make(map[[2]string]float64)
	for _, it := range items {
		v := it.Forecast
		if actual {
			v = it.Actual
		}
		out[[2]string{it.Outlet, it.Brand}] += v
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func sameItems(got, want map[[2]string]float64) bool {
	return maps.EqualFunc(got, want, near)
}

func TestScoreSources(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	october := day("2026-10-01")
	started := time.Date(2026, 9, 27, 8, 0, 0, 0, time.UTC)
	writeFlatRun(t, s, "r-old", "2026-09-21", 6, started, map[[2]string]float64{{"O1", "B1"}: 1})
	writeFlatRun(t, s, "r-oct", "2026-09-28", 5, started, map[[2]string]float64{{"O1", "B1"}: 10, {"O2", "B1"}: 5})
	writeFlatRun(t, s, "r-late", "2026-10-05", 2, started, map[[2]string]float64{{"O1", "B1"}: 11})

	run, err := s.CoveringRun(ctx, forecast.LiveDataset, october.AddDate(0, 0, 14))
	if err != nil || run.ID != "r-oct" || run.Horizon != 5 {
		t.Errorf("CoveringRun(October) = %+v, %v; want r-oct, the latest that covers all of it", run, err)
	}
	if _, err := s.CoveringRun(ctx, forecast.LiveDataset, day("2026-12-01")); !errors.Is(err, forecast.ErrNoRun) {
		t.Errorf("CoveringRun(December) = %v; want %v", err, forecast.ErrNoRun)
	}

	// 28 September … 4 October has 4 days in October, 26 October … 1 November 6: 31/7 weeks in all.
	fc, err := s.MonthForecasts(ctx, "r-oct", october)
	want := map[[2]string]float64{{"O1", "B1"}: 10 * 31.0 / 7, {"O2", "B1"}: 5 * 31.0 / 7}
	if err != nil || !sameItems(itemsOf(fc, false), want) {
		t.Errorf("MonthForecasts(r-oct, October) = %v, %v; want %v", itemsOf(fc, false), err, want)
	}

	insertSales(t, conn, forecast.LiveDataset, []forecast.Sale{
		line("2026-10-02", "O1", "B1", 20, 20, false),
		line("2026-09-30", "O1", "B1", 7, 7, false), // September
		line("2026-10-31", "O3", "B2", 4, 4, false),
		line("2026-10-14", "O1", "B1", 12, 5, true),                       // a limit cut 12 to 5
		line("2026-11-01", "O3", "B2", 9, 9, false),                       // November
		{Day: day("2026-10-20"), Outlet: "O2", Brand: "B2", Requested: 3}, // a failed order: nothing delivered
	})
	got, err := s.MonthActuals(ctx, forecast.LiveDataset, october, forecast.AgainstSales)
	want = map[[2]string]float64{{"O1", "B1"}: 25, {"O3", "B2"}: 4}
	if err != nil || !sameItems(itemsOf(got, true), want) {
		t.Errorf("MonthActuals(live, sales) = %v, %v; want %v", itemsOf(got, true), err, want)
	}
	// Against the requests: what the limit cut and the failed order count in full.
	got, err = s.MonthActuals(ctx, forecast.LiveDataset, october, forecast.AgainstRequested)
	want = map[[2]string]float64{{"O1", "B1"}: 32, {"O3", "B2"}: 4, {"O2", "B2"}: 3}
	if err != nil || !sameItems(itemsOf(got, true), want) {
		t.Errorf("MonthActuals(live, requested) = %v, %v; want %v", itemsOf(got, true), err, want)
	}

	if _, err := s.MonthActuals(ctx, forecast.LiveDataset, october, forecast.AgainstTruth); !errors.Is(err, ErrUnknownDataset) {
		t.Errorf("MonthActuals(truth) without true demand = %v; want %v", err, ErrUnknownDataset)
	}
	insertTrueDemand(t, conn, forecast.LiveDataset, []forecast.DemandPoint{
		{Week: day("2026-09-21"), Outlet: "O1", Brand: "B1", Demand: 50}, // all in September
		{Week: day("2026-09-28"), Outlet: "O1", Brand: "B1", Demand: 7},  // 4 of 7 days in October
		{Week: day("2026-10-26"), Outlet: "O2", Brand: "B1", Demand: 14}, // 6 of 7
		{Week: day("2026-11-02"), Outlet: "O2", Brand: "B1", Demand: 70},
	})
	got, err = s.MonthActuals(ctx, forecast.LiveDataset, october, forecast.AgainstTruth)
	want = map[[2]string]float64{{"O1", "B1"}: 4, {"O2", "B1"}: 12}
	if err != nil || !sameItems(itemsOf(got, true), want) {
		t.Errorf("MonthActuals(live, truth) = %v, %v; want %v", itemsOf(got, true), err, want)
	}

	// A weekly import stands each row on its Monday for the whole week: split by days.
	insertSales(t, conn, "wk", []forecast.Sale{
		line("2026-09-28", "S1", "D1", 70, 70, false),
		line("2026-10-26", "S1", "D1", 14, 7, true),
		line("2026-11-02", "S1", "D1", 700, 700, false),
	})
	err = stores.InsertColumns(ctx, conn, "INSERT INTO datasets (dataset, period, source, rows, imported_at)",
		[]string{"wk"}, []string{PeriodWeek}, []string{"test"}, []uint64{3}, []time.Time{started})
	if err != nil {
		t.Fatal(err)
	}
	got, err = s.MonthActuals(ctx, "wk", october, forecast.AgainstSales)
	want = map[[2]string]float64{{"S1", "D1"}: 40 + 6}
	if err != nil || !sameItems(itemsOf(got, true), want) {
		t.Errorf("MonthActuals(weekly import) = %v, %v; want %v", itemsOf(got, true), err, want)
	}
	got, err = s.MonthActuals(ctx, "wk", october, forecast.AgainstRequested)
	want = map[[2]string]float64{{"S1", "D1"}: 40 + 12}
	if err != nil || !sameItems(itemsOf(got, true), want) {
		t.Errorf("MonthActuals(weekly import, requested) = %v, %v; want %v", itemsOf(got, true), err, want)
	}

	err = stores.InsertColumns(ctx, conn, "INSERT INTO outlets_dim (dataset, outlet, manager, area, version)",
		[]string{"live", "live", "live", "wk"}, []string{"O1", "O1", "O2", "O1"}, []string{"M1", "M2", "M1", "X"},
		[]string{"A1", "A1", "A2", "X"}, []uint64{1, 2, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	infos, err := s.OutletInfos(ctx, forecast.LiveDataset)
	wantInfos := []forecast.OutletInfo{{Outlet: "O1", Manager: "M2", Area: "A1"}, {Outlet: "O2", Manager: "M1", Area: "A2"}}
	if err != nil || !slices.Equal(infos, wantInfos) {
		t.Errorf("OutletInfos = %v, %v; want %v", infos, err, wantInfos)
	}
}

// Scores as written, read by a store that reads the table each time and by one that keeps the
// levels (KeepScores) as another server would: each read twice, a new scoring by the writer shows to
// the next read.
func TestScoresWriteAndRead(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "read", true: "kept"}[keep], func(t *testing.T) { scoresWriteAndRead(t, keep) })
	}
}

func scoresWriteAndRead(t *testing.T, keep bool) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s, r := New(conn), New(conn) // the writer; the reader
	if keep {
		r.KeepScores()
	}
	twice := func(q forecast.ScoreQuery) (forecast.ScoreSet, error) {
		first, err := r.Scores(ctx, q)
		if err != nil {
			return first, err
		}
		set, err := r.Scores(ctx, q)
		if err == nil && fmt.Sprint(set) != fmt.Sprint(first) { // NaN WAPEs compared as printed
			t.Errorf("Scores(%+v) read again = %+v; want %+v as before", q, set, first)
		}
		return set, err
	}
	october := day("2026-10-01")
	q := forecast.ScoreQuery{Month: october.AddDate(0, 0, 9), Level: forecast.ScoreOutlet}
	if _, err := twice(q); !errors.Is(err, forecast.ErrNoScores) {
		t.Errorf("Scores before any scoring = %v; want %v", err, forecast.ErrNoScores)
	}
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	first := forecast.ScoreMonth([]forecast.ScoreItem{
		{Outlet: "O1", Brand: "B1", Actual: 20, Forecast: 10},
		{Outlet: "O2", Brand: "B1", Actual: 0, Forecast: 5},
	}, nil)
	if err := s.WriteScores(ctx, forecast.ScoreSet{Month: october, Dataset: "live", Against: forecast.AgainstSales,
		RunID: "r1", ScoredAt: at, Scores: first}); err != nil {
		t.Fatalf("WriteScores: %v", err)
	}
	set, err := twice(q)
	if err != nil || set.RunID != "r1" || !set.ScoredAt.Equal(at) || len(set.Scores) != 2 {
		t.Fatalf("Scores = %+v, %v; want 2 outlets of run r1 scored at %s", set, err, at)
	}
	o1, o2 := set.Scores[0], set.Scores[1]
	if o1.Key != "O1" || o1.Actual != 20 || o1.Forecast != 10 || o1.Accuracy != 0.5 || o1.WAPE != 0.5 || o1.Bias != -0.5 {
		t.Errorf("O1 = %+v; want actual 20, forecast 10, accuracy, wape 0.5, bias −0.5", o1)
	}
	if o2.Key != "O2" || o2.Accuracy != 0 || !math.IsNaN(o2.WAPE) || !math.IsNaN(o2.Bias) {
		t.Errorf("O2 = %+v; want accuracy 0, WAPE and bias NaN (no actual)", o2)
	}

	// Re-scoring, even at the same second, replaces the month: O2 is no longer scored.
	second := forecast.ScoreMonth([]forecast.ScoreItem{{Outlet: "O1", Brand: "B1", Actual: 20, Forecast: 19}}, nil)
	if err := s.WriteScores(ctx, forecast.ScoreSet{Month: october, Dataset: "live", Against: forecast.AgainstSales,
		RunID: "r2", ScoredAt: at, Scores: second}); err != nil {
		t.Fatalf("WriteScores again: %v", err)
	}
	set, err = twice(q)
	if err != nil || set.RunID != "r2" || !set.ScoredAt.Equal(at.Add(time.Second)) || len(set.Scores) != 1 ||
		set.Scores[0].Forecast != 19 {
		t.Errorf("Scores after re-scoring = %+v, %v; want O1 alone, forecast 19, run r2, a second later", set, err)
	}
	// Other scopes are apart: the truth, another month, a level, keys.
	if _, err := twice(forecast.ScoreQuery{Month: october, Against: forecast.AgainstTruth}); !errors.Is(err, forecast.ErrNoScores) {
		t.Errorf("Scores against the truth = %v; want %v", err, forecast.ErrNoScores)
	}
	set, err = twice(forecast.ScoreQuery{Month: october})
	if err != nil || len(set.Scores) != 1 || set.Scores[0].Level != forecast.ScoreCompany || set.Scores[0].Key != "" {
		t.Errorf("Scores of the company = %+v, %v", set, err)
	}
	set, err = twice(forecast.ScoreQuery{Month: october, Level: forecast.ScoreOutlet, Keys: []string{"O9"}})
	if err != nil || len(set.Scores) != 0 {
		t.Errorf("Scores of outlet O9 = %+v, %v; want none, no error", set, err)
	}
	// Kept: the outlets read once per scoring, the company once; keys and a month never scored are
	// read from the table each time.
	if req, _ := r.ScoreComputations(); keep && req != 3 {
		t.Errorf("levels read from the table for the reader: %d; want 3", req)
	}
}

func TestOutletForecast(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(t))
	if _, _, err := s.OutletForecast(ctx, "O1", day("2026-10-14")); !errors.Is(err, forecast.ErrNoRun) {
		t.Errorf("OutletForecast before any run = %v; want %v", err, forecast.ErrNoRun)
	}
	early := time.Date(2026, 9, 27, 8, 0, 0, 0, time.UTC)
	writeFlatRun(t, s, "r-oct", "2026-09-28", 5, early, map[[2]string]float64{{"O1", "B1"}: 10, {"O1", "B2"}: 2, {"O2", "B1"}: 5})
	writeFlatRun(t, s, "r-late", "2026-10-05", 2, early, map[[2]string]float64{{"O1", "B1"}: 11})
	writeFlatRun(t, s, "r-later", "2026-10-05", 2, early.Add(time.Hour), map[[2]string]float64{{"O1", "B1"}: 12})
	type d = ordering.Demand
	tests := []struct {
		outlet, day string
		want        map[string]ordering.Demand
		run         string
	}{
		{"O1", "2026-10-14", map[string]d{"B1": {Expected: 12, Upper: 18}}, "r-later"}, // the latest started of the latest as-of
		{"O1", "2026-10-21", map[string]d{"B1": {Expected: 10, Upper: 15}, "B2": {Expected: 2, Upper: 3}}, "r-oct"},
		{"O1", "2026-09-28", map[string]d{"B1": {Expected: 10, Upper: 15}, "B2": {Expected: 2, Upper: 3}}, "r-oct"},
		{"O9", "2026-10-21", map[string]d{}, "r-oct"},
	}
	for _, tt := range tests {
		got, run, err := s.OutletForecast(ctx, tt.outlet, day(tt.day))
		if err != nil || run != tt.run || !maps.Equal(got, tt.want) {
			t.Errorf("OutletForecast(%s, %s) = %v, %s, %v; want %v from %s", tt.outlet, tt.day, got, run, err, tt.want, tt.run)
		}
	}
	if _, _, err := s.OutletForecast(ctx, "O1", day("2026-11-02")); !errors.Is(err, forecast.ErrNoRun) {
		t.Errorf("OutletForecast after every run = %v; want %v", err, forecast.ErrNoRun)
	}
}

func TestBrandsAndCalendarWrite(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	err := stores.InsertColumns(ctx, conn, "INSERT INTO brands_dim (dataset, brand, manufacturer, price_class, scarce, "+
		"new_product, launch_date, version)",
		[]string{"live", "live", "live", "m5"}, []string{"B1", "B1", "N1", "X"}, []string{"M1", "M2", "M1", ""},
		[]uint8{2, 3, 2, 0}, []uint8{0, 1, 0, 0}, []uint8{0, 0, 1, 0},
		[]time.Time{time.Unix(0, 0).UTC(), time.Unix(0, 0).UTC(), day("2026-12-02"), time.Unix(0, 0).UTC()}, []uint64{1, 2, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	brands, err := s.Brands(ctx, forecast.LiveDataset)
	want := []forecast.Brand{
		{Code: "B1", Manufacturer: "M2", PriceClass: 3, Scarce: true},
		{Code: "N1", Manufacturer: "M1", PriceClass: 2, NewProduct: true, Launch: day("2026-12-02")},
	}
	if err != nil || !slices.EqualFunc(brands, want, func(a, b forecast.Brand) bool {
		return a.Code == b.Code && a.Manufacturer == b.Manufacturer && a.PriceClass == b.PriceClass &&
			a.Scarce == b.Scarce && a.NewProduct == b.NewProduct && a.Launch.Equal(b.Launch)
	}) {
		t.Errorf("Brands = %+v, %v; want %+v", brands, err, want)
	}

	days := []forecast.CalendarDay{{Region: "CN", Day: day("2027-02-06"), Holiday: "Spring Festival"},
		{Region: "CN", Day: day("2027-02-14"), Workday: true}}
	if err := s.WriteCalendar(ctx, days, 1); err != nil {
		t.Fatalf("WriteCalendar: %v", err)
	}
	if err := s.WriteCalendar(ctx, []forecast.CalendarDay{{Region: "CN", Day: day("2027-02-06"), Holiday: "Spring Festival eve"}}, 2); err != nil {
		t.Fatalf("WriteCalendar again: %v", err)
	}
	got, err := s.Calendar(ctx, "", day("2027-01-01"), day("2027-03-01"))
	if err != nil || len(got) != 2 || got[0].Holiday != "Spring Festival eve" || !got[1].Workday || got[1].Holiday != "" {
		t.Errorf("Calendar = %+v, %v; want the eve (version 2) and the make-up day", got, err)
	}
}
