// Package historycsv reads sales history from the CSV export of a legacy system, one row at a time,
// as forecast.Sale values.
//
// The columns that hold the outlet, the brand, the date and the quantity are named by their header
// names; every other column is ignored. Dates are daily, or weekly, in which case each row is put on
// the Monday of its week. Fields are trimmed of surrounding whitespace and a UTF-8 byte order mark
// before the header is ignored. Quantities may be negative (returns) but not empty.
//
// A Reader streams: it holds one record at a time (plus one copy of each distinct outlet and brand
// name), so files of any size are read in bounded memory. The first bad row stops it with a
// *ParseError that names the file, line, column and value; a header that lacks a mapped column stops
// it with a *HeaderError. Both are the only kinds of error Read returns, besides those of the
// underlying io.Reader.
package historycsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ordercast/ordercast/forecast"
)

// Period says what one row's date stands for.
type Period string

// The periods a history can be kept in.
const (
	Daily  Period = "day"  // one row per day; the date is stored as it is
	Weekly Period = "week" // one row per week; the date is stored as the Monday of its ISO week
)

// ParsePeriod parses "day" or "week".
func ParsePeriod(s string) (Period, error) {
	switch p := Period(s); p {
	case Daily, Weekly:
		return p, nil
	}
	return "", fmt.Errorf("historycsv: period %q: want day or week", s)
}

// DefaultDateLayout is the date layout used when Options.DateLayout is empty.
const DefaultDateLayout = "2006-01-02"

// The range of days a row may fall on (after moving weekly rows to their Monday): what a ClickHouse
// Date holds, without its zero value 1970-01-01, which older servers print as 0000-00-00.
var (
	MinDay = time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	MaxDay = time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Options configures a Reader.
type Options struct {
	// File names the input in error messages, e.g. "train.csv". It may be empty.
	File string
	// Outlet, Brand, Date and Qty are the header names of the mapped columns. All are required; one
	// column may serve two roles.
	Outlet, Brand, Date, Qty string
	// Period is Daily (the default when empty) or Weekly.
	Period Period
	// DateLayout is the Go time layout of the date column; DefaultDateLayout when empty. Any time of
	// day in it is dropped: a row counts for the date written.
	DateLayout string
	// Comma is the field separator; ',' when zero.
	Comma rune
}

func (o Options) validate() error {
	var errs []error
	for _, c := range []struct{ role, name string }{
		{"outlet", o.Outlet}, {"brand", o.Brand}, {"date", o.Date}, {"quantity", o.Qty},
	} {
		if strings.TrimSpace(c.name) == "" {
			errs = append(errs, fmt.Errorf("historycsv: no column named for the %s", c.role))
		}
	}
	if o.Period != "" {
		if _, err := ParsePeriod(string(o.Period)); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Comma != 0 && (o.Comma == '"' || o.Comma == '\r' || o.Comma == '\n' || o.Comma == utf8BOM) {
		errs = append(errs, fmt.Errorf("historycsv: field separator %q is not allowed", o.Comma))
	}
	return errors.Join(errs...)
}

const (
	utf8BOM = '\uFEFF'
	bom     = string(utf8BOM)
)

// ParseError reports a row that cannot be read. Line is the 1-based line of the input where the
// offending field starts; Column is the header name of the field ("" when the fault is the whole
// row, such as a wrong number of fields or a CSV syntax error).
type ParseError struct {
	File   string
	Line   int
	Column string
	Value  string
	Reason string // what is wrong with Value, e.g. "is not a number"
	Err    error  // the underlying error, if any (a *csv.ParseError for a syntax error)
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	} else {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q: %q ", e.Column, e.Value)
	}
	b.WriteString(e.Reason)
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// HeaderError reports a header that does not fit the column mapping: a mapped column it lacks or has
// twice, or no header at all (an empty input).
type HeaderError struct {
	File      string
	Missing   []string // mapped columns the header lacks
	Duplicate []string // mapped columns the header has more than once
	Header    []string // the header's columns as read (trimmed); nil for an empty input
}

func (e *HeaderError) Error() string {
	file := e.File
	if file == "" {
		file = "input"
	}
	if e.Header == nil {
		return file + ": no header line: the input is empty"
	}
	var problems []string
	if len(e.Missing) > 0 {
		problems = append(problems, "has no column "+quoteList(e.Missing))
	}
	if len(e.Duplicate) > 0 {
		problems = append(problems, "has more than one column "+quoteList(e.Duplicate))
	}
	return fmt.Sprintf("%s: header %s (its columns: %s)", file, strings.Join(problems, " and "), quoteList(e.Header))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// maxCachedDates bounds the cache of parsed date strings. Histories have a few thousand distinct
// dates; a layout with a time of day could have millions, which are then parsed without caching.
const maxCachedDates = 1 << 14

// MaxLineBytes bounds one line of input: a longer one is refused where it starts, before it is held
// in memory, so that a broken or hostile file (one field of 100 MB) cannot take the importer's memory.
// A line of a sales export is a few dozen bytes.
const MaxLineBytes = 1 << 20

// lineLimit passes r through and fails a Read once a line runs past max bytes.
type lineLimit struct {
	r    io.Reader
	max  int
	line int // 1-based line of the next byte
	run  int // bytes of that line read so far
}

// lineTooLong is lineLimit's error: line is longer than the limit.
type lineTooLong struct{ line int }

func (e *lineTooLong) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.line, MaxLineBytes)
}

func (l *lineLimit) Read(p []byte) (int, error) {
	if l.line == 0 {
		l.line = 1
	}
	n, err := l.r.Read(p)
	for rest := p[:n]; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			l.run += len(rest)
			break
		}
		if l.run+i > l.max {
			l.run += i
			break
		}
		l.line, l.run, rest = l.line+1, 0, rest[i+1:]
	}
	if l.run > l.max {
		return 0, &lineTooLong{line: l.line}
	}
	return n, err
}

