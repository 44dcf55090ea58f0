package synth

import (
	"fmt"
	"math"
	"time"

	"github.com/ordercast/ordercast/forecast"
)

// lunarDates holds, per Gregorian year, the dates of the Spring Festival (Chinese New Year, the first
// day of the first lunar month) and of the Mid-Autumn Festival (the fifteenth day of the eighth), as
// the official Chinese calendar publishes them. The lunar calendar has no closed formula, so these
// are data; extend the table as years pass. Read only.
var lunarDates = [...]struct {
	year              int
	spring, midAutumn monthDay
}{
	{2015, monthDay{2, 19}, monthDay{9, 27}},
	{2016, monthDay{2, 8}, monthDay{9, 15}},
	{2017, monthDay{1, 28}, monthDay{10, 4}},
	{2018, monthDay{2, 16}, monthDay{9, 24}},
	{2019, monthDay{2, 5}, monthDay{9, 13}},
	{2020, monthDay{1, 25}, monthDay{10, 1}},
	{2021, monthDay{2, 12}, monthDay{9, 21}},
	{2022, monthDay{2, 1}, monthDay{9, 10}},
	{2023, monthDay{1, 22}, monthDay{9, 29}},
	{2024, monthDay{2, 10}, monthDay{9, 17}},
	{2025, monthDay{1, 29}, monthDay{10, 6}},
	{2026, monthDay{2, 17}, monthDay{9, 25}},
	{2027, monthDay{2, 6}, monthDay{9, 15}},
	{2028, monthDay{1, 26}, monthDay{10, 3}},
	{2029, monthDay{2, 13}, monthDay{9, 22}},
	{2030, monthDay{2, 3}, monthDay{9, 12}},
	{2031, monthDay{1, 23}, monthDay{10, 1}},
	{2032, monthDay{2, 11}, monthDay{9, 19}},
	{2033, monthDay{1, 31}, monthDay{9, 8}},
	{2034, monthDay{2, 19}, monthDay{9, 27}},
	{2035, monthDay{2, 8}, monthDay{9, 16}},
}

type monthDay struct{ month, day int }

// FirstLunarYear and LastLunarYear bound the years the festival table covers.
const (
	FirstLunarYear = 2015
	LastLunarYear  = 2035
)

// SpringFestival returns the date (UTC midnight) of the Spring Festival in the Gregorian year, and
// false when the table does not cover the year.
func SpringFestival(year int) (time.Time, bool) {
	if year < FirstLunarYear || year > LastLunarYear {
		return time.Time{}, false
	}
	d := lunarDates[year-FirstLunarYear].spring
	return date(year, d.month, d.day), true
}

// MidAutumn returns the date (UTC midnight) of the Mid-Autumn Festival in the Gregorian year, and false
// when the table does not cover the year.
func MidAutumn(year int) (time.Time, bool) {
	if year < FirstLunarYear || year > LastLunarYear {
		return time.Time{}, false
	}
	d := lunarDates[year-FirstLunarYear].midAutumn
	return date(year, d.month, d.day), true
}

// NationalDay returns 1 October of the year, the first day of the National Day holiday.
func NationalDay(year int) time.Time { return date(year, 10, 1) }

func date(year, month, day int) time.Time {
	return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// Festival lifts by weeks until the festival: 0 is the week that contains it, 1 the week before,
// -1 the week after. Demand rises in the weeks before a festival (gifts and stocking up) and, after
// the Spring Festival, slumps while shops are shut and households use up what they bought.
var (
	springLift      = map[int]float64{3: 0.30, 2: 0.65, 1: 1.00, 0: 0.25, -1: -0.40, -2: -0.20, -3: -0.08}
	nationalDayLift = map[int]float64{1: 0.12, 0: 0.15}
	midAutumnLift   = map[int]float64{1: 0.20, 0: 0.10}
)

// weekLift is a week's calendar effect on demand: a smooth annual cycle (summer a little higher than
// winter) times one plus the festival lifts. Gift-sensitive (dear) brands feel the positive lifts
// more: gift scales them.
type weekLift struct {
	annual   float64 // multiplier, around 1
	festival float64 // additive lift, -0.4 … +1.3
}

// factor is the week's multiplier for a brand whose gift sensitivity is gift (0 none, 1 strongest).
func (l weekLift) factor(gift float64) float64 {
	f := l.festival
	if f > 0 {
		f *= 1 + 0.6*gift
	}
	return l.annual * (1 + f)
}

// liftFor returns the calendar effect of the week that starts on monday, or an error when the
// festival table does not cover it.
func liftFor(monday time.Time) (weekLift, error) {
	doy := float64(monday.YearDay() + 3) // mid-week
	l := weekLift{annual: 1 + 0.05*math.Cos(2*math.Pi*(doy-196)/365.25)}
	year := monday.Year()
	for _, y := range []int{year, year + 1} {
		sf, ok := SpringFestival(y)
		if !ok {
			return weekLift{}, fmt.Errorf("synth: the festival table covers %d–%d, not %d: extend lunarDates",
				FirstLunarYear, LastLunarYear, y)
		}
		l.festival += springLift[weeksUntil(monday, sf)]
	}
	ma, _ := MidAutumn(year) // covered: year was checked above
	l.festival += midAutumnLift[weeksUntil(monday, ma)]
	l.festival += nationalDayLift[weeksUntil(monday, NationalDay(year))]
	return l, nil
}

// weeksUntil returns how many weeks after the week starting on monday the day falls: 0 when the week
// contains it, negative when it is past.
func weeksUntil(monday, day time.Time) int {
	days := int(day.Sub(monday).Hours() / 24)
	if days >= 0 {
		return days / 7
	}
	return -((-days + 6) / 7)
}

// Holiday names of Holidays.
const (
	SpringFestivalHoliday = "Spring Festival"
	NationalDayHoliday    = "National Day"
	MidAutumnHoliday      = "Mid-Autumn Festival"
)

// CalendarRegion is the region of the days Holidays returns.
const CalendarRegion = "CN"

// Holidays returns the days of the three festivals the generator's demand follows, for the years
// from first to last that the festival table covers, as rows of the calendar table (region
// CalendarRegion): the Spring Festival and the six days after it, National Day 1–7 October and the
// Mid-Autumn Festival. They approximate the public holidays: the State Council decrees the exact
// days, and the make-up working days, every year; load those as data where they matter.
func Holidays(first, last int) []forecast.CalendarDay {
	var out []forecast.CalendarDay
	add := func(name string, from time.Time, days int) {
		for d := range days {
			out = append(out, forecast.CalendarDay{Region: CalendarRegion, Day: from.AddDate(0, 0, d), Holiday: name})
		}
	}
	for y := max(first, FirstLunarYear); y <= min(last, LastLunarYear); y++ {
		sf, _ := SpringFestival(y)
		add(SpringFestivalHoliday, sf, 7)
		ma, _ := MidAutumn(y)
		add(MidAutumnHoliday, ma, 1)
		add(NationalDayHoliday, NationalDay(y), 7)
	}
	return out
}
