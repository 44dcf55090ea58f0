package indicators_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
)

// comparable is a bulletin as JSON without its ComputedAt, for comparing bulletins computed at
// different times.
func comparable(t *testing.T, b indicators.Bulletin) string {
	t.Helper()
	b.ComputedAt = time.Time{}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// The stored bulletins (the company's and every manager's, from one computation) are the bulletins
// computed directly for each, figures, ranks and lists alike; a request serves the stored one while it
// is fresh and recomputes it when older than MaxAge.
func TestStoredBulletinsAgreeWithDirect(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	pg := indicatorspg.New(s.pool)
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	stored := &indicators.Service{Directory: pg, Orders: pg, History: s.svc.History, Scores: s.svc.Scores, Targets: pg,
		Snapshots: pg, MaxAge: 10 * time.Minute, Now: func() time.Time { return clock }}
	for _, date := range []time.Time{lastWeek.AddDate(0, 0, 3), lastWeek.AddDate(0, 0, -5)} {
		refreshed, err := stored.RefreshBulletins(ctx, date)
		if err != nil {
			t.Fatal(err)
		}
		if len(refreshed) != len(s.reg.Managers)+1 {
			t.Fatalf("RefreshBulletins(%s) = %d bulletins; want the company's and %d managers'", d(date), len(refreshed), len(s.reg.Managers))
		}
		listed := 0
		for _, scope := range append([]string{""}, s.reg.Managers...) {
			direct, err := s.svc.Bulletin(ctx, date, scope) // no Snapshots: computed for this scope alone
			if err != nil {
				t.Fatal(err)
			}
			got, err := stored.Bulletin(ctx, date, scope)
			if err != nil {
				t.Fatal(err)
			}
			if !got.ComputedAt.Equal(clock) {
				t.Errorf("Bulletin(%s, %q).ComputedAt = %s; want the refresh's %s", d(date), scope, got.ComputedAt, clock)
			}
			if g, w := comparable(t, got), comparable(t, direct); g != w {
				t.Errorf("stored Bulletin(%s, %q) =\n%.2000s\nwant the direct computation\n%.2000s", d(date), scope, g, w)
			}
			if scope != "" {
				listed += len(got.Lists.Empty) + len(got.Lists.UploadGaps) + len(got.Lists.Failed) + len(got.Lists.LowBalance)
			}
		}
		if listed == 0 {
			t.Errorf("no manager's bulletin of %s lists anything: the region does not exercise the lists", d(date))
		}
	}

	// Targets set after the computation show at once, beside the stored facts.
	date := lastWeek.AddDate(0, 0, 3)
	if err := pg.SetTargets(ctx, []indicators.Target{
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtCompany, Value: 0.8, SetBy: "planner"},
		{Indicator: indicators.OrderSuccess, Scope: indicators.AtArea, Key: "A1", Value: 0.7, SetBy: "planner"},
		{Indicator: indicators.UploadRate, Scope: indicators.AtManager, Key: s.reg.Managers[1], Value: 0.9, SetBy: "planner"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	for _, scope := range append([]string{""}, s.reg.Managers...) {
		direct, err := s.svc.Bulletin(ctx, date, scope)
		if err != nil {
			t.Fatal(err)
		}
		got, err := stored.Bulletin(ctx, date, scope)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := got.Figures.Value(indicators.OrderSuccess); v.Target == nil {
			t.Errorf("stored Bulletin(%s, %q) order success has no target after one was set", d(date), scope)
		}
		if g, w := comparable(t, got), comparable(t, direct); g != w {
			t.Errorf("stored Bulletin(%s, %q) after targets were set =\n%.2000s\nwant\n%.2000s", d(date), scope, g, w)
		}
	}

	// Fresh: served as stored, even after the facts change. Older than MaxAge: recomputed.
	if _, err := s.pool.Exec(ctx, `UPDATE outlets SET status = 'closed' WHERE licence_no = $1`, s.reg.Outlets[0]); err != nil {
		t.Fatal(err)
	}
	before, err := stored.Bulletin(ctx, date, "")
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(10 * time.Minute)
	same, err := stored.Bulletin(ctx, date, "")
	if err != nil {
		t.Fatal(err)
	}
	if same.Figures.Outlets != before.Figures.Outlets || !same.ComputedAt.Equal(before.ComputedAt) {
		t.Errorf("a bulletin MaxAge old = %d outlets computed at %s; want the stored one (%d, %s)", same.Figures.Outlets,
			same.ComputedAt, before.Figures.Outlets, before.ComputedAt)
	}
	clock = clock.Add(time.Second)
	after, err := stored.Bulletin(ctx, date, "")
	if err != nil {
		t.Fatal(err)
	}
	if after.Figures.Outlets != before.Figures.Outlets-1 || !after.ComputedAt.Equal(clock) {
		t.Errorf("a bulletin older than MaxAge = %d outlets computed at %s; want recomputed at %s with %d", after.Figures.Outlets,
			after.ComputedAt, clock, before.Figures.Outlets-1)
	}
	m, err := stored.Bulletin(ctx, date, s.reg.Managers[0])
	if err != nil {
		t.Fatal(err)
	}
	if !m.ComputedAt.Equal(clock) || m.Company.Outlets != after.Figures.Outlets {
		t.Errorf("a manager's bulletin after the company's refresh = computed at %s, company of %d outlets; want %s, %d",
			m.ComputedAt, m.Company.Outlets, clock, after.Figures.Outlets)
	}
	// The job refreshes today's and yesterday's and deletes what is older than MaxAge (here the day
	// before's, refreshed first).
	clock = clock.Add(11 * time.Minute)
	if err := stored.RefreshRecent(ctx, date); err != nil {
		t.Fatal(err)
	}
	var days []time.Time
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT day FROM bulletin_snapshots ORDER BY day`)
	if err != nil {
		t.Fatal(err)
	}
	if days, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || !days[0].Equal(date.AddDate(0, 0, -1)) || !days[1].Equal(date) {
		t.Errorf("days stored after RefreshRecent(%s) = %v; want the day before and the day", d(date), days)
	}
	if _, err := stored.Bulletin(ctx, date, "M999"); !errors.Is(err, indicators.ErrUnknownManager) {
		t.Errorf("Bulletin of an unknown manager = %v; want ErrUnknownManager", err)
	}
	// Today is now's calendar day where now is: 04:00 the next day in Shanghai, 20:00 the day in UTC,
	// refreshes the next day's bulletin, which GET /bulletin serves by default then.
	next := date.AddDate(0, 0, 1)
	early := next.Add(-4 * time.Hour).In(time.FixedZone("CST", 8*3600))
	if err := stored.RefreshRecent(ctx, early); err != nil {
		t.Fatal(err)
	}
	var stale bool
	if err := s.pool.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM bulletin_snapshots WHERE day = $1)`, next).Scan(&stale); err != nil || stale {
		t.Errorf("RefreshRecent(%s) stored no bulletin of %s (%v); want the day of Shanghai's clock", early.Format(time.RFC3339), d(next), err)
	}
}
