package clickhouse

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

func TestSeedScanWriter(t *testing.T) {
	ctx := context.Background()
	conn := storestest.ClickHouse(t)
	s := New(conn)
	at := time.Date(2026, 11, 15, 21, 0, 0, 0, time.UTC)
	row := func(brand string, kind retailer.ScanKind, qty float64) retailer.Scan {
		return retailer.Scan{Outlet: "530121000001", Brand: brand, Kind: kind, At: at, Qty: qty}
	}
	good := retailer.ScanBatch{
		Outlet: "530121000001", ID: "b1", Received: at.Add(time.Hour),
		Rows: []retailer.Scan{
			row("B0001", retailer.SellOut, 20), row("B0001", retailer.StockCount, -3), row("B0002", retailer.StockCount, 40),
			row("B0002", retailer.StockCount, 40),
		},
		Rejects: []retailer.ScanReject{{Row: 4, Reason: retailer.RejectDuplicate}, {Row: 2, Reason: retailer.RejectNegativeStock}},
	}
	tests := []struct {
		name                      string
		batches                   []retailer.ScanBatch
		wantErr                   error
		wantScans, wantRejects    uint64
		wantBatches, wantNegative uint64
	}{
		{"accepted and rejected rows", []retailer.ScanBatch{good, {Outlet: "530121000002", ID: "b2", Received: at,
			Rows: []retailer.Scan{row("B0003", retailer.StockCount, 10)}}}, nil, 3, 2, 2, 0},
		{"reject of a row the batch lacks", []retailer.ScanBatch{{Outlet: "x", ID: "b3", Rows: good.Rows[:1],
			Rejects: []retailer.ScanReject{{Row: 2, Reason: retailer.RejectDuplicate}}}}, ErrInvalidReject, 0, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.DeleteScans(ctx); err != nil {
				t.Fatalf("DeleteScans: %v", err)
			}
			w := s.NewScanWriter(2) // blocks of 2 rows: several flushes
			err := w.Add(ctx, tt.batches)
			if err == nil {
				err = w.Close()
			} else {
				w.Abort()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Add, Close = %v; want %v", err, tt.wantErr)
			}
			scans, rejects, batches, err := s.ScanRows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var negative uint64
			if err := conn.QueryRow(ctx, "SELECT count() FROM scans WHERE qty < 0").Scan(&negative); err != nil {
				t.Fatal(err)
			}
			if scans != tt.wantScans || rejects != tt.wantRejects || batches != tt.wantBatches || negative != tt.wantNegative {
				t.Errorf("scans %d, rejects %d, batches %d, negative %d; want %d, %d, %d, %d", scans, rejects, batches,
					negative, tt.wantScans, tt.wantRejects, tt.wantBatches, tt.wantNegative)
			}
			if tt.wantErr != nil {
				return
			}
			var accepted, rejected uint32
			var day string
			if err := conn.QueryRow(ctx, "SELECT accepted, rejected FROM scan_batches FINAL WHERE batch_id = 'b1'").Scan(&accepted, &rejected); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, "SELECT toString(min(day)) FROM scans").Scan(&day); err != nil {
				t.Fatal(err)
			}
			if accepted != 2 || rejected != 2 || day != "2026-11-15" {
				t.Errorf("batch b1: %d accepted, %d rejected, day %s; want 2, 2, 2026-11-15", accepted, rejected, day)
			}
		})
	}
}
