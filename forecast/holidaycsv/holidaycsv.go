// Package holidaycsv reads the holiday calendar of a dataset from CSV, as forecast.CalendarDay values
// for `ordercast import holidays`, in three formats:
//
//   - Calendar, the project's own: a header naming the columns date and name, and optionally region
//     (in any order, any case; other columns are ignored), then one row per day of a holiday. Dates are
//     2006-01-02. A holiday of several days has one row per day: consecutive days with one name are one
//     occurrence of it (forecast.Holidays).
//   - M5Calendar: the calendar.csv of the M5 competition; each day's event_name_1 and event_name_2 are
//     holidays of that day.
//   - WalmartFlags: a file of the Walmart store-sales competition with the columns Date and IsHoliday
//     (train.csv or features.csv); each flagged week is named by its month after the competition's
//     description (Super Bowl, Labor Day, Thanksgiving, Christmas) and put on its Date.
//
// The whole file is read (calendars are small); the first bad row stops it with a
// *historycsv.ParseError naming the file, line, column and value, and a header that lacks a column
// with a *historycsv.HeaderError, so nothing is returned half-read.
package holidaycsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/historycsv"
)

// Format names a layout of holiday file.
type Format string

// The formats Read knows.
const (
	Calendar     Format = "calendar"      // date,name[,region]
	M5Calendar   Format = "m5-calendar"   // M5's calendar.csv: date, event_name_1, event_name_2
	WalmartFlags Format = "walmart-flags" // Walmart's Date, IsHoliday
)

// Formats returns the formats Read knows, Calendar first.
func Formats() []Format { return []Format{Calendar, M5Calendar, WalmartFlags} }

// ParseFormat parses the name of a format.
func ParseFormat(s string) (Format, error) {
	if f := Format(s); slices.Contains(Formats(), f) {
		return f, nil
	}
	return "", fmt.Errorf("holidaycsv: format %q: want %s, %s or %s", s, Calendar, M5Calendar, WalmartFlags)
}

// Limits of the input.
const (
	// MaxNameLen bounds a holiday's and a region's name, in bytes.
	MaxNameLen = 100
	// MaxRows bounds the rows of a file (Walmart's train.csv, read for its flags, has 293,703).
	MaxRows = 2_000_000
)

// DateLayout is the layout of every format's dates.
const DateLayout = "2006-01-02"

// The range of days a holiday may fall on: what a ClickHouse Date holds.
var (
	minDay = historycsv.MinDay
	maxDay = historycsv.MaxDay
)

// Walmart's flagged weeks, by month: the competition names the Super Bowl, Labor Day, Thanksgiving
// and Christmas weeks as its holidays.
var walmartHolidays = map[time.Month]string{
	time.February:  "Super Bowl",
	time.September: "Labor Day",
	time.November:  "Thanksgiving",
	time.December:  "Christmas",
}

// Read reads the holidays of the file r in format f; file names it in errors. The days come back
// sorted by day, name and region, each once: in the Calendar format a row that repeats an earlier
// one (the same date, name and region) is an error, in the converted formats (where every store's row
// repeats a flag) it is read once. An input with a header but no holiday returns none and no error.
func Read(r io.Reader, file string, f Format) ([]forecast.CalendarDay, error) {
	var cols []string
	switch f {
	case Calendar:
		cols = []string{"date", "name", "region"}
	case M5Calendar:
		cols = []string{"date", "event_name_1", "event_name_2"}
	case WalmartFlags:
		cols = []string{"date", "isholiday"}
	default:
		return nil, fmt.Errorf("holidaycsv: unknown format %q", f)
	}
	rd := &reader{file: file, csv: csv.NewReader(r)}
	rd.csv.ReuseRecord = true
	rd.csv.FieldsPerRecord = -1
	optional := map[string]bool{"region": true}
	idx, err := rd.header(cols, optional)
	if err != nil {
		return nil, err
	}
	seen := make(map[forecast.CalendarDay]int) // → the line that holds it
	var out []forecast.CalendarDay
	add := func(d forecast.CalendarDay, line int, rec []string) error {
		if first, ok := seen[d]; ok {
			if f == Calendar {
				return rd.fieldError(rec, idx[1], cols[1], fmt.Sprintf("repeats line %d (the same date, name and region)", first))
			}
			return nil
		}
		seen[d] = line
		out = append(out, d)
		return nil
	}
	for rows := 0; ; rows++ {
		rec, err := rd.csv.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, rd.csvError(err)
		}
		if rows == MaxRows {
			line, _ := rd.csv.FieldPos(0)
			return nil, &historycsv.ParseError{File: file, Line: line, Reason: fmt.Sprintf("the file has more than %d rows", MaxRows)}
		}
		if len(rec) != rd.need {
			line, _ := rd.csv.FieldPos(0)
			return nil, &historycsv.ParseError{File: file, Line: line,
				Reason: fmt.Sprintf("the row has %d fields; the header has %d", len(rec), rd.need)}
		}
		line, _ := rd.csv.FieldPos(0)
		switch f {
		case Calendar:
			day, err := rd.day(rec, idx[0], cols[0])
			if err != nil {
				return nil, err
			}
			name, err := rd.name(rec, idx[1], cols[1], true)
			if err != nil {
				return nil, err
			}
			var region string
			if idx[2] >= 0 {
				if region, err = rd.name(rec, idx[2], cols[2], false); err != nil {
					return nil, err
				}
			}
			if err := add(forecast.CalendarDay{Day: day, Holiday: name, Region: region}, line, rec); err != nil {
				return nil, err
			}
		case M5Calendar:
			day, err := rd.day(rec, idx[0], cols[0])
			if err != nil {
				return nil, err
			}
			for _, i := range idx[1:] {
				name, err := rd.name(rec, i, rd.headerName(i), false)
				if err != nil {
					return nil, err
				}
				if name != "" {
					add(forecast.CalendarDay{Day: day, Holiday: name}, line, rec) //nolint:errcheck // repeats are read once
				}
			}
		case WalmartFlags:
			flag := strings.ToUpper(strings.TrimSpace(rec[idx[1]]))
			if flag != "TRUE" && flag != "FALSE" {
				return nil, rd.fieldError(rec, idx[1], rd.headerName(idx[1]), "is not TRUE or FALSE")
			}
			day, err := rd.day(rec, idx[0], rd.headerName(idx[0]))
			if err != nil {
				return nil, err
			}
			if flag == "FALSE" {
				continue
			}
			name, ok := walmartHolidays[day.Month()]
			if !ok {
				return nil, rd.fieldError(rec, idx[1], rd.headerName(idx[1]),
					fmt.Sprintf("flags a week in %s; Walmart's holiday weeks are in February, September, November and December", day.Month()))
			}
			add(forecast.CalendarDay{Day: day, Holiday: name}, line, rec) //nolint:errcheck // repeats are read once
		}
	}
	slices.SortFunc(out, func(a, b forecast.CalendarDay) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		if c := strings.Compare(a.Holiday, b.Holiday); c != 0 {
			return c
		}
		return strings.Compare(a.Region, b.Region)
	})
	return out, nil
}

