package forecast

import (
	"testing"
	"time"
)

func TestMonthWeeks(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tt := range []struct{ month, from, to string }{
		{"2026-10-15", "2026-09-28", "2026-11-02"}, // Thursday 1st, Saturday 31st
		{"2026-06-01", "2026-06-01", "2026-07-06"}, // Monday 1st, Tuesday 30th
		{"2026-05-01", "2026-04-27", "2026-06-01"}, // Friday 1st, Sunday 31st
	} {
		from, to := MonthWeeks(day(tt.month))
		if !from.Equal(day(tt.from)) || !to.Equal(day(tt.to)) {
			t.Errorf("MonthWeeks(%s) = %s, %s; want %s, %s", tt.month, from.Format(time.DateOnly), to.Format(time.DateOnly), tt.from, tt.to)
		}
	}
}
