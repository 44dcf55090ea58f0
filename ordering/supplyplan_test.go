package ordering

import (
	"context"
	"errors"
	"testing"
	"time"
)

type fakeFacts struct {
	in []BalanceInput
	q  BalanceQuery
}

func (f *fakeFacts) BalanceFacts(_ context.Context, q BalanceQuery) ([]BalanceInput, error) {
	f.q = q
	out := make([]BalanceInput, len(f.in))
	for i, in := range f.in {
		in.Weeks = make([]WeekDemand, q.Weeks)
		for w := range in.Weeks {
			in.Weeks[w].Week = q.From.AddDate(0, 0, 7*w)
		}
		out[i] = in
	}
	return out, nil
}

type fakeHistory struct {
	forecasts map[string][]BrandForecast
	sales     map[string]float64
	from, to  time.Time
}

func (f *fakeHistory) BrandForecasts(_ context.Context, _ []string, from, to time.Time) (map[string][]BrandForecast, string, error) {
	f.from, f.to = from, to
	return f.forecasts, "run-1", nil
}

func (f *fakeHistory) WeeklySales(context.Context, []string, time.Time) (map[string]float64, error) {
	return f.sales, nil
}

func TestBalancerJoinsForecastsByWeek(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC) // a Thursday
	facts := &fakeFacts{in: []BalanceInput{{Brand: "A", Stock: 10}, {Brand: "B", Stock: 0}}}
	hist := &fakeHistory{forecasts: map[string][]BrandForecast{
		"A": {{Week: monday(4).AddDate(0, 0, 7), Point: 6, Lo80: 4, Hi80: 8}}, // the second week only
	}, sales: map[string]float64{"A": 5}}
	b := &Balancer{Facts: facts, History: hist}
	bs, err := b.Balances(context.Background(), BalanceQuery{Weeks: 2}, now)
	if err != nil {
		t.Fatal(err)
	}
	wantFrom := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	if !facts.q.From.Equal(wantFrom) || !hist.to.Equal(wantFrom.AddDate(0, 0, 14)) || bs.ForecastRun != "run-1" {
		t.Fatalf("query from %v, forecasts to %v, run %q; want the Monday %v, two weeks, run-1", facts.q.From, hist.to, bs.ForecastRun, wantFrom)
	}
	a := bs.Brands[0]
	if a.Weeks[0].HasForecast || !a.Weeks[1].HasForecast || a.Weeks[1].Forecast != 6 || a.WeeklySales != 5 ||
		a.Weeks[0].Demand != 6 || a.Weeks[0].Projected != 4 || a.Weeks[1].Projected != 0 || a.Weeks[1].Shortfall != 2 ||
		bs.Brands[1].Weeks[0].Demand != 0 {
		t.Errorf("A = %+v; want the forecast in the second week only, the first taking its run rate: projected 10 − 6 = 4, "+
			"then a shortfall of 6 − 4 = 2; weekly sales 5; B without a forecast no demand", a)
	}
	if _, err := b.Balances(context.Background(), BalanceQuery{Weeks: 0}, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("0 weeks = %v; want ErrInvalid", err)
	}
	limits, err := b.ProposedLimits(context.Background(), BalanceQuery{Weeks: 2}, now)
	if err != nil || len(limits) != 1 || limits["A"].Lower != 8 || limits["A"].Upper != 24 {
		t.Errorf("ProposedLimits = %+v, %v; want A alone: lower 6 + 2 = 8, upper 4 × 6 = 24", limits, err)
	}
}
