package ordering

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// OrderStatus is where an order is in its life: draft → submitted → confirmed → paid → delivered, or
// cancelled, or failed with a reason.
type OrderStatus string

// Order statuses.
const (
	Submitted OrderStatus = "submitted"
	Confirmed OrderStatus = "confirmed"
	Paid      OrderStatus = "paid"
	Delivered OrderStatus = "delivered"
	Cancelled OrderStatus = "cancelled"
	Failed    OrderStatus = "failed"
)

// Editable reports whether an order in status s may still be changed or cancelled by its retailer.
func (s OrderStatus) Editable() bool { return s == Submitted }

// Order is an outlet's order in a cycle with its lines.
type Order struct {
	ID         int64
	OutletID   int64
	CycleID    int64
	WeekStart  time.Time // the cycle's
	Status     OrderStatus
	Reason     string // why it failed; "" unless Failed
	TotalCents int64
	Version    int // incremented by every change
	UpdatedAt  time.Time
	Lines      []Line // in the order of the brands' codes
	// Funds is the outlet's balance and orders as placing the order found them; nil when the order
	// is only read.
	Funds *Funds
	// PlacedBy is who placed the order's current lines: the outlet's retailer, or its account manager
	// ordering on the outlet's behalf; nil for an order whose author is not recorded.
	PlacedBy *Author
}

// Author is the user who placed an order's lines, with the role it placed them in.
type Author struct {
	UserID   int64
	Username string
	Role     string // retailer, or manager for an order placed on the outlet's behalf
}

// LimitReason says why a line was granted less than requested.
type LimitReason string

// Reasons a line was cut.
const (
	ByLimit   LimitReason = "limit"       // the outlet's remaining limit for the brand in the cycle
	BySupply  LimitReason = "supply"      // what is left of the brand's published supply in the cycle
	Refused   LimitReason = "refused"     // all-or-nothing: the whole order was refused
	NotOnSale LimitReason = "not_on_sale" // the brand is not on sale in the cycle
)

// LineRequest is one line as the retailer asks for it: a brand and whole cartons.
type LineRequest struct {
	Brand     string
	Requested int
}

// Offer is what a cycle offers an outlet of one brand when it orders.
type Offer struct {
	BrandID int64
	OnSale  bool
	// AwaitingSupply is whether the brand is scarce and its supply for the cycle is not published
	// yet (see AwaitingSupply): it is not on sale until it is.
	AwaitingSupply bool
	PriceCents     int64 // wholesale, per carton
	// Remaining is how many cartons the outlet may still be granted in the cycle: its limit less
	// what its other live orders hold, bounded by what is left of the brand's supply; nil when the
	// brand is not limited for the outlet.
	Remaining *int
	// Bound is why a line cut to Remaining is cut: BySupply, else ByLimit.
	Bound LimitReason
}

// Line is an order line: what was requested and what was granted of it.
type Line struct {
	Brand      string
	BrandID    int64
	Requested  int
	Granted    int
	Limit      *int // the remaining limit when ordered; nil if none
	Delivered  *int // what arrived; nil until the order is delivered
	PriceCents int64
	Reason     LimitReason // why Granted < Requested; "" when it is not
}

