package ordering

import "time"

// PastCycle is a cycle that has run its course, as the ordering system would hold it afterwards: its
// windows cut off, the per-outlet limits of its rationed brands and every order placed in it, paid and
// delivered or failed. The seed loads the recent weeks of a synthetic region this way, so that the
// indicators read real orders from the first day.
type PastCycle struct {
	WeekStart time.Time // Monday
	Windows   []Window
	// Rationed lists the brands whose supply was rationed in the cycle; their supply is what the
	// limits add up to.
	Rationed []string
	Limits   []OutletLimit
	Orders   []PastOrder
	// CutOff is zero for a cycle that has run its course. For the week under way it is the moment up
	// to which the cycle has run: the windows that closed by then are cut off, the later ones stay
	// open, and so does the cycle; its Orders are those of the windows cut off.
	CutOff time.Time
}

// PastOrder is one order of a PastCycle. Status is Delivered (every line delivered as granted),
// Failed (with Reason; lines keep what their limits granted, nothing was delivered) or, in the week
// under way, Paid (cut off and paid, out for delivery).
type PastOrder struct {
	Outlet     string // licence number
	Status     OrderStatus
	Reason     string
	PlacedAt   time.Time // submitted
	SettledAt  time.Time // cut-off: confirmed and paid, or failed
	Delivered  time.Time // zero unless Delivered
	TotalCents int64
	Lines      []Line // Brand, Requested, Granted, Limit, PriceCents, Reason
}