// Reader reads sales from CSV. It is not safe for concurrent use.
type Reader struct {
	opts    Options
	layout  string
	weekly  bool
	in      *bufio.Reader // what csv reads from, to skip a byte order mark before it starts
	csv     *csv.Reader
	started bool
	err     error // sticky: once set, Read returns it forever

	header                 []string
	outlet, brand, date, q int // field indexes of the mapped columns
	need                   int // fields a row must have: len(header)

	names map[string]string    // interned outlet and brand names
	days  map[string]time.Time // date string -> stored day
}

// NewReader returns a Reader of r configured by opts. It reads nothing until the first Read; an
// error means opts is invalid.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	layout := opts.DateLayout
	if layout == "" {
		layout = DefaultDateLayout
	}
	br := bufio.NewReaderSize(&lineLimit{r: r, max: MaxLineBytes}, 64<<10)
	cr := csv.NewReader(br) // csv reads from br itself: it wraps only readers that are not a large enough *bufio.Reader
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked against the header by Read, to name the missing column
	if opts.Comma != 0 {
		cr.Comma = opts.Comma
	}
	return &Reader{
		opts:   opts,
		layout: layout,
		weekly: opts.Period == Weekly,
		in:     br,
		csv:    cr,
		names:  make(map[string]string),
		days:   make(map[string]time.Time),
	}, nil
}

// Header returns the header's columns once the first Read has returned; nil before.
func (r *Reader) Header() []string { return r.header }

// Read returns the next sale, with Requested, Granted and Delivered all set to the row's quantity.
// It returns io.EOF after the last row. The first error is returned by every later call too.
func (r *Reader) Read() (forecast.Sale, error) {
	if r.err != nil {
		return forecast.Sale{}, r.err
	}
	s, err := r.read()
	if err != nil {
		r.err = err
	}
	return s, err
}

func (r *Reader) read() (forecast.Sale, error) {
	if !r.started {
		r.started = true
		if err := r.readHeader(); err != nil {
			return forecast.Sale{}, err
		}
	}
	rec, err := r.csv.Read()
	if err != nil {
		return forecast.Sale{}, r.csvError(err)
	}
	if len(rec) != r.need {
		return forecast.Sale{}, r.fieldCountError(rec)
	}
	outlet, err := r.name(rec, r.outlet, r.opts.Outlet)
	if err != nil {
		return forecast.Sale{}, err
	}
	brand, err := r.name(rec, r.brand, r.opts.Brand)
	if err != nil {
		return forecast.Sale{}, err
	}
	day, err := r.day(rec)
	if err != nil {
		return forecast.Sale{}, err
	}
	qty, err := r.qty(rec)
	if err != nil {
		return forecast.Sale{}, err
	}
	return forecast.Sale{Day: day, Outlet: outlet, Brand: brand, Requested: qty, Granted: qty, Delivered: qty}, nil
}

