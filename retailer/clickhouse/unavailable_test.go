package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

func TestUnavailableClassifies(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("clickhouse: read uploads: %w", refused), true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"EOF mid-answer", fmt.Errorf("read: %w", io.EOF), true},
		{"no connection within the dial timeout", clickhouse.ErrAcquireConnTimeout, true},
		{"a read deadline", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{"an exception from the server", fmt.Errorf("query: %w", &clickhouse.Exception{Code: 60, Message: "Table x doesn't exist"}), false},
		{"a cancelled request", fmt.Errorf("query: %w", context.Canceled), false},
		{"anything else", errors.New("clickhouse: batch is invalid"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unavailable(tt.err)
			if errors.Is(got, retailer.ErrUnavailable) != tt.want || !errors.Is(got, tt.err) {
				t.Errorf("unavailable(%v) = %v; want ErrUnavailable %v, wrapping the error", tt.err, got, tt.want)
			}
		})
	}
	if err := unavailable(nil); err != nil {
		t.Errorf("unavailable(nil) = %v; want nil", err)
	}
}

// With its ClickHouse stopped, the store's reads and writes fail with ErrUnavailable, and writes
// leave nothing behind: after the restart the batch is stored once, complete.
func TestStoreUnavailableWhileClickHouseStopped(t *testing.T) {
	storestest.SkipShort(t)
	srv := storestest.StartClickHouseServer(t)
	conn := storestest.OpenClickHouse(t, srv.MigratedDSN())
	s := New(conn)
	ctx := context.Background()
	at := time.Date(2026, 11, 15, 21, 0, 0, 0, time.UTC)
	b := retailer.ScanBatch{Outlet: "530121000001", ID: "down-1", Received: at.Add(time.Hour),
		Rows: []retailer.Scan{{Outlet: "530121000001", Brand: "B0001", Kind: retailer.SellOut, At: at, Qty: 3}}}

	srv.Stop()
	if _, err := s.Uploads(ctx, []string{b.Outlet}, at); !errors.Is(err, retailer.ErrUnavailable) {
		t.Errorf("Uploads with ClickHouse stopped = %v; want ErrUnavailable", err)
	}
	if _, err := s.RecentSellOut(ctx, b.Outlet, b.ID, at, at); !errors.Is(err, retailer.ErrUnavailable) {
		t.Errorf("RecentSellOut with ClickHouse stopped = %v; want ErrUnavailable", err)
	}
	if _, err := s.WriteScanBatch(ctx, b); !errors.Is(err, retailer.ErrUnavailable) {
		t.Errorf("WriteScanBatch with ClickHouse stopped = %v; want ErrUnavailable", err)
	}

	srv.Start()
	out, err := s.WriteScanBatch(ctx, b)
	if err != nil || out.Replay || out.Accepted != 1 {
		t.Fatalf("WriteScanBatch after the restart = %+v, %v; want 1 accepted, not a replay", out, err)
	}
	if scans, rejects, batches, err := s.ScanRows(ctx); err != nil || scans != 1 || rejects != 0 || batches != 1 {
		t.Errorf("ScanRows = %d, %d, %d, %v; want 1 scan, 1 batch", scans, rejects, batches, err)
	}
}
