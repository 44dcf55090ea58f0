package grading

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/retailer"
)

func TestPercentileRank(t *testing.T) {
	sorted := []float64{1, 2, 2, 3}
	tests := []struct {
		v, want float64
	}{{0, 0}, {1, 12.5}, {2, 50}, {3, 87.5}, {4, 100}, {2.5, 75}}
	for _, tt := range tests {
		if got := percentileRank(sorted, tt.v); got != tt.want {
			t.Errorf("percentileRank(%v, %v) = %v; want %v", sorted, tt.v, got, tt.want)
		}
	}
	if got := percentileRank(nil, 3); got != 0 {
		t.Errorf("percentileRank(nil, 3) = %v; want 0", got)
	}
}

func TestEarned(t *testing.T) {
	for g := retailer.MinGrade; g <= retailer.MaxGrade; g++ {
		if got := Earned(Threshold(g)); got != g {
			t.Errorf("Earned(Threshold(%d) = %v) = %d; want %d", g, Threshold(g), got, g)
		}
		if g > retailer.MinGrade {
			if got := Earned(Threshold(g) - 0.01); got != g-1 {
				t.Errorf("Earned(just below Threshold(%d)) = %d; want %d", g, got, g-1)
			}
		}
	}
	for score, want := range map[float64]int{0: 1, 100: 30, 99.99: 30, -5: 1, 150: 30} {
		if got := Earned(score); got != want {
			t.Errorf("Earned(%v) = %d; want %d", score, got, want)
		}
	}
}

func TestRuleValidate(t *testing.T) {
	if err := DefaultRule().Validate(); err != nil {
		t.Errorf("DefaultRule().Validate() = %v", err)
	}
	for _, r := range []Rule{{Weeks: 3, AmountWeight: 0.5, MaxStep: 3}, {Weeks: 53, AmountWeight: 0.5, MaxStep: 3},
		{Weeks: 13, AmountWeight: 1.1, MaxStep: 3}, {Weeks: 13, AmountWeight: -0.1, MaxStep: 3}, {Weeks: 13, AmountWeight: 0.5}} {
		if err := r.Validate(); !errors.Is(err, ErrInvalidRule) {
			t.Errorf("%+v.Validate() = %v; want ErrInvalidRule", r, err)
		}
	}
}

