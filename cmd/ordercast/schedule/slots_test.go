package schedule

import (
	"testing"
	"time"
)

func TestWeeklySlot(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	slot, err := Weekly("mon 02:00", shanghai)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ now, want string }{
		{"2026-11-30 01:59", "2026-11-23"}, // Monday before its time: last week's
		{"2026-11-30 02:00", "2026-11-30"},
		{"2026-12-03 15:00", "2026-11-30"}, // Thursday
		{"2026-12-06 23:59", "2026-11-30"}, // Sunday
		{"2027-01-04 02:00", "2027-01-04"}, // across a year
	} {
		if got := slot(at(c.now)); got != c.want {
			t.Errorf("slot at %s = %s; want %s", c.now, got, c.want)
		}
	}
	// The same instant in UTC falls in the region's week: Monday 01:00 in Shanghai is Sunday in UTC.
	if got := slot(at("2026-11-30 03:00").UTC()); got != "2026-11-30" {
		t.Errorf("slot of a UTC instant = %s; want the Shanghai week 2026-11-30", got)
	}
	fri, err := Weekly("Fri 18:30", shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if got := fri(at("2026-12-04 18:29")); got != "2026-11-23" {
		t.Errorf("Friday 18:29 slot = %s; want the week before, 2026-11-23", got)
	}
	if got := fri(at("2026-12-04 18:30")); got != "2026-11-30" {
		t.Errorf("Friday 18:30 slot = %s; want 2026-11-30", got)
	}
	for _, bad := range []string{"", "monday 02:00", "mon", "mon 25:00", "mon 2"} {
		if _, err := Weekly(bad, shanghai); err == nil {
			t.Errorf("Weekly(%q) accepted", bad)
		}
	}
}

func TestMonthlySlot(t *testing.T) {
	slot, err := Monthly("2 04:00", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 12, 2, 3, 59, 0, 0, time.UTC), "2026-10"}, // before the 2nd's time: November not yet
		{time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC), "2026-11"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2026-11"},
		{time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), "2026-12"}, // across a year
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2026-11"},
	} {
		if got := slot(c.now); got != c.want {
			t.Errorf("slot at %s = %s; want %s", c.now, got, c.want)
		}
	}
	for _, bad := range []string{"0 04:00", "29 04:00", "x 04:00", "2", "2 4am"} {
		if _, err := Monthly(bad, time.UTC); err == nil {
			t.Errorf("Monthly(%q) accepted", bad)
		}
	}
}

func TestHourlySlot(t *testing.T) {
	a := time.Date(2026, 12, 3, 5, 59, 59, 0, time.UTC)
	if Hourly(a) != "2026-12-03T05" || Hourly(a.Add(time.Second)) != "2026-12-03T06" {
		t.Errorf("hourly slots %s, %s", Hourly(a), Hourly(a.Add(time.Second)))
	}
}
