package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

func TestSatisfaction(t *testing.T) {
	ctx := context.Background()
	pool := storestest.Postgres(t)
	s := New(pool)
	managers := []retailer.Manager{{Code: "AM1", Name: "Wang Fang", Area: "Hexi"}, {Code: "AM2", Name: "Li Wei", Area: "Hexi"}}
	var outlets []retailer.Outlet
	for _, o := range []struct{ licence, manager string }{{"L1", "AM1"}, {"L2", "AM1"}, {"L3", "AM2"}} {
		outlets = append(outlets, retailer.Outlet{Licence: o.licence, Name: "shop " + o.licence, Area: "Hexi",
			Format: retailer.Kiosk, Manager: o.manager, OrderDay: time.Monday, Grade: 5, Status: retailer.Active})
	}
	if err := s.LoadMasterData(ctx, managers, outlets); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, l := range []string{"L1", "L2", "L3"} {
		var id int64
		if err := pool.QueryRow(ctx, "SELECT id FROM outlets WHERE licence_no = $1", l).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[l] = id
	}
	var am1, am2, userID int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT id FROM account_managers WHERE code = 'AM1'), (SELECT id FROM account_managers WHERE code = 'AM2')`).Scan(&am1, &am2); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, manager_id) VALUES ('wang', 'x', 'manager', $1) RETURNING id`, am1).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	oct, nov := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := s.LoadSatisfaction(ctx, []retailer.SatisfactionScore{
		{Licence: "L1", Month: oct, Score: 81.5, Comment: "seeded"}, {Licence: "L3", Month: oct, Score: 70},
	}); err != nil {
		t.Fatalf("LoadSatisfaction: %v", err)
	}
	if err := s.LoadSatisfaction(ctx, []retailer.SatisfactionScore{{Licence: "L9", Month: oct, Score: 70}}); !errors.Is(err, retailer.ErrNotFound) {
		t.Errorf("LoadSatisfaction(unknown outlet) = %v; want ErrNotFound", err)
	}

	wang := retailer.Principal{UserID: userID, Username: "wang", Role: retailer.RoleManager, ManagerID: am1}
	li := retailer.Principal{Role: retailer.RoleManager, ManagerID: am2}
	planner := retailer.Principal{Role: retailer.RolePlanner}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

	t.Run("record and replace", func(t *testing.T) {
		got, created, err := s.PutSatisfaction(ctx, wang, ids["L1"], nov, 88, "prompt deliveries", now)
		if err != nil || !created || got.Score != 88 || got.Comment != "prompt deliveries" || got.RecordedBy != "wang" ||
			!got.RecordedAt.Equal(now) || got.Licence != "L1" || !got.Month.Equal(nov) {
			t.Fatalf("PutSatisfaction(new) = %+v, %v, %v; want created by wang", got, created, err)
		}
		got, created, err = s.PutSatisfaction(ctx, wang, ids["L1"], oct, 90.5, "revisited", now.Add(time.Hour))
		if err != nil || created || got.Score != 90.5 || got.Comment != "revisited" || got.RecordedBy != "wang" {
			t.Fatalf("PutSatisfaction(replace seeded) = %+v, %v, %v; want replaced by wang", got, created, err)
		}
	})
	t.Run("only the outlet's manager", func(t *testing.T) {
		if _, _, err := s.PutSatisfaction(ctx, wang, ids["L3"], nov, 50, "", now); !errors.Is(err, retailer.ErrNotFound) {
			t.Errorf("PutSatisfaction(another manager's outlet) = %v; want ErrNotFound", err)
		}
		if _, _, err := s.PutSatisfaction(ctx, planner, ids["L1"], nov, 50, "", now); !errors.Is(err, retailer.ErrForbidden) {
			t.Errorf("PutSatisfaction(planner) = %v; want ErrForbidden", err)
		}
	})
	t.Run("read", func(t *testing.T) {
		count := func(p retailer.Principal, f retailer.SatisfactionFilter) []string {
			t.Helper()
			f.Limit = 10
			list, err := s.Satisfaction(ctx, p, f)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, sc := range list {
				keys = append(keys, sc.Licence+" "+sc.Month.Format("2006-01"))
			}
			return keys
		}
		tests := []struct {
			name string
			p    retailer.Principal
			f    retailer.SatisfactionFilter
			want string
		}{
			{"planner sees all", planner, retailer.SatisfactionFilter{}, "[L1 2026-10 L1 2026-11 L3 2026-10]"},
			{"manager its own", li, retailer.SatisfactionFilter{}, "[L3 2026-10]"},
			{"one month", planner, retailer.SatisfactionFilter{Month: oct}, "[L1 2026-10 L3 2026-10]"},
			{"one outlet", wang, retailer.SatisfactionFilter{Outlet: ids["L1"]}, "[L1 2026-10 L1 2026-11]"},
			{"another manager's outlet", li, retailer.SatisfactionFilter{Outlet: ids["L1"]}, "[]"},
			{"after a key", planner, retailer.SatisfactionFilter{AfterOutlet: ids["L1"], AfterMonth: oct}, "[L1 2026-11 L3 2026-10]"},
			{"a retailer its own outlet (the API refuses retailers)", retailer.Principal{Role: retailer.RoleRetailer, OutletID: ids["L1"]}, retailer.SatisfactionFilter{}, "[L1 2026-10 L1 2026-11]"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := fmtKeys(count(tt.p, tt.f)); got != tt.want {
					t.Errorf("Satisfaction(%+v) = %s; want %s", tt.f, got, tt.want)
				}
			})
		}
		if got, err := s.Satisfaction(ctx, planner, retailer.SatisfactionFilter{Limit: 2}); err != nil || len(got) != 2 {
			t.Errorf("Satisfaction(limit 2) = %d scores, %v; want 2", len(got), err)
		}
	})
}

func fmtKeys(keys []string) string {
	out := "["
	for i, k := range keys {
		if i > 0 {
			out += " "
		}
		out += k
	}
	return out + "]"
}
