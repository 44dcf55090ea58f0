package ordering

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the order cycle. Match them with errors.Is.
var (
	// ErrWindowClosed: the outlet's order window for the cycle is not open at the time of the request.
	ErrWindowClosed = errors.New("ordering: order window closed")
	// ErrNotFound: no such object, or not one the caller may see.
	ErrNotFound = errors.New("ordering: not found")
	// ErrLimitExceeded: an all-or-nothing order asked for more than a line's remaining limit.
	ErrLimitExceeded = errors.New("ordering: limit exceeded")
	// ErrNotOnSale: a line names a brand that is not on sale in the cycle.
	ErrNotOnSale = errors.New("ordering: brand not on sale")
	// ErrConflict: the order changed state (confirmed, cancelled) under the request.
	ErrConflict = errors.New("ordering: order state conflict")
	// ErrInvalid: an input with invalid fields; a *ValidationError names them and matches it.
	ErrInvalid = errors.New("ordering: invalid input")
	// ErrPublishedMeanwhile: a brand's supply in the cycle was published again (by another allocation
	// or a supply plan) after the moment the publication asking for it was decided on.
	ErrPublishedMeanwhile = errors.New("ordering: the brand's supply was published again meanwhile")
)

// Explain wraps err, one of the package's errors, with a sentence for the user saying why it happened
// here ("the order is paid"); errors.Is(result, err) holds.
func Explain(err error, format string, a ...any) error {
	return &explained{err: err, why: fmt.Sprintf(format, a...)}
}

type explained struct {
	err error
	why string
}

func (e *explained) Error() string { return e.err.Error() + ": " + e.why }
func (e *explained) Unwrap() error { return e.err }

// Detail is the sentence for the user.
func (e *explained) Detail() string { return e.why }

// CycleStatus is where a cycle is in its life.
type CycleStatus string

// Cycle statuses.
const (
	Planning CycleStatus = "planning" // supply being planned; ordering not open yet
	Open     CycleStatus = "open"     // windows open in turn
	Closed   CycleStatus = "closed"   // every window cut off
)

// Cycle is one weekly order cycle, named by the Monday of its week.
type Cycle struct {
	ID        int64
	WeekStart time.Time // Monday, UTC midnight
	Status    CycleStatus
	// SupplyVersion is 1 when the cycle is created and one more with each publication of its supply
	// (a supply plan or an allocation); 0 where a store did not read it.
	SupplyVersion int
}

// Window is when the outlets whose fixed order day is OrderDay may order in a cycle.
type Window struct {
	OrderDay time.Weekday
	OpensAt  time.Time
	ClosesAt time.Time
}

// WindowState is an order window and whether it has been cut off.
type WindowState struct {
	Window
	Closed bool
}

// CycleView is a cycle with its windows and its supply plan, as a planner sees it.
type CycleView struct {
	Cycle
	Windows []WindowState       // Monday's first
	Supply  []SupplyState       // by price class, then brand code
	Orders  map[OrderStatus]int // how many orders are in each status
}

// Open reports whether the window is open at t: OpensAt inclusive, ClosesAt exclusive.
func (w Window) Open(t time.Time) bool { return !t.Before(w.OpensAt) && t.Before(w.ClosesAt) }

// WindowPolicy sets the order windows of a cycle: an outlet may order until CloseHour on the evening
// before its order day, from the close of its previous cycle's window (so windows follow each other).
type WindowPolicy struct {
	CloseHour int            // hour of the day, 0–23, in Location; 18 by default
	Location  *time.Location // the region's time zone; UTC when nil
}

// DefaultWindowPolicy closes windows at 18:00 UTC.
var DefaultWindowPolicy = WindowPolicy{CloseHour: 18}

// Validate checks the policy.
func (p WindowPolicy) Validate() error {
	if p.CloseHour < 0 || p.CloseHour > 23 {
		return fmt.Errorf("ordering: window close hour %d: want 0 to 23", p.CloseHour)
	}
	return nil
}

// Windows returns the seven windows of the cycle of the week starting weekStart (a Monday), Monday's
// first. The window of order day D closes at CloseHour on the day before D of that week (Sunday 18:00
// for a Monday order day) and opens exactly one week earlier.
func (p WindowPolicy) Windows(weekStart time.Time) []Window {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := weekStart.Date()
	out := make([]Window, 7)
	for i := range out {
		day := time.Weekday((i + 1) % 7) // Monday … Sunday
		closes := time.Date(y, m, d+i-1, p.CloseHour, 0, 0, 0, loc)
		out[i] = Window{OrderDay: day, OpensAt: closes.AddDate(0, 0, -7), ClosesAt: closes}
	}
	return out
}

// LatestCycle returns the week (its Monday, UTC midnight) of the latest cycle in which some outlet
// may order at t: the one whose Monday window, the first of a cycle's to open, is open. It is next
// week's cycle, but for the hours of a Sunday after CloseHour, when the Monday outlets already order
// for the week after next.
func (p WindowPolicy) LatestCycle(t time.Time) time.Time {
	week := WeekStart(t).AddDate(0, 0, -7)
	for next := week.AddDate(0, 0, 7); !p.Windows(next)[0].OpensAt.After(t); next = next.AddDate(0, 0, 7) {
		week = next
	}
	return week
}

// WindowFor returns the window of order day day among windows.
func WindowFor(windows []Window, day time.Weekday) (Window, bool) {
	for _, w := range windows {
		if w.OrderDay == day {
			return w, true
		}
	}
	return Window{}, false
}

// WeekStart returns the Monday (UTC midnight) of t's week.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// ErrOutletInactive: a suspended or closed outlet cannot order.
var ErrOutletInactive = errors.New("ordering: outlet not active")

// WindowClosedError says when an outlet's order window opens and closes; it matches ErrWindowClosed.
type WindowClosedError struct {
	OpensAt, ClosesAt time.Time // zero when no cycle has a window for the outlet yet
}

func (e *WindowClosedError) Error() string { return "ordering: " + e.Detail() }

// Detail says when the window opens and closes, for the retailer.
func (e *WindowClosedError) Detail() string {
	if e.OpensAt.IsZero() {
		return "order window closed: no cycle is open for ordering"
	}
	return fmt.Sprintf("order window closed: it opens %s and closes %s",
		e.OpensAt.UTC().Format(time.RFC3339), e.ClosesAt.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrWindowClosed) true.
func (e *WindowClosedError) Is(target error) bool { return target == ErrWindowClosed }

// SupplyLine is one brand of a cycle's supply plan (货源) as the planner publishes it.
type SupplyLine struct {
	Brand         string
	OnSale        bool
	SupplyCartons *int // scarce supply to allocate; nil when not rationed
	PerOutletCap  *int // most any outlet may be granted in the cycle; nil for no cap
}

// OutletLimit is one outlet's limit (限量) of a brand in a cycle.
type OutletLimit struct {
	Outlet      string // licence number
	Brand       string
	Cartons     int
	Explanation string
}

// ErrWeek: a cycle was not named by the Monday of its week as YYYY-MM-DD.
var ErrWeek = errors.New("want the Monday of the cycle's week as YYYY-MM-DD")

// ParseWeek reads a cycle's name, the Monday of its week as YYYY-MM-DD; anything else is ErrWeek.
func ParseWeek(s string) (time.Time, error) {
	w, err := time.Parse(time.DateOnly, s)
	if err != nil || w.Weekday() != time.Monday {
		return time.Time{}, fmt.Errorf("%q: %w", s, ErrWeek)
	}
	return w, nil
}
