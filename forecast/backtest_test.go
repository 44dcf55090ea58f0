package forecast

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestOriginWeeks(t *testing.T) {
	tests := []struct {
		name  string
		cfg   BacktestConfig
		weeks int
		want  []int
	}{
		{"defaults on walmart", BacktestConfig{}, 143, []int{139, 135, 131}},
		{"defaults on m5", BacktestConfig{}, 273, []int{269, 265, 261}},
		{"one origin", BacktestConfig{Horizon: 2, Origins: 1}, 10, []int{8}},
		{"overlapping windows", BacktestConfig{Horizon: 4, Origins: 3, Step: 1}, 20, []int{16, 15, 14}},
		{"tightest fit", BacktestConfig{}, 13, []int{9, 5, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.OriginWeeks(tt.weeks)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("%+v.OriginWeeks(%d) = %v, %v; want %v", tt.cfg, tt.weeks, got, err, tt.want)
			}
		})
	}
	if _, err := (BacktestConfig{}).OriginWeeks(12); !errors.Is(err, ErrShortCalendar) {
		t.Errorf("OriginWeeks(12) error = %v; want ErrShortCalendar", err)
	}
	if _, err := (BacktestConfig{Horizon: -1}).OriginWeeks(100); err == nil {
		t.Errorf("OriginWeeks with a negative horizon: no error")
	}
}

// spy is a Method that records what it is shown and forecasts a constant.
type spy struct {
	mu    sync.Mutex
	seen  []string // "series:len:last" per call
	value float64
}

func (s *spy) Name() string { return "spy" }

func (s *spy) ForecastBatch(_ context.Context, b Batch, out []Forecast) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, y := range b.Series {
		s.seen = append(s.seen, fmt.Sprintf("%d:%d:%v:g%d", i, len(y), y[len(y)-1], b.Groups[i]))
		for j := range out[i].Mean {
			out[i].Mean[j] = s.value
		}
	}
	return nil
}

func weeklyPanel(values ...[]float64) Panel {
	p := Panel{}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for w := range values[0] {
		p.Weeks = append(p.Weeks, start.AddDate(0, 0, 7*w))
	}
	for i, v := range values {
		p.Series = append(p.Series, Series{Outlet: fmt.Sprint("o", i), Brand: fmt.Sprint("b", i%2), Values: v})
	}
	return p
}

func TestBacktestSeesOnlyThePast(t *testing.T) {
	p := weeklyPanel(ramp1(14), ramp1(14))
	sp := &spy{value: -3} // negative: the backtest must clip
	// Without calibration, which forecasts from earlier origins too (TestCalibrateSeesOnlyThePast).
	rep, err := Backtest(context.Background(), p, BacktestConfig{Horizon: 2, Origins: 2, Step: 3, Calibration: -1}, sp)
	if err != nil {
		t.Fatal(err)
	}
	// Origins 12 and 9: each series is cut to its first o weeks, whose last value (t+1) is o.
	want := []string{"0:12:12:g0", "1:12:12:g1", "0:9:9:g0", "1:9:9:g1"}
	if !slices.Equal(sp.seen, want) {
		t.Errorf("Backtest showed %v; want %v", sp.seen, want)
	}
	if got, want := rep.Origins, []time.Time{p.Weeks[11], p.Weeks[8]}; !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("report origins = %v; want %v", got, want)
	}
	r, _ := rep.Result("spy")
	// Clipped to 0: every error is the whole actual, WAPE 1, bias −1.
	if r.WAPE != 1 || r.Bias != -1 {
		t.Errorf("clipped constant forecast: WAPE %v, bias %v; want 1, -1", r.WAPE, r.Bias)
	}
}

func TestBacktestScoresWindows(t *testing.T) {
	// Naive on y = 1 … 10 with h = 2, origins 8 and 6: forecasts 8, 8 for 9, 10 and 6, 6 for 7, 8.
	p := weeklyPanel(ramp1(10))
	rep, err := Backtest(context.Background(), p, BacktestConfig{Horizon: 2, Origins: 2, Step: 2}, Each(Naive{}))
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	wantWAPE := (1 + 2 + 1 + 2) / (9 + 10 + 7 + 8.0)
	if !near(r.WAPE, wantWAPE) || !near(r.Bias, -wantWAPE) {
		t.Errorf("naive on a ramp: WAPE %v, bias %v; want %v, %v", r.WAPE, r.Bias, wantWAPE, -wantWAPE)
	}
	// Window totals (19, 16) and (15, 12), both brand and total level; weighted by 19 and 15.
	wantAcc := (19*(1-3.0/19) + 15*(1-3.0/15)) / 34
	if !near(r.BrandAccuracy, wantAcc) || !near(r.TotalAccuracy, wantAcc) {
		t.Errorf("naive on a ramp: brand accuracy %v, total %v; want %v", r.BrandAccuracy, r.TotalAccuracy, wantAcc)
	}
	// The scale is 1 (changes of 1); errors (1, 2): RMSSE √2.5 at both origins.
	if !near(r.RMSSE, 1.5811388300841898) {
		t.Errorf("naive on a ramp: RMSSE %v; want √2.5", r.RMSSE)
	}
}

func TestBacktestErrors(t *testing.T) {
	p := weeklyPanel(ramp1(5))
	if _, err := Backtest(context.Background(), p, BacktestConfig{}, Each(Naive{})); !errors.Is(err, ErrShortCalendar) {
		t.Errorf("Backtest on 5 weeks: error %v; want ErrShortCalendar", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p = weeklyPanel(ramp1(30))
	if _, err := Backtest(ctx, p, BacktestConfig{}, NewEngine()); !errors.Is(err, context.Canceled) {
		t.Errorf("Backtest with a cancelled context: error %v; want context.Canceled", err)
	}
}

func TestBacktestMethods(t *testing.T) {
	var names []string
	for _, m := range BacktestMethods() {
		names = append(names, m.Name())
	}
	want := []string{"naive", "snaive", "seas-ratio", "ses", "damped", "ma", "tsb", "sba", "croston", "engine"}
	if !slices.Equal(names, want) {
		t.Errorf("BacktestMethods() = %v; want %v", names, want)
	}
}