func (r *Reader) readHeader() error {
	if b, err := r.in.Peek(len(bom)); err == nil && string(b) == bom {
		r.in.Discard(len(bom)) //nolint:errcheck // the bytes were just peeked
	}
	rec, err := r.csv.Read()
	if err == io.EOF {
		return &HeaderError{File: r.opts.File, Missing: r.mapped()}
	}
	if err != nil {
		return r.csvError(err)
	}
	r.header = make([]string, len(rec))
	for i, f := range rec {
		r.header[i] = strings.TrimSpace(f)
	}
	r.need = len(r.header)
	he := &HeaderError{File: r.opts.File, Header: r.header}
	index := func(name string) int {
		name = strings.TrimSpace(name)
		at := -1
		for i, h := range r.header {
			if h != name {
				continue
			}
			if at >= 0 {
				if !contains(he.Duplicate, name) {
					he.Duplicate = append(he.Duplicate, name)
				}
				return at
			}
			at = i
		}
		if at < 0 && !contains(he.Missing, name) {
			he.Missing = append(he.Missing, name)
		}
		return at
	}
	r.outlet, r.brand, r.date, r.q = index(r.opts.Outlet), index(r.opts.Brand), index(r.opts.Date), index(r.opts.Qty)
	if len(he.Missing) > 0 || len(he.Duplicate) > 0 {
		return he
	}
	return nil
}

func (r *Reader) mapped() []string {
	var out []string
	for _, n := range []string{r.opts.Outlet, r.opts.Brand, r.opts.Date, r.opts.Qty} {
		if n = strings.TrimSpace(n); !contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// csvError turns an error of encoding/csv into a *ParseError; io.EOF and read errors pass through.
func (r *Reader) csvError(err error) error {
	var long *lineTooLong
	if errors.As(err, &long) {
		return &ParseError{File: r.opts.File, Line: long.line, Err: err,
			Reason: fmt.Sprintf("is longer than %d bytes (at byte %d): not a line of a sales export", MaxLineBytes, MaxLineBytes+1)}
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	return &ParseError{
		File:   r.opts.File,
		Line:   pe.Line,
		Reason: fmt.Sprintf("%v (at character %d)", pe.Err, pe.Column),
		Err:    err,
	}
}

func (r *Reader) fieldCountError(rec []string) error {
	line, _ := r.csv.FieldPos(0)
	pe := &ParseError{File: r.opts.File, Line: line}
	if len(rec) < r.need {
		// Name the first mapped column the row lacks, if any.
		for _, c := range []struct {
			i    int
			name string
		}{{r.outlet, r.opts.Outlet}, {r.brand, r.opts.Brand}, {r.date, r.opts.Date}, {r.q, r.opts.Qty}} {
			if c.i >= len(rec) {
				pe.Column = strings.TrimSpace(c.name)
				pe.Reason = fmt.Sprintf("is missing: the row has %d fields; the header has %d", len(rec), r.need)
				return pe
			}
		}
	}
	pe.Reason = fmt.Sprintf("the row has %d fields; the header has %d", len(rec), r.need)
	return pe
}

func (r *Reader) fieldError(rec []string, i int, column, reason string) error {
	line, _ := r.csv.FieldPos(i)
	return &ParseError{File: r.opts.File, Line: line, Column: strings.TrimSpace(column), Value: rec[i], Reason: reason}
}

// name returns the trimmed field i, interned so that the record's memory is not kept.
func (r *Reader) name(rec []string, i int, column string) (string, error) {
	v := strings.TrimSpace(rec[i])
	if v == "" {
		return "", r.fieldError(rec, i, column, "is empty")
	}
	if s, ok := r.names[v]; ok {
		return s, nil
	}
	if !utf8.ValidString(v) {
		return "", r.fieldError(rec, i, column, "is not valid UTF-8; convert the file to UTF-8 first")
	}
	v = strings.Clone(v)
	r.names[v] = v
	return v, nil
}

func (r *Reader) day(rec []string) (time.Time, error) {
	raw := rec[r.date]
	if d, ok := r.days[raw]; ok {
		return d, nil
	}
	v := strings.TrimSpace(raw)
	if v == "" {
		return time.Time{}, r.fieldError(rec, r.date, r.opts.Date, "is empty; want a date like "+r.layout)
	}
	t, err := time.Parse(r.layout, v)
	if err != nil {
		return time.Time{}, r.fieldError(rec, r.date, r.opts.Date, "is not a date in the layout "+r.layout)
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if r.weekly {
		d = forecast.Monday(d)
	}
	if d.Before(MinDay) || d.After(MaxDay) {
		return time.Time{}, r.fieldError(rec, r.date, r.opts.Date,
			fmt.Sprintf("is outside %s..%s", MinDay.Format(time.DateOnly), MaxDay.Format(time.DateOnly)))
	}
	if len(r.days) < maxCachedDates {
		r.days[strings.Clone(raw)] = d
	}
	return d, nil
}

func (r *Reader) qty(rec []string) (float64, error) {
	v := strings.TrimSpace(rec[r.q])
	if v == "" {
		return 0, r.fieldError(rec, r.q, r.opts.Qty, "is empty; want a number")
	}
	q, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(q, 0) || math.IsNaN(q) {
		return 0, r.fieldError(rec, r.q, r.opts.Qty, "is not a number")
	}
	return q, nil
}
