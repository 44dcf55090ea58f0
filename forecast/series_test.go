package forecast

import (
	"slices"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dates(p Panel) []string {
	var out []string
	for _, w := range p.Weeks {
		out = append(out, w.Format(time.DateOnly))
	}
	return out
}

func TestBuilderDaily(t *testing.T) {
	b := NewBuilder(Daily)
	// 2024-01-06 and 07 are the Saturday and Sunday of a week the data covers only partly.
	for d := day("2024-01-06"); d.Before(day("2024-01-29")); d = d.AddDate(0, 0, 1) {
		b.Add(Observation{Day: d, Outlet: "o1", Brand: "b1", Qty: 1})
	}
	// o2 sells in the second full week only, and once in the partial week (dropped with it).
	b.Add(Observation{Day: day("2024-01-06"), Outlet: "o2", Brand: "b1", Qty: 100})
	b.Add(Observation{Day: day("2024-01-16"), Outlet: "o2", Brand: "b1", Qty: 2})
	b.Add(Observation{Day: day("2024-01-17"), Outlet: "o2", Brand: "b1", Qty: 3.5})
	// A time of day and a zone do not move a sale to another day.
	b.Add(Observation{Day: time.Date(2024, 1, 21, 23, 30, 0, 0, time.FixedZone("CST", 8*3600)), Outlet: "o0", Brand: "b2", Qty: -1})
	p := b.Panel()

	// Weeks of 2024-01-08, 15 and 22 are full; 2024-01-01's has only 2 days; 2024-01-29's none.
	if got, want := dates(p), []string{"2024-01-08", "2024-01-15", "2024-01-22"}; !slices.Equal(got, want) {
		t.Fatalf("Panel().Weeks = %v; want %v", got, want)
	}
	want := []Series{
		{Outlet: "o0", Brand: "b2", Values: []float64{0, -1, 0}},
		{Outlet: "o1", Brand: "b1", Values: []float64{7, 7, 7}},
		{Outlet: "o2", Brand: "b1", Values: []float64{0, 5.5, 0}},
	}
	if !slices.EqualFunc(p.Series, want, func(a, b Series) bool {
		return a.Outlet == b.Outlet && a.Brand == b.Brand && slices.Equal(a.Values, b.Values)
	}) {
		t.Errorf("Panel().Series = %v; want %v", p.Series, want)
	}
}

func TestBuilderDailyDropsWeekWithMissingDay(t *testing.T) {
	b := NewBuilder(Daily)
	for d := day("2024-01-01"); d.Before(day("2024-01-22")); d = d.AddDate(0, 0, 1) {
		if d.Equal(day("2024-01-10")) {
			continue // no series has this Wednesday: its week is not fully covered
		}
		b.Add(Observation{Day: d, Outlet: "o", Brand: "b", Qty: 1})
	}
	if got, want := dates(b.Panel()), []string{"2024-01-01", "2024-01-15"}; !slices.Equal(got, want) {
		t.Errorf("Panel().Weeks = %v; want %v", got, want)
	}
}

func TestBuilderWeekly(t *testing.T) {
	b := NewBuilder(Weekly)
	// Walmart's dates are Fridays; each goes to the Monday of its week.
	b.Add(Observation{Day: day("2010-02-05"), Outlet: "1", Brand: "1", Qty: 24924.5})
	b.Add(Observation{Day: day("2010-02-12"), Outlet: "1", Brand: "1", Qty: 46039.49})
	b.Add(Observation{Day: day("2010-02-19"), Outlet: "1", Brand: "2", Qty: 10})
	// A Sunday belongs to the week that began six days before; two rows of a week add up.
	b.Add(Observation{Day: day("2010-02-14"), Outlet: "1", Brand: "2", Qty: 3})
	b.Add(Observation{Day: day("2010-02-08"), Outlet: "1", Brand: "2", Qty: 4})
	p := b.Panel()
	if got, want := dates(p), []string{"2010-02-01", "2010-02-08", "2010-02-15"}; !slices.Equal(got, want) {
		t.Fatalf("Panel().Weeks = %v; want %v", got, want)
	}
	if got, want := p.Series[0].Values, []float64{24924.5, 46039.49, 0}; !slices.Equal(got, want) {
		t.Errorf("series 1/1 = %v; want %v", got, want)
	}
	if got, want := p.Series[1].Values, []float64{0, 7, 10}; !slices.Equal(got, want) {
		t.Errorf("series 1/2 = %v; want %v", got, want)
	}
}

func TestBuilderEmpty(t *testing.T) {
	p := NewBuilder(Daily).Panel()
	if len(p.Weeks) != 0 || len(p.Series) != 0 {
		t.Errorf("empty Builder: %d weeks, %d series; want none", len(p.Weeks), len(p.Series))
	}
}

func TestWeekNumbering(t *testing.T) {
	for _, d := range []string{"1969-12-28", "1969-12-29", "1970-01-01", "1970-01-05", "2000-02-29", "2024-12-31", "2025-01-05"} {
		tm := day(d)
		got := mondayOfWeek(weekOfDay(dayNumber(tm)))
		if want := Monday(tm); !got.Equal(want) {
			t.Errorf("mondayOfWeek(weekOfDay(%s)) = %v; want Monday() = %v", d, got, want)
		}
	}
}
