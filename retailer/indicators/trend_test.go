package indicators_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsch "github.com/ordercast/ordercast/retailer/indicators/clickhouse"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
)

// trendOnly keeps a row's values of the trend's indicators, as JSON for comparing.
func trendOnly(t *testing.T, r indicators.Row) string {
	t.Helper()
	r.Values = slices.DeleteFunc(slices.Clone(r.Values), func(v indicators.Value) bool {
		return !slices.Contains(indicators.TrendIndicators, v.Indicator)
	})
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// Every week of a trend is that week's report for the trend's indicators: rows, the company's, targets,
// and for account managers the previous week's figure and the rank among them; at every level, for a
// planner and for a manager's scope.
func TestTrendWeeksEqualWeeklyReports(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	pg := indicatorspg.New(s.pool)
	if _, err := s.pool.Exec(ctx, `INSERT INTO indicator_targets (indicator, scope, key, value, set_by) VALUES
		('order_success_rate', 'company', '', 0.9, 'test'), ('upload_rate', 'manager', $1, 0.5, 'test'),
		('stock_out_rate', 'company', '', 0.1, 'test')`, s.reg.Managers[0]); err != nil {
		t.Fatal(err)
	}
	ch := indicatorsch.New(s.ch)
	tr := &indicators.Trends{Directory: pg, Brands: pg, Orders: pg, History: ch, Stock: ch, Targets: pg}
	date := lastWeek.AddDate(0, 0, 2)
	tests := []struct {
		name    string
		q       indicators.TrendQuery
		wantLen int // rows a week; -1: at least one
	}{
		{"company", indicators.TrendQuery{Level: indicators.AtCompany}, 1},
		{"every manager", indicators.TrendQuery{Level: indicators.AtManager}, len(s.reg.Managers)},
		{"one manager by key", indicators.TrendQuery{Level: indicators.AtManager, Keys: []string{s.reg.Managers[1]}}, 1},
		{"a manager's own row", indicators.TrendQuery{Level: indicators.AtManager, Manager: s.reg.Managers[0]}, 1},
		{"a manager's outlets", indicators.TrendQuery{Level: indicators.AtOutlet, Manager: s.reg.Managers[0]}, -1},
		{"two outlets", indicators.TrendQuery{Level: indicators.AtOutlet, Keys: s.reg.Outlets[:2]}, 2},
		{"areas", indicators.TrendQuery{Level: indicators.AtArea}, -1},
		{"routes", indicators.TrendQuery{Level: indicators.AtRoute}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Weeks, tt.q.Date = s.reg.Weeks+2, date
			got, err := tr.Trend(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Weeks) != tt.q.Weeks {
				t.Fatalf("Trend(%+v) has %d weeks; want %d", tt.q, len(got.Weeks), tt.q.Weeks)
			}
			seen := map[indicators.Indicator]bool{}
			for _, w := range got.Weeks {
				for _, v := range w.Company.Values {
					seen[v.Indicator] = seen[v.Indicator] || (v.Value != nil && v.Num > 0)
				}
			}
			for _, ind := range indicators.TrendIndicators {
				if !seen[ind] {
					t.Errorf("the company's %s is 0 or no data every week: the seed should give it figures", ind)
				}
			}
			for i, w := range got.Weeks {
				wantStart := lastWeek.AddDate(0, 0, -7*(tt.q.Weeks-1-i))
				if !w.Period.Start.Equal(wantStart) || w.Period.Kind != indicators.Week {
					t.Fatalf("week %d is %s; want week %s", i, w.Period, d(wantStart))
				}
				if (tt.wantLen >= 0 && len(w.Rows) != tt.wantLen) || len(w.Rows) == 0 {
					t.Fatalf("week %s has %d rows; want %d", d(w.Period.Start), len(w.Rows), tt.wantLen)
				}
				q := indicators.Query{Period: w.Period, Level: tt.q.Level, Keys: tt.q.Keys, Manager: tt.q.Manager}
				rep, err := s.svc.Report(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if tt.q.Level == indicators.AtCompany {
					rep.Rows = []indicators.Row{rep.Company}
				}
				if g, w := trendOnly(t, w.Company), trendOnly(t, rep.Company); g != w {
					t.Errorf("week %s: company =\n%s\nwant the report's\n%s", d(wantStart), g, w)
				}
				if len(rep.Rows) != len(w.Rows) {
					t.Fatalf("week %s: %d rows; the report has %d", d(wantStart), len(w.Rows), len(rep.Rows))
				}
				if i == len(got.Weeks)-1 {
					if g, w := jsonOf(t, got.Stock), jsonOf(t, rep.Stock); g != w {
						t.Errorf("stock at the end of week %s =\n%s\nwant the report's\n%s", d(wantStart), g, w)
					}
					if len(got.Stock) == 0 {
						t.Errorf("no brand's stock-to-sales at the end of week %s", d(wantStart))
					}
				}
				for j := range rep.Rows {
					if g, w := trendOnly(t, w.Rows[j]), trendOnly(t, rep.Rows[j]); g != w {
						t.Errorf("week %s: row %d =\n%s\nwant the report's\n%s", d(wantStart), j, g, w)
					}
				}
			}
		})
	}
}

func TestTrendRefusals(t *testing.T) {
	tr := &indicators.Trends{}
	for _, q := range []indicators.TrendQuery{
		{Weeks: 0, Level: indicators.AtCompany},
		{Weeks: indicators.MaxTrendWeeks + 1, Level: indicators.AtCompany},
		{Weeks: 12, Level: "brand"},
	} {
		if _, err := tr.Trend(context.Background(), q); !errors.Is(err, indicators.ErrInvalid) {
			t.Errorf("Trend(%+v) = %v; want ErrInvalid", q, err)
		}
	}
}

// countingHistory counts the trend's reads of the history.
type countingHistory struct {
	hist  indicators.WeeklyHistory
	reads atomic.Int32
}

func (c *countingHistory) WeeklyFacts(ctx context.Context, from, to time.Time, scarce []string, shelving []indicators.Brand, outlets []indicators.TrendOutlet) ([]indicators.WeekFact, error) {
	c.reads.Add(1)
	return c.hist.WeeklyFacts(ctx, from, to, scarce, shelving, outlets)
}

// Kept trends: every manager's trend of a week comes from one computation while it is at most MaxAge
// old, equal to a fresh one; targets set since show at once; an older one is computed again.
func TestTrendKept(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	pg := indicatorspg.New(s.pool)
	ch := indicatorsch.New(s.ch)
	hist := &countingHistory{hist: ch}
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	kept := &indicators.Trends{Directory: pg, Brands: pg, Orders: pg, History: hist, Stock: ch, Targets: pg,
		MaxAge: 10 * time.Minute, Now: func() time.Time { return clock }}
	fresh := &indicators.Trends{Directory: pg, Brands: pg, Orders: pg, History: ch, Stock: ch, Targets: pg}
	q := func(manager string) indicators.TrendQuery {
		return indicators.TrendQuery{Weeks: 4, Date: lastWeek, Level: indicators.AtManager, Manager: manager}
	}
	check := func(manager string, wantReads int32) {
		t.Helper()
		got, err := kept.Trend(ctx, q(manager))
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.Trend(ctx, q(manager))
		if err != nil {
			t.Fatal(err)
		}
		if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
			t.Errorf("kept trend of %s =\n%.1500s\nwant the fresh one\n%.1500s", manager, g, w)
		}
		if n := hist.reads.Load(); n != wantReads {
			t.Errorf("after %s's trend the history was read %d times; want %d", manager, n, wantReads)
		}
	}
	check(s.reg.Managers[0], 1)
	check(s.reg.Managers[1], 1) // the same computation
	if _, err := s.pool.Exec(ctx, `INSERT INTO indicator_targets (indicator, scope, key, value, set_by)
		VALUES ('sell_through_rate', 'manager', $1, 0.7, 'test')`, s.reg.Managers[1]); err != nil {
		t.Fatal(err)
	}
	check(s.reg.Managers[1], 1) // targets are read on every request
	clock = clock.Add(10 * time.Minute)
	check(s.reg.Managers[0], 1) // MaxAge old: still kept
	clock = clock.Add(time.Second)
	check(s.reg.Managers[0], 2)
}

