package forecast

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCalendarScope(t *testing.T) {
	cal := []CalendarDay{
		{Region: "CN", Day: day("2024-02-10"), Holiday: "Spring Festival"},
		{Region: "CN", Day: day("2024-02-18"), Workday: true},
		{Region: "CN", Day: day("2024-10-01"), Holiday: "National Day"},
		{Region: "HK", Day: day("2024-12-25"), Holiday: "Christmas"},
	}
	tests := []struct {
		name             string
		scope            CalendarScope
		wantHolidays     []string
		wantDays         int
		wantIncludesHK   bool
		wantIncludesNone bool // a day of region ""
	}{
		{"live, every region", CalendarScope{Dataset: LiveDataset}, []string{"Spring Festival", "National Day", "Christmas"}, 4, true, true},
		{"live, one region", CalendarScope{Dataset: LiveDataset, Region: "CN"}, []string{"Spring Festival", "National Day"}, 3, false, false},
		{"imported, none", CalendarScope{Dataset: "walmart"}, nil, 0, false, false},
		{"imported, a region named", CalendarScope{Dataset: "walmart", Region: "HK"}, []string{"Christmas"}, 1, true, false},
		{"live, a region without days", CalendarScope{Dataset: LiveDataset, Region: "TW"}, nil, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holidays, days := tt.scope.Select(cal)
			var names []string
			for _, h := range holidays {
				names = append(names, h.Holiday)
			}
			if strings.Join(names, ",") != strings.Join(tt.wantHolidays, ",") || days != tt.wantDays {
				t.Errorf("%+v.Select = %q, %d days; want %q, %d", tt.scope, names, days, tt.wantHolidays, tt.wantDays)
			}
			if got := tt.scope.Includes(CalendarDay{Region: "HK"}); got != tt.wantIncludesHK {
				t.Errorf("%+v.Includes(HK) = %v; want %v", tt.scope, got, tt.wantIncludesHK)
			}
			if got := tt.scope.Includes(CalendarDay{}); got != tt.wantIncludesNone {
				t.Errorf("%+v.Includes(no region) = %v; want %v", tt.scope, got, tt.wantIncludesNone)
			}
		})
	}
}

// backtestCalendar has holidays in two regions inside the weeks of salesPanel(…, 60), and one long
// before them, outside every window.
var backtestCalendar = []CalendarDay{
	{Region: "CN", Day: day("2020-01-25"), Holiday: "Spring Festival"},
	{Region: "CN", Day: day("2024-02-10"), Holiday: "Spring Festival"},
	{Region: "CN", Day: day("2024-02-11"), Holiday: "Spring Festival"},
	{Region: "CN", Day: day("2024-02-18"), Workday: true},
	{Region: "HK", Day: day("2024-12-25"), Holiday: "Christmas"},
}

func sameMetrics(a, b Metrics) bool {
	near := func(x, y float64) bool { return x == y || math.Abs(x-y) <= 1e-12*math.Max(math.Abs(x), math.Abs(y)) }
	return near(a.WAPE, b.WAPE) && near(a.Bias, b.Bias) && near(a.BrandAccuracy, b.BrandAccuracy) &&
		near(a.TotalAccuracy, b.TotalAccuracy) && near(a.RMSSE, b.RMSSE)
}

