package forecast

import (
	"context"
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast/forecasttest"
)

// realHolidays reads the holidays of a real dataset straight from its files, as `ordercast import
// holidays -from m5-calendar|walmart-flags` does (forecast/holidaycsv, which this package cannot
// import): M5's events by date, Walmart's IsHoliday weeks named by month.
func realHolidays(tb testing.TB, name string) []CalendarDay {
	tb.Helper()
	var file string
	switch name {
	case "m5":
		file = forecasttest.DataFile(tb, "m5", "calendar.csv")
	case "walmart":
		file = forecasttest.DataFile(tb, "walmart", "features.csv")
	}
	f, err := os.Open(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	col := make(map[string]int)
	for i, h := range recs[0] {
		col[strings.ToLower(h)] = i
	}
	walmart := map[time.Month]string{time.February: "Super Bowl", time.September: "Labor Day",
		time.November: "Thanksgiving", time.December: "Christmas"}
	seen := make(map[CalendarDay]bool)
	var out []CalendarDay
	for _, r := range recs[1:] {
		d, err := time.Parse(time.DateOnly, r[col["date"]])
		if err != nil {
			tb.Fatal(err)
		}
		var names []string
		if name == "m5" {
			names = []string{r[col["event_name_1"]], r[col["event_name_2"]]}
		} else if r[col["isholiday"]] == "TRUE" {
			names = []string{walmart[d.Month()]}
		}
		for _, n := range names {
			c := CalendarDay{Dataset: name, Day: d, Holiday: n}
			if n != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// BenchmarkRealDataHolidays backtests the engine on Walmart and M5 with and without their holiday
// calendars (BACKTEST.md's protocol: h 4, step 4; 3 and 12 origins) and reports the WAPE of each.
func BenchmarkRealDataHolidays(b *testing.B) {
	for _, d := range realDatasets {
		p := loadPanel(b, d)
		hol := NewHolidays(realHolidays(b, d.name))
		for _, origins := range []int{3, 12} {
			for _, with := range []bool{false, true} {
				name := d.name + "/origins=" + string(rune('0'+origins/10)) + string(rune('0'+origins%10)) + "/holidays=" + map[bool]string{false: "no", true: "yes"}[with]
				b.Run(name, func(b *testing.B) {
					e := NewEngine()
					if with {
						e.Holidays = hol
					}
					for range b.N {
						rep, err := Backtest(context.Background(), p, BacktestConfig{Origins: origins}, e)
						if err != nil {
							b.Fatal(err)
						}
						b.ReportMetric(rep.Results[0].WAPE, "wape")
						b.ReportMetric(rep.Results[0].BrandAccuracy, "brand-acc")
						b.ReportMetric(rep.Results[0].TotalAccuracy, "total-acc")
					}
				})
			}
		}
	}
}
