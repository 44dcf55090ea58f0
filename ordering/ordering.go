// Package ordering is the weekly order cycle: the brand catalogue, cycles and their order windows,
// the planner's supply plans, per-outlet limits, orders and their lifecycle from draft to delivery,
// deduction from settlement accounts, idempotency, the outbox to the history store, and the
// order-success and empty-order indicators.
//
// It holds types and pure logic only; adapters live in subpackages named after what they adapt.
package ordering

import "time"

// Brand is one brand / SKU (品规) of the catalogue. Quantities are cartons; prices are per carton.
type Brand struct {
	Code           string
	Name           string
	Manufacturer   string // manufacturer code
	PriceClass     int    // 1 (一类, dearest) … 5 (五类)
	PacksPerCarton int
	WholesaleCents int64
	RetailCents    int64
	Scarce         bool // 紧俏: supply below demand, rationed by per-outlet limits
	NewProduct     bool
	LaunchDate     time.Time // zero unless NewProduct
	Lifecycle      Lifecycle // zero means Maintained
}

// NewIn reports whether b is new in the cycle of week (its Monday): a new product launched within
// the NewProductWeeks weeks before that week or during it. A product launched earlier is a brand like
// any other to the outlets ordering in the cycle, whatever its flag.
func (b Brand) NewIn(week time.Time) bool {
	if !b.NewProduct || b.LaunchDate.IsZero() {
		return false
	}
	return !b.LaunchDate.Before(week.AddDate(0, 0, -7*NewProductWeeks)) && b.LaunchDate.Before(week.AddDate(0, 0, 7))
}

// Lifecycle is a brand's stage in its life cycle (introduced, cultivated, maintained, retired).
type Lifecycle string

// Brand life-cycle stages.
const (
	Introduced Lifecycle = "introduced" // newly launched
	Cultivated Lifecycle = "cultivated" // being built up after launch
	Maintained Lifecycle = "maintained" // established
	Retired    Lifecycle = "retired"    // being withdrawn
)

// Manufacturer is a brand owner (工业企业).
type Manufacturer struct {
	Code string
	Name string
}

// CatalogueLine is one brand of a cycle's catalogue as one outlet sees it.
type CatalogueLine struct {
	Brand       Brand
	OnSale      bool
	Limit       *int   // the outlet's limit in the cycle; nil when not limited
	Remaining   *int   // what the outlet may still be granted beyond its current order (within its limit, cap and the brand's supply left); nil when not limited
	Ordered     int    // granted in the outlet's current order
	Explanation string // why the limit is what it is
	// SupplyPublished is whether the planner has published the brand's supply plan for the cycle.
	SupplyPublished bool
}

// AwaitingSupply reports whether the line's brand waits for its supply plan: see AwaitingSupply.
func (l CatalogueLine) AwaitingSupply() bool {
	return AwaitingSupply(l.Brand.Scarce, l.SupplyPublished)
}

// AwaitingSupply reports whether a brand on sale in a cycle may not be ordered yet: a scarce brand is
// ordered only once the planner has published its supply for the cycle, and with it the outlets'
// limits (the cycle's first step). Before that no limit bounds an order, and the first outlets to
// order would take what the allocation has not shared out yet.
func AwaitingSupply(scarce, published bool) bool { return scarce && !published }
