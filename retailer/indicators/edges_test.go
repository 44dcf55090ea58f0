package indicators_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/retailer/indicators"
)

func report(t *testing.T, s seeded, kind indicators.PeriodKind, date time.Time, level indicators.Level) indicators.Report {
	t.Helper()
	p, err := indicators.PeriodOf(kind, date)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.svc.Report(context.Background(), indicators.Query{Period: p, Level: level})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func row(t *testing.T, rep indicators.Report, key string) indicators.Row {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no row %q at level %s", key, rep.Level)
	return indicators.Row{}
}

// noData checks that r has no figure of ind, for reason (a part of the English text) with code.
func noData(t *testing.T, r indicators.Row, ind indicators.Indicator, reason, code string) {
	t.Helper()
	v, _ := r.Value(ind)
	if v.Value != nil || !strings.Contains(v.NoData, reason) || v.NoDataCode != code {
		t.Errorf("%s %q %s = %v, %q (code %q); want no data: %q (code %q)", r.Level, r.Key, ind, v.Value, v.NoData, v.NoDataCode, reason, code)
	}
}

// The edge cases are reported as no data with the reason, never 0 or NaN.
func TestNoDataEdges(t *testing.T) {
	s := seed(t)
	// O000023 joined on 2026-11-13 and orders on Thursdays.
	joiner := "O000023"
	t.Run("outlet that joined mid-month", func(t *testing.T) {
		before := report(t, s, indicators.Day, time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC), indicators.AtOutlet)
		r := row(t, before, joiner)
		noData(t, r, indicators.OrderSuccess, "no outlet was scheduled", "order_success_rate")
		noData(t, r, indicators.EmptyOrders, "no active outlet", "empty_order_rate")
		month := report(t, s, indicators.Month, lastWeek, indicators.AtOutlet)
		v, _ := row(t, month, joiner).Value(indicators.OrderSuccess)
		if v.Den != 2 {
			t.Errorf("%s's scheduled cycles in November = %v; want 2 (19 and 26 November, after it joined)", joiner, v.Den)
		}
	})
	t.Run("a day with no scheduled outlet", func(t *testing.T) {
		saturday := report(t, s, indicators.Day, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), indicators.AtCompany)
		noData(t, saturday.Company, indicators.OrderSuccess, "no outlet was scheduled to order", "order_success_rate")
		noData(t, saturday.Company, indicators.FailedOrders, "no order reached cut-off", "failed_order_rate")
	})
	t.Run("a manager with no collection points", func(t *testing.T) {
		rep := report(t, s, indicators.Month, lastWeek, indicators.AtManager)
		noData(t, row(t, rep, "M002"), indicators.UploadRate, "no collection points", "upload_rate")
		if v, _ := row(t, rep, "M001").Value(indicators.UploadRate); v.Value == nil {
			t.Errorf("M001's upload rate = no data (%s); want a figure", v.NoData)
		}
	})
	t.Run("a manager with no outlets", func(t *testing.T) {
		rep := report(t, s, indicators.Month, lastWeek, indicators.AtManager)
		r := row(t, rep, "M004")
		for _, spec := range indicators.Specs {
			want := indicators.NoDataNoActiveOutlets
			if spec.Indicator == indicators.ForecastAccuracy {
				want = indicators.NoDataNoScore
			}
			if v, _ := r.Value(spec.Indicator); v.Value != nil || v.NoData == "" || v.NoDataCode != want {
				t.Errorf("M004 %s = %v, %q (code %q); want no data with a reason, code %q", spec.Indicator, v.Value, v.NoData, v.NoDataCode, want)
			}
		}
	})
	t.Run("routes are not scored", func(t *testing.T) {
		rep := report(t, s, indicators.Month, lastWeek, indicators.AtRoute)
		noData(t, rep.Rows[0], indicators.ForecastAccuracy, "not per route", indicators.NoDataNotByRoute)
	})
	t.Run("a month never scored", func(t *testing.T) {
		rep := report(t, s, indicators.Month, lastWeek.AddDate(0, -2, 0), indicators.AtCompany)
		noData(t, rep.Company, indicators.ForecastAccuracy, "not scored", indicators.NoDataNotScored)
	})
}

