package main

import (
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/retailer/indicators"
	indicatorsch "github.com/ordercast/ordercast/retailer/indicators/clickhouse"
	indicatorspg "github.com/ordercast/ordercast/retailer/indicators/postgres"
)

// newTrends wires the indicators' weekly trends to both stores: the directory, brands, orders and
// targets from PostgreSQL, the history and scans from ClickHouse. Their figures are kept as long as
// the stored bulletins are (indicators.DefaultMaxAge): one computation of a week's trends serves
// every account manager's page and the company's.
func newTrends(pool *pgxpool.Pool, ch driver.Conn) *indicators.Trends {
	pg, hist := indicatorspg.New(pool), indicatorsch.New(ch)
	return &indicators.Trends{Directory: pg, Brands: pg, Orders: pg, History: hist, Stock: hist, Targets: pg,
		MaxAge: indicators.DefaultMaxAge}
}
