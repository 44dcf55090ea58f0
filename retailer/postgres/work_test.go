package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

// workFixture is two account managers, AM1 with outlets L1, L2, L3 and AM2 with L4, their users and a
// planner's.
type workFixture struct {
	pool            *pgxpool.Pool
	s               *Store
	outlets         map[string]int64 // licence → id
	m1, m2, planner retailer.Principal
	now, today      time.Time
	managerIDs      map[string]int64
	brandID         int64
}

func newWorkFixture(t *testing.T) workFixture {
	t.Helper()
	ctx := context.Background()
	pool := storestest.Postgres(t)
	f := workFixture{pool: pool, s: New(pool), outlets: map[string]int64{}, managerIDs: map[string]int64{},
		now: time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC), today: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)}
	managers := []retailer.Manager{{Code: "AM1", Name: "Wang Fang"}, {Code: "AM2", Name: "Li Wei"}}
	var outlets []retailer.Outlet
	for i, m := range []string{"AM1", "AM1", "AM1", "AM2"} {
		outlets = append(outlets, retailer.Outlet{Licence: fmt.Sprintf("L%d", i+1), Name: fmt.Sprintf("shop %d", i+1), Area: "Hexi",
			Format: retailer.Kiosk, Manager: m, Route: "R1", OrderDay: time.Friday, Grade: 10})
	}
	if err := f.s.LoadMasterData(ctx, managers, outlets); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT licence_no, id FROM outlets`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var licence string
		var id int64
		if err := rows.Scan(&licence, &id); err != nil {
			t.Fatal(err)
		}
		f.outlets[licence] = id
	}
	for _, m := range managers {
		var id int64
		if err := pool.QueryRow(ctx, `SELECT id FROM account_managers WHERE code = $1`, m.Code).Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.managerIDs[m.Code] = id
	}
	user := func(name, role string, managerID *int64) int64 {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, manager_id) VALUES ($1, 'x', $2, $3) RETURNING id`,
			name, role, managerID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	am1, am2 := f.managerIDs["AM1"], f.managerIDs["AM2"]
	f.m1 = retailer.Principal{UserID: user("m1", "manager", &am1), Username: "m1", Role: retailer.RoleManager, ManagerID: am1}
	f.m2 = retailer.Principal{UserID: user("m2", "manager", &am2), Username: "m2", Role: retailer.RoleManager, ManagerID: am2}
	f.planner = retailer.Principal{UserID: user("p", "planner", nil), Username: "p", Role: retailer.RolePlanner}
	if err := pool.QueryRow(ctx, `WITH m AS (INSERT INTO manufacturers (code, name) VALUES ('M1', 'Maker') RETURNING id)
		INSERT INTO brands (code, name, manufacturer_id, price_class, wholesale_price_cents, retail_price_cents)
		SELECT 'B1', 'Brand', id, 3, 1000, 1200 FROM m RETURNING id`).Scan(&f.brandID); err != nil {
		t.Fatal(err)
	}
	return f
}

// order writes an order of outlet in the cycle of week with one line of B1.
func (f workFixture) order(t *testing.T, licence string, week time.Time, status string, requested, granted int) {
	t.Helper()
	ctx := context.Background()
	var cycle int64
	if err := f.pool.QueryRow(ctx, `INSERT INTO cycles (week_start, status) VALUES ($1, 'open')
		ON CONFLICT (week_start) DO UPDATE SET status = 'open' RETURNING id`, week).Scan(&cycle); err != nil {
		t.Fatal(err)
	}
	var reason *string
	if status == "failed" {
		reason = new("insufficient balance")
	}
	var id int64
	if err := f.pool.QueryRow(ctx, `INSERT INTO orders (outlet_id, cycle_id, status, failure_reason) VALUES ($1, $2, $3, $4) RETURNING id`,
		f.outlets[licence], cycle, status, reason).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(ctx, `INSERT INTO order_lines (order_id, brand_id, requested_cartons, granted_cartons, price_cents)
		VALUES ($1, $2, $3, $4, 1000)`, id, f.brandID, requested, granted); err != nil {
		t.Fatal(err)
	}
}

