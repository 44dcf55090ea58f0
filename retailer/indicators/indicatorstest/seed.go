// Package indicatorstest seeds a small region with everything the indicators read, for the
// indicators' tests, the API's tests and the benchmarks: account managers (one without collection
// points, one without outlets), outlets (some joined mid-month, some suspended), brands (scarce, new,
// with and without stock limits), weekly cycles of orders in PostgreSQL (paid, delivered, failed,
// cancelled, none), the matching sales lines, terminal scans, satisfaction scores and forecast
// accuracy scores in ClickHouse. The same Config gives the same region.
package indicatorstest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores"
)

// Config shapes a region.
type Config struct {
	Outlets  int
	Managers int       // at least 3: the last has no outlets, the second no collection points
	Weeks    int       // cycles of orders, ending with LastWeek's
	LastWeek time.Time // a Monday
	Seed     uint64
}

// Region says what was seeded, for tests to pick cases from.
type Region struct {
	Config
	Managers  []string // codes
	Outlets   []string // licences
	Joined    map[string]time.Time
	NewBrand  string
	Launch    time.Time
	FirstWeek time.Time
}

// Brands seeded: B01 and B02 are scarce, B06 is new (launched three weeks before the last week), B04
// comes 20 packs to the carton; B01 and B03 have stock limits.
var brands = []struct {
	code           string
	scarce, newOne bool
	packs          int
}{{"B01", true, false, 10}, {"B02", true, false, 10}, {"B03", false, false, 10}, {"B04", false, false, 20},
	{"B05", false, false, 10}, {"B06", false, true, 10}}

