package ordering

import (
	"testing"
	"time"
)

// A new product is new in the cycle of the week it launches in and in the cycles of the 4 weeks after.
func TestBrandNewIn(t *testing.T) {
	week := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		launch time.Time
		flag   bool
		want   bool
	}{
		{week.AddDate(0, 0, -28), true, true},  // the first day of the 4 weeks before
		{week.AddDate(0, 0, -29), true, false}, // the day before them
		{week.AddDate(0, 0, 6), true, true},    // during the cycle's week
		{week.AddDate(0, 0, 7), true, false},   // the week after
		{week.AddDate(0, 0, -3), false, false}, // not flagged as a new product
		{time.Time{}, true, false},             // no launch day
	} {
		b := Brand{NewProduct: tt.flag, LaunchDate: tt.launch}
		if got := b.NewIn(week); got != tt.want {
			t.Errorf("Brand{NewProduct: %v, LaunchDate: %s}.NewIn(%s) = %v; want %v", tt.flag, tt.launch.Format(time.DateOnly),
				week.Format(time.DateOnly), got, tt.want)
		}
	}
}