func TestApply(t *testing.T) {
	wide := Rule{Weeks: 10, AmountWeight: 0.7, MaxStep: 29}
	t.Run("thirty outlets spread over thirty grades", func(t *testing.T) {
		var in []Outlet
		for i := range 30 {
			in = append(in, Outlet{ID: int64(i + 1), Grade: 15, Status: retailer.Active,
				AmountCents: int64(1000 * (i + 1)), Cartons: float64(i + 1)})
		}
		rand.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		for _, r := range wide.Apply(in) {
			if want := int(r.ID); r.New != want || r.Earned != want {
				t.Errorf("outlet buying %d: grade %d (earned %d); want %d (%s)", r.ID, r.New, r.Earned, want, r.Reason)
			}
		}
	})
	t.Run("at most MaxStep a period", func(t *testing.T) {
		in := []Outlet{
			{ID: 1, Grade: 1, Status: retailer.Active, AmountCents: 9e6, Cartons: 900},
			{ID: 2, Grade: 30, Status: retailer.Active, AmountCents: 0, Cartons: 0},
			{ID: 3, Grade: 10, Status: retailer.Active, AmountCents: 5e5, Cartons: 50},
		}
		got := Rule{Weeks: 10, AmountWeight: 0.5, MaxStep: 3}.Apply(in)
		want := []struct{ earned, grade int }{{26, 4}, {6, 27}, {16, 13}}
		for i, r := range got {
			if r.Earned != want[i].earned || r.New != want[i].grade {
				t.Errorf("outlet %d from %d: earned %d, grade %d; want %d, %d (%s)", r.ID, r.Grade, r.Earned, r.New,
					want[i].earned, want[i].grade, r.Reason)
			}
			if !strings.Contains(r.Reason, "at most 3 a period") {
				t.Errorf("outlet %d: reason %q does not say the move was capped", r.ID, r.Reason)
			}
		}
	})
	t.Run("inactive outlets keep their grade and are not ranked", func(t *testing.T) {
		in := []Outlet{
			{ID: 1, Grade: 20, Status: retailer.Closed, AmountCents: 9e9, Cartons: 9e5},
			{ID: 2, Grade: 5, Status: retailer.Active, AmountCents: 100, Cartons: 1},
			{ID: 3, Grade: 5, Status: retailer.Active, AmountCents: 200, Cartons: 2},
		}
		got := wide.Apply(in)
		if got[0].New != 20 || got[0].Ranked || !strings.Contains(got[0].Reason, "closed: grade 20 kept") {
			t.Errorf("closed outlet: %+v; want grade 20 kept", got[0])
		}
		if got[1].AmountRank != 25 || got[2].AmountRank != 75 {
			t.Errorf("ranks %v, %v; want 25 and 75 (the closed outlet not counted)", got[1].AmountRank, got[2].AmountRank)
		}
	})
	t.Run("buying more never earns less", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		var in []Outlet
		for i := range 500 {
			c := float64(rng.IntN(200))
			in = append(in, Outlet{ID: int64(i), Grade: 1 + rng.IntN(30), Status: retailer.Active,
				AmountCents: int64(c * float64(10000+rng.IntN(20000))), Cartons: c})
		}
		got := DefaultRule().Apply(in)
		for _, a := range got {
			if a.New < retailer.MinGrade || a.New > retailer.MaxGrade || a.New-a.Grade > DefaultMaxStep || a.Grade-a.New > DefaultMaxStep {
				t.Fatalf("outlet %d: %d → %d; want a grade within %d of the old", a.ID, a.Grade, a.New, DefaultMaxStep)
			}
			for _, b := range got[:50] {
				if a.AmountCents >= b.AmountCents && a.Cartons >= b.Cartons && a.Earned < b.Earned {
					t.Fatalf("outlet %d buys more than %d yet earns %d < %d", a.ID, b.ID, a.Earned, b.Earned)
				}
			}
		}
		s := Summarize(got)
		if s.Outlets != 500 || s.Ranked != 500 || s.Up+s.Down+s.Same != 500 {
			t.Errorf("Summarize = %+v", s)
		}
	})
}

func TestRuleText(t *testing.T) {
	text := DefaultRule().Text()
	for _, want := range []string{"13 weeks", "70%", "30%", "at most 3"} {
		if !strings.Contains(text, want) {
			t.Errorf("rule text lacks %q: %s", want, text)
		}
	}
}

func TestVersion(t *testing.T) {
	r := Rule{Weeks: 8, AmountWeight: 0.55, MaxStep: 2}
	got, ok := ParseVersion(r.Version())
	if !ok || got != r {
		t.Errorf("ParseVersion(%q) = %+v, %v; want %+v", r.Version(), got, ok, r)
	}
	for _, v := range []string{"", "manual", "other-rule weeks=8 amount=0.55 step=2", RuleVersion + " weeks=99 amount=0.5 step=2"} {
		if _, ok := ParseVersion(v); ok {
			t.Errorf("ParseVersion(%q) ok; want refused", v)
		}
	}
}

// The weeks a rule reads end with the week of now's calendar day where now is: at 02:00 on Monday 7
// December in Shanghai (still Sunday in UTC), the week of 30 November has ended and is read.
func TestRuleWindowEndsWithNowsWeek(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		now      time.Time
		from, to string
	}{
		{time.Date(2026, 12, 7, 2, 0, 0, 0, cst), "2026-11-09", "2026-12-07"},
		{time.Date(2026, 12, 7, 2, 0, 0, 0, cst).UTC(), "2026-11-02", "2026-11-30"},
		{time.Date(2026, 12, 13, 23, 0, 0, 0, cst), "2026-11-09", "2026-12-07"},
	} {
		from, to := Rule{Weeks: 4}.Window(tt.now)
		if from.Format(time.DateOnly) != tt.from || to.Format(time.DateOnly) != tt.to {
			t.Errorf("Window(%s) = %s … %s; want %s … %s", tt.now.Format(time.RFC3339), from.Format(time.DateOnly),
				to.Format(time.DateOnly), tt.from, tt.to)
		}
	}
}
