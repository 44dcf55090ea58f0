// Package stores opens the two stores ordercast runs on, PostgreSQL (the system of record for
// outlets, users, orders, limits and idempotency) and ClickHouse (sales history, scans, forecasts and
// scores), and keeps their schemas current with versioned migrations embedded in the binary.
//
// Connections fail fast: an unreachable store is reported within OpenTimeout with the store's name and
// address, never its password. Migrations are applied in version order and recorded in a
// schema_migrations table in each store, so applying them twice changes nothing the second time.
//
// ClickHouse is one server or the shards of a cluster behind Distributed tables (Cluster, OpenCluster):
// on a cluster each table is a local table on every shard with a Distributed table of its name over
// them, sharded by outlet where it has one, and the operations ClickHouse runs only on local tables
// (partitions, mutations, TRUNCATE) go to each shard in turn (docs/SCALE.md).
package stores
