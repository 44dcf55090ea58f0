package retailer

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of the account manager's work on its outlets and of the planners' reassignments.
var (
	// ErrBenchmarkLimit: the change would give an account manager more than MaxBenchmarks benchmark
	// outlets (标杆终端); an error wrapping it names the manager.
	ErrBenchmarkLimit = errors.New("retailer: an account manager has at most two benchmark outlets")
	// ErrOpenOrder: the outlet's order day cannot change while it has a submitted order, whose cut-off
	// follows the order day it was placed under; an error wrapping it names the order's cycle.
	ErrOpenOrder = errors.New("retailer: the outlet has a submitted order")
)

// explained is an error that matches err and tells the user why in a sentence.
type explained struct {
	err error
	why string
}

func (e *explained) Error() string  { return e.err.Error() + ": " + e.why }
func (e *explained) Unwrap() error  { return e.err }
func (e *explained) Detail() string { return e.why }

// Explain returns an error matching err whose detail, for the user, is the formatted sentence.
func Explain(err error, format string, args ...any) error {
	return &explained{err: err, why: fmt.Sprintf(format, args...)}
}

// MaxBenchmarks is how many benchmark outlets (标杆终端) one account manager may have.
const MaxBenchmarks = 2

// VisitPurpose says why an account manager visited an outlet.
type VisitPurpose string

// Visit purposes.
const (
	VisitRoutine        VisitPurpose = "routine"          // the round of the manager's outlets
	VisitCoaching       VisitPurpose = "coaching"         // helping a weak outlet: display, ordering, stock
	VisitOrderFollowUp  VisitPurpose = "order_follow_up"  // an outlet that did not order, or whose order failed
	VisitUploadFollowUp VisitPurpose = "upload_follow_up" // a collection point that stopped uploading
	VisitNewProduct     VisitPurpose = "new_product"      // placing a new product
	VisitComplaint      VisitPurpose = "complaint"        // the retailer's complaint
	VisitOtherPurpose   VisitPurpose = "other"
)

// Bounds of a visit record.
const (
	maxVisitNotes    = 2000 // characters
	maxFollowUp      = 500  // characters
	maxVisitAge      = 366 * 24 * time.Hour
	maxFollowUpAhead = 366 * 24 * time.Hour
)

// VisitPurposes lists every visit purpose, in a fixed order.
var VisitPurposes = []VisitPurpose{VisitRoutine, VisitCoaching, VisitOrderFollowUp, VisitUploadFollowUp,
	VisitNewProduct, VisitComplaint, VisitOtherPurpose}

// NewVisit is what an account manager records of a visit to one of its outlets.
type NewVisit struct {
	VisitedOn  time.Time // the day, at midnight UTC
	Purpose    VisitPurpose
	Notes      string
	FollowUpOn time.Time // the day of the follow-up; zero when none
	FollowUp   string    // what is to be done then; only with FollowUpOn
}

// Validate checks v against today (the day it is recorded, at midnight UTC): a visit took place in the
// past year and not after today; a follow-up falls on or after the visit, within a year.
func (v NewVisit) Validate(today time.Time) error {
	fields := map[string]string{}
	switch {
	case v.VisitedOn.IsZero():
		fields["visited_on"] = "required, as YYYY-MM-DD"
	case v.VisitedOn.After(today):
		fields["visited_on"] = fmt.Sprintf("a day after today (%s): record a visit once made", today.Format(time.DateOnly))
	case today.Sub(v.VisitedOn) > maxVisitAge:
		fields["visited_on"] = "more than a year ago"
	}
	known := false
	for _, p := range VisitPurposes {
		known = known || v.Purpose == p
	}
	if !known {
		names := make([]string, len(VisitPurposes))
		for i, p := range VisitPurposes {
			names[i] = string(p)
		}
		fields["purpose"] = "want one of " + strings.Join(names, ", ")
	}
	if utf8.RuneCountInString(v.Notes) > maxVisitNotes {
		fields["notes"] = fmt.Sprintf("at most %d characters", maxVisitNotes)
	}
	switch {
	case v.FollowUpOn.IsZero() && v.FollowUp != "":
		fields["follow_up.on"] = "required with a follow-up"
	case v.FollowUpOn.IsZero():
	case !v.VisitedOn.IsZero() && v.FollowUpOn.Before(v.VisitedOn):
		fields["follow_up.on"] = "before the visit"
	case v.FollowUpOn.Sub(today) > maxFollowUpAhead:
		fields["follow_up.on"] = "more than a year ahead"
	}
	if !v.FollowUpOn.IsZero() && strings.TrimSpace(v.FollowUp) == "" {
		fields["follow_up.action"] = "required: what is to be done"
	}
	if utf8.RuneCountInString(v.FollowUp) > maxFollowUp {
		fields["follow_up.action"] = fmt.Sprintf("at most %d characters", maxFollowUp)
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// Visit is a recorded visit of an account manager to an outlet.
type Visit struct {
	ID         int64
	OutletID   int64
	Outlet     string // licence number
	OutletName string
	Manager    string // the code of the account manager who visited
	RecordedBy string // the username that recorded it
	NewVisit
	RecordedAt time.Time
}

// VisitFilter selects visits: of one outlet, of one visiting manager, in a range of days; a page of
// Limit visits newest first, with ids below BeforeID (0: from the newest).
type VisitFilter struct {
	OutletID int64  // 0: every outlet the caller may see
	Manager  string // the visiting manager's code; "": any
	From, To time.Time
	BeforeID int64
	Limit    int
}

// Assignment is a planner's change to an outlet: a field left nil stays as it is.
type Assignment struct {
	Manager   *string       // account manager code
	OrderDay  *time.Weekday // the fixed order day
	Route     *string
	Benchmark *bool // 标杆终端
	Reason    string
}

// Empty reports whether a changes nothing.
func (a Assignment) Empty() bool {
	return a.Manager == nil && a.OrderDay == nil && a.Route == nil && a.Benchmark == nil
}

// Fields an outlet change can be about.
const (
	FieldManager   = "manager"
	FieldOrderDay  = "order_day"
	FieldRoute     = "route"
	FieldBenchmark = "benchmark"
)

// Change is one field of an outlet changed by a planner: the audit trail of reassignments.
type Change struct {
	ID       int64
	OutletID int64
	Outlet   string // licence number
	Field    string // FieldManager, FieldOrderDay, FieldRoute or FieldBenchmark
	Old, New string // manager codes ("" for none), weekday names, routes, "true"/"false"
	Reason   string
	By       string // username
	At       time.Time
}

// BenchmarkWeek is a benchmark outlet's figures in one week: its orders in the cycle of the week, what
// they requested and were granted (cartons), and what was delivered to it (sell-in) in the week.
type BenchmarkWeek struct {
	Week      time.Time // Monday
	Orders    int       // not counting cancelled ones
	Status    string    // of the latest of them; "" when none
	Requested int
	Granted   int
	Sales     float64 // delivered cartons, from the sales history
}

// BenchmarkOutlet is a benchmark outlet with its weekly figures, oldest week first.
type BenchmarkOutlet struct {
	Profile
	Weeks []BenchmarkWeek
}
