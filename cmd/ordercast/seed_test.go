package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/synth"
	"github.com/ordercast/ordercast/retailer/indicators"
)

func TestSeedFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr error
	}{
		{"help", []string{"-h"}, flag.ErrHelp},
		{"no outlets", []string{"--outlets", "0"}, ErrUsage},
		{"too few brands", []string{"--brands", "2"}, ErrUsage},
		{"too few weeks", []string{"--weeks", "3"}, ErrUsage},
		{"too many weeks", []string{"--weeks", "1000"}, ErrUsage},
		{"bad as-of", []string{"--as-of", "18/11/2026"}, ErrUsage},
		{"negative seed", []string{"--seed", "-1"}, ErrUsage},
		{"stray argument", []string{"now"}, ErrUsage},
		{"bad dsn", []string{"--pg-dsn", "mysql://x"}, ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := Run(context.Background(), append([]string{"seed"}, tt.args...), &stdout, &stderr, func(string) string { return "" })
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run(seed %v) = %v; want %v (stderr %q)", tt.args, err, tt.wantErr, stderr.String())
			}
		})
	}
}

// The seed's today is the region's: at 07:00 on a Monday in Shanghai (Sunday in UTC) the week under
// way is that Monday's, as serve's clock has it; -as-of is midnight there.
func TestSeedNowIsTheRegions(t *testing.T) {
	cfg := seedConfig{storeConfig: storeConfig{PostgresDSN: "postgres://localhost/x", ClickHouseDSN: "clickhouse://localhost:9000/x"},
		Outlets: 1, Brands: synth.MinBrands, Weeks: synth.MinWeeks, TimeZone: "Asia/Shanghai", WindowCloseHour: 18}
	clock := time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	now, err := cfg.validate(clock)
	if err != nil {
		t.Fatal(err)
	}
	if got := forecast.Monday(now); !now.Equal(clock) || !got.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("seed at %s: now %s, the week of %s; want the same instant, the week of 2026-11-30", clock, now, got)
	}
	cfg.AsOf = "2026-11-22"
	if now, err = cfg.validate(clock); err != nil || now.Format(time.RFC3339) != "2026-11-22T00:00:00+08:00" {
		t.Errorf("-as-of 2026-11-22: now %s, %v; want midnight in Shanghai", now.Format(time.RFC3339), err)
	}
	cfg.TimeZone = "Mars/Olympus"
	if _, err := cfg.validate(clock); err == nil || !strings.Contains(err.Error(), "-timezone") {
		t.Errorf("an unknown -timezone: %v; want its error", err)
	}
}

// storeSnapshot sums what a seed wrote to both stores, so that two seeds can be compared.
type storeSnapshot struct {
	Outlets, Managers, Brands, Manufacturers, Deposits   int64
	GradeSum, BalanceSum, DepositSum, OutletIDSum        int64
	ManagerLinks, WholesaleSum, NewProducts, ScarceCount int64

	SalesRows, DemandRows, ScanRows, RejectRows, BatchRows uint64
	OutletDims, BrandDims                                  uint64
	Requested, Granted, Delivered, Limits, Demand, ScanQty float64
	Limited                                                uint64
	SalesHash, DemandHash, ScanHash                        uint64
	FirstDay, LastDay                                      string
	Cycles, Orders, Failed, OrderLines, LimitRows          int64
	OrderHash, Satisfaction                                int64
	// The warehouse: brands with stock limits, with stock (and of them scarce), planned arrivals
	// (and of scarce brands), their cartons and weeks.
	StockLimits, InStock, ScarceInStock, Arrivals, ScarceArrivals, ArrivalCartons, ArrivalWeeks int64
	CompanyTargets                                                                              int64
}