func TestVisits(t *testing.T) {
	ctx := context.Background()
	f := newWorkFixture(t)
	visit := retailer.NewVisit{VisitedOn: f.today.AddDate(0, 0, -1), Purpose: retailer.VisitCoaching, Notes: "shelf",
		FollowUpOn: f.today.AddDate(0, 0, 6), FollowUp: "check the display"}

	v, err := f.s.RecordVisit(ctx, f.m1, f.outlets["L1"], visit, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if !v.RecordedAt.Equal(f.now) {
		t.Errorf("recorded at %s; want %s", v.RecordedAt, f.now)
	}
	want := retailer.Visit{ID: v.ID, OutletID: f.outlets["L1"], Outlet: "L1", OutletName: "shop 1", Manager: "AM1", RecordedBy: "m1",
		NewVisit: visit, RecordedAt: v.RecordedAt}
	if v != want {
		t.Errorf("RecordVisit = %+v; want %+v", v, want)
	}
	if _, err := f.s.RecordVisit(ctx, f.m1, f.outlets["L2"], retailer.NewVisit{VisitedOn: f.today, Purpose: retailer.VisitRoutine}, f.now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RecordVisit(ctx, f.m2, f.outlets["L4"], retailer.NewVisit{VisitedOn: f.today, Purpose: retailer.VisitRoutine}, f.now); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		p    retailer.Principal
		id   int64
	}{{"another manager's outlet", f.m2, f.outlets["L1"]}, {"a planner", f.planner, f.outlets["L1"]}, {"no such outlet", f.m1, 999}} {
		if _, err := f.s.RecordVisit(ctx, tt.p, tt.id, visit, f.now); !errors.Is(err, retailer.ErrNotFound) {
			t.Errorf("RecordVisit of %s = %v; want ErrNotFound", tt.name, err)
		}
	}

	outletsOf := func(vs []retailer.Visit) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Outlet)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		p    retailer.Principal
		f    retailer.VisitFilter
		want []string
	}{
		{"a manager's visits", f.m1, retailer.VisitFilter{Limit: 10}, []string{"L2", "L1"}},
		{"the other manager's", f.m2, retailer.VisitFilter{Limit: 10}, []string{"L4"}},
		{"a planner reads all", f.planner, retailer.VisitFilter{Limit: 10}, []string{"L4", "L2", "L1"}},
		{"by visitor", f.planner, retailer.VisitFilter{Manager: "AM2", Limit: 10}, []string{"L4"}},
		{"of one outlet", f.planner, retailer.VisitFilter{OutletID: f.outlets["L1"], Limit: 10}, []string{"L1"}},
		{"another manager's outlet", f.m2, retailer.VisitFilter{OutletID: f.outlets["L1"], Limit: 10}, nil},
		{"from a day", f.m1, retailer.VisitFilter{From: f.today, Limit: 10}, []string{"L2"}},
		{"to a day", f.m1, retailer.VisitFilter{To: f.today.AddDate(0, 0, -1), Limit: 10}, []string{"L1"}},
		{"a page", f.planner, retailer.VisitFilter{Limit: 2}, []string{"L4", "L2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.s.Visits(ctx, tt.p, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(outletsOf(got)) != fmt.Sprint(tt.want) {
				t.Errorf("Visits(%+v) = %v; want %v", tt.f, outletsOf(got), tt.want)
			}
		})
	}

	// Moving L1 to AM2 moves its visits with it: the new manager reads its history, the old one no more.
	if _, _, err := f.s.Reassign(ctx, f.planner, f.outlets["L1"], retailer.Assignment{Manager: new("AM2")}, f.now); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.s.Visits(ctx, f.m1, retailer.VisitFilter{Limit: 10}); fmt.Sprint(outletsOf(got)) != "[L2]" {
		t.Errorf("the old manager's visits after the move = %v; want [L2]", outletsOf(got))
	}
	if got, _ := f.s.Visits(ctx, f.m2, retailer.VisitFilter{Limit: 10}); fmt.Sprint(outletsOf(got)) != "[L4 L1]" {
		t.Errorf("the new manager's visits after the move = %v; want [L4 L1]", outletsOf(got))
	}
	if _, err := f.s.RecordVisit(ctx, f.m1, f.outlets["L1"], visit, f.now); !errors.Is(err, retailer.ErrNotFound) {
		t.Errorf("the old manager records a visit after the move: %v; want ErrNotFound", err)
	}
}

