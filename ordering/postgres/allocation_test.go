package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

func TestPublishAllocation(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	week := ordering.WeekStart(f.now)
	supply := 9
	plan := ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &supply}
	limits := []ordering.OutletLimit{
		{Outlet: "L1", Brand: "S", Cartons: 6, Explanation: "grade 12; 6 cartons"},
		{Outlet: "L2", Brand: "S", Cartons: 0, Explanation: "outlet closed: no allocation"},
	}
	if err := f.s.PublishAllocation(ctx, week, plan, "grade", "alloc-1", f.supplyPublishedAt(t, week, "S"), limits, 0, f.now); err != nil {
		t.Fatal(err)
	}
	var limit, n int
	var source, allocID, explanation, mode string
	if err := f.pool.QueryRow(ctx, `SELECT l.limit_cartons, l.source, l.allocation_id, l.explanation, sp.allocation_mode,
			(SELECT count(*) FROM outlet_limits WHERE cycle_id = l.cycle_id AND brand_id = l.brand_id)
		FROM outlet_limits l JOIN supply_plans sp USING (cycle_id, brand_id) WHERE l.outlet_id = $1 AND l.cycle_id = $2`,
		f.outlet, f.cycleID).Scan(&limit, &source, &allocID, &explanation, &mode, &n); err != nil {
		t.Fatal(err)
	}
	if limit != 6 || source != "allocation" || allocID != "alloc-1" || explanation != "grade 12; 6 cartons" || mode != "grade" || n != 2 {
		t.Errorf("published limit = %d %s %s %q mode %s, %d limits; want 6 from alloc-1 with its explanation, mode grade, 2 limits",
			limit, source, allocID, explanation, mode, n)
	}
	// The cycle names the allocation whose limits the brand has.
	published := func() string {
		t.Helper()
		v, err := f.s.Cycle(ctx, week)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range v.Supply {
			if s.Brand == "S" {
				return s.Allocation
			}
		}
		t.Fatal("the cycle has no line of S")
		return ""
	}
	if a := published(); a != "alloc-1" {
		t.Errorf("the cycle's line of S names allocation %q; want alloc-1", a)
	}
	// The supply lines alone say the same, without the cycle's sums.
	lines, err := f.s.SupplyLines(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines {
		if l.Brand == "S" {
			found = true
			if l.Allocation != "alloc-1" || l.AwaitingSupply() || l.PublishedAt.IsZero() || l.SupplyCartons == nil || *l.SupplyCartons != 9 || l.Limits != 0 {
				t.Errorf("supply line of S = %+v; want published with 9 cartons by alloc-1, and no sums", l)
			}
		}
	}
	if !found {
		t.Errorf("supply lines %+v lack S", lines)
	}
	if _, err := f.s.SupplyLines(ctx, week.AddDate(0, 0, 700)); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("supply lines of a cycle that does not exist: %v; want ErrNotFound", err)
	}
	// The cycle alone, without its sums.
	if c, err := f.s.CycleOf(ctx, week); err != nil || c.ID != f.cycleID || !c.WeekStart.Equal(week) || c.Status != ordering.Open {
		t.Errorf("CycleOf(%s) = %+v, %v; want cycle %d, open", week.Format(time.DateOnly), c, err, f.cycleID)
	}
	if _, err := f.s.CycleOf(ctx, week.AddDate(0, 0, 700)); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("CycleOf a week without a cycle: %v; want ErrNotFound", err)
	}

	// The ordering API enforces it at once.
	o, _, err := f.s.PlaceOrder(ctx, f.outlet, 0, []ordering.LineRequest{{Brand: "S", Requested: 8}}, ordering.PlaceOptions{}, f.now)
	if err != nil || line(o, "S").Granted != 6 {
		t.Fatalf("order of 8 under a limit of 6 = %+v, %v; want 6 granted", o, err)
	}

	// A new allocation may not go below what the order holds; nothing of it is written.
	limits[0].Cartons = 4
	err = f.s.PublishAllocation(ctx, week, plan, "demand", "alloc-2", f.supplyPublishedAt(t, week, "S"), limits, 0, f.now)
	if !errors.Is(err, ordering.ErrConflict) || !strings.Contains(err.Error(), "L1 holds 6") {
		t.Errorf("allocation below an order's holding = %v; want ErrConflict naming L1", err)
	}
	f.pool.QueryRow(ctx, `SELECT allocation_id FROM outlet_limits WHERE outlet_id = $1 AND cycle_id = $2`, f.outlet, f.cycleID).Scan(&allocID) //nolint:errcheck
	if allocID != "alloc-1" {
		t.Errorf("after a refused allocation the limit is from %s; want alloc-1 untouched", allocID)
	}
	if a := published(); a != "alloc-1" {
		t.Errorf("after a refused allocation the cycle's line of S names %q; want alloc-1", a)
	}

	// Nor may its supply go below what the cycle's orders were granted of the brand (6).
	limits[0].Cartons = 6
	low := 5
	err = f.s.PublishAllocation(ctx, week, ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &low}, "grade", "alloc-3", f.supplyPublishedAt(t, week, "S"), limits, 0, f.now)
	if !errors.Is(err, ordering.ErrConflict) || !strings.Contains(err.Error(), "below the cartons") {
		t.Errorf("allocation of a supply of 5 with 6 granted = %v; want ErrConflict saying the supply is below what was granted", err)
	}

	for _, tt := range []struct {
		name   string
		line   ordering.SupplyLine
		limits []ordering.OutletLimit
		field  string
	}{
		{"unknown outlet", plan, []ordering.OutletLimit{{Outlet: "NOPE", Brand: "S", Cartons: 1}}, "limits"},
		{"unknown brand", ordering.SupplyLine{Brand: "NOPE", OnSale: true}, nil, "brand"},
		{"negative limit", plan, []ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: -1}}, "limits[0].cartons"},
	} {
		var invalid *ordering.ValidationError
		if err := f.s.PublishAllocation(ctx, week, tt.line, "grade", "alloc-x", f.supplyPublishedAt(t, week, tt.line.Brand), tt.limits, 0, f.now); !errors.As(err, &invalid) || invalid.Fields[tt.field] == "" {
			t.Errorf("%s: PublishAllocation = %v; want a validation error on %s", tt.name, err, tt.field)
		}
	}
	if err := f.s.PublishAllocation(ctx, week.AddDate(0, 0, 700), plan, "grade", "alloc-y", time.Time{}, nil, 0, f.now); !errors.Is(err, ordering.ErrNotFound) {
		t.Errorf("allocation of a cycle that does not exist = %v; want ErrNotFound", err)
	}
}