// Seed writes the region into migrated, empty stores.
func Seed(ctx context.Context, pool *pgxpool.Pool, ch driver.Conn, cfg Config) (Region, error) {
	if cfg.Managers < 3 || cfg.Outlets < 1 || cfg.Weeks < 1 || cfg.LastWeek.Weekday() != time.Monday {
		return Region{}, fmt.Errorf("indicatorstest: want 3+ managers, 1+ outlets and weeks, a Monday: %+v", cfg)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 13))
	first := cfg.LastWeek.AddDate(0, 0, -7*(cfg.Weeks-1))
	reg := Region{Config: cfg, Joined: map[string]time.Time{}, NewBrand: "B06", Launch: cfg.LastWeek.AddDate(0, 0, -21), FirstWeek: first}
	base := first.AddDate(0, -1, 0)
	midMonth := cfg.LastWeek.AddDate(0, 0, -10)

	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO manufacturers (code, name) VALUES ('MF1', 'Maker')`); err != nil {
			return err
		}
		for _, b := range brands {
			var launch any
			if b.newOne {
				launch = reg.Launch.Format(time.DateOnly)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO brands (code, name, manufacturer_id, price_class, packs_per_unit,
				wholesale_price_cents, retail_price_cents, scarce, new_product, launch_date)
				VALUES ($1, $1, (SELECT id FROM manufacturers WHERE code = 'MF1'), 2, $2, 10000, 12000, $3, $4, $5::date)`,
				b.code, b.packs, b.scarce, b.newOne, launch); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stock_limits (brand_id, lower_cartons, upper_cartons)
			SELECT id, CASE code WHEN 'B01' THEN 20 ELSE 5 END, CASE code WHEN 'B01' THEN 200 ELSE 40 END
			FROM brands WHERE code IN ('B01', 'B03')`); err != nil {
			return err
		}
		for m := range cfg.Managers {
			code := fmt.Sprintf("M%03d", m+1)
			reg.Managers = append(reg.Managers, code)
			if _, err := tx.Exec(ctx, `INSERT INTO account_managers (code, name, phone, area) VALUES ($1, $2, $3, $4)`,
				code, "Manager "+code, fmt.Sprintf("138%08d", m), fmt.Sprintf("A%d", m%3+1)); err != nil {
				return err
			}
		}
		var rows [][]any
		for i := range cfg.Outlets {
			lic := fmt.Sprintf("O%06d", i+1)
			m := i % (cfg.Managers - 1)
			joined := base.Add(12 * time.Hour) // noon: the same date in any time zone of the server
			if i%23 == 22 {
				joined = midMonth.Add(12 * time.Hour)
			}
			status := "active"
			if i%31 == 30 {
				status = "suspended"
			}
			reg.Outlets = append(reg.Outlets, lic)
			reg.Joined[lic] = joined
			rows = append(rows, []any{lic, "Outlet " + lic, "Street " + lic, fmt.Sprintf("A%d", m%3+1), "convenience", "urban",
				int64(m + 1), fmt.Sprintf("R%d", i%7+1), int16(i%5 + 1), int16(10 + i%20), i%3 == 0 && m != 1,
				int64(rng.IntN(400_000)), status, joined})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"outlets"}, []string{"licence_no", "name", "address", "area",
			"business_format", "locality", "manager_id", "route", "order_day", "grade", "collection_point", "balance_cents",
			"status", "created_at"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		for w := range cfg.Weeks {
			if _, err := tx.Exec(ctx, `INSERT INTO cycles (week_start, status) VALUES ($1::date, 'closed')`,
				first.AddDate(0, 0, 7*w).Format(time.DateOnly)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Region{}, fmt.Errorf("indicatorstest: seed PostgreSQL: %w", err)
	}
	return reg, seedFacts(ctx, pool, ch, reg, rng)
}

type salesCols struct {
	dataset, outlet, brand, source, batch []string
	day                                   []time.Time
	requested, granted, delivered, limit  []float64
	limited                               []uint8
	order                                 []uint64
}

type scanCols struct {
	outlet, brand, kind, batch []string
	at, day                    []time.Time
	qty                        []float64
	row                        []uint32
}

// seedFacts writes the orders, sales, scans and scores of every outlet and week.
func seedFacts(ctx context.Context, pool *pgxpool.Pool, ch driver.Conn, reg Region, rng *rand.Rand) error {
	cfg := reg.Config
	cycleIDs := map[time.Time]int64{}
	rows, err := pool.Query(ctx, `SELECT id, week_start FROM cycles`)
	if err != nil {
		return err
	}
	var id int64
	var week time.Time
	if _, err := pgx.ForEachRow(rows, []any{&id, &week}, func() error { cycleIDs[week.UTC()] = id; return nil }); err != nil {
		return err
	}
	var orders [][]any
	var sales salesCols
	var scans scanCols
	var nextOrder int64 = 1
	lastMonth := time.Date(cfg.LastWeek.Year(), cfg.LastWeek.Month(), 1, 0, 0, 0, 0, time.UTC)
	var satisfaction [][]any
	for i, lic := range reg.Outlets {
		outletID := int64(i + 1)
		orderDay := i%5 + 1
		silent := i%11 == 10 // orders nothing in the last three cycles
		collection := i%3 == 0 && i%(cfg.Managers-1) != 1
		stopsUploading := collection && i%4 == 0
		for w := range cfg.Weeks {
			monday := reg.FirstWeek.AddDate(0, 0, 7*w)
			day := monday.AddDate(0, 0, orderDay-1)
			if day.Before(reg.Joined[lic]) || i%31 == 30 {
				continue
			}
			latest := w == cfg.Weeks-1
			status, reason := "delivered", any(nil)
			switch r := rng.IntN(100); {
			case silent && w >= cfg.Weeks-3:
				continue
			case r < 12:
				continue // no order
			case r < 17:
				status = "cancelled"
			case r < 27:
				status, reason = "failed", "insufficient balance: the order is 170.00, the balance 15.00"
			case latest:
				status = "paid"
			}
			total := int64(0)
			oid := nextOrder
			nextOrder++
			if status == "paid" || status == "delivered" {
				n := 1 + rng.IntN(4)
				for _, k := range rng.Perm(len(brands))[:n] {
					b := brands[k]
					if b.newOne && day.Before(reg.Launch) {
						continue
					}
					req := float64(1 + rng.IntN(5))
					granted := req
					if rng.IntN(100) < 15 {
						granted = 0
					}
					total += int64(granted) * 10000
					sales.dataset = append(sales.dataset, "live")
					sales.outlet, sales.brand = append(sales.outlet, lic), append(sales.brand, b.code)
					sales.source, sales.batch = append(sales.source, "order"), append(sales.batch, "seed")
					sales.day = append(sales.day, day)
					sales.requested, sales.granted = append(sales.requested, req), append(sales.granted, granted)
					sales.delivered, sales.limit = append(sales.delivered, granted), append(sales.limit, 0)
					sales.limited, sales.order = append(sales.limited, b2u(granted < req)), append(sales.order, uint64(oid))
				}
			} else {
				total = int64(1+rng.IntN(5)) * 10000
			}
			orders = append(orders, []any{oid, outletID, cycleIDs[monday], status, reason, total})
			if collection && !(stopsUploading && w >= cfg.Weeks-2) && rng.IntN(100) < 85 {
				at := monday.Add(time.Duration(rng.IntN(7*24)) * time.Hour)
				for k, b := range brands {
					if b.code == "B04" || b.code == "B05" || (b.newOne && at.Before(reg.Launch)) {
						continue
					}
					scans.outlet, scans.brand = append(scans.outlet, lic, lic), append(scans.brand, b.code, b.code)
					scans.kind = append(scans.kind, "sellout", "stock")
					scans.batch = append(scans.batch, fmt.Sprintf("w%d", w), fmt.Sprintf("w%d", w))
					scans.at, scans.day = append(scans.at, at, at), append(scans.day, at, at)
					scans.qty = append(scans.qty, float64(rng.IntN(30)), float64(rng.IntN(400)))
					scans.row = append(scans.row, uint32(2*k), uint32(2*k+1))
				}
			}
		}
		if i%10 < 7 && i%31 != 30 {
			satisfaction = append(satisfaction, []any{outletID, lastMonth, float64(50 + rng.IntN(51))})
		}
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"orders"}, []string{"id", "outlet_id", "cycle_id", "status",
			"failure_reason", "total_cents"}, pgx.CopyFromRows(orders)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT setval('orders_id_seq', $1)`, nextOrder); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"satisfaction_scores"}, []string{"outlet_id", "month", "score"},
			pgx.CopyFromRows(satisfaction))
		return err
	})
	if err != nil {
		return fmt.Errorf("indicatorstest: seed orders: %w", err)
	}
	if len(sales.day) > 0 {
		if err := stores.InsertColumns(ctx, ch, "INSERT INTO sales (dataset, day, outlet, brand, requested, granted, delivered, "+
			"limit_qty, limited, order_id, source, batch_id)", sales.dataset, sales.day, sales.outlet, sales.brand,
			sales.requested, sales.granted, sales.delivered, sales.limit, sales.limited, sales.order, sales.source,
			sales.batch); err != nil {
			return fmt.Errorf("indicatorstest: seed sales: %w", err)
		}
	}
	if len(scans.day) > 0 {
		if err := stores.InsertColumns(ctx, ch, "INSERT INTO scans (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no)",
			scans.outlet, scans.brand, scans.kind, scans.at, scans.day, scans.qty, scans.batch, scans.row); err != nil {
			return fmt.Errorf("indicatorstest: seed scans: %w", err)
		}
	}
	return seedScores(ctx, ch, reg, rng)
}

