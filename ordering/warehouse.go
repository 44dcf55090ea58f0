package ordering

import (
	"fmt"
	"strings"
	"time"
)

// MovementKind is what moved a brand's warehouse stock.
type MovementKind string

// Stock movements. Stock is the sum of a brand's movements, never a bare overwrite.
const (
	Arrival    MovementKind = "arrival"    // in: a manufacturer's delivery to the warehouse
	Delivery   MovementKind = "delivery"   // out: an order delivered to an outlet
	Return     MovementKind = "return"     // in: damaged goods an outlet gave back
	Adjustment MovementKind = "adjustment" // either way, with a reason: a stock count, breakage
)

// MaxReason bounds the length of a movement's reason.
const MaxReason = 500

// Movement is one change to a brand's warehouse stock. Cartons is signed: in positive, out negative.
type Movement struct {
	ID          int64
	Brand       string
	Kind        MovementKind
	Cartons     int
	Reason      string
	OrderID     int64 // deliveries and returns: the order
	ArrivalPlan int64 // arrivals: the planned arrival it fulfils, 0 for none
	At          time.Time
}

// ValidateMovement checks a movement recorded by hand (arrivals and adjustments; deliveries and
// returns are recorded with their orders): arrivals are positive, adjustments not zero and carry a
// reason. It returns a *ValidationError naming the fields.
func ValidateMovement(m Movement) error {
	fields := map[string]string{}
	if strings.TrimSpace(m.Brand) == "" {
		fields["brand"] = "required"
	}
	switch m.Kind {
	case Arrival:
		if m.Cartons <= 0 || m.Cartons > MaxSupplyCartons {
			fields["cartons"] = fmt.Sprintf("an arrival is 1 to %d whole cartons", MaxSupplyCartons)
		}
	case Adjustment:
		if m.Cartons == 0 || m.Cartons > MaxSupplyCartons || m.Cartons < -MaxSupplyCartons {
			fields["cartons"] = fmt.Sprintf("an adjustment is a signed whole number of cartons, not 0, at most %d either way", MaxSupplyCartons)
		}
		if strings.TrimSpace(m.Reason) == "" {
			fields["reason"] = "an adjustment needs a reason (a stock count, breakage, ...)"
		}
	default:
		fields["kind"] = "want arrival or adjustment (deliveries and returns are recorded with their orders)"
	}
	if len(m.Reason) > MaxReason {
		fields["reason"] = fmt.Sprintf("at most %d bytes", MaxReason)
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// StockLevel is a brand's current warehouse stock with its limits.
type StockLevel struct {
	Brand        string
	Name         string // the brand's
	Manufacturer string
	Cartons      int       // Σ movements
	UpdatedAt    time.Time // the last movement; zero with none
	Limits       *StockLimit
}

// StockLimit is a brand's lower and upper warehouse stock limit (cartons) and what it rests on.
type StockLimit struct {
	Lower, Upper int
	Basis        string // "proposed: …" from history and forecast, or "set by a planner"
	SetAt        time.Time
}

// ValidateStockLimit checks limits a planner sets: whole cartons, 0 ≤ lower ≤ upper.
func ValidateStockLimit(l StockLimit) error {
	fields := map[string]string{}
	if l.Lower < 0 || l.Lower > MaxSupplyCartons {
		fields["lower"] = fmt.Sprintf("want 0 to %d whole cartons", MaxSupplyCartons)
	}
	if l.Upper < 0 || l.Upper > MaxSupplyCartons {
		fields["upper"] = fmt.Sprintf("want 0 to %d whole cartons", MaxSupplyCartons)
	} else if l.Upper < l.Lower {
		fields["upper"] = fmt.Sprintf("%d is below the lower limit %d", l.Upper, l.Lower)
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// Cadence is how often a manufacturer delivers: weekly or every ten days (旬).
type Cadence string

// Arrival cadences.
const (
	Weekly  Cadence = "weekly"
	TenDays Cadence = "ten_days"
)

// ArrivalPlan is one planned arrival (到货计划) of a brand at the warehouse.
type ArrivalPlan struct {
	ID           int64
	Manufacturer string
	Brand        string
	ArrivesOn    time.Time // a day
	Cartons      int
	Received     int // cartons recorded as arrived against it
	Cadence      Cadence
}

// Outstanding is what is still to arrive of the plan.
func (p ArrivalPlan) Outstanding() int { return max(0, p.Cartons-p.Received) }

// MaxArrivalLines bounds one submission of arrival plans.
const MaxArrivalLines = 10_000

// ValidateArrivals checks a submission of arrival plans: a known cadence, each line a brand, a day
// from today on and 1 … MaxSupplyCartons cartons, each brand and day once. key names a line in the
// errors (lines[i] for the API, the CSV's line for an import). Brands are checked against the store.
func ValidateArrivals(plans []ArrivalPlan, today time.Time, key func(i int) string) error {
	fields := map[string]string{}
	if len(plans) == 0 {
		fields["lines"] = "give at least one planned arrival"
	}
	if len(plans) > MaxArrivalLines {
		fields["lines"] = fmt.Sprintf("want at most %d lines", MaxArrivalLines)
	}
	type brandDay struct {
		brand string
		day   string
	}
	seen := map[brandDay]int{}
	day := today.Format(time.DateOnly)
	for i, p := range plans {
		k := key(i)
		if p.Cadence != Weekly && p.Cadence != TenDays {
			fields[k+".cadence"] = "want weekly or ten_days"
		}
		if strings.TrimSpace(p.Brand) == "" {
			fields[k+".brand"] = "required"
		}
		if p.ArrivesOn.IsZero() {
			fields[k+".arrives_on"] = "required, as YYYY-MM-DD"
		} else if d := p.ArrivesOn.Format(time.DateOnly); d < day {
			fields[k+".arrives_on"] = fmt.Sprintf("%s is in the past (today is %s)", d, day)
		}
		if p.Cartons <= 0 || p.Cartons > MaxSupplyCartons {
			fields[k+".cartons"] = fmt.Sprintf("want 1 to %d whole cartons", MaxSupplyCartons)
		}
		bd := brandDay{p.Brand, p.ArrivesOn.Format(time.DateOnly)}
		if j, dup := seen[bd]; dup && p.Brand != "" {
			fields[k+".arrives_on"] = fmt.Sprintf("%s on %s is also %s: one line per brand and day", p.Brand, bd.day, key(j))
		}
		seen[bd] = i
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// StockOf is the stock that movements leave: their signed cartons added up.
func StockOf(movements []Movement) int {
	n := 0
	for _, m := range movements {
		n += m.Cartons
	}
	return n
}
