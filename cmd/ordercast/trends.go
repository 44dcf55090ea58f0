package main

import (
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsch "github.com/ordercast/ordercast/retailer/indicators/clickhouse"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
)

// newTrends wires the indicators' weekly trends to both stores: the directory, brands and orders from
// the reports' PostgreSQL (a replica when one is configured), the targets from the primary, the history
// and scans from ClickHouse. Their figures are kept as long as
// the stored bulletins are (indicators.DefaultMaxAge): one computation of a week's trends serves
// every account manager's page and the company's.
func newTrends(primary, reports *pgxpool.Pool, ch driver.Conn) *indicators.Trends {
	pg, rep, hist := indicatorspg.New(primary), indicatorspg.New(reports), indicatorsch.New(ch)
	return &indicators.Trends{Directory: rep, Brands: rep, Orders: rep, History: hist, Stock: hist, Targets: pg,
		MaxAge: indicators.DefaultMaxAge}
}