// reader holds the state of one Read.
type reader struct {
	file string
	csv  *csv.Reader
	cols []string // the header as read, trimmed
	need int
}

// header reads the header and returns the field index of each of want (matched without regard to
// case or surrounding space), −1 for an optional one it lacks.
func (r *reader) header(want []string, optional map[string]bool) ([]int, error) {
	rec, err := r.csv.Read()
	if err == io.EOF {
		return nil, &historycsv.HeaderError{File: r.file, Missing: required(want, optional)}
	}
	if err != nil {
		return nil, r.csvError(err)
	}
	r.cols = make([]string, len(rec))
	for i, c := range rec {
		c = strings.TrimSpace(c)
		if i == 0 {
			c = strings.TrimPrefix(c, "\uFEFF")
		}
		r.cols[i] = c
	}
	r.need = len(rec)
	he := &historycsv.HeaderError{File: r.file, Header: r.cols}
	idx := make([]int, len(want))
	for k, w := range want {
		idx[k] = -1
		for i, c := range r.cols {
			if !strings.EqualFold(c, w) {
				continue
			}
			if idx[k] >= 0 {
				he.Duplicate = append(he.Duplicate, w)
				break
			}
			idx[k] = i
		}
		if idx[k] < 0 && !optional[w] {
			he.Missing = append(he.Missing, w)
		}
	}
	if len(he.Missing) > 0 || len(he.Duplicate) > 0 {
		return nil, he
	}
	return idx, nil
}

func required(want []string, optional map[string]bool) []string {
	var out []string
	for _, w := range want {
		if !optional[w] {
			out = append(out, w)
		}
	}
	return out
}

func (r *reader) headerName(i int) string { return r.cols[i] }

func (r *reader) fieldError(rec []string, i int, column, reason string) error {
	line, _ := r.csv.FieldPos(i)
	return &historycsv.ParseError{File: r.file, Line: line, Column: column, Value: rec[i], Reason: reason}
}

func (r *reader) csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	return &historycsv.ParseError{File: r.file, Line: pe.Line, Reason: fmt.Sprintf("%v (at character %d)", pe.Err, pe.Column), Err: err}
}

func (r *reader) day(rec []string, i int, column string) (time.Time, error) {
	v := strings.TrimSpace(rec[i])
	if v == "" {
		return time.Time{}, r.fieldError(rec, i, column, "is empty; want a date like "+DateLayout)
	}
	d, err := time.Parse(DateLayout, v)
	if err != nil {
		return time.Time{}, r.fieldError(rec, i, column, "is not a date like "+DateLayout)
	}
	if d.Before(minDay) || d.After(maxDay) {
		return time.Time{}, r.fieldError(rec, i, column,
			fmt.Sprintf("is outside %s..%s", minDay.Format(DateLayout), maxDay.Format(DateLayout)))
	}
	return d, nil
}

// name returns the trimmed field i: valid UTF-8 without control characters, at most MaxNameLen
// bytes, and not empty when required.
func (r *reader) name(rec []string, i int, column string, required bool) (string, error) {
	v := strings.TrimSpace(rec[i])
	switch {
	case v == "" && required:
		return "", r.fieldError(rec, i, column, "is empty")
	case !utf8.ValidString(v):
		return "", r.fieldError(rec, i, column, "is not valid UTF-8; convert the file to UTF-8 first")
	case len(v) > MaxNameLen:
		return "", r.fieldError(rec, i, column, fmt.Sprintf("is longer than %d bytes", MaxNameLen))
	case strings.ContainsFunc(v, unicode.IsControl):
		return "", r.fieldError(rec, i, column, "holds a control character")
	}
	return strings.Clone(v), nil
}
