package ordering

import (
	"fmt"
	"strings"
	"time"
)

// The delivery round: logistics picks the day's paid orders route by route, delivers them, takes
// back damaged goods (refunded to the outlet and put back into stock), and the retailer confirms
// what it received or reports what was short.

// PickList is the paid orders to deliver on a day, grouped by route, and how many of the day's orders
// were delivered already: the round's progress.
type PickList struct {
	Day       time.Time
	Routes    []RouteStops     // by route name
	Totals    []PickLine       // cartons per brand over every stop, by brand: what to load
	Delivered []RouteDelivered // the routes with orders of the day delivered, by route name
}

// RouteDelivered is how many orders of a day a route has delivered.
type RouteDelivered struct {
	Route  string
	Orders int
}

// RouteStops is one route's stops, by outlet licence.
type RouteStops struct {
	Route string
	Stops []Stop
}

// Stop is one outlet's paid order on a route.
type Stop struct {
	OrderID int64
	Outlet  int64
	Licence string
	Name    string
	Address string
	Lines   []PickLine
}

// PickLine is what to pick of one brand.
type PickLine struct {
	Brand   string
	Name    string
	Cartons int
}

// ReturnLine is what an outlet gave back of one brand of a delivered order.
type ReturnLine struct {
	Brand   string
	Cartons int
	Reason  string
}

// ValidateReturn checks the lines of a return: at least one, each brand once, 1 … MaxCartons
// cartons, a reason (damaged, wrong brand, ...). Whether the order delivered that much is checked
// against the order.
func ValidateReturn(lines []ReturnLine) error {
	fields := map[string]string{}
	if len(lines) == 0 {
		fields["lines"] = "give at least one returned line"
	}
	if len(lines) > MaxLines {
		fields["lines"] = fmt.Sprintf("want at most %d lines", MaxLines)
	}
	seen := map[string]int{}
	for i, l := range lines {
		checkBrand(fields, seen, i, l.Brand)
		if l.Cartons < 1 || l.Cartons > MaxCartons {
			fields[fmt.Sprintf("lines[%d].cartons", i)] = fmt.Sprintf("want 1 to %d whole cartons", MaxCartons)
		}
		if r := strings.TrimSpace(l.Reason); r == "" || len(r) > MaxReason {
			fields[fmt.Sprintf("lines[%d].reason", i)] = fmt.Sprintf("required: why it came back (damaged, ...), at most %d bytes", MaxReason)
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// ReturnOutcome is what a return did: the order's outlet was refunded RefundCents.
type ReturnOutcome struct {
	OrderID     int64
	Outlet      int64
	RefundCents int64
	Lines       []ReturnLine
}

// CheckReturn checks a return against the order: returnable holds, by brand code, what was
// delivered less what was returned before. It returns a *ValidationError naming the lines that are
// not in the order or above what can still be returned.
func CheckReturn(returnable map[string]int, lines []ReturnLine) error {
	fields := map[string]string{}
	for i, l := range lines {
		n, ok := returnable[l.Brand]
		switch {
		case !ok:
			fields[fmt.Sprintf("lines[%d].brand", i)] = fmt.Sprintf("%s is not in the order", l.Brand)
		case l.Cartons > n:
			fields[fmt.Sprintf("lines[%d].cartons", i)] = fmt.Sprintf("%d is more than the %d cartons delivered and not yet returned", l.Cartons, n)
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// Receipt states of a delivered order, as its retailer reports them.
const (
	ReceiptConfirmed = "confirmed" // everything delivered arrived
	ReceiptShort     = "short"     // some lines arrived short: logistics follows up
)

// ReceivedLine is what the retailer found of one brand of a delivered order.
type ReceivedLine struct {
	Brand    string
	Received int
}

// ReceiptOf checks a retailer's receipt against what was delivered (by brand code) and says whether
// it confirms the delivery or reports a shortfall: lines not named arrived as delivered. It returns a
// *ValidationError for a brand not in the order, a brand twice, or more received than delivered.
func ReceiptOf(delivered map[string]int, lines []ReceivedLine) (string, error) {
	fields := map[string]string{}
	seen := map[string]int{}
	state := ReceiptConfirmed
	for i, l := range lines {
		checkBrand(fields, seen, i, l.Brand)
		d, ok := delivered[l.Brand]
		switch {
		case !ok:
			fields[fmt.Sprintf("lines[%d].brand", i)] = fmt.Sprintf("%s is not in the order", l.Brand)
		case l.Received < 0 || l.Received > d:
			fields[fmt.Sprintf("lines[%d].received", i)] = fmt.Sprintf("want 0 to the %d cartons delivered", d)
		case l.Received < d:
			state = ReceiptShort
		}
	}
	if len(fields) > 0 {
		return "", &ValidationError{Fields: fields}
	}
	return state, nil
}