// Grant decides each line of an order against the offers: a line above its remaining limit (or what is
// left of the brand's supply) is granted that and says why, unless allOrNothing, when an order with any
// such line is refused whole with ErrLimitExceeded. An order with a line whose brand is not on sale, or
// is awaiting its supply, is refused with ErrNotOnSale. Requests are validated first (*ValidationError
// naming "lines[i]…" fields). Lines come back in the order of the brands' codes, so the same order
// always reads the same.
func Grant(reqs []LineRequest, offers map[string]Offer, allOrNothing bool) ([]Line, error) {
	if err := ValidateLines(reqs); err != nil {
		return nil, err
	}
	lines := make([]Line, 0, len(reqs))
	over, notOnSale := map[int]string{}, map[int]string{}
	for i, r := range reqs {
		o, ok := offers[r.Brand]
		l := Line{Brand: r.Brand, BrandID: o.BrandID, Requested: r.Requested, PriceCents: o.PriceCents}
		switch {
		case !ok || !o.OnSale:
			l.Reason = NotOnSale
			notOnSale[i] = r.Brand + " is not on sale in this cycle"
		case o.AwaitingSupply:
			l.Reason = NotOnSale
			notOnSale[i] = r.Brand + " is scarce: it is on sale once its supply for this cycle is published"
		case o.Remaining == nil:
			l.Granted = r.Requested
		default:
			limit := max(*o.Remaining, 0)
			l.Limit = &limit
			l.Granted = min(r.Requested, limit)
			if l.Granted < r.Requested {
				l.Reason = ByLimit
				left := "left"
				if o.Bound == BySupply {
					l.Reason, left = BySupply, "left of the brand's supply"
				}
				over[i] = fmt.Sprintf("%s: %d requested, %d %s", r.Brand, r.Requested, limit, left)
			}
		}
		lines = append(lines, l)
	}
	if len(notOnSale) > 0 {
		return nil, &LinesError{Err: ErrNotOnSale, Field: "brand", Lines: notOnSale}
	}
	if allOrNothing && len(over) > 0 {
		return nil, &LinesError{Err: ErrLimitExceeded, Field: "quantity", Lines: over}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Brand < lines[j].Brand })
	return lines, nil
}

// Total is the order's value: granted cartons at their price.
func Total(lines []Line) int64 {
	var t int64
	for _, l := range lines {
		t += int64(l.Granted) * l.PriceCents
	}
	return t
}

// MaxLines bounds the lines of one order, and MaxCartons one line.
const (
	MaxLines   = 500
	MaxCartons = 10000
)

// ValidationError lists what is wrong with an input, field by field.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	return "ordering: invalid input: " + fieldList(e.Fields)
}

// FieldErrors returns the field-level detail, for problem responses.
func (e *ValidationError) FieldErrors() map[string]string { return e.Fields }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// LinesError names the lines of an order that a rule refused; it matches Err (ErrLimitExceeded,
// ErrNotOnSale).
type LinesError struct {
	Err   error
	Field string         // what of the line is refused: "quantity" or "brand"
	Lines map[int]string // index of the request line → why, e.g. "B0039: 5 requested, 1 left"
}

func (e *LinesError) Error() string { return e.Err.Error() + ": " + fieldList(e.FieldErrors()) }

// Unwrap makes errors.Is(err, e.Err) true.
func (e *LinesError) Unwrap() error { return e.Err }

// FieldErrors names each refused line as "lines[i].<Field>", for problem responses.
func (e *LinesError) FieldErrors() map[string]string {
	f := make(map[string]string, len(e.Lines))
	for i, msg := range e.Lines {
		f[fmt.Sprintf("lines[%d].%s", i, e.Field)] = msg
	}
	return f
}

// fieldList writes field errors as "a: what; b: what", sorted by field.
func fieldList(fields map[string]string) string {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, f := range names {
		parts[i] = f + ": " + fields[f]
	}
	return strings.Join(parts, "; ")
}

// ValidateLines checks an order's lines: 1 to MaxLines, each a brand code once, 1 to MaxCartons cartons.
func ValidateLines(reqs []LineRequest) error {
	fields := map[string]string{}
	if len(reqs) == 0 || len(reqs) > MaxLines {
		fields["lines"] = fmt.Sprintf("want 1 to %d lines", MaxLines)
	}
	seen := map[string]int{}
	for i, r := range reqs {
		checkBrand(fields, seen, i, r.Brand)
		if r.Requested < 1 || r.Requested > MaxCartons {
			fields[fmt.Sprintf("lines[%d].quantity", i)] = fmt.Sprintf("want 1 to %d whole cartons", MaxCartons)
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// checkBrand notes in fields what is wrong with the brand of line i: missing, or already on line
// seen[brand]; it records the line in seen.
func checkBrand(fields map[string]string, seen map[string]int, i int, brand string) {
	if brand == "" {
		fields[fmt.Sprintf("lines[%d].brand", i)] = "required"
	} else if j, dup := seen[brand]; dup {
		fields[fmt.Sprintf("lines[%d].brand", i)] = fmt.Sprintf("%s is also line %d: one line per brand", brand, j)
	}
	seen[brand] = i
}
