package indicators_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsch "github.com/ordercast/ordercast/retailer/indicators/clickhouse"
	"github.com/ordercast/ordercast/retailer/indicators/indicatorstest"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
)

// seeded is a seeded region with a service over it.
type seeded struct {
	pool *pgxpool.Pool
	ch   driver.Conn
	reg  indicatorstest.Region
	svc  *indicators.Service
}

var lastWeek = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func seed(t *testing.T) seeded {
	t.Helper()
	pool, ch := storestest.Postgres(t), storestest.ClickHouse(t)
	reg, err := indicatorstest.Seed(context.Background(), pool, ch, indicatorstest.Config{
		Outlets: 70, Managers: 4, Weeks: 10, LastWeek: lastWeek, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	pg, hist := indicatorspg.New(pool), indicatorsch.New(ch)
	return seeded{pool: pool, ch: ch, reg: reg,
		svc: &indicators.Service{Directory: pg, Orders: pg, History: hist, Scores: hist, Targets: pg}}
}

// want is a direct computation: per row key, the value or nil for no data.
type want map[string]*float64

// pgGroup is the SQL expression of a level's key over outlets o and account_managers am.
func pgGroup(level indicators.Level) string {
	switch level {
	case indicators.AtOutlet:
		return "o.licence_no"
	case indicators.AtManager:
		return "coalesce(am.code, '')"
	}
	return "''"
}

// ratios runs a query of (key, num, den) rows into values; a den of 0 is no data.
func ratiosPG(t *testing.T, pool *pgxpool.Pool, query string, args ...any) map[string][2]float64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	out := map[string][2]float64{}
	var k string
	var n, d float64
	if _, err := pgx.ForEachRow(rows, []any{&k, &n, &d}, func() error { out[k] = [2]float64{n, d}; return nil }); err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	return out
}

func ratiosCH(t *testing.T, ch driver.Conn, query string, args ...any) map[string][2]float64 {
	t.Helper()
	rows, err := ch.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	out := map[string][2]float64{}
	for rows.Next() {
		var k string
		var n, d float64
		if err := rows.Scan(&k, &n, &d); err != nil {
			t.Fatal(err)
		}
		out[k] = [2]float64{n, d}
	}
	return out
}

func toWant(m map[string][2]float64) want {
	w := want{}
	for k, r := range m {
		if r[1] > 0 {
			x := r[0] / r[1]
			w[k] = &x
		} else {
			w[k] = nil
		}
	}
	return w
}

// combine divides CH numerators by PG denominators, key by key.
func combine(num, den map[string][2]float64) want {
	w := want{}
	for k, d := range den {
		if d[1] > 0 {
			x := num[k][0] / d[1]
			w[k] = &x
		} else {
			w[k] = nil
		}
	}
	return w
}

// groups maps every licence to its key at a level, for ClickHouse's transform().
func (s seeded) groups(t *testing.T, level indicators.Level) (lics, keys []string) {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), "SELECT o.licence_no, "+pgGroup(level)+
		" FROM outlets o LEFT JOIN account_managers am ON am.id = o.manager_id")
	if err != nil {
		t.Fatal(err)
	}
	var l, k string
	if _, err := pgx.ForEachRow(rows, []any{&l, &k}, func() error { lics, keys = append(lics, l), append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	return lics, keys
}

// eligible is the licences of the active outlets that joined before end, collection points only when
// asked: the outlets a rate over outlets counts.
func (s seeded) eligible(t *testing.T, end time.Time, collection bool) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT licence_no FROM outlets WHERE status = 'active'
		AND created_at::date < $1::date AND (collection_point OR NOT $2)`, end.Format(time.DateOnly), collection)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// eligibleDen counts the eligible outlets per key in PostgreSQL.
func (s seeded) eligibleDen(t *testing.T, level indicators.Level, end time.Time, collection bool) map[string][2]float64 {
	return ratiosPG(t, s.pool, `SELECT `+pgGroup(level)+`, 0::float8, count(*) FILTER (WHERE o.status = 'active'
		AND o.created_at::date < $1::date AND (o.collection_point OR NOT $2))::float8
		FROM outlets o LEFT JOIN account_managers am ON am.id = o.manager_id GROUP BY 1`, end.Format(time.DateOnly), collection)
}

func d(t time.Time) string { return t.Format(time.DateOnly) }

// direct computes ind at level over p straight from the raw rows.
func (s seeded) direct(t *testing.T, ind indicators.Indicator, level indicators.Level, p indicators.Period) want {
	t.Helper()
	g := pgGroup(level)
	lics, keys := s.groups(t, level)
	chKey := "transform(outlet, ?, ?, '')"
	// Every day of the period on which an active outlet that had joined was due to order, with the
	// cycle of that day's week, from the calendar rather than from the cycles' arithmetic.
	dueDays := `SELECT o.id AS oid, o.licence_no, o.manager_id, c.id AS cid, dd::date AS day
		FROM outlets o, generate_series($1::date, $2::date - 1, interval '1 day') dd, cycles c
		WHERE o.status = 'active' AND extract(isodow FROM dd) = o.order_day AND c.week_start = date_trunc('week', dd)::date
		AND o.created_at::date <= dd::date`
	switch ind {
	case indicators.OrderSuccess:
		return toWant(ratiosPG(t, s.pool, `SELECT `+g+`,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM orders x WHERE x.outlet_id = o.id AND x.cycle_id = due.cid
				AND x.status IN ('paid', 'delivered')))::float8,
			count(due.oid)::float8
			FROM outlets o LEFT JOIN account_managers am ON am.id = o.manager_id LEFT JOIN (`+dueDays+`) due ON due.oid = o.id
			GROUP BY 1`, d(p.Start), d(p.End)))
	case indicators.FailedOrders:
		return toWant(ratiosPG(t, s.pool, `SELECT `+g+`,
			count(x.id) FILTER (WHERE x.status = 'failed')::float8,
			count(x.id) FILTER (WHERE x.status IN ('confirmed', 'paid', 'delivered', 'failed'))::float8
			FROM outlets o LEFT JOIN account_managers am ON am.id = o.manager_id LEFT JOIN (`+dueDays+`) due ON due.oid = o.id
			LEFT JOIN orders x ON x.outlet_id = due.oid AND x.cycle_id = due.cid
			GROUP BY 1`, d(p.Start), d(p.End)))
	case indicators.EmptyOrders:
		// Due days over the horizon up to the period's last day, newest first; an outlet is on the list
		// when its newest two (or more) due days have no order.
		asOf := p.End.AddDate(0, 0, -1)
		return toWant(ratiosPG(t, s.pool, `WITH due AS (`+dueDays+`),
			marked AS (SELECT due.*, EXISTS (SELECT 1 FROM orders x WHERE x.outlet_id = due.oid AND x.cycle_id = due.cid
				AND x.status NOT IN ('draft', 'cancelled')) AS ordered,
				row_number() OVER (PARTITION BY due.oid ORDER BY due.day DESC) AS n FROM due),
			listed AS (SELECT oid FROM marked GROUP BY oid
				HAVING coalesce(min(n) FILTER (WHERE ordered), max(n) + 1) - 1 >= 2)
			SELECT `+g+`, count(l.oid)::float8,
				count(*) FILTER (WHERE o.status = 'active' AND o.created_at::date < $3::date)::float8
			FROM outlets o LEFT JOIN account_managers am ON am.id = o.manager_id LEFT JOIN listed l ON l.oid = o.id
			GROUP BY 1`, d(asOf.AddDate(0, 0, -7*indicators.EmptyHorizon+1)), d(asOf.AddDate(0, 0, 1)), d(p.End)))
	case indicators.UploadRate:
		num := ratiosCH(t, s.ch, `SELECT `+chKey+` AS k, toFloat64(uniqExact(outlet)), 0. FROM scans
			WHERE day >= toDate(?) AND day < toDate(?) AND has(?, outlet) GROUP BY k`, lics, keys, d(p.Start), d(p.End),
			s.eligible(t, p.End, true))
		return combine(num, s.eligibleDen(t, level, p.End, true))
	case indicators.ScarceCoverage:
		num := ratiosCH(t, s.ch, `SELECT `+chKey+` AS k, toFloat64(uniqExact(outlet)), 0. FROM sales
			WHERE dataset = 'live' AND brand IN ('B01', 'B02') AND delivered > 0 AND day >= toDate(?) AND day < toDate(?)
			AND has(?, outlet) GROUP BY k`, lics, keys, d(p.Start), d(p.End), s.eligible(t, p.End, false))
		return combine(num, s.eligibleDen(t, level, p.End, false))
	case indicators.NewProductShelf:
		launch, until := s.reg.Launch, s.reg.Launch.AddDate(0, 0, 7*indicators.ShelvingWeeks)
		den := s.eligibleDen(t, level, p.End, false)
		if !launch.Before(p.End) || !until.After(p.Start) {
			for k := range den {
				den[k] = [2]float64{}
			}
			return combine(nil, den)
		}
		to := p.End
		if until.Before(to) {
			to = until
		}
		num := ratiosCH(t, s.ch, `SELECT `+chKey+` AS k, toFloat64(uniqExact(outlet)), 0. FROM sales
			WHERE dataset = 'live' AND brand = 'B06' AND delivered > 0 AND day >= toDate(?) AND day < toDate(?) AND has(?, outlet)
			AND (outlet, 'B06') IN (SELECT outlet, brand FROM scans WHERE qty > 0 AND day >= toDate(?) AND day < toDate(?))
			GROUP BY k`, lics, keys, d(launch), d(to), s.eligible(t, p.End, false), d(launch), d(to))
		return combine(num, den)
	case indicators.SellThrough:
		prev := p.Back(indicators.SellThroughBack)
		return toWant(ratiosCH(t, s.ch, `SELECT `+chKey+` AS k, toFloat64(sum(b AND n)), toFloat64(sum(b)) FROM (
			SELECT outlet, brand, max(day < toDate(?)) AS b, max(day >= toDate(?)) AS n FROM sales
			WHERE dataset = 'live' AND requested > 0 AND day >= toDate(?) AND day < toDate(?) GROUP BY outlet, brand)
			GROUP BY k`, lics, keys, d(p.Start), d(p.Start), d(prev), d(p.End)))
	case indicators.StockOut:
		return toWant(ratiosCH(t, s.ch, `SELECT `+chKey+` AS k, toFloat64(sum(granted = 0)), toFloat64(count()) FROM sales
			WHERE dataset = 'live' AND requested > 0 AND day >= toDate(?) AND day < toDate(?) GROUP BY k`,
			lics, keys, d(p.Start), d(p.End)))
	case indicators.StockToSales:
		from := p.End.AddDate(0, 0, -7*indicators.StockWindowWeeks)
		return toWant(ratiosCH(t, s.ch, `SELECT `+chKey+` AS k, sum(stock / if(brand = 'B04', 20, 10)), sum(sold / ?) FROM (
			SELECT outlet, brand, stock, sold FROM (
				SELECT outlet, brand, argMax(qty, scanned_at) AS stock FROM scans WHERE kind = 'stock'
				AND day >= toDate(?) AND day < toDate(?) GROUP BY outlet, brand)
			ALL INNER JOIN (SELECT outlet, brand, sum(delivered) AS sold FROM sales WHERE dataset = 'live'
				AND day >= toDate(?) AND day < toDate(?) GROUP BY outlet, brand) USING (outlet, brand)
			WHERE sold > 0) GROUP BY k`, lics, keys, float64(indicators.StockWindowWeeks), d(from), d(p.End), d(from), d(p.End)))
	case indicators.ForecastAccuracy:
		month := time.Date(p.Start.Year(), p.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
		got := ratiosCH(t, s.ch, `SELECT key, accuracy, actual FROM accuracy_scores WHERE month = toDate(?) AND level = ?
			AND against = 'requested'`, d(month), string(level))
		w := want{}
		for k, r := range got {
			if r[1] > 0 {
				x := r[0]
				w[k] = &x
			} else {
				w[k] = nil
			}
		}
		return w
	case indicators.Satisfaction:
		month := time.Date(p.Start.Year(), p.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
		return toWant(ratiosPG(t, s.pool, `SELECT `+g+`, coalesce(sum(s.score), 0)::float8, count(s.score)::float8
			FROM outlets o LEFT JOIN account_managers am ON am.id = o.manager_id
			LEFT JOIN satisfaction_scores s ON s.outlet_id = o.id AND s.month = $1::date GROUP BY 1`, d(month)))
	}
	t.Fatalf("no direct computation of %s", ind)
	return nil
}

// TestIndicatorsAgreeWithSQL checks every indicator at outlet, manager and company level, for a month,
// a week and a day, against a direct SQL computation over the raw rows.
func TestIndicatorsAgreeWithSQL(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	var periods []indicators.Period
	for _, k := range []struct {
		kind indicators.PeriodKind
		date time.Time
	}{{indicators.Month, lastWeek}, {indicators.Week, lastWeek.AddDate(0, 0, -7)}, {indicators.Day, lastWeek.AddDate(0, 0, -5)}} {
		p, err := indicators.PeriodOf(k.kind, k.date)
		if err != nil {
			t.Fatal(err)
		}
		periods = append(periods, p)
	}
	for _, spec := range indicators.Specs {
		t.Run(string(spec.Indicator), func(t *testing.T) {
			nonTrivial := 0
			for _, p := range periods {
				for _, level := range []indicators.Level{indicators.AtOutlet, indicators.AtManager, indicators.AtCompany} {
					rep, err := s.svc.Report(ctx, indicators.Query{Period: p, Level: level})
					if err != nil {
						t.Fatal(err)
					}
					w := s.direct(t, spec.Indicator, level, p)
					rows := rep.Rows
					if level == indicators.AtCompany {
						rows = []indicators.Row{rep.Company}
					}
					for _, r := range rows {
						v, _ := r.Value(spec.Indicator)
						exp, known := w[r.Key]
						where := fmt.Sprintf("%s %s %s %q", spec.Indicator, p, level, r.Key)
						switch {
						case !known && v.Value != nil:
							t.Errorf("%s = %v; want no data (no raw rows)", where, *v.Value)
						case exp == nil && v.Value != nil:
							t.Errorf("%s = %v; want no data", where, *v.Value)
						case exp != nil && v.Value == nil:
							t.Errorf("%s = no data (%s); want %v", where, v.NoData, *exp)
						case exp != nil && math.Abs(*exp-*v.Value) > 1e-9:
							t.Errorf("%s = %v; want %v", where, *v.Value, *exp)
						case v.Value == nil && v.NoData == "":
							t.Errorf("%s: no data without a reason", where)
						case v.Value != nil && (math.IsNaN(*v.Value) || math.IsInf(*v.Value, 0)):
							t.Errorf("%s = %v", where, *v.Value)
						}
						if v.Value != nil && *v.Value > 0 {
							nonTrivial++
						}
					}
				}
			}
			if nonTrivial == 0 {
				t.Errorf("%s is 0 or no data everywhere: the seeded region does not exercise it", spec.Indicator)
			}
		})
	}
}