// A top-down backtest of a live dataset as of a day reads the history up to the end of the latest
// window (the 3 weeks from the week of the as-of day), the calendar around its weeks, and scores what
// Backtest scores on the same panel with the same methods.
func TestBacktesterRunMatchesBacktest(t *testing.T) {
	store := &fakeStore{sales: salesPanel(3, 2, 60), calendar: backtestCalendar}
	asOf := day("2025-01-22")   // a Wednesday: the latest origin forecasts 2025-01-20 … 2025-02-03
	before := day("2025-02-10") // so the 58 weeks up to 2025-02-03 are read
	cfg := BacktestConfig{Horizon: 3, Origins: 2, Step: 2, Workers: 2}
	bt := Backtester{Sales: store, Calendar: store}
	got, err := bt.Run(context.Background(), BacktestRequest{Dataset: LiveDataset, AsOf: asOf, Scarce: true,
		Correct: true, UnmetShare: DefaultUnmetShare, Config: cfg, TopDown: true})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if q := store.queries[0]; !q.Before.Equal(before) || !q.ScarceBrands || q.Dataset != LiveDataset || q.ActiveOutlets {
		t.Errorf("SalesHistory(%+v); want before %s, scarce brands of live", q, before.Format(time.DateOnly))
	}
	if want := []time.Time{day("2025-01-20"), day("2025-01-06")}; !slices.EqualFunc(got.Starts, want, time.Time.Equal) ||
		!got.Origins[0].Equal(day("2025-01-13")) {
		t.Errorf("Run as of %s: origins starting %v (last seen %v); want %v", asOf.Format(time.DateOnly), got.Starts,
			got.Origins, want)
	}
	weeks := store.sales.Weeks[:58]
	if wantFrom, wantTo := weeks[0].AddDate(0, 0, -7*(DefaultHolidayLags+1)),
		weeks[57].AddDate(0, 0, 7*(3+DefaultHolidayLeads+2)); !store.calFrom.Equal(wantFrom) || !store.calTo.Equal(wantTo) {
		t.Errorf("Calendar(%s, %s); want (%s, %s)", store.calFrom.Format(time.DateOnly), store.calTo.Format(time.DateOnly),
			wantFrom.Format(time.DateOnly), wantTo.Format(time.DateOnly))
	}
	if got.Dataset != LiveDataset || got.Against != AgainstSales || !got.Scarce || !got.TopDown || got.Corrected ||
		got.Censored != 0 || got.Cells != 6*58 || !got.First.Equal(weeks[0]) || !got.Last.Equal(weeks[57]) || got.Holidays != 3 ||
		got.EngineHolidays != 3 {
		t.Errorf("Run = dataset %s against %s scarce %v topdown %v corrected %v censored %d/%d, %s … %s, %d holidays (%d for the engine); "+
			"want live against sales, scarce, topdown, not corrected, 0/348, 2024-01-01 … 2025-02-03, 3 holidays (3)",
			got.Dataset, got.Against, got.Scarce, got.TopDown, got.Corrected, got.Censored, got.Cells,
			got.First.Format(time.DateOnly), got.Last.Format(time.DateOnly), got.Holidays, got.EngineHolidays)
	}

	p, _ := store.SalesHistory(context.Background(), HistoryQuery{Before: before})
	holidays := []CalendarDay{backtestCalendar[1], backtestCalendar[2], backtestCalendar[4]}
	want, err := Backtest(context.Background(), p.Panel(), cfg, append(BacktestMethods(), withoutHolidays{NewEngine()},
		&TopDown{Weeks: weeks, Regression: Regression{Holidays: NewHolidays(holidays)}})...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != len(want.Results) || got.Series != want.Series || got.Weeks != want.Weeks {
		t.Fatalf("Run: %d results, %d series × %d weeks; want %d, %d × %d", len(got.Results), got.Series, got.Weeks,
			len(want.Results), want.Series, want.Weeks)
	}
	for i, w := range want.Results {
		if g := got.Results[i]; g.Method != w.Method || !sameMetrics(g.Metrics, w.Metrics) {
			t.Errorf("Run result %d = %s %+v; want %s %+v", i, g.Method, g.Metrics, w.Method, w.Metrics)
		}
	}
	if got.FinalMethod() != "topdown" {
		t.Errorf("FinalMethod() = %q; want topdown", got.FinalMethod())
	}
}

// Origin dates pick exactly those origins, each the first week forecast from it, in any order: the
// backtest scores what Backtest scores with the windows that end there, and an origin the history
// cannot score is refused.
func TestBacktesterOriginDates(t *testing.T) {
	store := &fakeStore{sales: salesPanel(2, 2, 60)} // weeks 2024-01-01 … 2025-02-17
	bt := Backtester{Sales: store}
	cfg := BacktestConfig{Horizon: 2, Origins: 5, Step: 1, Workers: 1} // Origins and Step give way to the dates
	dates := []time.Time{day("2024-06-03"), day("2024-09-02"), day("2024-07-01")}
	got, err := bt.Run(context.Background(), BacktestRequest{Dataset: LiveDataset, OriginDates: dates, Config: cfg})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantStarts := []time.Time{day("2024-09-02"), day("2024-07-01"), day("2024-06-03")}
	wantSeen := []time.Time{day("2024-08-26"), day("2024-06-24"), day("2024-05-27")}
	if !slices.EqualFunc(got.Starts, wantStarts, time.Time.Equal) || !slices.EqualFunc(got.Origins, wantSeen, time.Time.Equal) ||
		got.Config.Origins != 3 || !store.queries[0].Before.Equal(day("2024-09-16")) {
		t.Errorf("Run(origin dates %v) = origins starting %v, last seen %v, %d origins, history before %s; want %v, %v, 3, 2024-09-16",
			dates, got.Starts, got.Origins, got.Config.Origins, store.queries[0].Before.Format(time.DateOnly), wantStarts, wantSeen)
	}
	if _, ok := got.Result("no-holiday"); ok || got.EngineHolidays != 0 {
		t.Errorf("Run without a calendar: a no-holiday result (%d holiday days); want none", got.EngineHolidays)
	}
	// The same windows by index: 2024-09-02 is week 35 (0-based), so 35 weeks are seen there.
	want, err := Backtest(context.Background(), store.sales.Panel(), BacktestConfig{Horizon: 2, Workers: 1, At: []int{35, 26, 22}},
		BacktestMethods()...)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want.Results {
		if g := got.Results[i]; g.Method != w.Method || !sameMetrics(g.Metrics, w.Metrics) {
			t.Errorf("Run result %d = %s %+v; want %s %+v", i, g.Method, g.Metrics, w.Method, w.Metrics)
		}
	}
	for _, bad := range []string{"2024-01-01", "2025-02-17", "2025-03-03"} { // no week before; 1 week from it; beyond
		_, err := bt.Run(context.Background(), BacktestRequest{Dataset: LiveDataset, OriginDates: []time.Time{day(bad)}, Config: cfg})
		if !errors.Is(err, ErrOriginOutside) {
			t.Errorf("Run(origin %s) = %v; want %v", bad, err, ErrOriginOutside)
		}
	}
	// As of a day past the history: its latest window cannot be scored.
	if _, err := bt.Run(context.Background(), BacktestRequest{Dataset: LiveDataset, AsOf: day("2025-02-19"), Config: cfg}); !errors.Is(err, ErrOriginOutside) {
		t.Errorf("Run(as of 2025-02-19) = %v; want %v", err, ErrOriginOutside)
	}
}

// The holidays of a top-down backtest follow CalendarScope.
func TestBacktesterHolidayScope(t *testing.T) {
	tests := []struct {
		dataset, region string
		want            int
	}{
		{LiveDataset, "", 3},
		{LiveDataset, "HK", 1},
		{"imported", "", 0},
		{"imported", "CN", 2},
	}
	for _, tt := range tests {
		t.Run(tt.dataset+"/"+tt.region, func(t *testing.T) {
			store := &fakeStore{sales: salesPanel(2, 2, 60), calendar: backtestCalendar}
			bt := Backtester{Sales: store, Calendar: store}
			got, err := bt.Run(context.Background(), BacktestRequest{Dataset: tt.dataset, Region: tt.region, TopDown: true,
				Config: BacktestConfig{Horizon: 2, Origins: 1, Step: 1}})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got.Holidays != tt.want {
				t.Errorf("Run(%s, region %q).Holidays = %d; want %d", tt.dataset, tt.region, got.Holidays, tt.want)
			}
			// The engine learns from the same days, and is scored without them too when there are any.
			if _, ok := got.Result("no-holiday"); got.EngineHolidays != tt.want || ok != (tt.want > 0) {
				t.Errorf("Run(%s, region %q): the engine's holidays %d, a no-holiday result %v; want %d, %v",
					tt.dataset, tt.region, got.EngineHolidays, ok, tt.want, tt.want > 0)
			}
		})
	}
}

// Against the true demand, the methods learn from the sales, corrected when some week was censored,
// and are scored against the demand.
func TestBacktesterAgainstTruthCorrected(t *testing.T) {
	sp := salesPanel(2, 2, 30)
	truth := sp.Panel()
	truth.Series = nil
	for i := range sp.Series {
		s := &sp.Series[i]
		s.Requested = append([]float64(nil), s.Sales...)
		s.Censored = make([]bool, len(s.Sales))
		values := append([]float64(nil), s.Sales...)
		for _, t := range []int{26, 27} { // a limit cut the last weeks but one of every series
			s.Requested[t] = s.Sales[t] + 8
			s.Censored[t] = true
			values[t] = s.Sales[t] + 8
		}
		truth.Series = append(truth.Series, Series{Outlet: s.Outlet, Brand: s.Brand, Values: values})
	}
	store := &fakeStore{sales: sp, truth: truth}
	cfg := BacktestConfig{Horizon: 2, Origins: 2, Step: 1}
	got, err := (&Backtester{Sales: store}).Run(context.Background(), BacktestRequest{Dataset: LiveDataset,
		Against: AgainstTruth, Correct: true, UnmetShare: 0.5, Config: cfg})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !got.Corrected || got.Censored != 8 || got.Cells != 4*30 || got.Against != AgainstTruth || got.TopDown {
		t.Errorf("Run: corrected %v, %d of %d censored, against %s, topdown %v; want corrected, 8 of 120, against truth, no topdown",
			got.Corrected, got.Censored, got.Cells, got.Against, got.TopDown)
	}
	if got.FinalMethod() != "engine" {
		t.Errorf("FinalMethod() = %q; want engine", got.FinalMethod())
	}
	train := panelValues(Censoring{UnmetShare: 0.5}.Demand(sp))
	want, err := Backtest(context.Background(), truth, cfg, TrainOn(Each(Naive{}), train))
	if err != nil {
		t.Fatal(err)
	}
	naive, ok := got.Result("naive")
	if !ok || !sameMetrics(naive.Metrics, want.Results[0].Metrics) {
		t.Errorf("naive = %+v; want %+v (trained on the corrected sales, scored against the truth)", naive.Metrics, want.Results[0].Metrics)
	}
	uncorrected, err := Backtest(context.Background(), truth, cfg, TrainOn(Each(Naive{}), panelValues(sp.Panel())))
	if err != nil {
		t.Fatal(err)
	}
	if sameMetrics(uncorrected.Results[0].Metrics, want.Results[0].Metrics) {
		t.Fatalf("the correction changes nothing here: the test cannot tell corrected from recorded sales")
	}
}

func TestBacktesterErrors(t *testing.T) {
	errStore := errors.New("store down")
	tests := []struct {
		name    string
		store   *fakeStore
		noCal   bool
		req     BacktestRequest
		wantErr error // nil: any error
	}{
		{"no series", &fakeStore{}, false, BacktestRequest{Dataset: "empty"}, ErrNoHistory},
		{"store error", &fakeStore{err: errStore}, false, BacktestRequest{Dataset: LiveDataset}, errStore},
		{"no true demand", &fakeStore{sales: salesPanel(1, 1, 20)}, false, BacktestRequest{Against: AgainstTruth}, nil},
		{"against what", &fakeStore{sales: salesPanel(1, 1, 20)}, false, BacktestRequest{Against: "hope"}, nil},
		{"top-down without calendar", &fakeStore{sales: salesPanel(1, 1, 20)}, true, BacktestRequest{TopDown: true}, nil},
		{"too short", &fakeStore{sales: salesPanel(1, 1, 5)}, false, BacktestRequest{}, ErrShortCalendar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bt := Backtester{Sales: tt.store, Calendar: tt.store}
			if tt.noCal {
				bt.Calendar = nil
			}
			_, err := bt.Run(context.Background(), tt.req)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("Run(%+v) = %v; want an error (%v)", tt.req, err, tt.wantErr)
			}
		})
	}
}

