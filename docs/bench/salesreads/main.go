// Command salesreads measures what ClickHouse migration 0007 costs the live dataset's reads: the
// forecast's history read (SalesHistory) and one indicator read (StockOuts) on two copies of the
// sales of a database, one at migration 0006 (bench_sales_0006) and one at 0007 (bench_sales_0007),
// interleaved, with the server's CPU and bytes read per operation from system.query_log.
//
//	go run ./docs/bench/salesreads -setup -from ch100k   # copy ch100k's sales into both (read only on ch100k)
//	go run ./docs/bench/salesreads -runs 7               # the reads, medians and ratios
//	go run ./docs/bench/salesreads -migrate              # time 0007 on the 0006 copy
//
// The databases are on 127.0.0.1:59000; drop them afterwards.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"sort"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
	fch "github.com/ordercast/ordercast/forecast/clickhouse"
	"github.com/ordercast/ordercast/retailer/indicators"
	ich "github.com/ordercast/ordercast/retailer/indicators/clickhouse"
)

func open(ctx context.Context, db string) driver.Conn {
	c, err := stores.OpenClickHouse(ctx, "clickhouse://127.0.0.1:59000/"+db)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func main() {
	setup := flag.Bool("setup", false, "create bench_sales_0006 and bench_sales_0007 with the sales of -from")
	from := flag.String("from", "ch100k", "")
	runs := flag.Int("runs", 7, "")
	migrate := flag.Bool("migrate", false, "time migration 0007 of bench_sales_0006")
	flag.Parse()
	ctx := context.Background()
	all, err := stores.ClickHouseMigrations()
	if err != nil {
		log.Fatal(err)
	}
	if *migrate {
		start := time.Now()
		rep, err := stores.MigrateClickHouse(ctx, open(ctx, "bench_sales_0006"), all)
		fmt.Printf("migrate bench_sales_0006: %d applied, %v, in %.1f s\n", len(rep.Applied), err, time.Since(start).Seconds())
		return
	}
	if *setup {
		admin := open(ctx, "default")
		for _, db := range []string{"bench_sales_0006", "bench_sales_0007"} {
			if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
				log.Fatal(err)
			}
			if err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
				log.Fatal(err)
			}
			var ms []stores.Migration
			for _, m := range all {
				if db == "bench_sales_0007" || m.Version < 7 {
					ms = append(ms, m)
				}
			}
			c := open(ctx, db)
			if _, err := stores.MigrateClickHouse(ctx, c, ms); err != nil {
				log.Fatal(err)
			}
			cols := "dataset, day, outlet, brand, requested, granted, delivered, limit_qty, limited, order_id, source, batch_id, inserted_at"
			if err := c.Exec(ctx, "INSERT INTO sales ("+cols+") SELECT "+cols+" FROM "+*from+".sales"); err != nil {
				log.Fatal(err)
			}
			if err := c.Exec(ctx, "OPTIMIZE TABLE sales FINAL"); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	var last string
	if err := open(ctx, *from).QueryRow(ctx, "SELECT toString(max(day)) FROM sales WHERE dataset = 'live'").Scan(&last); err != nil {
		log.Fatal(err)
	}
	end, _ := time.Parse(time.DateOnly, last)
	end = forecast.Monday(end)
	conns := map[string]driver.Conn{"bench_sales_0006": open(ctx, "bench_sales_0006"), "bench_sales_0007": open(ctx, "bench_sales_0007")}
	type key struct{ op, db string }
	wall := map[key][]float64{}
	marks := map[key][]int{}
	ops := []string{"history", "stockouts"}
	mark := 100000
	for r := range *runs {
		order := []string{"bench_sales_0006", "bench_sales_0007"}
		if r%2 == 1 {
			order = []string{"bench_sales_0007", "bench_sales_0006"}
		}
		for _, op := range ops {
			for _, db := range order {
				mark++
				cctx := ch.Context(ctx, ch.WithSettings(ch.Settings{"log_queries": 1, "max_execution_time": mark}))
				start := time.Now()
				var n int
				switch op {
				case "history":
					p, err := fch.New(conns[db]).SalesHistory(cctx, forecast.HistoryQuery{Dataset: "live", Before: end})
					if err != nil {
						log.Fatal(err)
					}
					n = len(p.Series)
				case "stockouts":
					m, err := ich.New(conns[db]).StockOuts(cctx, indicators.Period{Kind: indicators.Week, Start: end.AddDate(0, 0, -28), End: end}, nil)
					if err != nil {
						log.Fatal(err)
					}
					n = len(m)
				}
				k := key{op, db}
				wall[k] = append(wall[k], time.Since(start).Seconds())
				marks[k] = append(marks[k], mark)
				_ = n
			}
		}
	}
	admin := open(ctx, "default")
	if err := admin.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		log.Fatal(err)
	}
	med := func(v []float64) float64 { s := append([]float64(nil), v...); sort.Float64s(s); return s[len(s)/2] }
	for _, op := range ops {
		res := map[string][3]float64{}
		for _, db := range []string{"bench_sales_0006", "bench_sales_0007"} {
			k := key{op, db}
			var cpu, rows, bytes []float64
			for _, m := range marks[k] {
				var c, r, b float64
				err := admin.QueryRow(ctx, `SELECT toFloat64(sum(arraySum(arrayFilter((v, n) -> n IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds'), ProfileEvents.Values, ProfileEvents.Names)))) / 1e6,
					toFloat64(sum(read_rows)), toFloat64(sum(read_bytes)) FROM system.query_log
					WHERE type = 2 AND event_date >= today() - 1 AND Settings.Values[indexOf(Settings.Names, 'max_execution_time')] = ?`, fmt.Sprint(m)).Scan(&c, &r, &b)
				if err != nil {
					log.Fatal(err)
				}
				cpu, rows, bytes = append(cpu, c), append(rows, r), append(bytes, b)
			}
			fmt.Printf("%-9s %-6s wall %s  median %.3f s | server CPU median %.3f s | read %.0f rows %.1f MB\n", op, db,
				fmtAll(wall[k]), med(wall[k]), med(cpu), med(rows), med(bytes)/1e6)
			res[db] = [3]float64{med(wall[k]), med(cpu), med(bytes)}
		}
		fmt.Printf("%-9s new/old: wall %.2f, server CPU %.2f, bytes read %.3f\n", op, res["bench_sales_0007"][0]/res["bench_sales_0006"][0], res["bench_sales_0007"][1]/res["bench_sales_0006"][1], res["bench_sales_0007"][2]/res["bench_sales_0006"][2])
	}
}

func fmtAll(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(s, "/")
}
