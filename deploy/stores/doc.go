// Package stores opens the two stores ordercast runs on, PostgreSQL (the system of record for
// outlets, users, orders, limits and idempotency) and ClickHouse (sales history, scans, forecasts and
// scores), and keeps their schemas current with versioned migrations embedded in the binary.
//
// Connections fail fast: an unreachable store is reported within OpenTimeout with the store's name and
// address, never its password. Migrations are applied in version order and recorded in a
// schema_migrations table in each store, so applying them twice changes nothing the second time.
package stores
