package forecast

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// planStore returns a store of a live dataset of 3 outlets × 2 brands over 60 weeks (2024-01-01 …
// 2025-02-17), whose last row is on Thursday 2025-02-20, with backtestCalendar.
func planStore() *fakeStore {
	return &fakeStore{sales: salesPanel(3, 2, 60), calendar: backtestCalendar,
		info: DatasetInfo{Period: "week", Rows: 360, FirstDay: day("2024-01-01"), LastDay: day("2025-02-20")}}
}

// checkReconciled reports a run whose brand and total forecasts are not the sums of its series'.
func checkReconciled(t *testing.T, run Run) {
	t.Helper()
	for j := range run.Weeks {
		brands := make([]float64, len(run.BrandCodes))
		for i, f := range run.Series {
			if f.Mean[j] < 0 {
				t.Errorf("series %d week %d: %v; want ≥ 0", i, j, f.Mean[j])
			}
			brands[run.BrandOf[i]] += f.Mean[j]
		}
		total := 0.0
		for b, v := range brands {
			if got := run.Reconciled.Brands[b].Mean[j]; math.Abs(got-v) > 1e-9*math.Max(1, v) {
				t.Errorf("brand %s week %d = %v; its series add up to %v", run.BrandCodes[b], j, got, v)
			}
			total += v
		}
		if got := run.Reconciled.Total.Mean[j]; math.Abs(got-total) > 1e-9*math.Max(1, total) {
			t.Errorf("total week %d = %v; the brands add up to %v", j, got, total)
		}
	}
}

func TestPlannerRun(t *testing.T) {
	store := planStore()
	var progress recordedProgress
	p := Planner{History: store, Calendar: store, Catalogue: store, Runs: store, Progress: &progress}
	now := day("2026-01-01")
	rep, err := p.Run(context.Background(), RunRequest{ID: "r1", Dataset: LiveDataset, Horizon: 3, Correct: true,
		UnmetShare: DefaultUnmetShare, Now: now})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	first := day("2025-02-24") // the week after the last row's
	if q := store.queries[0]; !q.Before.Equal(first) || !q.ActiveSince.Equal(first.AddDate(0, 0, -7*ActiveWeeks)) ||
		!q.ActiveOutlets || q.Dataset != LiveDataset {
		t.Errorf("SalesHistory(%+v); want live's active outlets before %s", q, first.Format(time.DateOnly))
	}
	run := rep.Run
	if run.ID != "r1" || !run.AsOf.Equal(first) || len(run.Weeks) != 3 || !run.Weeks[2].Equal(day("2025-03-10")) ||
		len(run.Series) != 6 || !run.StartedAt.Equal(now) || run.BrandModel != nil || run.TotalModel != "" {
		t.Errorf("Run: id %s as of %s, weeks %v, %d series, started %s, brand models %v, total %q; "+
			"want r1 as of 2025-02-24, 3 weeks to 2025-03-10, 6 series, bottom-up", run.ID, run.AsOf.Format(time.DateOnly),
			run.Weeks, len(run.Series), run.StartedAt, run.BrandModel, run.TotalModel)
	}
	for i, f := range run.Series {
		if len(f.Mean) != 3 || run.SeriesModel[i] == "" || run.Outlets[i] != store.sales.Series[i].Outlet ||
			run.Brands[i] != store.sales.Series[i].Brand || run.BrandCodes[run.BrandOf[i]] != run.Brands[i] {
			t.Errorf("series %d: %s × %s (brand %d), model %q, %d weeks; want %s × %s, a model, 3 weeks", i, run.Outlets[i],
				run.Brands[i], run.BrandOf[i], run.SeriesModel[i], len(f.Mean), store.sales.Series[i].Outlet, store.sales.Series[i].Brand)
		}
	}
	checkReconciled(t, run)
	chose := 0
	for _, n := range rep.Choices {
		chose += n
	}
	if rep.Outlets != 3 || rep.Cells != 360 || rep.HorizonGap != 0 || chose != 2 || !rep.Corrected || rep.Top != nil ||
		rep.Holidays != 3 || rep.CalendarDays != 4 || rep.WeeklyRows != 9*3 {
		t.Errorf("RunReport: %d outlets, %d cells, gap %d, %d brands chose, corrected %v, top %v, %d holidays of %d days, "+
			"%d weekly rows; want 3, 360, 0, 2, true, nil, 3 of 4, 27", rep.Outlets, rep.Cells, rep.HorizonGap, chose,
			rep.Corrected, rep.Top, rep.Holidays, rep.CalendarDays, rep.WeeklyRows)
	}
	if !strings.Contains(run.Models, "censored demand corrected") || !strings.Contains(run.Models, "bottom-up") {
		t.Errorf("Run.Models = %q; want it to say bottom-up, censored demand corrected", run.Models)
	}
	if len(store.runs) != 1 || store.runs[0].ID != "r1" || len(store.runs[0].Series) != 6 {
		t.Errorf("stored %d runs; want run r1 of 6 series", len(store.runs))
	}
	if strings.Join(progress.steps, ",") != "read history,forecast,store" || progress.last["forecast"] != 6 ||
		progress.last["store"] != rep.WeeklyRows+rep.MonthlyRows {
		t.Errorf("progress %q, forecast %d, store %d; want read history, forecast 6, store %d", progress.steps,
			progress.last["forecast"], progress.last["store"], rep.WeeklyRows+rep.MonthlyRows)
	}
}