// Targets resolve manager, then area, then company; every figure shows its gap; managers are ranked
// and compared with the period before.
func TestTargetsGapsAndRanks(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	set := []indicators.Target{
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtCompany, Value: 0.9, SetBy: "planner"},
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtArea, Key: "A2", Value: 0.8, SetBy: "planner"},
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtManager, Key: "M001", Value: 0.7, SetBy: "planner"},
		{Indicator: indicators.StockOut, Scope: indicators.AtCompany, Value: 0.1, SetBy: "planner"},
	}
	if err := s.svc.SetTargets(ctx, set, nil); err != nil {
		t.Fatal(err)
	}
	rep := report(t, s, indicators.Month, lastWeek, indicators.AtManager)
	for key, want := range map[string]float64{"M001": 0.7, "M002": 0.8, "M003": 0.9} {
		v, _ := row(t, rep, key).Value(indicators.OrderSuccess)
		if v.Target == nil || *v.Target != want {
			t.Fatalf("%s target = %v; want %v", key, v.Target, want)
		}
		if v.Gap == nil || *v.Gap != *v.Value-want {
			t.Errorf("%s gap = %v; want %v − %v", key, v.Gap, *v.Value, want)
		}
		if met := *v.Value >= want; v.Met == nil || *v.Met != met {
			t.Errorf("%s met = %v; want %v", key, v.Met, met)
		}
		if v.Previous == nil || v.Change == nil || *v.Change != *v.Value-*v.Previous {
			t.Errorf("%s previous, change = %v, %v; want October's figure and the change", key, v.Previous, v.Change)
		}
		if v.Rank < 1 || v.Peers != 3 {
			t.Errorf("%s rank = %d of %d; want a rank among 3 managers with figures", key, v.Rank, v.Peers)
		}
	}
	// Stock-outs: lower is better, so the best rank goes to the lowest rate.
	best := indicators.Row{}
	for _, r := range rep.Rows {
		if v, _ := r.Value(indicators.StockOut); v.Rank == 1 {
			best = r
		}
	}
	bv, _ := best.Value(indicators.StockOut)
	for _, r := range rep.Rows {
		if v, _ := r.Value(indicators.StockOut); v.Value != nil && *v.Value < *bv.Value {
			t.Errorf("%s has the lower stock-out rate %v but %s (%v) ranks first", r.Key, *v.Value, best.Key, *bv.Value)
		}
	}
	if v, _ := rep.Company.Value(indicators.OrderSuccess); v.Target == nil || *v.Target != 0.9 {
		t.Errorf("company target = %v; want 0.9", v.Target)
	}
	// Removing the manager's override falls back to its area's (A1 has none: the company's).
	if err := s.svc.SetTargets(ctx, nil, []indicators.Target{{Indicator: indicators.OrderSuccess, Scope: indicators.AtManager, Key: "M001"}}); err != nil {
		t.Fatal(err)
	}
	rep = report(t, s, indicators.Month, lastWeek, indicators.AtManager)
	if v, _ := row(t, rep, "M001").Value(indicators.OrderSuccess); v.Target == nil || *v.Target != 0.9 {
		t.Errorf("M001 target after removing its override = %v; want the company's 0.9", v.Target)
	}
	// A manager reads the company's, its area's and its own targets.
	mine, err := s.svc.TargetsFor(ctx, "M002")
	if err != nil || len(mine) != 3 {
		t.Errorf("TargetsFor(M002) = %v, %v; want the 2 company targets and A2's", mine, err)
	}
	for _, bad := range []indicators.Target{
		{Indicator: "nope", Scope: indicators.AtCompany, Value: 1},
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtCompany, Value: 1.5},
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtArea, Value: 0.5},
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtRoute, Key: "R1", Value: 0.5},
		{Indicator: indicators.Satisfaction, Scope: indicators.AtCompany, Value: 101},
	} {
		if err := s.svc.SetTargets(ctx, []indicators.Target{bad}, nil); !errors.Is(err, indicators.ErrInvalid) {
			t.Errorf("SetTargets(%+v) = %v; want ErrInvalid", bad, err)
		}
	}
}