func snapshot(t *testing.T, pgDSN, chDSN string) storeSnapshot {
	t.Helper()
	ctx := context.Background()
	pool := storestest.OpenPostgres(t, pgDSN)
	conn := storestest.OpenClickHouse(t, chDSN)
	var s storeSnapshot
	err := pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM outlets), (SELECT count(*) FROM account_managers), (SELECT count(*) FROM brands),
		(SELECT count(*) FROM manufacturers), (SELECT count(*) FROM balance_entries WHERE kind = 'deposit'),
		(SELECT coalesce(sum(grade), 0) FROM outlets), (SELECT coalesce(sum(balance_cents), 0)::bigint FROM outlets),
		(SELECT coalesce(sum(amount_cents), 0)::bigint FROM balance_entries), (SELECT coalesce(sum(id), 0)::bigint FROM outlets),
		(SELECT count(*) FROM outlets o JOIN account_managers m ON m.id = o.manager_id AND m.area = o.area),
		(SELECT coalesce(sum(wholesale_price_cents), 0)::bigint FROM brands),
		(SELECT count(*) FROM brands WHERE new_product AND launch_date IS NOT NULL),
		(SELECT count(*) FROM brands WHERE scarce)`).Scan(
		&s.Outlets, &s.Managers, &s.Brands, &s.Manufacturers, &s.Deposits,
		&s.GradeSum, &s.BalanceSum, &s.DepositSum, &s.OutletIDSum, &s.ManagerLinks, &s.WholesaleSum,
		&s.NewProducts, &s.ScarceCount)
	if err != nil {
		t.Fatalf("read PostgreSQL: %v", err)
	}
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM cycles), (SELECT count(*) FROM orders),
		(SELECT count(*) FROM orders WHERE status = 'failed'), (SELECT count(*) FROM order_lines),
		(SELECT count(*) FROM outlet_limits),
		(SELECT coalesce(sum(hashtext(o.outlet_id || o.status || l.brand_id || ':' || l.requested_cartons || ':' || l.granted_cartons)), 0)
			FROM orders o JOIN order_lines l ON l.order_id = o.id),
		(SELECT count(*) FROM satisfaction_scores)`).Scan(
		&s.Cycles, &s.Orders, &s.Failed, &s.OrderLines, &s.LimitRows, &s.OrderHash, &s.Satisfaction)
	if err != nil {
		t.Fatalf("read PostgreSQL orders: %v", err)
	}
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stock_limits),
		(SELECT count(*) FROM warehouse_stock WHERE cartons > 0),
		(SELECT count(*) FROM warehouse_stock w JOIN brands b ON b.id = w.brand_id WHERE w.cartons > 0 AND b.scarce),
		(SELECT count(*) FROM arrival_plans),
		(SELECT count(*) FROM arrival_plans a JOIN brands b ON b.id = a.brand_id WHERE b.scarce),
		(SELECT coalesce(sum(cartons), 0) FROM arrival_plans),
		(SELECT count(DISTINCT date_trunc('week', arrives_on)) FROM arrival_plans),
		(SELECT count(*) FROM indicator_targets WHERE scope = 'company')`).Scan(
		&s.StockLimits, &s.InStock, &s.ScarceInStock, &s.Arrivals, &s.ScarceArrivals, &s.ArrivalCartons, &s.ArrivalWeeks,
		&s.CompanyTargets)
	if err != nil {
		t.Fatalf("read the warehouse: %v", err)
	}
	err = conn.QueryRow(ctx, `SELECT count(), sum(requested), sum(granted), sum(delivered), sum(limit_qty),
		sum(limited), sum(cityHash64(outlet, brand, day, requested, granted, delivered, limit_qty, limited)),
		toString(min(day)), toString(max(day))
		FROM sales WHERE dataset = 'live' AND source = 'seed'`).Scan(
		&s.SalesRows, &s.Requested, &s.Granted, &s.Delivered, &s.Limits, &s.Limited, &s.SalesHash, &s.FirstDay, &s.LastDay)
	if err != nil {
		t.Fatalf("read sales: %v", err)
	}
	err = conn.QueryRow(ctx, `SELECT count(), sum(demand), sum(cityHash64(outlet, brand, week, demand))
		FROM true_demand WHERE dataset = 'live'`).Scan(&s.DemandRows, &s.Demand, &s.DemandHash)
	if err != nil {
		t.Fatalf("read true_demand: %v", err)
	}
	err = conn.QueryRow(ctx, `SELECT count(), sum(qty), sum(cityHash64(outlet, brand, kind, scanned_at, qty, batch_id, row_no))
		FROM scans`).Scan(&s.ScanRows, &s.ScanQty, &s.ScanHash)
	if err != nil {
		t.Fatalf("read scans: %v", err)
	}
	err = conn.QueryRow(ctx, `SELECT (SELECT count() FROM scan_rejects), (SELECT count() FROM scan_batches FINAL),
		(SELECT count() FROM outlets_dim FINAL WHERE dataset = 'live'), (SELECT count() FROM brands_dim FINAL WHERE dataset = 'live')`).Scan(
		&s.RejectRows, &s.BatchRows, &s.OutletDims, &s.BrandDims)
	if err != nil {
		t.Fatalf("read scan batches and dimensions: %v", err)
	}
	return s
}

func TestSeed(t *testing.T) {
	pgDSN := storestest.MigratedPostgresDSN(t)
	chDSN := storestest.MigratedClickHouseDSN(t)
	getenv := func(key string) string {
		switch key {
		case "ORDERCAST_PG_DSN":
			return pgDSN
		case "ORDERCAST_CH_DSN":
			return chDSN
		}
		return ""
	}
	base := []string{"seed", "--outlets", "60", "--brands", "20", "--weeks", "60", "--as-of", "2026-11-18"}
	seed := func(t *testing.T, extra ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var stdout, stderr bytes.Buffer
		err := Run(ctx, append(append([]string{}, base...), extra...), &stdout, &stderr, getenv)
		return stdout.String(), err
	}

	out, err := seed(t, "--seed", "7")
	if err != nil {
		t.Fatalf("first seed: %v", err)
	}
	first := snapshot(t, pgDSN, chDSN)
	t.Logf("first seed: %+v", first)
	t.Run("outlets joined when the history began", func(t *testing.T) {
		var joined []time.Time
		rows, err := storestest.OpenPostgres(t, pgDSN).Query(context.Background(),
			`SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date::timestamp FROM outlets`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var d time.Time
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			joined = append(joined, d)
		}
		if len(joined) != 1 || !strings.Contains(out, "seeded 60 weeks, "+joined[0].Format(time.DateOnly)) {
			t.Errorf("outlets joined on %v; want every one on the history's first Monday (%q)", joined, strings.SplitN(out, "\n", 2)[0])
		}
	})
	t.Run("counts", func(t *testing.T) {
		s := first
		if s.Outlets != 60 || s.Brands != 20 || s.Deposits != 60 || s.OutletDims != 60 || s.BrandDims != 20 {
			t.Errorf("outlets %d, brands %d, deposits %d, outlets_dim %d, brands_dim %d; want 60, 20, 60, 60, 20",
				s.Outlets, s.Brands, s.Deposits, s.OutletDims, s.BrandDims)
		}
		if s.Managers < 1 || s.Manufacturers != 3 || s.ManagerLinks != 60 {
			t.Errorf("%d managers (%d outlets linked in their area), %d manufacturers; want ≥ 1 (60), 3",
				s.Managers, s.ManagerLinks, s.Manufacturers)
		}
		if s.BalanceSum <= 0 || s.DepositSum != s.BalanceSum {
			t.Errorf("balances sum to %d, deposits to %d; want equal and positive", s.BalanceSum, s.DepositSum)
		}
		if s.ScarceCount != 2 || s.NewProducts != 1 {
			t.Errorf("%d scarce and %d new brands; want 2 and 1", s.ScarceCount, s.NewProducts)
		}
		if s.SalesRows == 0 || s.DemandRows == 0 || s.ScanRows == 0 || s.BatchRows == 0 {
			t.Errorf("sales %d, demand %d, scans %d, batches %d; want all written", s.SalesRows, s.DemandRows, s.ScanRows, s.BatchRows)
		}
		if s.Granted > s.Requested || s.Delivered > s.Granted || s.Limited == 0 {
			t.Errorf("requested %v, granted %v, delivered %v, limited lines %d", s.Requested, s.Granted, s.Delivered, s.Limited)
		}
		// 60 weeks ending with the week of 9 November 2026, on order days Monday to Friday, and the
		// week under way up to the as-of day, a Wednesday, at midnight: its orders are paid, out for
		// delivery, and the history has the Tuesday's.
		if s.FirstDay < "2025-09-15" || s.LastDay != "2026-11-17" {
			t.Errorf("sales from %s to %s; want within 2025-09-15 … 2026-11-17, up to 2026-11-17", s.FirstDay, s.LastDay)
		}
		for _, want := range []string{"outlets:      60", "brands:       20 (3 manufacturers)", "rows/s"} {
			if !strings.Contains(out, want) {
				t.Errorf("summary lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("past cycles agree with the history", func(t *testing.T) {
		s := first
		if s.Cycles != 10 || s.Orders == 0 || s.Failed == 0 || s.LimitRows == 0 || s.Satisfaction == 0 {
			t.Fatalf("%d cycles, %d orders (%d failed), %d limits, %d satisfaction scores; want 10 cycles (8 past, "+
				"the week under way, the next one) and the rest not 0",
				s.Cycles, s.Orders, s.Failed, s.LimitRows, s.Satisfaction)
		}
		checkPastCycles(t, pgDSN, chDSN)
	})

	t.Run("the warehouse and the targets", func(t *testing.T) {
		// The as-of day is a Wednesday: the week under way's arrival is that day, then one a week.
		s := first
		if s.StockLimits != 20 || s.InStock != 20-s.ScarceCount || s.ScarceInStock != 0 || s.ArrivalWeeks != seedPlanWeeks ||
			s.Arrivals < 18*seedPlanWeeks || s.ScarceArrivals == 0 || s.ArrivalCartons == 0 {
			t.Errorf("warehouse %+v; want stock limits for the 20 brands, stock for the %d on sale and none for the scarce, "+
				"arrivals in each of %d weeks for (nearly) every brand, scarce ones too", s, 20-s.ScarceCount, seedPlanWeeks)
		}
		if s.CompanyTargets != int64(len(indicators.Specs)) {
			t.Errorf("%d company targets; want one for each of the %d indicators", s.CompanyTargets, len(indicators.Specs))
		}
		if !strings.Contains(out, fmt.Sprintf("warehouse:    stock and stock limits of every brand, %d arrivals planned over %d weeks", s.Arrivals, seedPlanWeeks)) {
			t.Errorf("summary lacks the warehouse's line:\n%s", out)
		}
	})

	t.Run("the week under way", func(t *testing.T) {
		checkWeekUnderWay(t, pgDSN, chDSN, time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC))
	})

	t.Run("the next cycle's supply is published", func(t *testing.T) {
		checkCycleAhead(t, pgDSN, out, time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC))
	})

	t.Run("refused without replace", func(t *testing.T) {
		_, err := seed(t, "--seed", "7")
		if !errors.Is(err, errRegionExists) {
			t.Fatalf("second seed without --replace = %v; want %v", err, errRegionExists)
		}
		if got := snapshot(t, pgDSN, chDSN); got != first {
			t.Errorf("a refused seed changed the stores:\n got %+v\nwant %+v", got, first)
		}
	})

	t.Run("if-empty leaves a seeded region alone", func(t *testing.T) {
		out, err := seed(t, "--seed", "8", "--if-empty")
		if err != nil || !strings.Contains(out, "nothing to seed") {
			t.Fatalf("seed --if-empty on a seeded region = %q, %v; want success with nothing to seed", out, err)
		}
		if got := snapshot(t, pgDSN, chDSN); got != first {
			t.Errorf("seed --if-empty changed the stores:\n got %+v\nwant %+v", got, first)
		}
	})

	t.Run("replace with the same seed", func(t *testing.T) {
		if _, err := seed(t, "--seed", "7", "--replace"); err != nil {
			t.Fatalf("seed --replace: %v", err)
		}
		if got := snapshot(t, pgDSN, chDSN); got != first {
			t.Errorf("seeding again with the same seed gives other data:\n got %+v\nwant %+v", got, first)
		}
	})

	t.Run("replace with another seed", func(t *testing.T) {
		if _, err := seed(t, "--seed", "8", "--replace"); err != nil {
			t.Fatalf("seed --replace: %v", err)
		}
		got := snapshot(t, pgDSN, chDSN)
		if got.Outlets != 60 || got.OutletDims != 60 || got.SalesHash == first.SalesHash || got.DemandHash == first.DemandHash {
			t.Errorf("seed 8 after seed 7: %+v", got)
		}
	})
}

// checkCycleAhead checks the cycle after the week under way's (the Monday underWay): its Monday
// window opened on the Sunday before the week under way, so the seed published its supply, each
// scarce brand's as the week under way's with the same limits, and no other brand's limits (a
// stock-out of the week under way is not carried), and the summary says so. No later cycle was
// created: its windows open at the end of the week under way.
func checkCycleAhead(t *testing.T, pgDSN, out string, underWay time.Time) {
	t.Helper()
	ctx := context.Background()
	pool := storestest.OpenPostgres(t, pgDSN)
	next := underWay.AddDate(0, 0, 7)
	var later, scarce, published, same, limits, sameLimits, scarceLimits, otherLimits int
	err := pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM cycles WHERE week_start > $1),
			(SELECT count(*) FROM brands WHERE scarce),
			(SELECT count(*) FROM supply_plans sp JOIN cycles c ON c.id = sp.cycle_id JOIN brands b ON b.id = sp.brand_id
				WHERE c.week_start = $2 AND b.scarce AND sp.published_at IS NOT NULL),
			(SELECT count(*) FROM supply_plans n JOIN cycles cn ON cn.id = n.cycle_id
				JOIN supply_plans u ON u.brand_id = n.brand_id JOIN cycles cu ON cu.id = u.cycle_id
				WHERE cn.week_start = $2 AND cu.week_start = $1 AND u.published_at IS NOT NULL AND n.published_at IS NOT NULL
					AND n.supply_cartons IS NOT DISTINCT FROM u.supply_cartons AND n.on_sale = u.on_sale),
			(SELECT count(*) FROM outlet_limits l JOIN cycles c ON c.id = l.cycle_id WHERE c.week_start = $2),
			(SELECT count(*) FROM outlet_limits n JOIN cycles cn ON cn.id = n.cycle_id
				JOIN outlet_limits u ON u.brand_id = n.brand_id AND u.outlet_id = n.outlet_id JOIN cycles cu ON cu.id = u.cycle_id
				WHERE cn.week_start = $2 AND cu.week_start = $1 AND n.limit_cartons = u.limit_cartons AND n.used_cartons = 0),
			(SELECT count(*) FROM outlet_limits l JOIN cycles c ON c.id = l.cycle_id JOIN brands b ON b.id = l.brand_id
				WHERE c.week_start = $1 AND b.scarce),
			(SELECT count(*) FROM outlet_limits l JOIN cycles c ON c.id = l.cycle_id JOIN brands b ON b.id = l.brand_id
				WHERE c.week_start = $2 AND NOT b.scarce)`,
		underWay, next).Scan(&later, &scarce, &published, &same, &limits, &sameLimits, &scarceLimits, &otherLimits)
	if err != nil {
		t.Fatal(err)
	}
	if later != 1 || scarce == 0 || published != scarce || same < scarce || limits == 0 || sameLimits != limits ||
		limits != scarceLimits || otherLimits != 0 {
		t.Errorf("cycles after the week under way %d; scarce brands %d, %d published in the next cycle, %d lines as the week "+
			"under way's; limits %d, %d as the week under way's (whose scarce brands had %d), %d of other brands; want 1 "+
			"cycle, every scarce brand published as the week under way's, with its limits, and no other brand's limit "+
			"(a stock-out is its week's)", later, scarce, published, same, limits, sameLimits, scarceLimits, otherLimits)
	}
	if want := "ahead:        the cycle of " + next.Format(time.DateOnly); !strings.Contains(out, want) {
		t.Errorf("summary lacks %q:\n%s", want, out)
	}
}

