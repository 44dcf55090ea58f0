package ordering

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Arrival plans as a CSV file, with a header line naming the columns (any order, any case):
//
//	brand,arrives_on,cartons[,cadence]
//	B001,2026-12-07,120,weekly
//
// cadence is weekly or ten_days (weekly when the column is missing or empty).

// ArrivalRow is a parsed CSV row: the plan and the file's line it came from.
type ArrivalRow struct {
	Plan ArrivalPlan
	Line int
}

// CSVError is what is wrong with a CSV file, each problem naming its line and column.
type CSVError struct {
	Problems []string // "plans.csv:3: column \"cartons\": \"x\" is not a whole number"
}

func (e *CSVError) Error() string { return strings.Join(e.Problems, "\n") }

// Unwrap makes a CSVError an ErrInvalid.
func (e *CSVError) Unwrap() error { return ErrInvalid }

// MaxCSVProblems bounds how many problems a CSVError lists.
const MaxCSVProblems = 20

// ParseArrivalsCSV reads arrival plans from r, a file named name. Every problem (a missing column, a
// value that does not parse) is reported, up to MaxCSVProblems, as a *CSVError; nothing is returned
// unless the whole file parses. Domain rules (a day in the past, a known brand) are checked later,
// and ArrivalKey names the line of row i for those errors.
func ParseArrivalsCSV(r io.Reader, name string) ([]ArrivalRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &CSVError{Problems: []string{name + ": empty file; want a header line brand,arrives_on,cartons[,cadence]"}}
	}
	if err != nil {
		return nil, &CSVError{Problems: []string{csvProblem(name, err)}}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	var problems []string
	for _, c := range []string{"brand", "arrives_on", "cartons"} {
		if _, ok := col[c]; !ok {
			problems = append(problems, fmt.Sprintf("%s:1: no column %q in the header", name, c))
		}
	}
	if len(problems) > 0 {
		return nil, &CSVError{Problems: problems}
	}
	cadenceCol, hasCadence := col["cadence"]
	var rows []ArrivalRow
	for len(problems) < MaxCSVProblems {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			problems = append(problems, csvProblem(name, err))
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				continue
			}
			break
		}
		line, _ := cr.FieldPos(0)
		bad := func(column, format string, a ...any) {
			problems = append(problems, fmt.Sprintf("%s:%d: column %q: %s", name, line, column, fmt.Sprintf(format, a...)))
		}
		field := func(c string) string {
			if i := col[c]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		p := ArrivalPlan{Brand: field("brand"), Cadence: Weekly}
		if p.Brand == "" {
			bad("brand", "empty")
		}
		if v := field("arrives_on"); v == "" {
			bad("arrives_on", "empty; want a day as YYYY-MM-DD")
		} else if p.ArrivesOn, err = time.Parse(time.DateOnly, v); err != nil {
			bad("arrives_on", "%q is not a day as YYYY-MM-DD", v)
		}
		if v := field("cartons"); v == "" {
			bad("cartons", "empty")
		} else if p.Cartons, err = strconv.Atoi(v); err != nil {
			bad("cartons", "%q is not a whole number of cartons", v)
		}
		if hasCadence && cadenceCol < len(rec) {
			switch v := strings.TrimSpace(rec[cadenceCol]); v {
			case "", string(Weekly):
			case string(TenDays):
				p.Cadence = TenDays
			default:
				bad("cadence", "%q: want weekly or ten_days", v)
			}
		}
		rows = append(rows, ArrivalRow{Plan: p, Line: line})
	}
	if len(problems) > MaxCSVProblems {
		problems = problems[:MaxCSVProblems]
	}
	if len(problems) > 0 {
		return nil, &CSVError{Problems: problems}
	}
	if len(rows) == 0 {
		return nil, &CSVError{Problems: []string{name + ": no rows after the header"}}
	}
	return rows, nil
}

// ArrivalKey names row i of a parsed file in validation errors: "name:line".
func ArrivalKey(name string, rows []ArrivalRow) func(i int) string {
	return func(i int) string { return fmt.Sprintf("%s:%d", name, rows[i].Line) }
}

func csvProblem(name string, err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s:%d: column %d: %v", name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Sprintf("%s: %v", name, err)
}
