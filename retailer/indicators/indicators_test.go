package indicators

import (
	"testing"
	"time"
)

func TestBrandStocks(t *testing.T) {
	// The company's weekly sales, of every outlet: the limits are weeks of them, whatever the scope's
	// own sales (B2's within are 1 a week).
	sales := map[string]float64{"B1": 10, "B2": 10, "B3": 10}
	within := map[string]Ratio{"B1": {Num: 30, Den: 1}, "B2": {Num: 1, Den: 1}, "B3": {Num: 4, Den: 2}, "B4": {Num: 5, Den: 0}}
	limits := []StockLimit{{Brand: "B1", Lower: 20, Upper: 200}, {Brand: "B2", Lower: 20, Upper: 200}}
	// B1: 30 weeks against limits of 2 to 20 weeks (20 and 200 cartons over 10 a week).
	want := map[string]string{"B1": "above upper limit", "B2": "below lower limit", "B3": "no limit", "B4": "no sales"}
	got := BrandStocks(within, sales, limits)
	if len(got) != len(want) {
		t.Fatalf("BrandStocks = %d brands; want %d", len(got), len(want))
	}
	for _, b := range got {
		if b.Warning != want[b.Brand] {
			t.Errorf("BrandStocks %s = %q; want %q", b.Brand, b.Warning, want[b.Brand])
		}
		if b.Brand == "B1" && (b.LowerWeeks == nil || *b.LowerWeeks != 2 || *b.UpperWeeks != 20 || *b.Ratio != 30) {
			t.Errorf("BrandStocks B1 = %+v; want ratio 30 weeks, limits 2 to 20 weeks", b)
		}
	}
	within["B1"] = Ratio{Num: 5, Den: 1}
	if got := BrandStocks(within, sales, limits); got[0].Warning != "within limits" {
		t.Errorf("BrandStocks B1 at 5 weeks = %q; want within limits", got[0].Warning)
	}
}

// A period is under way on the days it holds, whatever the time of day or the location of today.
func TestPeriodUnderWay(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	week, _ := PeriodOf(Week, time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)) // 2026-11-16 … 2026-11-22
	for _, tt := range []struct {
		today time.Time
		want  bool
	}{
		{time.Date(2026, 11, 15, 23, 59, 0, 0, shanghai), false},
		{time.Date(2026, 11, 16, 0, 0, 0, 0, shanghai), true},
		{time.Date(2026, 11, 22, 23, 59, 0, 0, shanghai), true},
		{time.Date(2026, 11, 23, 1, 0, 0, 0, shanghai), false}, // 2026-11-22 17:00 in UTC: Shanghai's day counts
	} {
		if got := week.UnderWay(tt.today); got != tt.want {
			t.Errorf("week %s under way on %s = %v; want %v", week, tt.today, got, tt.want)
		}
	}
}

func TestPeriods(t *testing.T) {
	day := time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC) // a Wednesday
	tests := []struct {
		kind             PeriodKind
		start, end, prev string
	}{
		{Day, "2026-11-18", "2026-11-19", "2026-11-17"},
		{Week, "2026-11-16", "2026-11-23", "2026-11-09"},
		{Month, "2026-11-01", "2026-12-01", "2026-10-01"},
	}
	for _, tt := range tests {
		p, err := PeriodOf(tt.kind, day)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Start.Format(time.DateOnly) + " " + p.End.Format(time.DateOnly) + " " + p.Previous().Start.Format(time.DateOnly); got != tt.start+" "+tt.end+" "+tt.prev {
			t.Errorf("PeriodOf(%s, %s) = %s; want %s %s %s", tt.kind, day, got, tt.start, tt.end, tt.prev)
		}
	}
	if _, err := PeriodOf("year", day); err == nil {
		t.Error("PeriodOf(year) = nil error")
	}
	p, _ := PeriodOf(Month, day)
	if got := p.Back(SellThroughBack).Format(time.DateOnly); got != "2026-08-01" {
		t.Errorf("Back(3) of November = %s; want 2026-08-01", got)
	}
}
