package forecast

import "time"

// OutletWeeks is one outlet's weeks on one chart, for its account manager: what it asked for, was
// granted and got delivered (cartons, the sales history), the latest forecast run's forecast with its
// 80% interval, and what its collection point's scans say (stock at the week's last count, sell-out).
// Brand is "" for the outlet's total over its brands.
type OutletWeeks struct {
	Outlet string
	Brand  string
	Run    string // the forecast run; "" when none was run
	Weeks  []OutletWeek
}

// OutletWeek is one week (its Monday) of OutletWeeks. A figure with nothing behind it is nil, never 0:
// Forecast when the run did not forecast the week, Stock when no count was scanned, SellOut when
// no sell-out was scanned.
type OutletWeek struct {
	Week                          time.Time
	Requested, Granted, Delivered float64
	Forecast                      *Interval
	Stock, SellOut                *float64
}

// Interval is a forecast with its 80% interval (cartons). For an outlet's total the bounds are the
// sums of its brands' bounds: wider than the total's own interval, never narrower.
type Interval struct {
	Point, Lo80, Hi80 float64
}
