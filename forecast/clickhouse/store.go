// Package clickhouse is the forecast domain's adapter to the ClickHouse history store: it writes and
// reads sales history, true demand, forecasts, allocations and accuracy scores.
//
// Statements are written for ClickHouse 18.16 and current releases alike (see
// ../shared/design/CLICKHOUSE.md): inserts go through batches with named columns, Date columns are
// compared with toDate(?) on a YYYY-MM-DD string, and history is read already aggregated.
package clickhouse

import (
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/forecast"
)

// Store is every store the forecast package's Planner and Backtester consume.
var (
	_ forecast.HistoryReader   = (*Store)(nil)
	_ forecast.SalesReader     = (*Store)(nil)
	_ forecast.CalendarReader  = (*Store)(nil)
	_ forecast.CatalogueReader = (*Store)(nil)
	_ forecast.RunWriter       = (*Store)(nil)
)

// Store reads and writes the forecast domain's ClickHouse tables. It is safe for concurrent use.
type Store struct {
	conn    driver.Conn     // reads and inserts (the Distributed tables of a cluster)
	cluster *stores.Cluster // partition operations, mutations and staging, shard by shard
	actuals actualsKeeper   // whole weeks' actuals by brand (KeepWeeks)
	scores  scoresKeeper    // levels of the latest scorings (KeepScores)
	hooks   importHooks     // nil functions but in tests
}

// importHooks let a test act between the steps of ImportHistory.
type importHooks struct {
	attach func(shard int) error // before the attach on shard (from 1); an error fails it
	commit func()                // after the commit, before the older imports are dropped
}

// New returns a Store on the one server conn. The caller keeps ownership of conn and closes it.
func New(conn driver.Conn) *Store {
	return NewOnCluster(stores.SingleServer(conn))
}

// NewOnCluster returns a Store on c: one server or the shards of a cluster. The caller keeps
// ownership of c and closes it.
func NewOnCluster(c *stores.Cluster) *Store {
	return &Store{conn: c.Conn(), cluster: c}
}

// dateString formats a date for a toDate(?) comparison: binding a time.Time to a Date column is
// silently wrong on 18.16.
func dateString(t interface{ Format(string) string }) string { return t.Format("2006-01-02") }
