package forecast_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
)

// regionPanels generates a synthetic region and returns the weekly sell-in of every outlet × brand
// with an order line corrected for censored demand (what a run with -correct learns from), the true
// demand of the same series, and the region's festival calendar.
func regionPanels(t testing.TB, cfg synth.Config) (sales, demand forecast.Panel, hol forecast.Holidays) {
	t.Helper()
	r, err := synth.New(cfg)
	if err != nil {
		t.Fatalf("synth.New: %v", err)
	}
	sp, demand := regionHistory(t, r, func(string) bool { return true })
	first, last := sp.Weeks[0].Year(), sp.Weeks[len(sp.Weeks)-1].Year()+1
	return forecast.Censoring{}.Demand(sp), demand, forecast.NewHolidays(synth.Holidays(first, last))
}

// festivalScore forecasts the series of sales from origin o (the first forecast week's index) h
// weeks ahead with eng, and returns the absolute errors of the grand total and of the brands' totals
// against demand, the demand itself, and the forecast and demand of the grand total per week.
type festivalScore struct {
	totalErr, brandErr, actual float64
	total, want                []float64
}

func scoreOrigin(t testing.TB, eng forecast.Method, sales, demand forecast.Panel, o, h int) festivalScore {
	t.Helper()
	brandOf := make([]int, len(sales.Series))
	idx := map[string]int{}
	series := make([][]float64, len(sales.Series))
	for i, s := range sales.Series {
		b, ok := idx[s.Brand]
		if !ok {
			b = len(idx)
			idx[s.Brand] = b
		}
		brandOf[i] = b
		series[i] = s.Values[:o:o]
	}
	out := forecast.NewForecasts(len(series), h, false)
	b := forecast.Batch{Series: series, Groups: brandOf, Horizon: h, Origin: sales.Weeks[o]}
	if err := eng.ForecastBatch(context.Background(), b, out); err != nil {
		t.Fatalf("ForecastBatch: %v", err)
	}
	sc := festivalScore{total: make([]float64, h), want: make([]float64, h)}
	brandF := make([][]float64, len(idx))
	brandA := make([][]float64, len(idx))
	for g := range brandF {
		brandF[g], brandA[g] = make([]float64, h), make([]float64, h)
	}
	for i, s := range demand.Series {
		for j := range h {
			f := max(out[i].Mean[j], 0)
			a := s.Values[o+j]
			sc.total[j] += f
			sc.want[j] += a
			brandF[brandOf[i]][j] += f
			brandA[brandOf[i]][j] += a
		}
	}
	for j := range h {
		sc.totalErr += math.Abs(sc.total[j] - sc.want[j])
		sc.actual += sc.want[j]
		for g := range brandF {
			sc.brandErr += math.Abs(brandF[g][j] - brandA[g][j])
		}
	}
	return sc
}

// festivalFigures scores eng at origins 1–8 weeks before each Spring Festival of the history that
// has at least a year of history before it, 8 weeks ahead: the total and brand WAPE and the mean
// error of the forecast of the festival's peak week (the week before the festival's) in the total.
func festivalFigures(t testing.TB, eng forecast.Method, sales, demand forecast.Panel) (total, brand, peak float64, origins int) {
	return festivalFiguresBy(t, eng, func(int) forecast.Panel { return sales }, demand)
}

// festivalHorizon is how many weeks ahead the festival origins are scored.
const festivalHorizon = 8

// festivalOrigins is one Spring Festival of a history and the origins scored before it.
type festivalOrigins struct {
	day     time.Time // the festival's date
	week    int       // the week holding it
	origins []int     // 1–8 weeks before that week, earliest first
}

