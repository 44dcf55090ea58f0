package forecast

import (
	"cmp"
	"slices"
	"time"
)

// Observation is one quantity of a brand at an outlet on a date: a day of sales for daily history, or
// a week's total for weekly history (the date is then any day of that week).
type Observation struct {
	Day    time.Time
	Outlet string
	Brand  string
	Qty    float64
}

// Series is one outlet × brand weekly series on the calendar of the Panel that holds it.
type Series struct {
	Outlet string
	Brand  string
	Values []float64 // one value per week of the calendar, oldest first; a week without sales is 0
}

// Panel is a set of weekly series on one common calendar.
type Panel struct {
	Weeks  []time.Time // the calendar: Mondays at UTC midnight, ascending
	Series []Series    // sorted by Outlet, then Brand; every Values has len(Weeks) elements
}

// Period says what the date of an Observation stands for.
type Period int

// The periods a Builder accepts.
const (
	Daily  Period = iota // one observation per day; weeks with fewer than 7 days in the data are dropped
	Weekly               // one observation per week; its date is moved to the Monday of its week
)

// Builder sums observations into a Panel of Monday-start weeks, following BACKTEST.md:
//
//   - Daily: values are summed into the Monday-start week of their day. A week of which fewer than 7
//     distinct days occur anywhere in the data (in any series) is dropped from the calendar, with its
//     values.
//   - Weekly: each date is put on the Monday of its week (Walmart's Friday dates included) and values
//     on the same week are summed.
//
// The calendar is the union of the weeks kept; a week that a series lacks counts as 0 in it. The zero
// value is not usable; call NewBuilder. A Builder is not safe for concurrent use.
type Builder struct {
	period Period
	index  map[seriesKey]int
	keys   []seriesKey
	cells  [][]cell
	days   map[int64]struct{} // day numbers seen (Daily)
	weeks  map[int64]struct{} // week numbers seen
}

type seriesKey struct{ outlet, brand string }

type cell struct {
	week int64
	v    float64
}

// NewBuilder returns an empty Builder for observations of period p.
func NewBuilder(p Period) *Builder {
	return &Builder{
		period: p,
		index:  make(map[seriesKey]int),
		days:   make(map[int64]struct{}),
		weeks:  make(map[int64]struct{}),
	}
}

// Add records one observation. The time of day and location of o.Day are ignored: the calendar date
// as written counts.
func (b *Builder) Add(o Observation) {
	day := dayNumber(o.Day)
	week := weekOfDay(day)
	if b.period == Daily {
		b.days[day] = struct{}{}
	}
	b.weeks[week] = struct{}{}
	k := seriesKey{o.Outlet, o.Brand}
	i, ok := b.index[k]
	if !ok {
		i = len(b.keys)
		b.index[k] = i
		b.keys = append(b.keys, k)
		b.cells = append(b.cells, nil)
	}
	cs := b.cells[i]
	if n := len(cs); n > 0 && cs[n-1].week == week {
		cs[n-1].v += o.Qty // consecutive days of one week: the common case for sorted input
		return
	}
	b.cells[i] = append(cs, cell{week, o.Qty})
}

// Panel returns the series built so far. It may be called more than once.
func (b *Builder) Panel() Panel {
	weekNums := make([]int64, 0, len(b.weeks))
	for w := range b.weeks {
		if b.period == Daily && !b.fullWeek(w) {
			continue
		}
		weekNums = append(weekNums, w)
	}
	slices.Sort(weekNums)
	pos := make(map[int64]int, len(weekNums))
	p := Panel{Weeks: make([]time.Time, len(weekNums))}
	for i, w := range weekNums {
		pos[w] = i
		p.Weeks[i] = mondayOfWeek(w)
	}
	order := make([]int, len(b.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		kx, ky := b.keys[x], b.keys[y]
		return cmp.Or(cmp.Compare(kx.outlet, ky.outlet), cmp.Compare(kx.brand, ky.brand))
	})
	p.Series = make([]Series, len(order))
	values := make([]float64, len(order)*len(weekNums)) // one block: fewer allocations, better locality
	for j, i := range order {
		v := values[j*len(weekNums) : (j+1)*len(weekNums) : (j+1)*len(weekNums)]
		for _, c := range b.cells[i] {
			if t, ok := pos[c.week]; ok {
				v[t] += c.v
			}
		}
		p.Series[j] = Series{Outlet: b.keys[i].outlet, Brand: b.keys[i].brand, Values: v}
	}
	return p
}

func (b *Builder) fullWeek(w int64) bool {
	first := w*7 + mondayOffset
	for d := first; d < first+7; d++ {
		if _, ok := b.days[d]; !ok {
			return false
		}
	}
	return true
}

// mondayOffset is the day number of the first Monday after the Unix epoch (1970-01-05): day numbers
// count days since 1970-01-01, a Thursday.
const mondayOffset = 4

// dayNumber returns the days since 1970-01-01 of t's calendar date.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// weekOfDay returns the number of the Monday-start week that holds day number d.
func weekOfDay(d int64) int64 {
	x := d - mondayOffset
	q := x / 7
	if x%7 < 0 {
		q--
	}
	return q
}

func mondayOfWeek(w int64) time.Time {
	return time.Unix((w*7+mondayOffset)*86400, 0).UTC()
}
