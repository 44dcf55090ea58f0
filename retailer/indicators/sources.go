package indicators

import (
	"context"
	"time"
)

// Directory gives the outlets and account managers as they are now (PostgreSQL).
type Directory interface {
	Directory(ctx context.Context) ([]Outlet, []AccountManager, error)
}

// Brand is what the indicators need of a brand.
type Brand struct {
	Code         string
	Scarce       bool
	NewProduct   bool
	Launch       time.Time // zero unless NewProduct
	PacksPerUnit int
}

// StockLimit is a brand's agreed lower and upper stock, in cartons (PostgreSQL stock_limits).
type StockLimit struct {
	Brand        string
	Lower, Upper float64
}

// OrderCount is an outlet's orders in a period, over the cycles whose order day for it falls in the
// period on or after the day it joined.
type OrderCount struct {
	Scheduled int // cycles it was scheduled to order in
	Paid      int // of those, cycles with an order confirmed and paid (paid or delivered)
	Reached   int // orders that reached cut-off: confirmed, paid, delivered or failed
	Failed    int // orders that failed at cut-off
}

// EmptyOrder is an outlet on the empty-order list: 2 or more consecutive cycles without an order.
type EmptyOrder struct {
	Outlet        string
	Name          string
	Address       string
	Manager       string
	ManagerPhone  string
	Missed        int       // consecutive scheduled cycles without an order, up to the day asked
	AtLeast       bool      // no order in the whole horizon read: Missed is a lower bound
	LastCycle     time.Time // the last order's cycle (Monday); zero when none in the horizon
	LastStatus    string    // the last order's outcome: paid, delivered, failed, ...
	LastReason    string    // its failure reason, if it failed
	LastTotalCent int64
}

// FailedOrder is an order that failed at cut-off.
type FailedOrder struct {
	Order      int64
	Outlet     string
	Name       string
	Manager    string
	Cycle      time.Time
	TotalCents int64
	Reason     string
}

// LowBalance is an active outlet whose balance does not cover its last paid order again.
type LowBalance struct {
	Outlet        string
	Name          string
	Manager       string
	BalanceCents  int64
	LastPaidCents int64
	LastCycle     time.Time
}

// OrderStore reads current orders, limits and surveys (PostgreSQL). outlets limits a read to those
// licences; nil reads every outlet.
type OrderStore interface {
	Brands(ctx context.Context) ([]Brand, []StockLimit, error)
	OrderCounts(ctx context.Context, p Period, outlets []string) (map[string]OrderCount, error)
	// EmptyOrders lists the outlets with minMissed or more consecutive cycles without an order as of
	// asOf, reading at most horizon cycles back.
	EmptyOrders(ctx context.Context, asOf time.Time, minMissed, horizon int, outlets []string) ([]EmptyOrder, error)
	FailedOrders(ctx context.Context, p Period, outlets []string) ([]FailedOrder, error)
	// LowBalances lists the active outlets whose balance is below their last paid order of the cycles up
	// to asOf, reading horizon weeks back.
	LowBalances(ctx context.Context, asOf time.Time, horizon int, outlets []string) ([]LowBalance, error)
	// Satisfaction returns each outlet's score (0–100) for the month starting at month.
	Satisfaction(ctx context.Context, month time.Time, outlets []string) (map[string]float64, error)
}

// History reads the sales history and the scans (ClickHouse). outlets limits a read to those licences;
// nil reads every outlet.
type History interface {
	// LastUploads returns each outlet's last day with a valid scan in [since, before).
	LastUploads(ctx context.Context, since, before time.Time, outlets []string) (map[string]time.Time, error)
	// Received returns the outlets delivered at least one unit of one of brands in p.
	Received(ctx context.Context, p Period, brands []string, outlets []string) (map[string]bool, error)
	// Shelved returns the outlets that were delivered brand in [from, to) and show it: a stock count
	// above 0 or a scanned sale in [from, to).
	Shelved(ctx context.Context, brand string, from, to time.Time, outlets []string) (map[string]bool, error)
	// SellThrough returns per outlet the brands it ordered in [prevStart, p.Start) (Den) and, of
	// those, the brands it ordered in p (Num).
	SellThrough(ctx context.Context, p Period, prevStart time.Time, outlets []string) (map[string]Ratio, error)
	// StockOuts returns per outlet the demand records of p (lines with a requested quantity, Den)
	// and those granted 0 (Num).
	StockOuts(ctx context.Context, p Period, outlets []string) (map[string]Ratio, error)
	// StockToSales returns per outlet and per brand the cartons in stock at the last count in
	// [end − window, end) (Num) over the average weekly cartons delivered in that window (Den), over
	// the outlet × brand pairs that have both. packs gives each brand's packs per carton.
	StockToSales(ctx context.Context, end time.Time, windowWeeks int, packs map[string]int, outlets []string) (perOutlet map[string]Ratio, perBrand map[string]Ratio, err error)
	// BrandWeeklySales returns per brand the average weekly cartons delivered to every outlet in
	// [end − window, end): the company's sales, which the stock limits are expressed in weeks of.
	BrandWeeklySales(ctx context.Context, end time.Time, windowWeeks int) (map[string]float64, error)
}

// Scores reads stored forecast accuracy (ClickHouse accuracy_scores).
type Scores interface {
	// Accuracy returns the latest scoring of month against basis (AccuracyBasis) at level (outlet,
	// manager, area or company; the company's key is ""), per key; found is false when the month was
	// never scored against it.
	Accuracy(ctx context.Context, month time.Time, basis, level string) (scores map[string]float64, found bool, err error)
	// LatestScored returns the latest month scored against basis that starts in [from, before); found
	// is false when none was.
	LatestScored(ctx context.Context, from, before time.Time, basis string) (month time.Time, found bool, err error)
}

// Target is the planners' goal for an indicator: the company's default (Scope AtCompany, Key ""), or an
// override for an area or an account manager.
type Target struct {
	Indicator Indicator
	Scope     Level // AtCompany, AtArea or AtManager
	Key       string
	Value     float64
	SetBy     string
	SetAt     time.Time
}

// TargetStore keeps targets (PostgreSQL indicator_targets).
type TargetStore interface {
	Targets(ctx context.Context) ([]Target, error)
	// SetTargets writes targets in one transaction; a target with a nil value removes the override.
	SetTargets(ctx context.Context, set []Target, remove []Target) error
}
