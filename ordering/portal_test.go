package ordering_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

type fakePlans []ordering.SupplyOutcome

func (p fakePlans) RationedSupply(context.Context, int64, time.Time, time.Time) ([]ordering.SupplyOutcome, error) {
	return p, nil
}

// fakeViews serves kept views until fresh ones are asked for (maxAge 0); it counts the computations.
type fakeViews struct {
	kept, fresh map[time.Time]ordering.CycleView
	asked       []time.Duration
}

func (f *fakeViews) KeptCycle(_ context.Context, week time.Time, maxAge time.Duration) (ordering.CycleView, error) {
	f.asked = append(f.asked, maxAge)
	if maxAge == 0 {
		return f.fresh[week], nil
	}
	return f.kept[week], nil
}

// The portal's outcomes are the rationed brands' states in the cycles' kept views; a brand published
// after its cycle's view was kept is read from a view computed again.
func TestKeptOutcomes(t *testing.T) {
	w1, w2 := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	ten, five := 10, 5
	state := func(brand string, supply *int, requested, granted int) ordering.SupplyState {
		return ordering.SupplyState{SupplyLine: ordering.SupplyLine{Brand: brand, OnSale: true, SupplyCartons: supply},
			Limits: 3, LimitCartons: 9, Requested: requested, Granted: granted, Eligible: 3, Covered: 2}
	}
	plans := fakePlans{{Week: w1, SupplyState: state("A", &ten, 0, 0)}, {Week: w1, SupplyState: state("B", &five, 0, 0)},
		{Week: w2, SupplyState: state("A", &ten, 0, 0)}}
	views := &fakeViews{
		kept: map[time.Time]ordering.CycleView{
			w1: {Supply: []ordering.SupplyState{state("C", nil, 4, 4), state("A", &ten, 12, 10), state("B", &five, 6, 5)}},
			w2: {Supply: []ordering.SupplyState{state("A", nil, 7, 7)}}, // kept before A's supply was published
		},
		fresh: map[time.Time]ordering.CycleView{w2: {Supply: []ordering.SupplyState{state("A", &ten, 8, 8)}}},
	}
	k := &ordering.KeptOutcomes{Plans: plans, Cycles: views, MaxAge: time.Minute}
	got, err := k.SupplyOutcomes(context.Background(), 1, w1, w2.AddDate(0, 0, 7))
	want := []ordering.SupplyOutcome{{Week: w1, SupplyState: state("A", &ten, 12, 10)}, {Week: w1, SupplyState: state("B", &five, 6, 5)},
		{Week: w2, SupplyState: state("A", &ten, 8, 8)}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("SupplyOutcomes = %+v, %v; want %+v", got, err, want)
	}
	if wantAsked := []time.Duration{time.Minute, time.Minute, 0}; !reflect.DeepEqual(views.asked, wantAsked) {
		t.Errorf("views asked with ages %v; want %v (one per week, then w2 again fresh)", views.asked, wantAsked)
	}
}
