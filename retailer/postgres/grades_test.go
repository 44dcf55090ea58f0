package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/grading"
)

func TestGrades(t *testing.T) {
	ctx := context.Background()
	pool := storestest.Postgres(t)
	s := New(pool)
	managers := []retailer.Manager{{Code: "AM1", Name: "Wang Fang", Area: "Hexi"}}
	var outlets []retailer.Outlet
	for i, o := range []struct {
		licence string
		grade   int
		status  retailer.Status
	}{{"L1", 10, retailer.Active}, {"L2", 20, retailer.Active}, {"L3", 5, retailer.Closed}} {
		outlets = append(outlets, retailer.Outlet{Licence: o.licence, Name: "shop", Area: "Hexi", Format: retailer.Kiosk,
			Manager: "AM1", OrderDay: time.Monday, Grade: o.grade, Status: o.status, BalanceCents: int64(i)})
	}
	if err := s.LoadMasterData(ctx, managers, outlets); err != nil {
		t.Fatal(err)
	}
	in, err := s.GradeInputs(ctx)
	if err != nil || len(in) != 3 || in[0].Licence != "L1" || in[0].Grade != 10 || in[2].Status != retailer.Closed {
		t.Fatalf("GradeInputs = %+v, %v", in, err)
	}
	planner := retailer.Principal{Role: retailer.RolePlanner}
	before, err := s.OutletGrade(ctx, planner, in[0].ID)
	if err != nil || before.Grade != 10 || !before.EffectiveFrom.IsZero() {
		t.Fatalf("OutletGrade before any recomputation = %+v, %v; want grade 10 without a change", before, err)
	}

	// L1 buys more than L2: L1 moves up, L2 down, by at most 3; L3 is closed and kept.
	in[0].AmountCents, in[0].Cartons = 900000, 90
	in[1].AmountCents, in[1].Cartons = 1000, 1
	rule := grading.Rule{Weeks: 8, AmountWeight: 0.7, MaxStep: 3}
	results := rule.Apply(in)
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for range 2 { // publishing again the same day replaces the day's changes
		changed, err := s.PublishGrades(ctx, results, day, rule.Version())
		if err != nil {
			t.Fatalf("PublishGrades = %v", err)
		}
		if want := 2; changed != want && changed != 0 {
			t.Fatalf("PublishGrades changed %d grades; want %d (0 the second time)", changed, want)
		}
	}
	after, err := s.GradeInputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after[0].Grade != 13 || after[1].Grade != 17 || after[2].Grade != 5 {
		t.Errorf("grades after publishing = %d, %d, %d; want 13, 17, 5", after[0].Grade, after[1].Grade, after[2].Grade)
	}
	var changes int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM grade_changes").Scan(&changes); err != nil || changes != 2 {
		t.Errorf("%d grade changes, %v; want 2 (the ranked outlets, once each)", changes, err)
	}
	retailer1 := retailer.Principal{Role: retailer.RoleRetailer, OutletID: in[0].ID}
	rec, err := s.OutletGrade(ctx, retailer1, in[0].ID)
	if err != nil || rec.Grade != 13 || !rec.EffectiveFrom.Equal(day) || rec.RuleVersion != rule.Version() ||
		!strings.Contains(rec.Explanation, "10 → 13") {
		t.Errorf("OutletGrade(own) = %+v, %v; want grade 13 from %s with the rule and reason", rec, err, day)
	}
	if _, err := s.OutletGrade(ctx, retailer1, in[1].ID); !errors.Is(err, retailer.ErrNotFound) {
		t.Errorf("OutletGrade(another outlet) = %v; want ErrNotFound", err)
	}

	// A grade changed since it was read is left alone.
	if _, err := pool.Exec(ctx, "UPDATE outlets SET grade = 25 WHERE licence_no = 'L2'"); err != nil {
		t.Fatal(err)
	}
	stale := rule.Apply(after) // from 13 and 17
	stale[1].New = 14
	if changed, err := s.PublishGrades(ctx, stale, day.AddDate(0, 0, 7), rule.Version()); err != nil || changed != 1 {
		t.Errorf("PublishGrades(stale) = %d, %v; want 1 (L2 changed meanwhile)", changed, err)
	}
	if g, _ := s.OutletGrade(ctx, planner, in[1].ID); g.Grade != 25 {
		t.Errorf("L2 after a stale publish: grade %d; want 25 kept", g.Grade)
	}
}