// The bulletin of a manager holds its own row, the company's and its own outlets' lists only.
func TestBulletinScope(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	b, err := s.svc.Bulletin(ctx, lastWeek.AddDate(0, 0, 2), "M001")
	if err != nil {
		t.Fatal(err)
	}
	if b.Figures.Key != "M001" || b.Company.Level != indicators.AtCompany || len(b.Managers) != 0 {
		t.Errorf("bulletin of M001 = figures %q, company %q, %d manager rows; want M001's, the company's, none",
			b.Figures.Key, b.Company.Level, len(b.Managers))
	}
	if len(b.Lists.Empty) == 0 || len(b.Lists.UploadGaps) == 0 {
		t.Errorf("M001's lists: %d empty-order, %d upload gaps; want some of each", len(b.Lists.Empty), len(b.Lists.UploadGaps))
	}
	for _, e := range b.Lists.Empty {
		if e.Manager != "M001" || e.Missed < 2 || e.ManagerPhone == "" {
			t.Errorf("M001's empty-order list holds %+v", e)
		}
	}
	for _, g := range b.Lists.UploadGaps {
		if g.Manager != "M001" {
			t.Errorf("M001's upload gaps hold %+v", g)
		}
	}
	for _, f := range b.Lists.Failed {
		if f.Manager != "M001" || f.Reason == "" {
			t.Errorf("M001's failed orders hold %+v", f)
		}
	}
	day := b.Figures.Values[0].Period
	if day.Kind != indicators.Day {
		t.Errorf("the bulletin's order success is over %s; want the day", day)
	}
	if v, _ := b.Figures.Value(indicators.Satisfaction); v.Period.Kind != indicators.Month {
		t.Errorf("the bulletin's satisfaction is over %s; want the month", v.Period)
	}
	all, err := s.svc.Bulletin(ctx, lastWeek.AddDate(0, 0, 2), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Managers) != 4 || len(all.Lists.Empty) <= len(b.Lists.Empty) {
		t.Errorf("company bulletin: %d managers, %d empty-order outlets; want 4 and more than M001's %d",
			len(all.Managers), len(all.Lists.Empty), len(b.Lists.Empty))
	}
	if _, err := s.svc.Bulletin(ctx, lastWeek, "M999"); !errors.Is(err, indicators.ErrUnknownManager) {
		t.Errorf("Bulletin of an unknown manager = %v; want ErrUnknownManager", err)
	}
}