// seedScores stores forecast accuracy for the last week's month: every outlet (one with
// nothing sold), every manager with outlets, every area and the company.
func seedScores(ctx context.Context, ch driver.Conn, reg Region, rng *rand.Rand) error {
	month := time.Date(reg.LastWeek.Year(), reg.LastWeek.Month(), 1, 0, 0, 0, 0, time.UTC)
	var level, key []string
	var actual, accuracy []float64
	add := func(l, k string, a float64) {
		level, key = append(level, l), append(key, k)
		actual, accuracy = append(actual, a), append(accuracy, 0.4+0.6*rng.Float64())
	}
	for i, lic := range reg.Outlets {
		a := float64(1 + rng.IntN(50))
		if i == 4 {
			a = 0
		}
		add("outlet", lic, a)
	}
	for _, m := range reg.Managers[:len(reg.Managers)-1] {
		add("manager", m, 100)
	}
	for a := 1; a <= 3; a++ {
		add("area", fmt.Sprintf("A%d", a), 100)
	}
	add("company", "", 1000)
	// Each key is scored against requested quantities and, lower, against sales, so that a bulletin
	// that read the wrong basis would disagree with the one it should read.
	n := len(level)
	level, key, actual = append(level, level...), append(key, key...), append(actual, actual...)
	for i := range n {
		accuracy = append(accuracy, 0.7*accuracy[i])
	}
	months, datasets, against, runs := make([]time.Time, 2*n), make([]string, 2*n), make([]string, 2*n), make([]string, 2*n)
	zero, at := make([]float64, 2*n), make([]time.Time, 2*n)
	for i := range 2 * n {
		months[i], datasets[i], against[i], runs[i], at[i] = month, "live", "requested", "run-1", reg.LastWeek
		if i >= n {
			against[i] = "sales"
		}
	}
	if err := stores.InsertColumns(ctx, ch, "INSERT INTO accuracy_scores (month, dataset, against, level, key, run_id, "+
		"actual, forecast, abs_error, accuracy, wape, bias, scored_at)", months, datasets, against, level, key, runs,
		actual, zero, zero, accuracy, zero, zero, at); err != nil {
		return fmt.Errorf("indicatorstest: seed accuracy scores: %w", err)
	}
	return nil
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
