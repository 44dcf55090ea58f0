package clickhouse

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

// Scan uploads written through a cluster of two shards, concurrently and then again as replays, are
// stored once: each outlet's rows on one shard, the shards' rows adding up to what was accepted and
// rejected, and DeleteScans empties every shard.
func TestScanBatchesThroughTwoShards(t *testing.T) {
	ctx := context.Background()
	cl := storestest.StartClickHouseCluster(t, 2).Migrated()
	s := NewOnCluster(cl)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	const outlets, perBatch = 40, 5
	batches := make([]retailer.ScanBatch, outlets)
	for i := range batches {
		outlet := fmt.Sprintf("O%03d", i)
		var rows []retailer.Scan
		for r := range perBatch {
			rows = append(rows, retailer.Scan{Outlet: outlet, Brand: fmt.Sprintf("B%d", r), Kind: retailer.SellOut,
				At: now.Add(-time.Duration(r+1) * time.Hour), Qty: float64(r + 1)})
		}
		batches[i] = retailer.ScanBatch{Outlet: outlet, ID: "up-" + outlet, Received: now, Rows: rows,
			Rejects: []retailer.ScanReject{{Row: perBatch, Reason: retailer.RejectDuplicate}}}
	}
	write := func(wantReplay bool) {
		var wg sync.WaitGroup
		errs := make([]error, len(batches))
		for i, b := range batches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := s.WriteScanBatch(ctx, b)
				if err == nil && (out.Accepted != perBatch-1 || out.Replay != wantReplay) {
					err = fmt.Errorf("outcome %+v; want %d accepted, replay %v", out, perBatch-1, wantReplay)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("WriteScanBatch(%s): %v", batches[i].ID, err)
			}
		}
	}
	write(false)
	write(true)

	const wantScans, wantRejects = outlets * (perBatch - 1), outlets
	scans, rejects, stored, err := s.ScanRows(ctx)
	if err != nil || scans != wantScans || rejects != wantRejects || stored != outlets {
		t.Errorf("ScanRows = %d, %d, %d, %v; want %d, %d, %d", scans, rejects, stored, err, wantScans, wantRejects, outlets)
	}
	sum := map[string]uint64{}
	shardOf := map[string]int{}
	for _, sh := range cl.Shards() {
		for _, table := range []string{"scans", "scan_rejects", "scan_batches"} {
			rows, err := sh.Conn.Query(ctx, "SELECT outlet, count() FROM "+cl.Local(table)+" GROUP BY outlet")
			if err != nil {
				t.Fatal(err)
			}
			var n uint64
			for rows.Next() {
				var outlet string
				var c uint64
				if err := rows.Scan(&outlet, &c); err != nil {
					t.Fatal(err)
				}
				if prev, ok := shardOf[outlet]; ok && prev != sh.Num {
					t.Errorf("outlet %s has rows on shards %d and %d; want one", outlet, prev, sh.Num)
				}
				shardOf[outlet] = sh.Num
				n += c
			}
			rows.Close()
			if n == 0 {
				t.Errorf("shard %d holds no row of %s; want rows on both shards", sh.Num, table)
			}
			sum[table] += n
		}
	}
	if sum["scans"] != wantScans || sum["scan_rejects"] != wantRejects || sum["scan_batches"] != outlets {
		t.Errorf("the shards' rows add up to %v; want %d scans, %d rejects, %d batches", sum, wantScans, wantRejects, outlets)
	}

	if err := s.DeleteScans(ctx); err != nil {
		t.Fatal(err)
	}
	if scans, rejects, stored, err := s.ScanRows(ctx); err != nil || scans+rejects+stored != 0 {
		t.Errorf("ScanRows after DeleteScans = %d, %d, %d, %v; want nothing on any shard", scans, rejects, stored, err)
	}
}