// Two planners publish an allocation of the same brand decided on the same state of its line, at once
// and on separate connections (as two instances would): one is published, the other refused with
// ErrPublishedMeanwhile naming the first, and the limits are the first's alone. An allocation decided
// on the line as it is now replaces it; one decided before a supply plan was published is refused.
func TestPublishAllocationRefusesALinePublishedSince(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	week := ordering.WeekStart(f.now)
	basis := f.supplyPublishedAt(t, week, "S")
	if basis.IsZero() {
		t.Fatal("the fixture's line of S is not published")
	}
	supply := 9
	line := ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &supply}
	for round := range 5 {
		ids := [2]string{fmt.Sprintf("race-%d-a", round), fmt.Sprintf("race-%d-b", round)}
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, id := range ids {
			cartons := 3 + i // the two allocations differ
			wg.Go(func() {
				<-start
				errs[i] = f.s.PublishAllocation(ctx, week, line, "grade", id, basis,
					[]ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: cartons, Explanation: id}}, 0, f.now.Add(time.Duration(round+1)*time.Second))
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won < 0:
				won = i
			case err == nil:
				t.Fatalf("round %d: both allocations published from the same state of the line", round)
			case !errors.Is(err, ordering.ErrPublishedMeanwhile):
				t.Fatalf("round %d: %s = %v; want nil or ErrPublishedMeanwhile", round, ids[i], err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: neither allocation published: %v", round, errors.Join(errs[:]...))
		}
		if lost := errs[1-won]; !strings.Contains(lost.Error(), "names allocation "+ids[won]) {
			t.Errorf("round %d: the refusal %q does not name the allocation published, %s", round, lost, ids[won])
		}
		var limit int
		var from string
		if err := f.pool.QueryRow(ctx, `SELECT limit_cartons, allocation_id FROM outlet_limits WHERE outlet_id = $1 AND cycle_id = $2`,
			f.outlet, f.cycleID).Scan(&limit, &from); err != nil {
			t.Fatal(err)
		}
		if from != ids[won] || limit != 3+won {
			t.Errorf("round %d: L1's limit is %d from %s; want %d from %s, the allocation published", round, limit, from, 3+won, ids[won])
		}
		// The one published again (a retry without its key) is published; the next round starts from it.
		if err := f.s.PublishAllocation(ctx, week, line, "grade", ids[won], basis,
			[]ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 3 + won, Explanation: ids[won]}}, 0, f.now.Add(time.Minute)); err != nil {
			t.Errorf("round %d: publishing %s again = %v; want nil", round, ids[won], err)
		}
		basis = f.supplyPublishedAt(t, week, "S")
	}

	// A supply plan published after the allocation was decided on: refused, saying so.
	if err := f.s.PublishSupply(ctx, f.cycleID, 0, 0, []ordering.SupplyLine{{Brand: "S", OnSale: true, SupplyCartons: &supply}},
		[]ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 2, Explanation: "manual"}}, "manual", f.now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	err := f.s.PublishAllocation(ctx, week, line, "grade", "after-plan", basis,
		[]ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 4, Explanation: "x"}}, 0, f.now.Add(20*time.Minute))
	if !errors.Is(err, ordering.ErrPublishedMeanwhile) || !strings.Contains(err.Error(), "09:10:00 UTC") {
		t.Errorf("an allocation decided before a supply plan was published = %v; want ErrPublishedMeanwhile saying when", err)
	}
	if err := f.s.PublishAllocation(ctx, week, line, "grade", "after-plan", f.supplyPublishedAt(t, week, "S"),
		[]ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 4, Explanation: "x"}}, 0, f.now.Add(20*time.Minute)); err != nil {
		t.Errorf("the same allocation decided on the line as it is now = %v; want it published", err)
	}
}

