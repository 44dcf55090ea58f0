package retailer

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidateSatisfaction(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	nov, dec := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		month   time.Time
		score   float64
		comment string
		bad     string // the field refused; "" for valid
	}{
		{"this month", nov, 87.5, "fine", ""},
		{"bounds", nov, 0, "", ""},
		{"top", nov, 100, "", ""},
		{"next month", dec, 80, "", "month"},
		{"above 100", nov, 100.1, "", "score"},
		{"negative", nov, -1, "", "score"},
		{"NaN", nov, math.NaN(), "", "score"},
		{"two decimals", nov, 87.25, "", "score"},
		{"long comment", nov, 80, strings.Repeat("好", MaxSatisfactionComment+1), "comment"},
		{"longest comment", nov, 80, strings.Repeat("好", MaxSatisfactionComment), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSatisfaction(tt.month, tt.score, tt.comment, now)
			var v *ValidationError
			switch {
			case tt.bad == "" && err != nil:
				t.Errorf("ValidateSatisfaction(%v, %v) = %v; want nil", tt.month, tt.score, err)
			case tt.bad != "" && (!errors.As(err, &v) || v.Fields[tt.bad] == "" || len(v.Fields) != 1):
				t.Errorf("ValidateSatisfaction(%v, %v) = %v; want a field error on %s alone", tt.month, tt.score, err, tt.bad)
			}
		})
	}
	// The month is now's where now is: 03:00 on 1 December in Shanghai is 30 November in UTC.
	early := time.Date(2026, 12, 1, 3, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if err := ValidateSatisfaction(dec, 80, "", early); err != nil {
		t.Errorf("ValidateSatisfaction(December) at %s = %v; want nil: December has begun", early, err)
	}
}

func TestParseMonth(t *testing.T) {
	if m, ok := ParseMonth("2026-11"); !ok || !m.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseMonth(2026-11) = %v, %v", m, ok)
	}
	for _, s := range []string{"2026-13", "2026-11-01", "", "11-2026"} {
		if _, ok := ParseMonth(s); ok {
			t.Errorf("ParseMonth(%q) ok; want refused", s)
		}
	}
}
