// Package retailer is the outlets side of ordercast: licensed retail outlets (terminals) and their
// grades, the account managers who look after them, users and roles, and the terminal scans (sell-out
// and stock counts) that outlets upload, with their validation and upload-rate indicators.
//
// It holds types and pure logic only; adapters live in subpackages named after what they adapt.
package retailer

import "time"

// Format is an outlet's business format (业态).
type Format string

// The business formats an outlet can have.
const (
	Convenience   Format = "convenience"
	Supermarket   Format = "supermarket"
	Chain         Format = "chain"
	Restaurant    Format = "restaurant"
	Entertainment Format = "entertainment"
	Kiosk         Format = "kiosk"
)

// Formats lists every business format, in a fixed order.
var Formats = []Format{Convenience, Supermarket, Chain, Restaurant, Entertainment, Kiosk}

// Status is an outlet's licence status. Only active outlets order and receive allocations.
type Status string

// Outlet statuses.
const (
	Active    Status = "active"
	Suspended Status = "suspended"
	Closed    Status = "closed"
)

// MinGrade and MaxGrade bound an outlet's grade (档位): 30 is the highest.
const (
	MinGrade = 1
	MaxGrade = 30
)

// Outlet is one licensed retail outlet.
type Outlet struct {
	Licence         string // licence number: the outlet's code everywhere outside PostgreSQL
	Name            string
	Address         string
	Area            string // county or district
	Format          Format
	Rural           bool
	MarketType      string
	Manager         string // account manager code
	Route           string
	OrderDay        time.Weekday // fixed order day of the week
	Grade           int          // MinGrade … MaxGrade
	CreditLevel     string
	Benchmark       bool  // 标杆终端
	CollectionPoint bool  // 信息采集点: uploads terminal scans
	BalanceCents    int64 // settlement account
	Status          Status
}

// Manager is an account manager (客户经理), who sees only the outlets assigned to them.
type Manager struct {
	Code string
	Name string
	Area string
}

// ScanKind tells a sell-out scan from a stock count.
type ScanKind string

// Scan kinds.
const (
	SellOut    ScanKind = "sellout" // packs sold to consumers
	StockCount ScanKind = "stock"   // packs on hand when counted
)

// Scan is one row of a terminal upload.
type Scan struct {
	Outlet string
	Brand  string
	Kind   ScanKind
	At     time.Time
	Qty    float64 // packs
}