// The calendar days of a run follow CalendarScope, over the history and the forecast weeks.
func TestPlannerRunHolidayScope(t *testing.T) {
	tests := []struct {
		dataset, region   string
		wantHolidays, all int
	}{
		{LiveDataset, "", 3, 4},
		{LiveDataset, "HK", 1, 1},
		{"imported", "", 0, 0},
		{"imported", "CN", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.dataset+"/"+tt.region, func(t *testing.T) {
			store := planStore()
			p := Planner{History: store, Calendar: store, Runs: store}
			rep, err := p.Run(context.Background(), RunRequest{ID: "r", Dataset: tt.dataset, Region: tt.region, Horizon: 2,
				TopDown: true, Now: day("2026-01-01")})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.Holidays != tt.wantHolidays || rep.CalendarDays != tt.all {
				t.Errorf("Run(%s, region %q): %d holidays of %d days; want %d of %d", tt.dataset, tt.region,
					rep.Holidays, rep.CalendarDays, tt.wantHolidays, tt.all)
			}
			if wantFrom := day("2024-01-01").AddDate(0, 0, -7*(DefaultHolidayLags+1)); !store.calFrom.Equal(wantFrom) {
				t.Errorf("Calendar from %s; want %s", store.calFrom.Format(time.DateOnly), wantFrom.Format(time.DateOnly))
			}
			if wantTo := day("2025-03-10").AddDate(0, 0, 7*(DefaultHolidayLeads+1)); !store.calTo.Equal(wantTo) {
				t.Errorf("Calendar to %s; want %s", store.calTo.Format(time.DateOnly), wantTo.Format(time.DateOnly))
			}
			if tt.dataset != LiveDataset && store.queries[0].ActiveOutlets {
				t.Errorf("SalesHistory(%+v) of an imported dataset; want every outlet", store.queries[0])
			}
		})
	}
}

// A top-down run names what set each brand and the total, and its levels still add up.
func TestPlannerRunTopDown(t *testing.T) {
	store := planStore()
	p := Planner{History: store, Calendar: store, Runs: store}
	rep, err := p.Run(context.Background(), RunRequest{ID: "r", Dataset: LiveDataset, Horizon: 4, TopDown: true,
		Now: day("2026-01-01")})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Top == nil || len(rep.Top.Groups) != 2 || len(rep.Run.BrandModel) != 2 {
		t.Fatalf("Run: top %v, brand models %q; want a plan and a model per brand", rep.Top, rep.Run.BrandModel)
	}
	for g, m := range rep.Top.Groups {
		if want := map[bool]string{true: "", false: m.String()}[m == BottomUp]; rep.Run.BrandModel[g] != want {
			t.Errorf("brand %d: model %q for %s; want %q", g, rep.Run.BrandModel[g], m, want)
		}
	}
	checkReconciled(t, rep.Run)
}