// festivalsOf returns the Spring Festivals of the calendar weeks that have origins 1–8 weeks before
// them with at least a year of history before the origin and festivalHorizon weeks after it.
func festivalsOf(weeks []time.Time) []festivalOrigins {
	var out []festivalOrigins
	for y := weeks[0].Year(); y <= weeks[len(weeks)-1].Year(); y++ {
		sf, _ := synth.SpringFestival(y)
		f := festivalOrigins{day: sf, week: int(forecast.Monday(sf).Sub(weeks[0]).Hours() / 24 / 7)}
		for back := 8; back >= 1; back-- {
			if o := f.week - back; o >= forecast.SeasonalPeriod && o+festivalHorizon <= len(weeks) {
				f.origins = append(f.origins, o)
			}
		}
		if len(f.origins) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// festivalFiguresBy is festivalFigures with each festival's origins forecast from history(first),
// first being the earliest of them: the history a censoring correction learnt from the weeks before
// first gives.
func festivalFiguresBy(t testing.TB, eng forecast.Method, history func(first int) forecast.Panel, demand forecast.Panel) (total, brand, peak float64, origins int) {
	const h = festivalHorizon
	var totErr, brErr, act, peakErr float64
	for _, f := range festivalsOf(demand.Weeks) {
		sales := history(f.origins[0])
		for _, o := range f.origins {
			sc := scoreOrigin(t, eng, sales, demand, o, h)
			totErr += sc.totalErr
			brErr += sc.brandErr
			act += sc.actual
			if p := f.week - 1 - o; p >= 0 && p < h {
				peakErr += (sc.total[p] - sc.want[p]) / sc.want[p]
			}
			origins++
		}
	}
	return totErr / act, brErr / act, peakErr / float64(origins), origins
}

// The engine with the festival calendar forecasts the weeks around the Spring Festival far better
// than without it, on a small seeded region with the festival 8 weeks ahead.
func TestFestivalEngineBeatsWeekOfYear(t *testing.T) {
	sales, demand, hol := regionPanels(t, synth.Config{Outlets: 150, Brands: 20, Weeks: 130, Seed: 7,
		Now: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})
	before, _, peakBefore, n := festivalFigures(t, forecast.NewEngine(), sales, demand)
	after, brand, peakAfter, _ := festivalFigures(t, &forecast.Engine{Holidays: hol}, sales, demand)
	t.Logf("%d origins: total WAPE %.3f → %.3f, brand %.3f, peak %+.3f → %+.3f", n, before, after, brand, peakBefore, peakAfter)
	if n == 0 {
		t.Fatal("no origin before a Spring Festival")
	}
	if after > 0.6*before || after > 0.2 {
		t.Errorf("total WAPE with the calendar %.3f, without %.3f; want at most 0.2 and 0.6 times", after, before)
	}
	if math.Abs(peakAfter) > 0.2 {
		t.Errorf("peak-week error with the calendar %+.3f; want within ±0.2", peakAfter)
	}
}

// go test -run '^$' -bench Festival -benchtime 1x -v ./forecast/ prints the figures of
// docs/BENCHMARKS.md (festival section) on the seeded region of `ordercast seed`'s defaults, and with
// ORDERCAST_FESTIVAL_CSV=DIR writes its brand and total weekly series for docs/bench/festival.R, on
// the simple correction (festival_weekly.csv) and on the learnt one (festival_weekly_learnt.csv).
func BenchmarkFestival(b *testing.B) {
	t := b // the figures are logged once, whatever b.N
	outlets, _ := strconv.Atoi(os.Getenv("ORDERCAST_FESTIVAL_OUTLETS"))
	if outlets == 0 {
		outlets = 1000
	}
	cfg := synth.Config{Outlets: outlets, Brands: 60, Weeks: 156, Seed: 1, Now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	sales, demand, hol := regionPanels(t, cfg)
	t.Logf("region: %d outlets, %d brands, %d weeks %s … %s, %d series", cfg.Outlets, cfg.Brands, cfg.Weeks,
		sales.Weeks[0].Format(time.DateOnly), sales.Weeks[len(sales.Weeks)-1].Format(time.DateOnly), len(sales.Series))
	after := &forecast.Engine{Holidays: hol}
	for _, c := range []struct {
		name string
		eng  forecast.Method
	}{
		{"before (week of year)", forecast.NewEngine()},
		{"after (festival profiles)", after},
		{"topdown after", &forecast.TopDown{Engine: after, Weeks: sales.Weeks, Regression: forecast.Regression{Holidays: hol}}},
	} {
		start := time.Now()
		tot, br, pk, n := festivalFigures(t, c.eng, sales, demand)
		t.Logf("%-26s festival origins %d: total WAPE %.3f, brand WAPE %.3f, peak week %+.1f%% (%.1fs)", c.name, n, tot, br,
			100*pk, time.Since(start).Seconds())
		logOrdinary(t, c.name, c.eng, func(int) forecast.Panel { return sales }, demand)
	}
	// The same engine on the history `forecast run` learns from: the sell-in corrected by the censoring
	// learnt from the collection points' scans, from the weeks before each festival's first origin.
	_, _, sp, _, scans := censoredRegion(t, cfg)
	learnt := map[int]forecast.Panel{} // by first origin: scored, then written for R
	learntFrom := func(first int) forecast.Panel {
		if _, ok := learnt[first]; !ok {
			learnt[first] = forecast.LearnCensoring(sp, scans, first, forecast.EMOptions{}).Demand(sp)
		}
		return learnt[first]
	}
	start := time.Now()
	tot, br, pk, n := festivalFiguresBy(t, after, learntFrom, demand)
	t.Logf("%-26s festival origins %d: total WAPE %.3f, brand WAPE %.3f, peak week %+.1f%% (%.1fs)", "after, learnt correction", n,
		tot, br, 100*pk, time.Since(start).Seconds())
	// The ordinary origins on it, the correction learnt from the weeks before the first of them.
	logOrdinary(t, "after, learnt correction", after, learntFrom, demand)
	if dir := os.Getenv("ORDERCAST_FESTIVAL_CSV"); dir != "" {
		writeFestivalCSV(t, dir, "festival_weekly.csv", func(int) forecast.Panel { return sales }, demand)
		writeFestivalCSV(t, dir, "festival_weekly_learnt.csv", learntFrom, demand)
	}
}

// The ordinary origins BenchmarkFestival scores: 12, four weeks apart, four weeks ahead.
const ordinaryOrigins, ordinaryH = 12, 4

// logOrdinary logs the figures of eng over the ordinary origins, trained on history(first), first
// being the earliest of them, and scored against demand.
func logOrdinary(t testing.TB, name string, eng forecast.Method, history func(first int) forecast.Panel, demand forecast.Panel) {
	bc := forecast.BacktestConfig{Horizon: ordinaryH, Origins: ordinaryOrigins, Step: ordinaryH}
	origins, err := bc.OriginWeeks(len(demand.Weeks))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := forecast.Backtest(context.Background(), demand, bc, forecast.TrainOn(eng, panelOf(history(origins[0]))))
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Results[0]
	t.Logf("%-26s %d ordinary origins (h %d, step %d): brand accuracy %.3f, total %.3f, WAPE %.3f, bias %+.1f%%",
		name, ordinaryOrigins, ordinaryH, ordinaryH, m.BrandAccuracy, m.TotalAccuracy, m.WAPE, 100*m.Bias)
}

func panelOf(p forecast.Panel) [][]float64 {
	out := make([][]float64, len(p.Series))
	for i, s := range p.Series {
		out[i] = s.Values
	}
	return out
}

// writeFestivalCSV writes dir/name: for each Spring Festival that festivalFiguresBy scores, per week
// and brand ("TOTAL" for the grand total), the history the engine learns from for that festival's
// origins (history(first), first its earliest origin) and the true demand; and
// dir/festival_calendar.csv: every Spring Festival's date.
func writeFestivalCSV(t testing.TB, dir, name string, history func(first int) forecast.Panel, demand forecast.Panel) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write([]string{"festival", "week", "brand", "corrected_sales", "demand"})
	for _, fo := range festivalsOf(demand.Weeks) {
		writeFestivalRows(w, fo.day, history(fo.origins[0]), demand)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	c, err := os.Create(filepath.Join(dir, "festival_calendar.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintln(c, "festival")
	for y := synth.FirstLunarYear; y <= synth.LastLunarYear; y++ {
		sf, _ := synth.SpringFestival(y)
		fmt.Fprintln(c, sf.Format(time.DateOnly))
	}
}

// writeFestivalRows writes, for the festival of day, each week's history and demand per brand and in
// total.
func writeFestivalRows(w *csv.Writer, day time.Time, history, demand forecast.Panel) {
	type key struct {
		week  int
		brand string
	}
	s, d := map[key]float64{}, map[key]float64{}
	var brands []string
	seen := map[string]bool{}
	for i, ser := range history.Series {
		if !seen[ser.Brand] {
			seen[ser.Brand] = true
			brands = append(brands, ser.Brand)
		}
		for wk, v := range ser.Values {
			s[key{wk, ser.Brand}] += v
			s[key{wk, "TOTAL"}] += v
			d[key{wk, ser.Brand}] += demand.Series[i].Values[wk]
			d[key{wk, "TOTAL"}] += demand.Series[i].Values[wk]
		}
	}
	brands = append(brands, "TOTAL")
	for wk, monday := range demand.Weeks {
		for _, b := range brands {
			w.Write([]string{day.Format(time.DateOnly), monday.Format(time.DateOnly), b, fmt.Sprint(s[key{wk, b}]), fmt.Sprint(d[key{wk, b}])})
		}
	}
}

// The forward forecast of a year whose Spring Festival comes earlier than last year's puts the peak
// on the week before the festival's week of that year, as the region's demand has it, not where the
// week of the year would (two weeks late for 2027).
func TestFestivalForwardPeak(t *testing.T) {
	sales, _, hol := regionPanels(t, synth.Config{Outlets: 100, Brands: 15, Weeks: 130, Seed: 3,
		Now: time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)})
	n, h := len(sales.Weeks), 12
	origin := sales.Weeks[n-1].AddDate(0, 0, 7)
	series := make([][]float64, len(sales.Series))
	groups := make([]int, len(sales.Series))
	brands := map[string]int{}
	for i, s := range sales.Series {
		series[i] = s.Values
		if _, ok := brands[s.Brand]; !ok {
			brands[s.Brand] = len(brands)
		}
		groups[i] = brands[s.Brand]
	}
	sf, _ := synth.SpringFestival(2027)
	want := forecast.Monday(sf).AddDate(0, 0, -7) // the week before the festival's: the rush
	for _, tt := range []struct {
		name string
		eng  *forecast.Engine
		hit  bool
	}{
		{"festival profiles", &forecast.Engine{Holidays: hol}, true},
		{"week of the year", forecast.NewEngine(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := forecast.NewForecasts(len(series), h, false)
			b := forecast.Batch{Series: series, Groups: groups, Horizon: h, Origin: origin}
			if err := tt.eng.ForecastBatch(context.Background(), b, out); err != nil {
				t.Fatal(err)
			}
			total := make([]float64, h)
			for _, f := range out {
				for j, v := range f.Mean {
					total[j] += v
				}
			}
			peak := 0
			for j, v := range total {
				if v > total[peak] {
					peak = j
				}
			}
			got := origin.AddDate(0, 0, 7*peak)
			if got.Equal(want) != tt.hit {
				t.Errorf("peak of the total forecast on %s (%.0f; weekly %.0f); want on %s: %v", got.Format(time.DateOnly),
					total[peak], total, want.Format(time.DateOnly), tt.hit)
			}
		})
	}
}