// checkPastCycles compares the orders of the cycles in PostgreSQL with the sales lines of the same days
// in ClickHouse, line by line: delivered orders delivered what they were granted, failed orders
// delivered nothing, every requested quantity is the same; no cycle has a line the history lacks, or
// the other way round. Limits cover every rationed line and never fall below what was granted.
func checkPastCycles(t *testing.T, pgDSN, chDSN string) {
	t.Helper()
	ctx := context.Background()
	pool := storestest.OpenPostgres(t, pgDSN)
	conn := storestest.OpenClickHouse(t, chDSN)
	type key struct{ outlet, brand, day string }
	type line struct {
		requested, granted, delivered int
		limited                       bool
	}
	pg := map[key]line{}
	out := map[key]bool{} // the lines of orders out for delivery: not in the history until delivered
	var first string
	rows, err := pool.Query(ctx, `SELECT o2.licence_no, b.code, (c.week_start + o2.order_day - 1)::text,
			l.requested_cartons, l.granted_cartons, coalesce(l.delivered_cartons, 0), o.status, l.limited_reason IS NOT NULL,
			(SELECT min(week_start)::text FROM cycles)
		FROM orders o JOIN order_lines l ON l.order_id = o.id JOIN cycles c ON c.id = o.cycle_id
		JOIN outlets o2 ON o2.id = o.outlet_id JOIN brands b ON b.id = l.brand_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k key
		var l line
		var status string
		if err := rows.Scan(&k.outlet, &k.brand, &k.day, &l.requested, &l.granted, &l.delivered, &status, &l.limited, &first); err != nil {
			t.Fatal(err)
		}
		if status == "paid" {
			out[k] = true
			continue
		}
		if status != "delivered" && status != "failed" {
			t.Errorf("order line %v: status %s; want delivered, failed or paid (out for delivery)", k, status)
		}
		if status == "failed" {
			l.granted = 0 // the history records what was delivered of a failed order: nothing
		}
		if l.granted == 0 {
			l.limited = false // cut to nothing or failed: the history does not tell which
		}
		pg[k] = l
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	chRows, err := conn.Query(ctx, `SELECT outlet, brand, toString(day), toInt64(requested), toInt64(granted), toInt64(delivered), limited
		FROM sales WHERE dataset = 'live' AND day >= toDate(?)`, first)
	if err != nil {
		t.Fatal(err)
	}
	defer chRows.Close()
	n := 0
	for chRows.Next() {
		var k key
		var req, granted, delivered int64
		var limited uint8
		if err := chRows.Scan(&k.outlet, &k.brand, &k.day, &req, &granted, &delivered, &limited); err != nil {
			t.Fatal(err)
		}
		n++
		want := line{requested: int(req), granted: int(granted), delivered: int(delivered), limited: limited == 1 && granted > 0}
		if out[k] {
			t.Errorf("history line %v %+v: its order is out for delivery", k, want)
		} else if got, ok := pg[k]; !ok {
			t.Errorf("history line %v %+v: no order line in PostgreSQL", k, want)
		} else if got != want {
			t.Errorf("order line %v = %+v; the history says %+v", k, got, want)
		}
	}
	if n != len(pg) || n == 0 {
		t.Errorf("%d history lines since %s, %d order lines in PostgreSQL; want equal and not 0", n, first, len(pg))
	}
	var uncovered, below int
	if err := pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE l.limit_cartons IS NOT NULL AND ol.outlet_id IS NULL),
		count(*) FILTER (WHERE o.status = 'delivered' AND ol.limit_cartons < l.granted_cartons)
		FROM orders o JOIN order_lines l ON l.order_id = o.id
		LEFT JOIN outlet_limits ol ON ol.cycle_id = o.cycle_id AND ol.outlet_id = o.outlet_id AND ol.brand_id = l.brand_id`).
		Scan(&uncovered, &below); err != nil {
		t.Fatal(err)
	}
	if uncovered != 0 || below != 0 {
		t.Errorf("%d limited lines without a limit, %d above their limit; want 0", uncovered, below)
	}
}