// An outlet listed after the brand's allocation was published (a new licence, a reopened shop) has a
// limit of 0, saying why, until an allocation with it is published: the published limits already
// share the whole supply. A brand whose supply plan was published without an allocation still bounds
// such an outlet by the supply left alone.
func TestOutletOutsideTheAllocationHasNoLimitLeft(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	week := ordering.WeekStart(f.now)
	late := f.addOutlet(t, "L3", 100000)
	order := func(outlet int64) (granted int, remaining *int, explanation string) {
		t.Helper()
		o, _, err := f.s.PlaceOrder(ctx, outlet, 0, []ordering.LineRequest{{Brand: "S", Requested: 2}}, ordering.PlaceOptions{}, f.now)
		if err != nil {
			t.Fatal(err)
		}
		_, _, lines, err := f.s.Catalogue(ctx, outlet, f.now)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.Brand.Code == "S" {
				return line(o, "S").Granted, l.Remaining, l.Explanation
			}
		}
		t.Fatal("the catalogue has no line of S")
		return 0, nil, ""
	}
	// The fixture's supply plan of S (no allocation) limits L1 alone: L3 takes from the supply.
	if granted, remaining, why := order(late); granted != 2 || remaining != nil || why != "" {
		t.Errorf("under a supply plan without an allocation L3 was granted %d, %v remaining (%q); want 2, unbounded", granted, remaining, why)
	}

	// An allocation published before L4 was listed.
	supply := 9
	if err := f.s.PublishAllocation(ctx, week, ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &supply}, "grade", "alloc-1",
		f.supplyPublishedAt(t, week, "S"), []ordering.OutletLimit{
			{Outlet: "L1", Brand: "S", Cartons: 6, Explanation: "limit 6 cartons: grade 12"},
			{Outlet: "L3", Brand: "S", Cartons: 3, Explanation: "limit 3 cartons: grade 12"},
		}, 0, f.now); err != nil {
		t.Fatal(err)
	}
	newcomer := f.addOutlet(t, "L4", 100000)
	granted, remaining, why := order(newcomer)
	if granted != 0 || remaining == nil || *remaining != 0 || why != ordering.NotInAllocation {
		t.Errorf("L4, listed after the allocation, was granted %d with %v remaining (%q); want 0, none left, %q",
			granted, remaining, why, ordering.NotInAllocation)
	}
	if granted, _, _ := order(f.outlet); granted != 2 {
		t.Errorf("L1, in the allocation, was granted %d of 2; want 2", granted)
	}
}

