package clickhouse

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

func TestImportHolidays(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	// The seeded region's calendar, which an import must leave alone.
	if err := stores.InsertColumns(ctx, conn, "INSERT INTO calendar (region, day, holiday, workday, version)",
		[]string{"CN"}, []time.Time{day("2026-02-17")}, []string{"Spring Festival"}, []uint8{0}, []uint64{1}); err != nil {
		t.Fatal(err)
	}
	same := func(a, b CalendarDay) bool {
		return a.Dataset == b.Dataset && a.Region == b.Region && a.Day.Equal(b.Day) && a.Holiday == b.Holiday
	}
	read := func(dataset string) []CalendarDay {
		t.Helper()
		days, err := s.Calendar(ctx, dataset, day("2025-01-01"), day("2027-01-01"))
		if err != nil {
			t.Fatalf("Calendar(%s) = %v", dataset, err)
		}
		return days
	}
	seeded := CalendarDay{Region: "CN", Day: day("2026-02-17"), Holiday: "Spring Festival"}

	first := []forecast.CalendarDay{
		{Day: day("2025-11-27"), Holiday: "Thanksgiving"},
		{Day: day("2025-12-25"), Holiday: "Christmas", Region: "US"},
		{Day: day("2025-12-25"), Holiday: "Christmas Day"}, // two holidays on one day
	}
	res, err := s.ImportHolidays(ctx, "shop", first)
	if err != nil || res.Days != 3 || res.Names != 3 || !res.FirstDay.Equal(day("2025-11-27")) || !res.LastDay.Equal(day("2025-12-25")) {
		t.Fatalf("ImportHolidays = %+v, %v; want 3 days of 3 names, 2025-11-27 … 2025-12-25", res, err)
	}
	want := []CalendarDay{seeded,
		{Dataset: "shop", Day: day("2025-11-27"), Holiday: "Thanksgiving"},
		{Dataset: "shop", Day: day("2025-12-25"), Holiday: "Christmas", Region: "US"},
		{Dataset: "shop", Day: day("2025-12-25"), Holiday: "Christmas Day"},
	}
	if got := read("shop"); !slices.EqualFunc(got, want, same) {
		t.Errorf("Calendar(shop) = %+v; want %+v", got, want)
	}
	if got := read("other"); !slices.EqualFunc(got, want[:1], same) {
		t.Errorf("Calendar(other) = %+v; want only the calendar table's %+v", got, want[:1])
	}

	// A re-import replaces the calendar; the same days again give the same calendar.
	second := []forecast.CalendarDay{{Day: day("2026-11-26"), Holiday: "Thanksgiving"}}
	for range 2 {
		if _, err := s.ImportHolidays(ctx, "shop", second); err != nil {
			t.Fatalf("ImportHolidays again: %v", err)
		}
		want = []CalendarDay{seeded, {Dataset: "shop", Day: day("2026-11-26"), Holiday: "Thanksgiving"}}
		if got := read("shop"); !slices.EqualFunc(got, want, same) {
			t.Errorf("Calendar(shop) after a re-import = %+v; want %+v", got, want)
		}
	}

	// Refused imports leave the calendar as it was.
	for _, tt := range []struct {
		name, dataset string
		days          []forecast.CalendarDay
		want          error
	}{
		{"empty", "shop", nil, ErrEmptyImport},
		{"bad dataset", "no such", second, ErrInvalidDataset},
		{"no name", "shop", []forecast.CalendarDay{{Day: day("2026-01-01")}}, ErrInvalidHoliday},
		{"day out of range", "shop", []forecast.CalendarDay{{Day: day("1960-01-01"), Holiday: "x"}}, ErrInvalidHoliday},
	} {
		if _, err := s.ImportHolidays(ctx, tt.dataset, tt.days); !errors.Is(err, tt.want) {
			t.Errorf("ImportHolidays(%s) = %v; want %v", tt.name, err, tt.want)
		}
	}
	if got := read("shop"); !slices.EqualFunc(got, want, same) {
		t.Errorf("Calendar(shop) after refused imports = %+v; want %+v", got, want)
	}
	// A cancelled import stages nothing and changes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ImportHolidays(cctx, "shop", first); err == nil {
		t.Error("ImportHolidays with a cancelled context = nil error")
	}
	if got := read("shop"); !slices.EqualFunc(got, want, same) {
		t.Errorf("Calendar(shop) after a cancelled import = %+v; want %+v", got, want)
	}
	// The live dataset may have a calendar of its own too.
	if _, err := s.ImportHolidays(ctx, forecast.LiveDataset, second); err != nil {
		t.Errorf("ImportHolidays(live) = %v", err)
	}
}