// Where a figure's cadence has nothing, the bulletin shows it off its cadence with a note and the
// period it is over: forecast accuracy of the latest scored month while the day's month is not scored
// (GET /indicators stays with the month asked), and a row's order figures over the cycle to the day
// when none of its outlets ordered on it, the same as a report over that cycle.
func TestBulletinOffCadence(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC) // after the last cycle, in a month not scored
	b, err := s.svc.Bulletin(ctx, day, "")
	if err != nil {
		t.Fatal(err)
	}
	november := report(t, s, indicators.Month, lastWeek, indicators.AtManager)
	december := report(t, s, indicators.Month, day, indicators.AtManager)
	if v, _ := december.Company.Value(indicators.ForecastAccuracy); v.Value != nil || v.Note != "" {
		t.Errorf("December's report: company forecast accuracy %v, note %q; want no data, no note", v.Value, v.Note)
	}
	dayPeriod, _ := indicators.PeriodOf(indicators.Day, day)
	cycle := indicators.OrderCycle(dayPeriod)
	overCycle, err := s.svc.Report(ctx, indicators.Query{Period: cycle, Level: indicators.AtManager})
	if err != nil {
		t.Fatal(err)
	}
	byKey := func(rows []indicators.Row) map[string]indicators.Row {
		out := map[string]indicators.Row{}
		for _, r := range rows {
			out[r.Key] = r
		}
		return out
	}
	scored, ordered := byKey(november.Rows), byKey(overCycle.Rows)
	scored[""], ordered[""] = november.Company, overCycle.Company
	rows := append([]indicators.Row{b.Company}, b.Managers...)
	fallbacks := 0
	for _, r := range rows {
		got, _ := r.Value(indicators.ForecastAccuracy)
		want, _ := scored[r.Key].Value(indicators.ForecastAccuracy)
		if want.Value != nil && (got.Value == nil || *got.Value != *want.Value || got.Period != want.Period || !strings.Contains(got.Note, "2026-11") ||
			got.NoteCode != indicators.NoteLatestScored || got.NoteParams["scored"] != "2026-11" || got.NoteParams["month"] != "2026-12") {
			t.Errorf("bulletin of %s, row %q: forecast accuracy %v over %s, note %q; want November's %v, with a note",
				d(day), r.Key, got.Value, got.Period, got.Note, *want.Value)
		}
		for _, ind := range []indicators.Indicator{indicators.OrderSuccess, indicators.FailedOrders} {
			got, _ := r.Value(ind)
			want, _ := ordered[r.Key].Value(ind)
			if want.Den == 0 {
				continue
			}
			fallbacks++
			if got.Period != cycle || got.Num != want.Num || got.Den != want.Den || got.Note == "" || got.NoteCode != indicators.NoteCycleToDay ||
				got.NoteParams["from"] != d(cycle.Start) || got.NoteParams["to"] != d(day) || got.NoteParams["reason"] != string(ind) {
				t.Errorf("bulletin of %s, row %q: %s = %v/%v over %s, note %q; want %v/%v over %s with a note",
					d(day), r.Key, ind, got.Num, got.Den, got.Period, got.Note, want.Num, want.Den, cycle)
			}
		}
	}
	if fallbacks == 0 {
		t.Errorf("no order figure over the cycle to %s; want the company's at least", d(day))
	}
}

// The brands' stock limits (cartons, for the company) are shown in weeks of the company's sales,
// every outlet's deliveries in the window: not of the sales of the outlets that count their stock,
// the ratio's own denominator, which made every limit many weeks too long.
func TestBrandStockLimitsInWeeksOfTheCompanysSales(t *testing.T) {
	s := seed(t)
	rep := report(t, s, indicators.Week, lastWeek, indicators.AtManager)
	end := lastWeek.AddDate(0, 0, 7)
	limits := map[string]float64{"B01": 20, "B03": 5} // the seed's lower limits
	checked := 0
	for _, b := range rep.Stock {
		lower, ok := limits[b.Brand]
		if !ok || b.LowerWeeks == nil {
			continue
		}
		var delivered float64
		if err := s.ch.QueryRow(context.Background(), "SELECT sum(delivered) FROM sales WHERE dataset = 'live' AND brand = ? "+
			"AND day >= toDate(?) AND day < toDate(?)", b.Brand, end.AddDate(0, 0, -7*indicators.StockWindowWeeks).Format(time.DateOnly),
			end.Format(time.DateOnly)).Scan(&delivered); err != nil {
			t.Fatal(err)
		}
		want := lower / (delivered / indicators.StockWindowWeeks)
		if math.Abs(*b.LowerWeeks-want) > 1e-9 {
			t.Errorf("brand %s: lower limit %.3f weeks; want %g cartons over the company's %.2f a week, %.3f weeks",
				b.Brand, *b.LowerWeeks, lower, delivered/indicators.StockWindowWeeks, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatalf("no brand with a limit among the stock warnings %+v", rep.Stock)
	}
}
