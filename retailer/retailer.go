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
	Licence         string    // licence number: the outlet's code everywhere outside PostgreSQL
	Joined          time.Time // when it became a customer (indicators count it from then); zero: when loaded
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

// ScanBatch is one terminal upload: its rows in the order the terminal sent them and, once validated,
// the rows that were rejected. ID is stable across retries of the same upload, so that a replayed
// batch can be recognised.
type ScanBatch struct {
	Outlet   string
	ID       string
	Received time.Time
	Rows     []Scan
	Rejects  []ScanReject // every row not listed here was accepted
}

// ScanReject is a row of a ScanBatch that failed validation.
type ScanReject struct {
	Row    int // 1-based position in ScanBatch.Rows
	Reason RejectReason
	Detail string // Reason.Explain of the row; empty in batches the seed generator makes
}

// RejectReason says why a scan row was rejected.
type RejectReason string

// Reasons for rejecting a scan row. ValidateScans (scans.go) defines each precisely.
const (
	RejectUnknownBrand     RejectReason = "unknown_brand"     // a brand the catalogue does not hold
	RejectNegativeStock    RejectReason = "negative_stock"    // a stock count below zero
	RejectNegativeQuantity RejectReason = "negative_quantity" // a sell-out below zero
	RejectFutureTime       RejectReason = "future_time"       // scanned later than the upload arrived
	RejectDuplicate        RejectReason = "duplicate"         // a repeat of an earlier row of the same batch
	RejectStockToSales     RejectReason = "stock_to_sales"    // stock implausibly high for the outlet's sales
)

// Profile is an outlet as its retailer and its account manager see it.
type Profile struct {
	ID int64
	Outlet
	ManagerName string
}

// Purchase is what an outlet bought over a period: delivered cartons and their amount at wholesale
// prices, in cents.
type Purchase struct {
	AmountCents int64
	Cartons     float64
}
