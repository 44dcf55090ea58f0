package forecast

import (
	"context"
	"time"
)

// CalendarScope is the one rule of which calendar days the festival profiles and the regressions of
// a dataset use. A dataset's own imported holidays (CalendarDay.Dataset, ordercast import holidays)
// are always in, except those of another region when Region is named (a day without a region is
// everyone's). Of the calendar table (Dataset ""), the region's own: the days of Region when one is
// named; otherwise every region's days for the LiveDataset, and none for an imported dataset, which
// comes from elsewhere (another country's holidays would only add noise).
type CalendarScope struct {
	Dataset string
	Region  string // "" for the default of Dataset
}

// Includes reports whether calendar day c is in the scope.
func (s CalendarScope) Includes(c CalendarDay) bool {
	if c.Dataset != "" {
		return c.Dataset == s.Dataset && (s.Region == "" || c.Region == "" || c.Region == s.Region)
	}
	if s.Region != "" {
		return c.Region == s.Region
	}
	return s.Dataset == LiveDataset
}

// Select returns the holidays of cal in the scope, in cal's order, and how many of cal's days, holidays
// or not, are in it.
func (s CalendarScope) Select(cal []CalendarDay) (holidays []CalendarDay, days int) {
	for _, c := range cal {
		if !s.Includes(c) {
			continue
		}
		days++
		if c.Holiday != "" {
			holidays = append(holidays, c)
		}
	}
	return holidays, days
}

// scopedCalendar is what a run or a backtest takes from the calendar table.
type scopedCalendar struct {
	Holidays []CalendarDay // the holidays in scope
	Days     int           // the days in scope, holidays among them
}

// readScopedCalendar reads the calendar days that matter to forecasts of the weeks from first up to
// (not including) end, whose history starts on first: holidays a few weeks beyond either end still
// have lead-up or after weeks inside. It keeps the days of scope.
func readScopedCalendar(ctx context.Context, cal CalendarReader, scope CalendarScope, first, end time.Time) (scopedCalendar, error) {
	days, err := cal.Calendar(ctx, scope.Dataset, first.AddDate(0, 0, -7*(DefaultHolidayLags+1)), end.AddDate(0, 0, 7*(DefaultHolidayLeads+1)))
	if err != nil {
		return scopedCalendar{}, err
	}
	var sc scopedCalendar
	sc.Holidays, sc.Days = scope.Select(days)
	return sc, nil
}
