package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/ordering"
)

// replicaMetrics exports the state of a replicated ClickHouse cluster's servers, polled every
// storeProbeInterval (stores.Cluster.ReplicaStates). Plain gauges, registered on every instance: 0
// without replicas, where nothing can lag or be down.
type replicaMetrics struct {
	down, delay, readonly prometheus.Gauge
	log                   *slog.Logger
	wasUp                 map[string]bool
}

func newReplicaMetrics(reg prometheus.Registerer, log *slog.Logger) (*replicaMetrics, error) {
	m := &replicaMetrics{
		down: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_clickhouse_replicas_down",
			Help: "Servers of the replicated ClickHouse cluster that did not answer the last probe: their shards go on on the other replicas, without a spare.",
		}),
		delay: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_clickhouse_replica_delay_seconds",
			Help: "The largest replication delay (system.replicas absolute_delay) of a table on an answering server of the ClickHouse cluster.",
		}),
		readonly: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_clickhouse_replica_readonly_tables",
			Help: "Replicated ClickHouse tables in read-only mode (no ZooKeeper session) over the cluster's servers: inserts routed to them fail.",
		}),
		log:   log,
		wasUp: map[string]bool{},
	}
	for _, c := range []prometheus.Collector{m.down, m.delay, m.readonly} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe polls the cluster's servers once and sets the gauges, logging a server that stopped or
// started answering.
func (m *replicaMetrics) observe(ctx context.Context, cl *stores.Cluster) {
	ctx, cancel := context.WithTimeout(ctx, storeProbeInterval)
	defer cancel()
	var down, readonly int
	var delay time.Duration
	for _, st := range cl.ReplicaStates(ctx) {
		if ctx.Err() != nil {
			return // shutting down: leave the last values
		}
		if was, seen := m.wasUp[st.Address]; seen && was != st.Up || !seen && !st.Up {
			m.log.Warn("clickhouse replica", "shard", st.Shard, "replica", st.Replica, "server", st.Address, "up", st.Up)
		}
		m.wasUp[st.Address] = st.Up
		if !st.Up {
			down++
			continue
		}
		readonly += st.ReadOnly
		delay = max(delay, st.Delay)
	}
	m.down.Set(float64(down))
	m.readonly.Set(float64(readonly))
	m.delay.Set(delay.Seconds())
}

// run polls the cluster at once and then every storeProbeInterval until ctx is done; without
// replicas it returns at once, the gauges left at 0.
func (m *replicaMetrics) run(ctx context.Context, cl *stores.Cluster) {
	if !cl.Replicated() {
		return
	}
	m.observe(ctx, cl)
	ordering.Every(ctx, storeProbeInterval, time.Now, func(time.Time) { m.observe(ctx, cl) })
}