// Many outlets publish in one go.
func TestPublishAllocationManyOutlets(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	const n = 5000
	f.addOutlets(t, "M", n)
	limits := make([]ordering.OutletLimit, n)
	total := 0
	for i := range limits {
		limits[i] = ordering.OutletLimit{Outlet: fmt.Sprintf("M%06d", i+1), Brand: "S", Cartons: i % 4, Explanation: "test"}
		total += i % 4
	}
	if err := f.s.PublishAllocation(ctx, ordering.WeekStart(f.now), ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &total},
		"demand", "alloc-many", f.supplyPublishedAt(t, ordering.WeekStart(f.now), "S"), limits, 0, f.now); err != nil {
		t.Fatal(err)
	}
	var rows, sum int
	f.pool.QueryRow(ctx, `SELECT count(*), sum(limit_cartons) FROM outlet_limits WHERE cycle_id = $1 AND allocation_id = 'alloc-many'`, f.cycleID).Scan(&rows, &sum) //nolint:errcheck
	if rows != n || sum != total {
		t.Errorf("published %d limits adding to %d; want %d adding to %d", rows, sum, n, total)
	}
}

// BenchmarkPublishAllocation300k publishes one brand's limits for 300,000 outlets, each with an
// explanation, replacing the previous publication: what `ordercast allocate` costs in PostgreSQL.
//
//	go test -run '^$' -bench PublishAllocation -benchtime 3x ./ordering/postgres/
func BenchmarkPublishAllocation300k(b *testing.B) {
	ctx := context.Background()
	f := newOrderFixture(b)
	const n = 300_000
	f.addOutlets(b, "B", n)
	limits := make([]ordering.OutletLimit, n)
	total := 0
	for i := range limits {
		c := 1 + i%30/6
		limits[i] = ordering.OutletLimit{Outlet: fmt.Sprintf("B%06d", i+1), Brand: "S", Cartons: c,
			Explanation: fmt.Sprintf("limit %d cartons: grade %d; supply covers 61%% of demand; rounded by largest remainder", c, 1+i%30)}
		total += c
	}
	plan := ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: &total}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.s.PublishAllocation(ctx, ordering.WeekStart(f.now), plan, "grade", fmt.Sprintf("bench-%d", i),
			f.supplyPublishedAt(b, ordering.WeekStart(f.now), "S"), limits, 0, f.now); err != nil {
			b.Fatal(err)
		}
	}
}

// addOutlets adds n active outlets licensed prefix000001 … prefixNNNNNN, of every order day and grade.
func (f orderFixture) addOutlets(t testing.TB, prefix string, n int) {
	t.Helper()
	if _, err := f.pool.Exec(context.Background(), `INSERT INTO outlets (licence_no, name, area, business_format, locality,
			order_day, grade)
		SELECT $1 || lpad(i::text, 6, '0'), 'shop', 'A1', 'kiosk', 'urban', 1 + i % 7, 1 + i % 30
		FROM generate_series(1, $2) i`, prefix, n); err != nil {
		t.Fatal(err)
	}
}