func TestBacktesterProgress(t *testing.T) {
	store := &fakeStore{sales: salesPanel(2, 2, 30)}
	var p recordedProgress
	bt := Backtester{Sales: store, Progress: &p}
	if _, err := bt.Run(context.Background(), BacktestRequest{Config: BacktestConfig{Horizon: 2, Origins: 3, Step: 2}}); err != nil {
		t.Fatal(err)
	}
	steps := len(BacktestMethods()) * 3 * (1 + DefaultCalibrationWindows) // each origin and its calibration origins
	if strings.Join(p.steps, ",") != "read history,backtest" || p.total["backtest"] != steps || p.last["backtest"] != steps ||
		p.last["read history"] != 4*30 {
		t.Errorf("progress steps %q, backtest %d of %d, read %d; want read history then backtest, %d of %d, read 120",
			p.steps, p.last["backtest"], p.total["backtest"], p.last["read history"], steps, steps)
	}
}

func TestBacktestResultWriteTable(t *testing.T) {
	r := BacktestResult{
		BacktestReport: BacktestReport{Series: 4, Weeks: 30, Config: BacktestConfig{Horizon: 2, Origins: 2, Step: 1, Calibration: 8},
			Origins: []time.Time{day("2024-07-08"), day("2024-07-01")},
			Results: []MethodResult{{Method: "naive", Metrics: Metrics{WAPE: 0.25, Bias: -0.125, BrandAccuracy: 0.8,
				TotalAccuracy: 0.9, RMSSE: 1.5, Seconds: 0.0123, Coverage: Coverage{Outlet: 0.812, Brand: 0.79, Total: 0.75}}}}},
		Dataset: "small", Against: AgainstTruth, Scarce: true, Corrected: true, Censored: 3, Cells: 120,
		First: day("2024-01-01"), Last: day("2024-07-22"), TopDown: true, Holidays: 7,
	}
	var b strings.Builder
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	want := "backtest of dataset small (scarce brands): 4 series, 30 weeks 2024-01-01 … 2024-07-22\n" +
		"origins (last week seen): 2024-07-08, 2024-07-01; horizon 2 weeks, step 1 weeks\n" +
		"learnt from the sales corrected for 3 censored series × weeks (2.50%); scored against the true demand\n\n" +
		"method         wape     bias    brand    total    rmsse cov:out   brand   total   seconds\n" +
		"naive        0.2500  -0.1250   0.8000   0.9000   1.5000   0.812   0.790   0.750     0.012\n\n" +
		"wape and bias over all series, origins and weeks; brand and total: accuracy 1 − |ΣA − ΣF| / ΣA of each\n" +
		"brand's and of the grand total over each window, weighted by ΣA; rmsse: mean over series and origins.\n" +
		"cov: share of actuals within the 80% intervals, per week, of outlet × brand series (weeks with demand),\n" +
		"brands and the total; each level's interval calibrated on its own errors from 8 earlier origins.\n" +
		"topdown: the engine, then each brand's and the grand total's regression (trend, the value a year\n" +
		"earlier or, when a holiday falls in the weeks, Fourier terms, 7 holiday days of the calendar table,\n" +
		"the share of outlets cut by limits) or its blend with the sum of the outlets where it validated\n" +
		"better before the origin, distributed down to the outlets.\n"
	if b.String() != want {
		t.Errorf("WriteTable wrote\n%s\nwant\n%s", b.String(), want)
	}

	r.Corrected, r.Against, r.TopDown = false, AgainstSales, false
	b.Reset()
	r.WriteTable(&b) //nolint:errcheck // a strings.Builder does not fail
	if got := b.String(); !strings.Contains(got, "learnt from the sales as recorded (3 censored series × weeks not corrected); "+
		"scored against the sales\n") || strings.Contains(got, "topdown:") {
		t.Errorf("WriteTable, not corrected, against sales, without topdown, wrote\n%s", got)
	}
}
