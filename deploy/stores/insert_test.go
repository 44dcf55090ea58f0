package stores_test

import (
	"context"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// A caller cancelling its context once an INSERT has returned must not close the pooled connection
// under the next query (clickhouse-go's batch watchdog races with the connection's release).
func TestInsertColumnsThenCancel(t *testing.T) {
	conn := storestest.OpenClickHouse(t, storestest.NewClickHouseDSN(t))
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE t (n UInt32) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		ictx, cancel := context.WithCancel(ctx)
		err := stores.InsertColumns(ictx, conn, "INSERT INTO t (n)", []uint32{uint32(i)})
		cancel()
		if err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM t").Scan(&n); err != nil || n != uint64(i+1) {
			t.Fatalf("count after insert %d = %d, %v; want %d", i, n, err, i+1)
		}
	}
}