// checkWeekUnderWay checks the cycle of now's week after a seed as of now: open, its windows cut off
// up to now and open after it, orders only on the order days up to now's date (checkPastCycles checks
// them line by line against the history), the collection points' uploads of the week made by now,
// and satisfaction scores of now's month for most outlets, not all.
func checkWeekUnderWay(t *testing.T, pgDSN, chDSN string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	pool := storestest.OpenPostgres(t, pgDSN)
	conn := storestest.OpenClickHouse(t, chDSN)
	monday := now.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
	today := now.Truncate(24 * time.Hour)
	var status string
	var cutBefore, openAfter, wrongCut, wrongOpen, orders, late, weekOrders int
	if err := pool.QueryRow(ctx, `SELECT c.status,
		count(*) FILTER (WHERE w.closed AND w.closes_at <= $2),
		count(*) FILTER (WHERE NOT w.closed AND w.closes_at > $2),
		count(*) FILTER (WHERE w.closed AND w.closes_at > $2),
		count(*) FILTER (WHERE NOT w.closed AND w.closes_at <= $2),
		(SELECT count(*) FROM orders x WHERE x.cycle_id = c.id),
		(SELECT count(*) FROM orders x JOIN outlets o ON o.id = x.outlet_id
			WHERE x.cycle_id = c.id AND c.week_start + o.order_day - 1 > $3::date),
		(SELECT count(*) FROM orders x JOIN outlets o ON o.id = x.outlet_id WHERE x.cycle_id = c.id
			AND x.status NOT IN ('delivered', 'failed') AND NOT (x.status = 'paid' AND c.week_start + o.order_day - 1 = $3::date))
		FROM cycles c JOIN order_windows w ON w.cycle_id = c.id WHERE c.week_start = $1::date GROUP BY c.id, c.status`,
		monday.Format(time.DateOnly), now, today.Format(time.DateOnly)).Scan(
		&status, &cutBefore, &openAfter, &wrongCut, &wrongOpen, &orders, &late, &weekOrders); err != nil {
		t.Fatalf("read the cycle of %s: %v", monday.Format(time.DateOnly), err)
	}
	if status != "open" || cutBefore == 0 || openAfter == 0 || wrongCut+wrongOpen != 0 {
		t.Errorf("cycle of %s: %s, %d windows cut off before %s, %d open after, %d cut off early, %d left open; "+
			"want open, windows cut off exactly up to now, some of each", monday.Format(time.DateOnly), status,
			cutBefore, now.Format(time.RFC3339), openAfter, wrongCut, wrongOpen)
	}
	if orders == 0 || late != 0 || weekOrders != 0 {
		t.Errorf("cycle of %s: %d orders, %d for an order day after %s, %d neither delivered, failed nor out for delivery today; want some, 0, 0",
			monday.Format(time.DateOnly), orders, late, today.Format(time.DateOnly), weekOrders)
	}
	// Today's round: orders out for delivery, whose lines the history has not yet (the relay writes
	// them when the delivery is recorded).
	var out []string
	rows, err := pool.Query(ctx, `SELECT o.licence_no FROM orders x JOIN outlets o ON o.id = x.outlet_id
		JOIN cycles c ON c.id = x.cycle_id WHERE c.week_start = $1::date AND x.status = 'paid'`, monday.Format(time.DateOnly))
	if err == nil {
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		t.Fatalf("read the orders out for delivery: %v", err)
	}
	var inHistory uint64
	if err := conn.QueryRow(ctx, `SELECT count() FROM sales WHERE dataset = 'live' AND day = toDate(?) AND has(?, outlet)`,
		today.Format(time.DateOnly), out).Scan(&inHistory); err != nil {
		t.Fatalf("read the history of the orders out for delivery: %v", err)
	}
	if len(out) == 0 || inHistory != 0 {
		t.Errorf("today's round: %d orders out for delivery, %d of their lines in the history; want some, none", len(out), inHistory)
	}
	var scans, afterNow uint64
	var lastScan time.Time
	if err := conn.QueryRow(ctx, `SELECT count(), countIf(scanned_at > toDateTime(?)), max(scanned_at) FROM scans
		WHERE day >= toDate(?)`, now.Format(time.DateTime), monday.Format(time.DateOnly)).Scan(&scans, &afterNow, &lastScan); err != nil {
		t.Fatalf("read the week's scans: %v", err)
	}
	if scans == 0 || afterNow != 0 {
		t.Errorf("%d scans in the week of %s, %d after %s (last %s); want some, none after now", scans,
			monday.Format(time.DateOnly), afterNow, now.Format(time.RFC3339), lastScan)
	}
	var surveyed, active int
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM satisfaction_scores WHERE month = $1::date),
		(SELECT count(*) FROM outlets WHERE status = 'active')`, month.Format(time.DateOnly)).Scan(&surveyed, &active); err != nil {
		t.Fatalf("read satisfaction scores: %v", err)
	}
	if surveyed == 0 || surveyed >= active {
		t.Errorf("%d satisfaction scores for %s, %d active outlets; want most, not all", surveyed, month.Format("2006-01"), active)
	}
}
