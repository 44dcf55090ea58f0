package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

// BenchmarkScanIngest writes the same uploads (24 batches of 5,000 rows a round, from 4 writers at
// once) three ways in each round, one after another: with a plain columnar INSERT per batch into a copy
// of scans (what storing the rows costs at the least), with WriteFirstScanBatch (the upload route's
// path for a batch's first attempt) and with WriteScanBatch (which looks for an earlier attempt's rows
// first). It reports the medians of the rounds' rows/s and of the store's rates as fractions of the
// plain INSERT's (first/raw, lookup/raw), for one and two groups written at once:
//
//	go test ./retailer/clickhouse/ -run '^$' -bench ScanIngest -benchtime 5x
func BenchmarkScanIngest(b *testing.B) {
	ctx := context.Background()
	s := New(storestest.ClickHouse(b))
	if err := s.conn.Exec(ctx, "CREATE TABLE scans_raw AS scans"); err != nil {
		b.Fatal(err)
	}
	const batches, rows, writers = 24, 5000, 4
	now := time.Now().UTC().Truncate(time.Second)
	batch := func(id string, n int) retailer.ScanBatch {
		rs := make([]retailer.Scan, rows)
		for i := range rs {
			rs[i] = retailer.Scan{Brand: fmt.Sprintf("B%02d", i%40), Kind: []retailer.ScanKind{retailer.SellOut, retailer.StockCount}[i/40%2],
				At: now.Add(-time.Duration(i/80) * time.Second), Qty: float64(1 + i%20)}
		}
		return retailer.ScanBatch{Outlet: fmt.Sprintf("O%03d", n%40), ID: id, Received: now, Rows: rs}
	}
	raw := func(b retailer.ScanBatch) error {
		c := s.columns(len(b.Rows))
		defer s.putColumns(c)
		for i := range b.Rows {
			c.add(&b, i)
		}
		return s.insert(ctx, "INSERT INTO scans_raw (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)",
			c.outlet, c.brand, c.kind, c.at, c.day, c.qty, c.batchID, c.rowNo, c.received)
	}
	timed := func(write func(retailer.ScanBatch) error, all []retailer.ScanBatch) float64 {
		b.Helper()
		var wg sync.WaitGroup
		next := make(chan retailer.ScanBatch)
		start := time.Now()
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for x := range next {
					if err := write(x); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, x := range all {
			next <- x
		}
		close(next)
		wg.Wait()
		return float64(len(all)*rows) / time.Since(start).Seconds()
	}
	for _, limit := range []int{1, 2} {
		b.Run(fmt.Sprintf("writers=%d", limit), func(b *testing.B) {
			s.uploads.limit = limit
			var rates = map[string][]float64{}
			for round := range b.N {
				sets := map[string][]retailer.ScanBatch{}
				for _, mode := range []string{"raw", "first", "lookup"} {
					for k := range batches {
						sets[mode] = append(sets[mode], batch(fmt.Sprintf("w%d-r%d-%s-%d", limit, round, mode, k), k))
					}
				}
				r := timed(raw, sets["raw"])
				f := timed(func(x retailer.ScanBatch) error { _, err := s.WriteFirstScanBatch(ctx, x); return err }, sets["first"])
				l := timed(func(x retailer.ScanBatch) error { _, err := s.WriteScanBatch(ctx, x); return err }, sets["lookup"])
				rates["raw"], rates["first"], rates["lookup"] = append(rates["raw"], r), append(rates["first"], f), append(rates["lookup"], l)
				rates["first/raw"], rates["lookup/raw"] = append(rates["first/raw"], f/r), append(rates["lookup/raw"], l/r)
			}
			for name, xs := range rates {
				slices.Sort(xs)
				unit := name + "_rows/s"
				if name == "first/raw" || name == "lookup/raw" {
					unit = name
				}
				b.ReportMetric(xs[len(xs)/2], unit)
			}
			b.ReportMetric(0, "ns/op")
		})
	}
}
