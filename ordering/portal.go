package ordering

import "time"

// What a manufacturer's portal shows of its brands beside the balance, stock and warnings: sales by
// area or outlet format, and how the supply of its scarce brands reached the outlets.

// SalesGrouping is the dimension sales are broken down by.
type SalesGrouping string

// Groupings of sales.
const (
	ByArea   SalesGrouping = "area"
	ByFormat SalesGrouping = "format" // the outlet's business format (业态)
)

// SalesRow is a brand's sales in one week and one area or outlet format (cartons).
type SalesRow struct {
	Week      time.Time
	Brand     string
	Group     string
	Delivered float64
	Requested float64
	Outlets   int // outlets that bought the brand
}

// SupplyOutcome is how a rationed brand's supply of one cycle reached the outlets.
type SupplyOutcome struct {
	Week time.Time
	SupplyState
}
