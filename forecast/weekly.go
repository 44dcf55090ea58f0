package forecast

import (
	"errors"
	"time"
)

// ErrNoFigures: a month's weeks have neither a forecast nor an actual of the key asked about (a brand
// unknown to the run and the history).
var ErrNoFigures = errors.New("forecast: no forecast or actual of the key in the period")

// WeekFigure is one week's forecast against actual at the company's or one brand's level: what a
// planner charts beside a month's accuracy.
type WeekFigure struct {
	Week       time.Time // its Monday
	Forecasted bool      // the run forecast the week; else Forecast, Lo80 and Hi80 are 0
	Forecast   float64   // the run's point forecast
	Lo80, Hi80 float64   // its 80% interval
	Actual     float64   // the week's whole actual (sales, requests or the true demand), not split by month
}

// WeeklyQuery asks for the weekly figures of a run between two Mondays.
type WeeklyQuery struct {
	RunID   string
	Dataset string  // LiveDataset when ""
	Against Against // AgainstSales when ""
	Brand   string  // "" for the company's total
	From    time.Time
	To      time.Time // exclusive
}

// MonthWeeks returns the Mondays bounding the weeks that have a day in the month of month: from is
// the Monday on or before its first day, to the Monday after its last day's week (exclusive).
func MonthWeeks(month time.Time) (from, to time.Time) {
	monday := func(d time.Time) time.Time { return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) }
	first := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, time.UTC)
	return monday(first), monday(first.AddDate(0, 1, -1)).AddDate(0, 0, 7)
}