// From an as-of weeks after the history, the weeks between are forecast and dropped; a new product
// launching within the horizon is forecast from its like items at the outlets carrying them.
func TestPlannerRunGapAndLaunch(t *testing.T) {
	store := planStore()
	store.brands = []Brand{
		{Code: "B00", Manufacturer: "M", PriceClass: 2},
		{Code: "B01", Manufacturer: "M", PriceClass: 2},
		{Code: "N1", Manufacturer: "M", PriceClass: 2, NewProduct: true, Launch: day("2025-03-19")},
		{Code: "N2", Manufacturer: "M", PriceClass: 2, NewProduct: true, Launch: day("2025-09-01")}, // after the horizon
	}
	p := Planner{History: store, Calendar: store, Catalogue: store, Runs: store}
	rep, err := p.Run(context.Background(), RunRequest{ID: "r", Dataset: LiveDataset, AsOf: day("2025-03-12"), Horizon: 3,
		Now: day("2026-01-01")})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	run := rep.Run
	if rep.HorizonGap != 2 || !run.AsOf.Equal(day("2025-03-10")) {
		t.Errorf("Run: gap %d, as of %s; want 2 weeks, 2025-03-10", rep.HorizonGap, run.AsOf.Format(time.DateOnly))
	}
	if len(rep.Launches) != 1 || rep.Launches[0].Brand != "N1" || len(rep.Launches[0].Outlets) != 3 {
		t.Fatalf("Run launches %+v; want N1 at the 3 outlets", rep.Launches)
	}
	if len(run.Series) != 9 || len(run.BrandCodes) != 3 || run.BrandCodes[2] != "N1" {
		t.Fatalf("Run: %d series, brands %v; want 9 series, N1 the third brand", len(run.Series), run.BrandCodes)
	}
	for i := 6; i < 9; i++ {
		if run.Brands[i] != "N1" || run.BrandOf[i] != 2 || run.SeriesModel[i] != "like-items:B00,B01" || len(run.Series[i].Mean) != 3 {
			t.Errorf("series %d: %s (brand %d), model %q, %d weeks; want N1 from like items B00,B01 over 3 weeks", i,
				run.Brands[i], run.BrandOf[i], run.SeriesModel[i], len(run.Series[i].Mean))
		}
	}
	for i := range 6 {
		if len(run.Series[i].Mean) != 3 {
			t.Errorf("series %d: %d weeks; want the 3 stored", i, len(run.Series[i].Mean))
		}
	}
	checkReconciled(t, run)
}

// A new product two weeks on sale: its total is set from its like items scaled by what it sold, and
// shared among its own series.
func TestPlannerRunAfterLaunch(t *testing.T) {
	store := planStore()
	n := len(store.sales.Weeks)
	sold := make([]float64, n)
	sold[n-2], sold[n-1] = 12, 8
	store.sales.Series = append(store.sales.Series, SalesSeries{Outlet: "O01", Brand: "N0", Sales: sold})
	store.brands = []Brand{
		{Code: "B00", Manufacturer: "M", PriceClass: 2},
		{Code: "B01", Manufacturer: "M", PriceClass: 2},
		{Code: "N0", Manufacturer: "M", PriceClass: 2, NewProduct: true, Launch: store.sales.Weeks[n-2].AddDate(0, 0, 1)},
	}
	p := Planner{History: store, Calendar: store, Catalogue: store, Runs: store}
	rep, err := p.Run(context.Background(), RunRequest{ID: "r", Dataset: LiveDataset, Horizon: 3, Now: day("2026-01-01")})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.AfterLaunch) != 1 {
		t.Fatalf("Run after launch %+v; want N0", rep.AfterLaunch)
	}
	a := rep.AfterLaunch[0]
	if a.Brand != "N0" || a.Weeks != 2 || a.Outlets != 3 || a.Sold != 20 || len(a.Total) != 3 {
		t.Fatalf("N0 after launch %+v; want 2 weeks, 3 outlets, 20 sold, a total over 3 weeks", a)
	}
	run := rep.Run
	for i, b := range run.Brands {
		if b != "N0" {
			continue
		}
		if run.Outlets[i] != "O01" || run.SeriesModel[i] != "after-launch:B00,B01" {
			t.Errorf("series %d of N0 at %s, model %q; want O01's own, after-launch:B00,B01", i, run.Outlets[i], run.SeriesModel[i])
		}
		for j, v := range run.Series[i].Mean {
			if math.Abs(v-a.Total[j]) > 1e-9 {
				t.Errorf("N0 at O01 week %d = %v; want the total, %v", j, v, a.Total[j])
			}
		}
	}
	if len(run.Series) != 7 {
		t.Errorf("%d series; want 7, none added", len(run.Series))
	}
	if !strings.Contains(run.Models, "1 new products in their first weeks") {
		t.Errorf("run models %q; want the product scaled named", run.Models)
	}
	checkReconciled(t, run)
}

