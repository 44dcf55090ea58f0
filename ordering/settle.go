package ordering

import (
	"fmt"
	"sort"
	"time"
)

// Cut-off and settlement. When an order window closes, every submitted order of the window's outlets
// is confirmed and paid by deduction from the outlet's settlement account in one step; an order the
// balance cannot cover fails with a reason and releases what it held of the outlet's limits.
// Delivery then records what arrived: a line delivered short is refunded, and every delivered line
// becomes a sales line in the history, through the outbox.

// CutoffReport is what closing one order window did.
type CutoffReport struct {
	WeekStart time.Time    // the cycle
	OrderDay  time.Weekday // the window's order day
	ClosesAt  time.Time
	Paid      int   // orders confirmed and paid
	Failed    int   // orders failed for an insufficient balance
	PaidCents int64 // deducted in all
}

// DueOrder is an order still submitted when its window is cut off, with its outlet's balance.
type DueOrder struct {
	ID, OutletID int64
	TotalCents   int64
	BalanceCents int64 // the outlet's settlement account at the cut-off
}

// FailedOrder is a due order that the balance did not cover, and why.
type FailedOrder struct {
	DueOrder
	Reason string
}

// Settlement is what a cut-off does to its due orders: those paid by deduction, those failed.
type Settlement struct {
	Paid   []DueOrder
	Failed []FailedOrder
}

// PaidCents is what the settlement deducts in all.
func (s Settlement) PaidCents() int64 {
	var t int64
	for _, o := range s.Paid {
		t += o.TotalCents
	}
	return t
}

// Settle decides the due orders of a cut-off, in id order: an order is paid when what its outlet's
// balance has left after the outlet's orders paid before it covers its total, and fails otherwise
// with the InsufficientBalance reason (an outlet has one live order a cycle, so that is its balance).
func Settle(due []DueOrder) Settlement {
	due = append([]DueOrder(nil), due...)
	sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
	deducted := map[int64]int64{} // by outlet
	var s Settlement
	for _, o := range due {
		left := o.BalanceCents - deducted[o.OutletID]
		if left >= o.TotalCents {
			deducted[o.OutletID] += o.TotalCents
			s.Paid = append(s.Paid, o)
			continue
		}
		s.Failed = append(s.Failed, FailedOrder{DueOrder: o, Reason: InsufficientBalance(o.TotalCents, left)})
	}
	return s
}

// InsufficientBalance is the failure reason of an order whose total the outlet's balance did not cover.
func InsufficientBalance(totalCents, balanceCents int64) string {
	return fmt.Sprintf("insufficient balance: the order is %s, the balance %s", Money(totalCents), Money(balanceCents))
}

// Money formats cents as yuan with two decimals.
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// DeliveryLine is what arrived of one brand of an order.
type DeliveryLine struct {
	Brand     string
	Delivered int
}

// ValidateDelivery checks the lines of a delivery: each brand once, whole cartons from 0 to
// MaxCartons. Whether a brand is in the order and delivered at most what was granted is checked
// against the order itself.
func ValidateDelivery(lines []DeliveryLine) error {
	fields := map[string]string{}
	if len(lines) > MaxLines {
		fields["lines"] = fmt.Sprintf("want at most %d lines", MaxLines)
	}
	seen := map[string]int{}
	for i, l := range lines {
		checkBrand(fields, seen, i, l.Brand)
		if l.Delivered < 0 || l.Delivered > MaxCartons {
			fields[fmt.Sprintf("lines[%d].delivered", i)] = fmt.Sprintf("want 0 to %d whole cartons", MaxCartons)
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// CheckDelivered checks a delivery's lines against the order's: each brand in the order (granted
// holds its lines' granted cartons by brand code) and delivered at most what was granted. It
// returns a *ValidationError naming the lines that are not.
func CheckDelivered(granted map[string]int, lines []DeliveryLine) error {
	fields := map[string]string{}
	for i, l := range lines {
		g, ok := granted[l.Brand]
		switch {
		case !ok:
			fields[fmt.Sprintf("lines[%d].brand", i)] = fmt.Sprintf("%s is not in the order", l.Brand)
		case l.Delivered > g:
			fields[fmt.Sprintf("lines[%d].delivered", i)] = fmt.Sprintf("%d is more than the %d cartons granted", l.Delivered, g)
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// SalesLine is one delivered order line as the history records it: what was requested (the
// uncensored demand), the limit it met, what was granted and what was delivered. Day is the outlet's
// order day in the cycle's week.
type SalesLine struct {
	OrderID   int64
	Day       time.Time
	Outlet    string // licence number
	Brand     string // code
	Requested int
	Granted   int
	Delivered int
	Limit     *int // the remaining limit when ordered; nil if none
	Limited   bool // granted less than requested
}
