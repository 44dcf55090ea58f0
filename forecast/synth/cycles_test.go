package synth

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/ordering"
)

func TestRecentCycles(t *testing.T) {
	r, err := New(Config{Outlets: 120, Brands: 40, Weeks: 30, Seed: 3, Now: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rc := r.NewRecentCycles(DemoCycles)
	first := r.Week(r.Weeks - DemoCycles)
	type key struct {
		outlet, brand string
		day           time.Time
	}
	want := map[key]float64{} // requested, from the history
	var taken []ordering.PastCycle
	for i := range r.Outlets {
		h := r.History(i)
		for _, s := range h.Sales {
			if !s.Day.Before(first) {
				want[key{s.Outlet, s.Brand, s.Day}] = s.Requested
			}
		}
		rc.Add(h)
		if i%50 == 49 {
			taken = append(taken, rc.Take()...)
		}
	}
	taken = append(taken, rc.Take()...)
	if got := rc.Take(); len(got) != DemoCycles || len(got[0].Orders) != 0 || len(got[0].Limits) != 0 {
		t.Fatalf("Take after Take = %d cycles with %d orders; want %d empty cycles", len(got), len(got[0].Orders), DemoCycles)
	}

	lines, failed, limited, limits := 0, 0, 0, 0
	for _, c := range taken {
		if c.WeekStart.Before(first) || len(c.Windows) != 7 {
			t.Fatalf("cycle %s with %d windows; want one of the last %d weeks with 7", c.WeekStart, len(c.Windows), DemoCycles)
		}
		rationed := map[string]bool{}
		for _, b := range c.Rationed {
			rationed[b] = true
		}
		for _, l := range c.Limits {
			limits++
			if !rationed[l.Brand] || l.Cartons < 0 {
				t.Errorf("cycle %s: limit %+v of a brand not rationed", c.WeekStart.Format(time.DateOnly), l)
			}
			// In the allocation's wording, so that the pages show it in the reader's language.
			if cs, ok := allocation.ParseExplanation(l.Explanation); !ok || cs[0].Params["cartons"] != float64(l.Cartons) {
				t.Errorf("cycle %s: limit %+v explained as the allocation would not: %v", c.WeekStart.Format(time.DateOnly), l, cs)
			}
		}
		for _, o := range c.Orders {
			if o.Status == ordering.Failed {
				failed++
				if !strings.HasPrefix(o.Reason, "insufficient balance") || !o.Delivered.IsZero() {
					t.Errorf("failed order %+v: want a balance reason and no delivery", o)
				}
			} else if o.Status != ordering.Delivered || o.Delivered.Before(o.SettledAt) {
				t.Errorf("order %+v: want delivered after its cut-off", o)
			}
			if !o.PlacedAt.Before(o.SettledAt) {
				t.Errorf("order of %s placed %s, after its cut-off %s", o.Outlet, o.PlacedAt, o.SettledAt)
			}
			var total int64
			for _, l := range o.Lines {
				lines++
				day := c.WeekStart
				for day.Weekday() != r.Outlets[outletIndex(t, r, o.Outlet)].OrderDay {
					day = day.AddDate(0, 0, 1)
				}
				req, ok := want[key{o.Outlet, l.Brand, day}]
				if !ok || float64(l.Requested) != req {
					t.Errorf("order line %s %s %s requests %d; the history says %v (%v)", o.Outlet, l.Brand, day.Format(time.DateOnly), l.Requested, req, ok)
				}
				if l.Granted > l.Requested || (l.Granted < l.Requested) != (l.Reason == ordering.ByLimit) ||
					(l.Limit != nil) != rationed[l.Brand] || l.Limit != nil && l.Granted > *l.Limit {
					t.Errorf("order line %+v: granted, limit and reason disagree", l)
				}
				if l.Reason != "" {
					limited++
				}
				total += int64(l.Granted) * l.PriceCents
			}
			if total != o.TotalCents {
				t.Errorf("order of %s totals %d; its lines %d", o.Outlet, o.TotalCents, total)
			}
		}
	}
	if lines != len(want) || failed == 0 || limited == 0 || limits == 0 {
		t.Errorf("%d order lines for %d history lines, %d failed orders, %d limited lines, %d limits; want equal lines and the rest not 0",
			lines, len(want), failed, limited, limits)
	}
}

func outletIndex(t *testing.T, r *Region, licence string) int {
	t.Helper()
	for i := range r.Outlets {
		if r.Outlets[i].Licence == licence {
			return i
		}
	}
	t.Fatalf("no outlet %s", licence)
	return -1
}

// With UpToNow the region goes on into the week under way without changing its history: every sale,
// demand row and scan before the week is the same as without it; the week's orders fall on order days
// up to Now's date, its uploads are made by Now, and its cycle is the last, cut off up to Now.
func TestWeekUnderWay(t *testing.T) {
	now := time.Date(2026, 11, 18, 6, 0, 0, 0, time.UTC) // a Wednesday
	monday := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	cfg := Config{Outlets: 150, Brands: 30, Weeks: 20, Seed: 4, Now: now}
	past, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.UpToNow = true
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sales, uploads, scores, cutOff, open int
	for i := range r.Outlets {
		before, h := past.History(i), r.History(i)
		var history []forecast.Sale
		for _, s := range h.Sales {
			if s.Day.Before(monday) {
				history = append(history, s)
				continue
			}
			if s.Day.After(now) {
				t.Errorf("outlet %d: a sale of %s in the week under way; want %s … %s", i, s.Day, monday, now)
			}
			sales++
		}
		var truth []forecast.DemandPoint
		for _, d := range h.Demand {
			if d.Week.Before(monday) {
				truth = append(truth, d)
			}
		}
		if fmt.Sprint(history) != fmt.Sprint(before.Sales) || fmt.Sprint(truth) != fmt.Sprint(before.Demand) ||
			fmt.Sprint(h.Scans[:len(before.Scans)]) != fmt.Sprint(before.Scans) {
			t.Fatalf("outlet %d: the history changed with UpToNow", i)
		}
		for _, b := range h.Scans[len(before.Scans):] {
			for _, row := range b.Rows {
				if row.At.Before(monday) || row.At.After(now) || b.Received.After(now) {
					t.Errorf("outlet %d: a scan at %s received %s; want in the week, by %s", i, row.At, b.Received, now)
				}
			}
			uploads++
		}
		for _, s := range h.Satisfaction {
			if s.Month.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
				scores++
			}
		}
	}
	cycles := r.NewRecentCycles(DemoCycles).Cycles
	last := cycles[len(cycles)-1]
	for _, w := range last.Windows {
		if w.ClosesAt.After(now) {
			open++
		} else {
			cutOff++
		}
	}
	if len(cycles) != DemoCycles+1 || !last.WeekStart.Equal(monday) || !last.CutOff.Equal(now) || open == 0 || cutOff == 0 {
		t.Errorf("%d cycles, the last of %s cut off at %s (%d windows cut off, %d open); want %d, the week under way's, "+
			"cut off at %s, some windows of each", len(cycles), last.WeekStart, last.CutOff, cutOff, open, DemoCycles+1, now)
	}
	if sales == 0 || uploads == 0 || scores == 0 {
		t.Errorf("the week under way: %d sales, %d uploads, %d November scores; want some of each", sales, uploads, scores)
	}
}

// Now's days are its own location's: at 07:00 on a Monday in Shanghai (still Sunday in UTC) the week
// under way is that Monday's, and the outlets ordering on Mondays have ordered; the same instant in
// UTC is a Sunday, the last day of the week before.
func TestWeekUnderWayIsNowsLocations(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 7, 0, 0, 0, shanghai) // 2026-11-29 23:00 UTC
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	r, err := New(Config{Outlets: 150, Brands: 30, Weeks: 20, Seed: 4, Now: now, UpToNow: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.End(); !got.Equal(monday) {
		t.Fatalf("the week under way at %s is %s's; want 2026-11-30's", now, got.Format(time.DateOnly))
	}
	var mondaySales int
	for i := range r.Outlets {
		for _, s := range r.History(i).Sales {
			if s.Day.Equal(monday) {
				mondaySales++
			}
		}
	}
	if mondaySales == 0 {
		t.Errorf("no sales on Monday 30 November by 07:00 in Shanghai; want the Monday outlets' orders")
	}
	utc, err := New(Config{Outlets: 150, Brands: 30, Weeks: 20, Seed: 4, Now: now.UTC(), UpToNow: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := utc.End(); !got.Equal(monday.AddDate(0, 0, -7)) {
		t.Errorf("the week under way at %s is %s's; want 2026-11-23's", now.UTC(), got.Format(time.DateOnly))
	}
}

// The week under way's orders are delivered on their order day during the round, 09:00 to 17:00: at
// 14:00 on a Wednesday, Wednesday's orders are partly delivered and partly out for delivery (paid,
// their lines not in the history yet), earlier days' all delivered; after 18:00, Thursday's window
// has closed, and its orders are paid, for the next day's round.
func TestWeekUnderWayRound(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	policy := ordering.WindowPolicy{CloseHour: 18, Location: shanghai}
	for _, tt := range []struct {
		now        time.Time
		paidOn     []time.Weekday // the order days of the orders out for delivery
		deliveries bool           // some of now's order day delivered
	}{
		{time.Date(2026, 11, 18, 14, 0, 0, 0, shanghai), []time.Weekday{time.Wednesday}, true},
		{time.Date(2026, 11, 18, 19, 0, 0, 0, shanghai), []time.Weekday{time.Thursday}, true},
		{time.Date(2026, 11, 18, 7, 0, 0, 0, shanghai), []time.Weekday{time.Wednesday}, false},
	} {
		r, err := New(Config{Outlets: 300, Brands: 30, Weeks: 20, Seed: 4, Now: tt.now, UpToNow: true, Windows: policy})
		if err != nil {
			t.Fatal(err)
		}
		rc := r.NewRecentCycles(DemoCycles)
		deliveredToday := 0
		today := time.Date(tt.now.Year(), tt.now.Month(), tt.now.Day(), 0, 0, 0, 0, time.UTC)
		for i := range r.Outlets {
			h := r.History(i)
			rc.Add(h)
			for _, s := range h.Sales {
				// A failed order's lines (granted nothing) come with the day's round too: before it,
				// the day's stock-out rate would count only them.
				if !tt.deliveries && !s.Day.Before(today) {
					t.Errorf("%s: outlet %s has a line of %s in the history before the day's round", tt.now, s.Outlet, s.Day)
				}
			}
			last := rc.Cycles[len(rc.Cycles)-1].Orders
			if n := len(last); n > 0 && last[n-1].Outlet == h.Outlet.Licence && last[n-1].Status == ordering.Paid {
				for _, s := range h.Sales {
					if !s.Day.Before(r.End()) {
						t.Errorf("%s: outlet %s's order is out for delivery and has a line in the history", tt.now, s.Outlet)
					}
				}
			}
		}
		days := map[string]time.Weekday{}
		for i := range r.Outlets {
			days[r.Outlets[i].Licence] = r.Outlets[i].OrderDay
		}
		var paidOn []time.Weekday
		for _, o := range rc.Cycles[len(rc.Cycles)-1].Orders {
			switch o.Status {
			case ordering.Paid:
				if !slices.Contains(paidOn, days[o.Outlet]) {
					paidOn = append(paidOn, days[o.Outlet])
				}
				if !o.Delivered.IsZero() {
					t.Errorf("%s: a paid order delivered at %s", tt.now, o.Delivered)
				}
			case ordering.Delivered:
				if o.Delivered.After(tt.now) {
					t.Errorf("%s: an order delivered at %s, after now", tt.now, o.Delivered)
				}
				if local := o.Delivered.In(shanghai); local.Hour() < 9 || local.Hour() >= 17 {
					t.Errorf("%s: an order delivered at %s; want during the round, 09:00 to 17:00", tt.now, local)
				}
				if days[o.Outlet] == tt.now.Weekday() {
					deliveredToday++
				}
			}
		}
		if !slices.Equal(paidOn, tt.paidOn) || (deliveredToday > 0) != tt.deliveries {
			t.Errorf("%s: orders out for delivery of %v, %d of the day delivered; want of %v, some delivered %v",
				tt.now, paidOn, deliveredToday, tt.paidOn, tt.deliveries)
		}
	}
}
