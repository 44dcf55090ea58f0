package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hourly is the slot of a job that succeeds once an hour: the hour, in UTC.
func Hourly(now time.Time) string {
	return now.UTC().Truncate(time.Hour).Format("2006-01-02T15")
}

// weekdays by the names a schedule spells, Monday first.
var weekdays = map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}

// Weekly parses a weekly time such as "mon 02:00" (in loc) and returns the slot function of a job
// due then: its slot is the Monday (YYYY-MM-DD) of the latest week whose time has come. A job first
// started after its time in a week runs at once for that week.
func Weekly(spec string, loc *time.Location) (func(time.Time) string, error) {
	day, clock, ok := strings.Cut(strings.TrimSpace(spec), " ")
	wd, known := weekdays[strings.ToLower(day)]
	offset, err := parseClock(clock)
	if !ok || !known || err != nil {
		return nil, fmt.Errorf("%q: want a weekday and a time, such as \"mon 02:00\"", spec)
	}
	sinceMonday := (int(wd) + 6) % 7
	return func(now time.Time) string {
		now = now.In(loc)
		monday := midnight(now).AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
		if now.Before(monday.AddDate(0, 0, sinceMonday).Add(offset)) {
			monday = monday.AddDate(0, 0, -7)
		}
		return monday.Format(time.DateOnly)
	}, nil
}

// Monthly parses a monthly time such as "2 04:00" (the 2nd at 04:00 in loc, day 1 to 28) and returns
// the slot function of a job that deals with the month just ended: its slot is that month (YYYY-MM),
// due from the given day and time of the month after it.
func Monthly(spec string, loc *time.Location) (func(time.Time) string, error) {
	day, clock, ok := strings.Cut(strings.TrimSpace(spec), " ")
	d, err := strconv.Atoi(day)
	offset, cerr := parseClock(clock)
	if !ok || err != nil || d < 1 || d > 28 || cerr != nil {
		return nil, fmt.Errorf("%q: want a day of the month (1-28) and a time, such as \"2 04:00\"", spec)
	}
	return func(now time.Time) string {
		now = now.In(loc)
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
		if now.Before(first.AddDate(0, 0, d-1).Add(offset)) {
			first = first.AddDate(0, -1, 0)
		}
		return first.AddDate(0, -1, 0).Format("2006-01")
	}, nil
}

// parseClock parses "HH:MM" as the time since midnight.
func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}
