package retailer

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// SatisfactionScore is one outlet's customer-satisfaction score (客户满意度) for one month, as its
// account manager recorded it: the monthly benchmarking indicator. An outlet has at most one score a
// month; recording it again replaces it.
type SatisfactionScore struct {
	OutletID   int64
	Licence    string    // the outlet's licence number
	Month      time.Time // the first day of the month, UTC
	Score      float64   // 0–100, one decimal
	Comment    string
	RecordedBy string    // username of who recorded it; "" for scores loaded with the demo region
	RecordedAt time.Time // zero for scores loaded with the demo region
}

// Bounds of a satisfaction score and its comment.
const (
	MinSatisfaction        = 0
	MaxSatisfaction        = 100
	MaxSatisfactionComment = 1000 // characters
)

// ParseMonth parses a month written YYYY-MM and returns its first day (UTC).
func ParseMonth(s string) (time.Time, bool) {
	m, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, false
	}
	return m, true
}

// ValidateSatisfaction checks a score about to be recorded at now: a score from 0 to 100 with at most
// one decimal, a comment of at most MaxSatisfactionComment characters, and a month that has begun
// (a manager scores a month while it runs or after it). It returns a *ValidationError naming the
// fields month, score and comment.
func ValidateSatisfaction(month time.Time, score float64, comment string, now time.Time) error {
	v := &ValidationError{Fields: map[string]string{}}
	if month.After(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)) { // now's month where now is
		v.Fields["month"] = "a month that has not begun: score a month while it runs or after it"
	}
	switch {
	case score != score || score < MinSatisfaction || score > MaxSatisfaction: // score != score: NaN
		v.Fields["score"] = "want a score from 0 to 100"
	case math.Abs(score*10-math.Round(score*10)) > 1e-9:
		v.Fields["score"] = "want at most one decimal, such as 87.5"
	}
	if utf8.RuneCountInString(comment) > MaxSatisfactionComment {
		v.Fields["comment"] = "at most 1000 characters"
	} else if strings.ContainsRune(comment, 0) {
		v.Fields["comment"] = "contains a NUL character"
	}
	return v.orNil()
}

// SatisfactionFilter selects satisfaction scores: of one month (zero: every month), of one outlet (0:
// every outlet the caller may see), after the key (AfterOutlet, AfterMonth) of the previous page, at
// most Limit, in (outlet, month) order.
type SatisfactionFilter struct {
	Month       time.Time
	Outlet      int64
	AfterOutlet int64
	AfterMonth  time.Time
	Limit       int
}