func TestPlannerRunErrors(t *testing.T) {
	errStore := errors.New("store down")
	tests := []struct {
		name    string
		store   *fakeStore
		req     RunRequest
		wantErr error // nil: any error
	}{
		{"no id", planStore(), RunRequest{Dataset: LiveDataset}, nil},
		{"no history", &fakeStore{info: DatasetInfo{LastDay: day("2025-01-01")}}, RunRequest{ID: "r"}, ErrNoHistory},
		{"store error", &fakeStore{err: errStore}, RunRequest{ID: "r"}, errStore},
		{"too far ahead", planStore(), RunRequest{ID: "r", AsOf: day("2027-06-01"), Horizon: 5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Planner{History: tt.store, Calendar: tt.store, Runs: tt.store}
			tt.req.Now = day("2026-01-01")
			_, err := p.Run(context.Background(), tt.req)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("Run(%+v) = %v; want an error (%v)", tt.req, err, tt.wantErr)
			}
			if len(tt.store.runs) != 0 {
				t.Errorf("Run(%+v) stored %d runs; want none", tt.req, len(tt.store.runs))
			}
		})
	}
}

// scanCalls is a ScanReader that records its calls and, when blocked, waits for its context.
type scanCalls struct {
	mu        sync.Mutex
	calls     []int // maxOutlets of each call
	block     bool  // every read waits until it is cancelled
	blockWeek int   // when above 0, the reads of that many weeks do
	canceled  bool
}

func (r *scanCalls) ScanHistory(ctx context.Context, weeks []time.Time, maxOutlets int) (ScanPanel, error) {
	r.mu.Lock()
	r.calls = append(r.calls, maxOutlets)
	r.mu.Unlock()
	if r.block || len(weeks) == r.blockWeek {
		<-ctx.Done()
		r.mu.Lock()
		r.canceled = true
		r.mu.Unlock()
		return ScanPanel{}, ctx.Err()
	}
	return ScanPanel{Weeks: weeks, Series: []ScanSeries{{Outlet: "O1", Brand: "B1"}}}, nil
}

func (r *scanCalls) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// The scans started early are read once, and given to the call that asks for the same weeks and
// sample; any other call reads for itself; a start with other weeks cancels the read under way and
// reads those; stop ends a read still running and waits for it.
func TestEarlyScans(t *testing.T) {
	ctx := context.Background()
	weeks := weeksFrom("2026-01-05", 8)
	r := &scanCalls{}
	e := newEarlyScans(ctx, r)
	if _, err := e.ScanHistory(ctx, weeks, MaxLearningOutlets); err != nil || r.count() != 1 {
		t.Fatalf("not started: ScanHistory = %v with %d reads; want one read of its own", err, r.count())
	}
	e.start(weeks)
	e.start(slices.Clone(weeks)) // ignored: these weeks are being read
	p, err := e.ScanHistory(ctx, slices.Clone(weeks), MaxLearningOutlets)
	if err != nil || len(p.Series) != 1 || len(p.Weeks) != len(weeks) || r.count() != 2 {
		t.Fatalf("started: ScanHistory = %d series, %d weeks, %v with %d reads; want the early read's, 2 reads", len(p.Series), len(p.Weeks), err, r.count())
	}
	if _, err := e.ScanHistory(ctx, weeks[1:], MaxLearningOutlets); err != nil || r.count() != 3 {
		t.Errorf("other weeks: %v with %d reads; want a read of its own", err, r.count())
	}
	if _, err := e.ScanHistory(ctx, weeks, 0); err != nil || r.count() != 4 {
		t.Errorf("every outlet: %v with %d reads; want a read of its own", err, r.count())
	}
	e.stop()

	blocked := &scanCalls{block: true}
	e = newEarlyScans(ctx, blocked)
	e.start(weeks)
	for blocked.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	e.stop()
	if !blocked.canceled {
		t.Error("stop returned before the running read was canceled")
	}

	// The history is read again and reports other weeks: the read of the first weeks, still running,
	// is cancelled and joined, and the new weeks' read is the one ScanHistory waits for.
	switched := &scanCalls{blockWeek: len(weeks)}
	e = newEarlyScans(ctx, switched)
	e.start(weeks)
	for switched.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	e.start(weeks[1:])
	if !switched.canceled {
		t.Error("a start with other weeks returned before the stale read was canceled")
	}
	p, err = e.ScanHistory(ctx, weeks[1:], MaxLearningOutlets)
	if err != nil || len(p.Weeks) != len(weeks)-1 || switched.count() != 2 {
		t.Errorf("after the new weeks: ScanHistory = %d weeks, %v with %d reads; want the early read of %d weeks, 2 reads",
			len(p.Weeks), err, switched.count(), len(weeks)-1)
	}
	e.stop()
}