func TestReassign(t *testing.T) {
	ctx := context.Background()
	f := newWorkFixture(t)
	l1 := f.outlets["L1"]

	pr, changes, err := f.s.Reassign(ctx, f.planner, l1, retailer.Assignment{Manager: new("AM2"), OrderDay: new(time.Tuesday),
		Route: new("R9"), Reason: "new round"}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Manager != "AM2" || pr.OrderDay != time.Tuesday || pr.Route != "R9" {
		t.Errorf("outlet after the move: manager %s, day %s, route %s; want AM2, Tuesday, R9", pr.Manager, pr.OrderDay, pr.Route)
	}
	wantChanges := "[manager AM1→AM2 order_day Friday→Tuesday route R1→R9]"
	if got := changeList(changes); got != wantChanges {
		t.Errorf("changes %s; want %s", got, wantChanges)
	}
	if _, err := f.s.Outlet(ctx, f.m1, l1); !errors.Is(err, retailer.ErrNotFound) {
		t.Errorf("the old manager reads the outlet: %v; want ErrNotFound", err)
	}
	if _, err := f.s.Outlet(ctx, f.m2, l1); err != nil {
		t.Errorf("the new manager reads the outlet: %v", err)
	}
	// The same change again changes nothing and records nothing.
	if _, changes, err := f.s.Reassign(ctx, f.planner, l1, retailer.Assignment{Manager: new("AM2")}, f.now); err != nil || len(changes) != 0 {
		t.Errorf("the same change again = %v, %v; want no change", changes, err)
	}

	// The log: newest first, readable by planners and the outlet's manager now, not the old one.
	if _, _, err := f.s.Reassign(ctx, f.planner, l1, retailer.Assignment{Route: new("R10")}, f.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	log, err := f.s.Changes(ctx, f.m2, l1, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := changeList(log), "[route R9→R10 route R1→R9 order_day Friday→Tuesday manager AM1→AM2]"; got != want {
		t.Errorf("the log %s; want %s", got, want)
	}
	if log[3].By != "p" || log[3].Reason != "new round" || !log[3].At.Equal(f.now) || log[3].Outlet != "L1" {
		t.Errorf("the first change %+v; want by p, for a new round, at %s", log[3], f.now)
	}
	if page, err := f.s.Changes(ctx, f.planner, l1, log[1].ID, 10); err != nil || changeList(page) != "[order_day Friday→Tuesday manager AM1→AM2]" {
		t.Errorf("the page before %d = %s, %v", log[1].ID, changeList(page), err)
	}
	if _, err := f.s.Changes(ctx, f.m1, l1, 0, 10); !errors.Is(err, retailer.ErrNotFound) {
		t.Errorf("the old manager reads the log: %v; want ErrNotFound", err)
	}

	for _, tt := range []struct {
		name string
		p    retailer.Principal
		a    retailer.Assignment
		want error
	}{
		{"an unknown manager", f.planner, retailer.Assignment{Manager: new("AM9")}, retailer.ErrInvalid},
		{"no such outlet for a manager", f.m1, retailer.Assignment{Route: new("x")}, retailer.ErrNotFound},
	} {
		if _, _, err := f.s.Reassign(ctx, tt.p, l1, tt.a, f.now); !errors.Is(err, tt.want) {
			t.Errorf("Reassign with %s = %v; want %v", tt.name, err, tt.want)
		}
	}

	// A submitted order holds the order day, not the manager.
	f.order(t, "L2", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "submitted", 2, 2)
	_, _, err = f.s.Reassign(ctx, f.planner, f.outlets["L2"], retailer.Assignment{OrderDay: new(time.Monday)}, f.now)
	if !errors.Is(err, retailer.ErrOpenOrder) {
		t.Errorf("a new order day under a submitted order = %v; want ErrOpenOrder", err)
	}
	if _, _, err := f.s.Reassign(ctx, f.planner, f.outlets["L2"], retailer.Assignment{Manager: new("AM2"), OrderDay: new(time.Friday)}, f.now); err != nil {
		t.Errorf("a new manager (the same day) under a submitted order = %v; want it moved", err)
	}
}

func changeList(cs []retailer.Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Field+" "+c.Old+"→"+c.New)
	}
	return fmt.Sprint(out)
}

func TestBenchmarkLimit(t *testing.T) {
	ctx := context.Background()
	f := newWorkFixture(t)
	set := func(licence string, on bool) error {
		_, _, err := f.s.Reassign(ctx, f.planner, f.outlets[licence], retailer.Assignment{Benchmark: new(on)}, f.now)
		return err
	}
	for _, l := range []string{"L1", "L2", "L4"} {
		if err := set(l, true); err != nil {
			t.Fatalf("benchmark %s: %v", l, err)
		}
	}
	err := set("L3", true)
	if !errors.Is(err, retailer.ErrBenchmarkLimit) {
		t.Fatalf("a third benchmark outlet of AM1 = %v; want ErrBenchmarkLimit", err)
	}
	var d interface{ Detail() string }
	if want := "account manager AM1 already has 2 benchmark outlets (L1, L2): unset one first"; !errors.As(err, &d) || d.Detail() != want {
		t.Errorf("refusal %v; want the detail %q", err, want)
	}
	// Moving a benchmark outlet to a manager with two is refused too, and changes nothing.
	if err := set("L3", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.Reassign(ctx, f.planner, f.outlets["L4"], retailer.Assignment{Manager: new("AM1")}, f.now); !errors.Is(err, retailer.ErrBenchmarkLimit) {
		t.Errorf("moving a benchmark outlet to a manager with two = %v; want ErrBenchmarkLimit", err)
	}
	if pr, _ := f.s.Outlet(ctx, f.planner, f.outlets["L4"]); pr.Manager != "AM2" || !pr.Benchmark {
		t.Errorf("L4 after the refused move: %s, benchmark %v; want AM2, true", pr.Manager, pr.Benchmark)
	}
	// Setting a flag already set is no change; unsetting makes room.
	if err := set("L1", true); err != nil {
		t.Errorf("setting L1 again = %v; want no change", err)
	}
	if err := set("L1", false); err != nil {
		t.Fatal(err)
	}
	if err := set("L3", true); err != nil {
		t.Errorf("L3 once L1 is unset = %v", err)
	}
	// An outlet without a manager cannot be one.
	if _, _, err := f.s.Reassign(ctx, f.planner, f.outlets["L3"], retailer.Assignment{Manager: new("")}, f.now); !errors.Is(err, retailer.ErrInvalid) {
		t.Errorf("unassigning a benchmark outlet = %v; want ErrInvalid", err)
	}
}

// Two planners flagging two outlets of one manager at once, with room for one: exactly one wins.
func TestBenchmarkLimitConcurrent(t *testing.T) {
	ctx := context.Background()
	f := newWorkFixture(t)
	if _, _, err := f.s.Reassign(ctx, f.planner, f.outlets["L1"], retailer.Assignment{Benchmark: new(true)}, f.now); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, l := range []string{"L2", "L3"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.s.Reassign(ctx, f.planner, f.outlets[l], retailer.Assignment{Benchmark: new(true)}, f.now)
		}()
	}
	wg.Wait()
	var n int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM outlets WHERE benchmark`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || (errs[0] == nil) == (errs[1] == nil) {
		t.Errorf("%d benchmark outlets, errors %v; want 2 and one refusal", n, errs)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, retailer.ErrBenchmarkLimit) {
			t.Errorf("refusal %v; want ErrBenchmarkLimit", err)
		}
	}
}

func TestBenchmarkOutlets(t *testing.T) {
	ctx := context.Background()
	f := newWorkFixture(t)
	for _, l := range []string{"L1", "L4"} {
		if _, _, err := f.s.Reassign(ctx, f.planner, f.outlets[l], retailer.Assignment{Benchmark: new(true)}, f.now); err != nil {
			t.Fatal(err)
		}
	}
	week := func(n int) time.Time { return time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*n) }
	f.order(t, "L1", week(0), "delivered", 5, 3)
	f.order(t, "L1", week(1), "failed", 4, 4)
	f.order(t, "L1", week(1), "submitted", 2, 2)
	f.order(t, "L1", week(2), "cancelled", 9, 9)
	f.order(t, "L1", week(3), "submitted", 1, 1) // after the last week asked for
	f.order(t, "L2", week(0), "paid", 7, 7)      // not a benchmark outlet

	got, err := f.s.BenchmarkOutlets(ctx, f.m1, "", week(0), week(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Licence != "L1" || len(got[0].Weeks) != 3 {
		t.Fatalf("AM1's benchmark outlets = %+v; want L1 with 3 weeks", got)
	}
	want := []retailer.BenchmarkWeek{
		{Week: week(0), Orders: 1, Status: "delivered", Requested: 5, Granted: 3},
		{Week: week(1), Orders: 2, Status: "submitted", Requested: 6, Granted: 6},
		{Week: week(2)},
	}
	for i, w := range got[0].Weeks {
		if !w.Week.Equal(want[i].Week) || w.Orders != want[i].Orders || w.Status != want[i].Status ||
			w.Requested != want[i].Requested || w.Granted != want[i].Granted {
			t.Errorf("week %d = %+v; want %+v", i, w, want[i])
		}
	}
	for _, tt := range []struct {
		name    string
		p       retailer.Principal
		manager string
		want    string
	}{
		{"the other manager", f.m2, "", "[L4]"},
		{"a planner", f.planner, "", "[L1 L4]"},
		{"a planner, one manager", f.planner, "AM2", "[L4]"},
		{"a manager asking for another's", f.m1, "AM2", "[]"},
	} {
		list, err := f.s.BenchmarkOutlets(ctx, tt.p, tt.manager, week(0), week(2))
		var licences []string
		for _, b := range list {
			licences = append(licences, b.Licence)
		}
		if err != nil || fmt.Sprint(licences) != tt.want {
			t.Errorf("BenchmarkOutlets of %s = %v, %v; want %s", tt.name, licences, err, tt.want)
		}
	}
}
