package retailer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNewVisitValidate(t *testing.T) {
	today := time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return today.AddDate(0, 0, n) }
	tests := []struct {
		name string
		v    NewVisit
		want map[string]string
	}{
		{"today", NewVisit{VisitedOn: today, Purpose: VisitRoutine}, nil},
		{"with a follow-up", NewVisit{VisitedOn: day(-3), Purpose: VisitCoaching, Notes: "display", FollowUpOn: day(4), FollowUp: "check"}, nil},
		{"a follow-up the day of the visit", NewVisit{VisitedOn: day(-3), Purpose: VisitComplaint, FollowUpOn: day(-3), FollowUp: "call"}, nil},
		{"nothing", NewVisit{}, map[string]string{"visited_on": "required, as YYYY-MM-DD",
			"purpose": "want one of routine, coaching, order_follow_up, upload_follow_up, new_product, complaint, other"}},
		{"tomorrow", NewVisit{VisitedOn: day(1), Purpose: VisitRoutine},
			map[string]string{"visited_on": "a day after today (2026-11-19): record a visit once made"}},
		{"two years ago", NewVisit{VisitedOn: day(-730), Purpose: VisitRoutine}, map[string]string{"visited_on": "more than a year ago"}},
		{"notes too long", NewVisit{VisitedOn: today, Purpose: VisitOtherPurpose, Notes: strings.Repeat("店", 2001)},
			map[string]string{"notes": "at most 2000 characters"}},
		{"a follow-up before the visit", NewVisit{VisitedOn: today, Purpose: VisitRoutine, FollowUpOn: day(-1), FollowUp: "x"},
			map[string]string{"follow_up.on": "before the visit"}},
		{"a follow-up two years ahead", NewVisit{VisitedOn: today, Purpose: VisitRoutine, FollowUpOn: day(800), FollowUp: "x"},
			map[string]string{"follow_up.on": "more than a year ahead"}},
		{"a follow-up without a day", NewVisit{VisitedOn: today, Purpose: VisitRoutine, FollowUp: "x"},
			map[string]string{"follow_up.on": "required with a follow-up"}},
		{"a follow-up day without an action", NewVisit{VisitedOn: today, Purpose: VisitRoutine, FollowUpOn: day(2), FollowUp: "  "},
			map[string]string{"follow_up.action": "required: what is to be done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Validate(today)
			if tt.want == nil {
				if err != nil {
					t.Errorf("Validate(%+v) = %v; want nil", tt.v, err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) || !reflect.DeepEqual(ve.Fields, tt.want) {
				t.Errorf("Validate(%+v) = %v; want fields %v", tt.v, err, tt.want)
			}
		})
	}
}