// The cycle's supply version moves on with each publication, a supply plan's or an allocation's; a
// supply plan made against an older version (If-Match) is refused with the current one and writes
// nothing, one made against the current version or any (*) is published.
func TestSupplyVersion(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	week := ordering.WeekStart(f.now)
	version := func() int {
		t.Helper()
		c, err := f.s.CycleOf(ctx, week)
		if err != nil {
			t.Fatal(err)
		}
		return c.SupplyVersion
	}
	v := version() // the fixture published a supply plan once
	if v != 2 {
		t.Fatalf("supply version after one publication = %d; want 2", v)
	}
	supply := 9
	plan := []ordering.SupplyLine{{Brand: "S", OnSale: true, SupplyCartons: &supply}}
	if err := f.s.PublishSupply(ctx, f.cycleID, 0, v, plan, nil, "manual", f.now); err != nil {
		t.Fatalf("a plan made against the current version: %v", err)
	}
	if err := f.s.PublishAllocation(ctx, week, plan[0], "grade", "alloc-v", f.supplyPublishedAt(t, week, "S"),
		[]ordering.OutletLimit{{Outlet: "L1", Brand: "S", Cartons: 6, Explanation: "x"}}, 0, f.now); err != nil {
		t.Fatal(err)
	}
	if got := version(); got != v+2 {
		t.Errorf("supply version after a plan and an allocation = %d; want %d", got, v+2)
	}
	lower := 8
	err := f.s.PublishSupply(ctx, f.cycleID, 0, v, []ordering.SupplyLine{{Brand: "S", OnSale: true, SupplyCartons: &lower}}, nil, "manual", f.now)
	var stale *ordering.SupplyStaleError
	if !errors.As(err, &stale) || stale.Current != v+2 || !errors.Is(err, ordering.ErrSupplyVersionMismatch) {
		t.Fatalf("a plan made against version %d, now %d = %v; want a SupplyStaleError naming %d", v, v+2, err, v+2)
	}
	var cartons int
	if err := f.pool.QueryRow(ctx, `SELECT supply_cartons FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
		WHERE sp.cycle_id = $1 AND b.code = 'S'`, f.cycleID).Scan(&cartons); err != nil || cartons != 9 {
		t.Errorf("after the refused plan S's supply is %d (%v); want 9, untouched", cartons, err)
	}
	if got := version(); got != v+2 {
		t.Errorf("a refused plan moved the version to %d; want %d", got, v+2)
	}
	if err := f.s.PublishSupply(ctx, f.cycleID, 0, ordering.AnyVersion, plan, nil, "manual", f.now); err != nil {
		t.Errorf("a plan made against any version (*): %v", err)
	}
}

// Two supply plans made against the same version, sent at once on two connections (two instances'
// PUTs with one ETag): one is published, the other refused with the version the first made.
func TestSupplyVersionTwoPlansAtOnce(t *testing.T) {
	ctx := context.Background()
	f := newOrderFixture(t)
	for round := range 5 {
		c, err := f.s.CycleOf(ctx, ordering.WeekStart(f.now))
		if err != nil {
			t.Fatal(err)
		}
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range errs {
			supply := 10 + i
			wg.Go(func() {
				<-start
				errs[i] = f.s.PublishSupply(ctx, f.cycleID, 0, c.SupplyVersion,
					[]ordering.SupplyLine{{Brand: "S", OnSale: true, SupplyCartons: &supply}}, nil, "manual", f.now)
			})
		}
		close(start)
		wg.Wait()
		var stale *ordering.SupplyStaleError
		switch {
		case errs[0] == nil && errs[1] == nil:
			t.Fatalf("round %d: both plans made against version %d were published", round, c.SupplyVersion)
		case errs[0] != nil && errs[1] != nil:
			t.Fatalf("round %d: neither plan was published: %v", round, errors.Join(errs[:]...))
		case !errors.As(errors.Join(errs[:]...), &stale) || stale.Current != c.SupplyVersion+1:
			t.Fatalf("round %d: the refusal %v; want a SupplyStaleError naming version %d", round, errors.Join(errs[:]...), c.SupplyVersion+1)
		}
	}
}
