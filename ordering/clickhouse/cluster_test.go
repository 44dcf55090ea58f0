package clickhouse_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering"
)

// Through a cluster of two shards the relay writes every delivered line once: a batch written before a
// crash is not written again, each outlet's lines are on one shard, and the shards' rows add up to the
// lines delivered.
func TestRelayThroughTwoShards(t *testing.T) {
	ctx := context.Background()
	cl := storestest.StartClickHouseCluster(t, 2).Migrated()
	f := newRelayFixtureOn(t, cl.Conn(), 30)

	f.deliver(t, f.ids[:10])
	crashing := &ordering.Relay{Outbox: f.orders, History: crashAfterWrite{f.history}, Batch: 7}
	if _, err := crashing.Drain(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("Drain = %v; want the crash", err)
	}
	relay := &ordering.Relay{Outbox: f.orders, History: f.history, Batch: 7}
	if n, err := relay.Drain(ctx); err != nil || n != 20 {
		t.Fatalf("Drain after the crash = %d, %v; want the 20 lines of 10 orders", n, err)
	}
	f.deliver(t, f.ids[10:])
	if n, err := relay.Drain(ctx); err != nil || n != 40 {
		t.Fatalf("second Drain = %d, %v; want the 40 lines of 20 orders", n, err)
	}
	f.checkSales(t, f.ids)

	var total uint64
	shardOf := map[string]int{}
	for _, s := range cl.Shards() {
		rows, err := s.Conn.Query(ctx, "SELECT outlet, count() FROM "+cl.Local("sales")+" WHERE dataset = 'live' GROUP BY outlet")
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for rows.Next() {
			var outlet string
			var lines uint64
			if err := rows.Scan(&outlet, &lines); err != nil {
				t.Fatal(err)
			}
			if prev, ok := shardOf[outlet]; ok {
				t.Errorf("outlet %s has lines on shards %d and %d; want one", outlet, prev, s.Num)
			}
			shardOf[outlet] = s.Num
			n += lines
		}
		rows.Close()
		if n == 0 {
			t.Errorf("shard %d holds no sales line; want the lines spread over both shards", s.Num)
		}
		total += n
	}
	if total != 60 || len(shardOf) != 30 {
		t.Errorf("the shards hold %d lines of %d outlets; want 60 lines of 30", total, len(shardOf))
	}
}