// Warm computes the company's and the managers' trends ahead of the pages: a page asking afterwards
// reads no history, and what it gets equals a fresh computation.
func TestTrendWarm(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	pg := indicatorspg.New(s.pool)
	ch := indicatorsch.New(s.ch)
	hist := &countingHistory{hist: ch}
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	kept := &indicators.Trends{Directory: pg, Brands: pg, Orders: pg, History: hist, Stock: ch, Targets: pg,
		MaxAge: 10 * time.Minute, Now: func() time.Time { return clock }}
	fresh := &indicators.Trends{Directory: pg, Brands: pg, Orders: pg, History: ch, Stock: ch, Targets: pg}
	if err := kept.Warm(ctx, lastWeek, 4); err != nil {
		t.Fatal(err)
	}
	if n := hist.reads.Load(); n != 2 {
		t.Fatalf("Warm read the history %d times; want 2 (the company's and the managers' levels)", n)
	}
	for _, q := range []indicators.TrendQuery{
		{Weeks: 4, Date: lastWeek, Level: indicators.AtCompany},
		{Weeks: 4, Date: lastWeek, Level: indicators.AtManager, Manager: s.reg.Managers[0]},
		{Weeks: 4, Date: lastWeek, Level: indicators.AtManager},
	} {
		got, err := kept.Trend(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.Trend(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
			t.Errorf("warmed trend %+v =\n%.1500s\nwant the fresh one\n%.1500s", q, g, w)
		}
	}
	if n := hist.reads.Load(); n != 2 {
		t.Errorf("after the warmed pages the history was read %d times; want still 2", n)
	}
	clock = clock.Add(9 * time.Minute) // warmed again before MaxAge: a page still reads nothing
	if err := kept.Warm(ctx, lastWeek, 4); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(9 * time.Minute)
	if _, err := kept.Trend(ctx, indicators.TrendQuery{Weeks: 4, Date: lastWeek, Level: indicators.AtCompany}); err != nil {
		t.Fatal(err)
	}
	if n := hist.reads.Load(); n != 4 {
		t.Errorf("history reads after a second warm and a page = %d; want 4", n)
	}
}
