package synth

import (
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

func TestRecentCycles(t *testing.T) {
	r, err := New(Config{Outlets: 120, Brands: 40, Weeks: 30, Seed: 3, Now: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rc := r.NewRecentCycles(DemoCycles, ordering.DefaultWindowPolicy)
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
