package historycsv_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/historycsv"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func sale(d, outlet, brand string, qty float64) forecast.Sale {
	return forecast.Sale{Day: day(d), Outlet: outlet, Brand: brand, Requested: qty, Granted: qty, Delivered: qty}
}

// readAll reads every sale until io.EOF or the first error.
func readAll(r *historycsv.Reader) ([]forecast.Sale, error) {
	var out []forecast.Sale
	for {
		s, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
}

var walmart = historycsv.Options{File: "train.csv", Outlet: "Store", Brand: "Dept", Date: "Date", Qty: "Weekly_Sales"}

func with(o historycsv.Options, f func(*historycsv.Options)) historycsv.Options {
	f(&o)
	return o
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		opts historycsv.Options
		in   string
		want []forecast.Sale
	}{
		{
			name: "daily",
			opts: walmart,
			in:   "Store,Dept,Date,Weekly_Sales,IsHoliday\n1,1,2010-02-05,24924.5,FALSE\n1,2,2010-02-06,3,TRUE\n",
			want: []forecast.Sale{sale("2010-02-05", "1", "1", 24924.5), sale("2010-02-06", "1", "2", 3)},
		},
		{
			name: "weekly rows go to their Monday",
			opts: with(walmart, func(o *historycsv.Options) { o.Period = historycsv.Weekly }),
			in:   "Store,Dept,Date,Weekly_Sales\n1,1,2010-02-05,1\n1,1,2010-02-01,2\n1,1,2010-02-07,3\n1,1,2010-02-08,4\n",
			want: []forecast.Sale{
				sale("2010-02-01", "1", "1", 1), sale("2010-02-01", "1", "1", 2),
				sale("2010-02-01", "1", "1", 3), sale("2010-02-08", "1", "1", 4),
			},
		},
		{
			name: "date layout",
			opts: with(walmart, func(o *historycsv.Options) { o.DateLayout = "02.01.2006" }),
			in:   "Store,Dept,Date,Weekly_Sales\nA,B,31.12.2015,7\n",
			want: []forecast.Sale{sale("2015-12-31", "A", "B", 7)},
		},
		{
			name: "time of day is dropped",
			opts: with(walmart, func(o *historycsv.Options) { o.DateLayout = "2006-01-02 15:04:05" }),
			in:   "Store,Dept,Date,Weekly_Sales\nA,B,2015-12-31 23:59:59,7\n",
			want: []forecast.Sale{sale("2015-12-31", "A", "B", 7)},
		},
		{
			name: "the date as written, whatever its zone",
			opts: with(walmart, func(o *historycsv.Options) { o.DateLayout = time.RFC3339 }),
			in:   "Store,Dept,Date,Weekly_Sales\nA,B,2015-12-31T23:00:00-05:00,7\n",
			want: []forecast.Sale{sale("2015-12-31", "A", "B", 7)},
		},
		{
			name: "byte order mark, whitespace and CRLF",
			opts: walmart,
			in:   "\uFEFFStore , Dept,Date ,Weekly_Sales\r\n 1 ,\t2, 2010-02-05 , -3.5 \r\n",
			want: []forecast.Sale{sale("2010-02-05", "1", "2", -3.5)},
		},
		{
			name: "byte order mark before a quoted header",
			opts: walmart,
			in:   "\uFEFF\"Store\",\"Dept\",\"Date\",\"Weekly_Sales\"\n1,2,2010-02-05,1\n",
			want: []forecast.Sale{sale("2010-02-05", "1", "2", 1)},
		},
		{
			name: "mapping names are trimmed",
			opts: historycsv.Options{Outlet: " Store", Brand: "Dept ", Date: "Date", Qty: "Weekly_Sales"},
			in:   "Store,Dept,Date,Weekly_Sales\n1,2,2010-02-05,1\n",
			want: []forecast.Sale{sale("2010-02-05", "1", "2", 1)},
		},
		{
			name: "columns in any order, others ignored, quoted fields",
			opts: historycsv.Options{Outlet: "store_id", Brand: "item_id", Date: "date", Qty: "sales"},
			in:   "date,x,sales,item_id,store_id\n2011-01-29,\"a,b\",0,\"FOODS \"\"1\"\"\",CA_1\n",
			want: []forecast.Sale{sale("2011-01-29", "CA_1", `FOODS "1"`, 0)},
		},
		{
			name: "semicolons",
			opts: with(walmart, func(o *historycsv.Options) { o.Comma = ';' }),
			in:   "Store;Dept;Date;Weekly_Sales\n1;2;2010-02-05;1e3\n",
			want: []forecast.Sale{sale("2010-02-05", "1", "2", 1000)},
		},
		{
			name: "one column in two roles",
			opts: historycsv.Options{Outlet: "s", Brand: "s", Date: "d", Qty: "q"},
			in:   "s,d,q\nX,2020-01-01,1\n",
			want: []forecast.Sale{sale("2020-01-01", "X", "X", 1)},
		},
		{
			name: "header only",
			opts: walmart,
			in:   "Store,Dept,Date,Weekly_Sales\n",
		},
		{
			name: "blank lines are skipped",
			opts: walmart,
			in:   "Store,Dept,Date,Weekly_Sales\n\n1,2,2010-02-05,1\n\n",
			want: []forecast.Sale{sale("2010-02-05", "1", "2", 1)},
		},
		{
			name: "no final newline",
			opts: walmart,
			in:   "Store,Dept,Date,Weekly_Sales\n1,2,2010-02-05,1",
			want: []forecast.Sale{sale("2010-02-05", "1", "2", 1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := historycsv.NewReader(strings.NewReader(tt.in), tt.opts)
			if err != nil {
				t.Fatalf("NewReader(%+v) = %v", tt.opts, err)
			}
			got, err := readAll(r)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Read(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestReaderParseError(t *testing.T) {
	const header = "Store,Dept,Date,Weekly_Sales,IsHoliday\n"
	tests := []struct {
		name    string
		opts    historycsv.Options
		in      string
		rows    int // rows read before the error
		want    historycsv.ParseError
		wantMsg string
	}{
		{
			name:    "not a number",
			opts:    walmart,
			in:      header + "1,1,2010-02-05,1,FALSE\n1,1,2010-02-12,abc,FALSE\n",
			rows:    1,
			want:    historycsv.ParseError{File: "train.csv", Line: 3, Column: "Weekly_Sales", Value: "abc", Reason: "is not a number"},
			wantMsg: `train.csv:3: column "Weekly_Sales": "abc" is not a number`,
		},
		{
			name:    "empty quantity",
			opts:    walmart,
			in:      header + "1,1,2010-02-05, ,FALSE\n",
			want:    historycsv.ParseError{File: "train.csv", Line: 2, Column: "Weekly_Sales", Value: " ", Reason: "is empty; want a number"},
			wantMsg: `train.csv:2: column "Weekly_Sales": " " is empty; want a number`,
		},
		{
			name: "NaN",
			opts: walmart,
			in:   header + "1,1,2010-02-05,NaN,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Weekly_Sales", Value: "NaN", Reason: "is not a number"},
		},
		{
			name: "infinite",
			opts: walmart,
			in:   header + "1,1,2010-02-05,1e999,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Weekly_Sales", Value: "1e999", Reason: "is not a number"},
		},
		{
			name: "decimal comma",
			opts: walmart,
			in:   header + "1,1,2010-02-05,\"1,5\",FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Weekly_Sales", Value: "1,5", Reason: "is not a number"},
		},
		{
			name:    "bad date",
			opts:    walmart,
			in:      header + "1,1,2010-02-30,1,FALSE\n",
			want:    historycsv.ParseError{File: "train.csv", Line: 2, Column: "Date", Value: "2010-02-30", Reason: "is not a date in the layout 2006-01-02"},
			wantMsg: `train.csv:2: column "Date": "2010-02-30" is not a date in the layout 2006-01-02`,
		},
		{
			name: "date in another layout",
			opts: walmart,
			in:   header + "1,1,05/02/2010,1,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Date", Value: "05/02/2010", Reason: "is not a date in the layout 2006-01-02"},
		},
		{
			name: "empty date",
			opts: walmart,
			in:   header + "1,1,,1,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Date", Value: "", Reason: "is empty; want a date like 2006-01-02"},
		},
		{
			name: "date out of range",
			opts: walmart,
			in:   header + "1,1,1970-01-01,1,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Date", Value: "1970-01-01", Reason: "is outside 1970-01-02..2105-12-31"},
		},
		{
			name: "weekly date whose Monday is out of range",
			opts: with(walmart, func(o *historycsv.Options) { o.Period = historycsv.Weekly }),
			in:   header + "1,1,1970-01-02,1,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Date", Value: "1970-01-02", Reason: "is outside 1970-01-02..2105-12-31"},
		},
		{
			name: "empty outlet",
			opts: walmart,
			in:   header + "\"\",1,2010-02-05,1,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Store", Value: "", Reason: "is empty"},
		},
		{
			name: "brand not UTF-8",
			opts: walmart,
			in:   header + "1,\xff\xfe,2010-02-05,1,FALSE\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Column: "Dept", Value: "\xff\xfe", Reason: "is not valid UTF-8; convert the file to UTF-8 first"},
		},
		{
			name:    "row lacks a mapped column",
			opts:    walmart,
			in:      header + "1,1,2010-02-05,1,FALSE\n1,1,2010-02-05\n",
			rows:    1,
			want:    historycsv.ParseError{File: "train.csv", Line: 3, Column: "Weekly_Sales", Reason: "is missing: the row has 3 fields; the header has 5"},
			wantMsg: `train.csv:3: column "Weekly_Sales": "" is missing: the row has 3 fields; the header has 5`,
		},
		{
			name: "row lacks an unmapped column",
			opts: walmart,
			in:   header + "1,1,2010-02-05,1\n",
			want: historycsv.ParseError{File: "train.csv", Line: 2, Reason: "the row has 4 fields; the header has 5"},
		},
		{
			name:    "row has too many fields",
			opts:    walmart,
			in:      header + "1,1,2010-02-05,1,FALSE,x\n",
			want:    historycsv.ParseError{File: "train.csv", Line: 2, Reason: "the row has 6 fields; the header has 5"},
			wantMsg: "train.csv:2: the row has 6 fields; the header has 5",
		},
		{
			name: "line numbers count lines inside quoted fields",
			opts: walmart,
			in:   header + "\"1\n2\",1,2010-02-05,1,FALSE\n1,1,2010-02-05,x,FALSE\n",
			rows: 1,
			want: historycsv.ParseError{File: "train.csv", Line: 4, Column: "Weekly_Sales", Value: "x", Reason: "is not a number"},
		},
		{
			name:    "no file name",
			opts:    with(walmart, func(o *historycsv.Options) { o.File = "" }),
			in:      header + "1,1,2010-02-05,x,FALSE\n",
			want:    historycsv.ParseError{Line: 2, Column: "Weekly_Sales", Value: "x", Reason: "is not a number"},
			wantMsg: `line 2: column "Weekly_Sales": "x" is not a number`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := historycsv.NewReader(strings.NewReader(tt.in), tt.opts)
			if err != nil {
				t.Fatalf("NewReader(%+v) = %v", tt.opts, err)
			}
			got, err := readAll(r)
			var pe *historycsv.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Read(%q) = %v, %v; want a *ParseError", tt.in, got, err)
			}
			if len(got) != tt.rows {
				t.Errorf("Read(%q) returned %d rows before the error; want %d", tt.in, len(got), tt.rows)
			}
			if *pe != tt.want {
				t.Errorf("Read(%q) = %#v; want %#v", tt.in, *pe, tt.want)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("Read(%q) = %q; want %q", tt.in, err, tt.wantMsg)
			}
			if _, again := r.Read(); again != err {
				t.Errorf("Read after %v = %v; want the same error", err, again)
			}
		})
	}
}

func TestReaderSyntaxError(t *testing.T) {
	in := "Store,Dept,Date,Weekly_Sales\n1,1,2010-02-05,1\n1,1,2010-02-05,1\n1,a\"b,2010-02-05,1\n"
	r, err := historycsv.NewReader(strings.NewReader(in), walmart)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(r)
	var pe *historycsv.ParseError
	if !errors.As(err, &pe) || pe.Line != 4 || pe.Err == nil || !strings.HasPrefix(err.Error(), "train.csv:4: ") {
		t.Fatalf("Read(%q) = %v; want a *ParseError on line 4 wrapping the CSV error", in, err)
	}
	if !strings.Contains(err.Error(), "bare \"") {
		t.Errorf("Read(%q) = %q; want the CSV error's reason in it", in, err)
	}
}

func TestReaderHeaderError(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    historycsv.HeaderError
		wantMsg string
	}{
		{
			name:    "missing column",
			in:      "Store,Dept,Date,Weekly_Sale\n1,1,2010-02-05,1\n",
			want:    historycsv.HeaderError{File: "train.csv", Missing: []string{"Weekly_Sales"}, Header: []string{"Store", "Dept", "Date", "Weekly_Sale"}},
			wantMsg: `train.csv: header has no column "Weekly_Sales" (its columns: "Store", "Dept", "Date", "Weekly_Sale")`,
		},
		{
			name: "two missing columns",
			in:   "Store,Date\n",
			want: historycsv.HeaderError{File: "train.csv", Missing: []string{"Dept", "Weekly_Sales"}, Header: []string{"Store", "Date"}},
		},
		{
			name:    "duplicate column",
			in:      "Store,Dept,Date,Weekly_Sales,Store\n",
			want:    historycsv.HeaderError{File: "train.csv", Duplicate: []string{"Store"}, Header: []string{"Store", "Dept", "Date", "Weekly_Sales", "Store"}},
			wantMsg: `train.csv: header has more than one column "Store" (its columns: "Store", "Dept", "Date", "Weekly_Sales", "Store")`,
		},
		{
			name:    "empty input",
			in:      "",
			want:    historycsv.HeaderError{File: "train.csv", Missing: []string{"Store", "Dept", "Date", "Weekly_Sales"}},
			wantMsg: "train.csv: no header line: the input is empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := historycsv.NewReader(strings.NewReader(tt.in), walmart)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Read()
			var he *historycsv.HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("Read(%q) = %v; want a *HeaderError", tt.in, err)
			}
			if !reflect.DeepEqual(*he, tt.want) {
				t.Errorf("Read(%q) = %#v; want %#v", tt.in, *he, tt.want)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("Read(%q) = %q; want %q", tt.in, err, tt.wantMsg)
			}
		})
	}
}

func TestNewReaderOptions(t *testing.T) {
	tests := []struct {
		name string
		opts historycsv.Options
		ok   bool
	}{
		{"complete", walmart, true},
		{"weekly", with(walmart, func(o *historycsv.Options) { o.Period = historycsv.Weekly }), true},
		{"no quantity column", with(walmart, func(o *historycsv.Options) { o.Qty = " " }), false},
		{"no outlet column", with(walmart, func(o *historycsv.Options) { o.Outlet = "" }), false},
		{"unknown period", with(walmart, func(o *historycsv.Options) { o.Period = "month" }), false},
		{"quote as separator", with(walmart, func(o *historycsv.Options) { o.Comma = '"' }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := historycsv.NewReader(strings.NewReader(""), tt.opts)
			if (err == nil) != tt.ok {
				t.Errorf("NewReader(%+v) = %v; want ok %v", tt.opts, err, tt.ok)
			}
		})
	}
}

func TestReaderParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want historycsv.Period
		ok   bool
	}{
		{"day", historycsv.Daily, true},
		{"week", historycsv.Weekly, true},
		{"", "", false},
		{"Week", "", false},
		{"month", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := historycsv.ParsePeriod(tt.in)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("ParsePeriod(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

// errReader fails after its data.
type errReader struct {
	data string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReaderPassesReadErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	r, err := historycsv.NewReader(&errReader{data: "Store,Dept,Date,Weekly_Sales\n1,1,2010-02-05,1\n", err: boom}, walmart)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Errorf("Read = %v, %v; want 1 row, then %v", got, err, boom)
	}
}

// TestReaderManyRows checks that interned names and cached dates give the right values on a long input.
func TestReaderManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("o,b,d,q\n")
	const n = 50_000
	start := day("2000-01-01")
	for i := range n {
		fmt.Fprintf(&b, "O%d,B%d,%s,%d\n", i%97, i%13, start.AddDate(0, 0, i%400).Format(time.DateOnly), i)
	}
	r, err := historycsv.NewReader(strings.NewReader(b.String()), historycsv.Options{Outlet: "o", Brand: "b", Date: "d", Qty: "q"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if err != nil || len(got) != n {
		t.Fatalf("Read = %d rows, %v; want %d rows", len(got), err, n)
	}
	for i, s := range got {
		want := sale(start.AddDate(0, 0, i%400).Format(time.DateOnly), fmt.Sprintf("O%d", i%97), fmt.Sprintf("B%d", i%13), float64(i))
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("row %d = %v; want %v", i, s, want)
		}
	}
}

// FuzzReader checks that no input makes the Reader panic, that every error it returns is a
// *ParseError or a *HeaderError, and that every sale it returns is well-formed.
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		"o,b,d,q\n1,1,2010-02-05,24924.5\n",
		"\uFEFFo,b,d,q\r\n 1 , 2 ,2010-02-05, -3\r\n",
		"o,b,d,q\n\"a\nb\",\"x,y\",2011-01-29,0\n",
		"o,b,d,q\n1,1,2010-02-30,1\n",
		"o,b,d,q\n1,1,2010-02-05,abc\n",
		"o,b,d,q\n1,1,2010-02-05\n",
		"o,b,d,q\n1,a\"b,2010-02-05,1\n",
		"o,b,d,q,o\n",
		"x,y\n",
		"",
		"o,b,d,q\n1,1,1970-01-01,NaN\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, weekly bool) {
		opts := historycsv.Options{File: "fuzz.csv", Outlet: "o", Brand: "b", Date: "d", Qty: "q"}
		if weekly {
			opts.Period = historycsv.Weekly
		}
		r, err := historycsv.NewReader(strings.NewReader(string(data)), opts)
		if err != nil {
			t.Fatal(err)
		}
		for rows := 0; ; rows++ {
			if rows > len(data) {
				t.Fatalf("Read returned %d rows from %d bytes", rows, len(data))
			}
			s, err := r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *historycsv.ParseError
				var he *historycsv.HeaderError
				if !errors.As(err, &pe) && !errors.As(err, &he) {
					t.Fatalf("Read(%q) = %T %v; want a *ParseError or *HeaderError", data, err, err)
				}
				if err.Error() == "" {
					t.Fatalf("Read(%q) returned an error with an empty message", data)
				}
				return
			}
			if s.Outlet == "" || s.Brand == "" || s.Outlet != strings.TrimSpace(s.Outlet) {
				t.Fatalf("Read(%q) = %+v; want trimmed, non-empty names", data, s)
			}
			if math.IsNaN(s.Delivered) || math.IsInf(s.Delivered, 0) || s.Requested != s.Delivered || s.Granted != s.Delivered {
				t.Fatalf("Read(%q) = %+v; want one finite quantity", data, s)
			}
			if s.Day.Location() != time.UTC || s.Day.Hour() != 0 || s.Day.Before(historycsv.MinDay) || s.Day.After(historycsv.MaxDay) {
				t.Fatalf("Read(%q) = %+v; want a UTC midnight in range", data, s)
			}
			if weekly && s.Day.Weekday() != time.Monday {
				t.Fatalf("Read(%q) = %+v; want a Monday", data, s)
			}
		}
	})
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// A field of hundreds of megabytes is refused at its line once the line passes historycsv.MaxLineBytes: the
// reader stops there instead of holding the field in memory.
func TestReaderRefusesAHugeLine(t *testing.T) {
	huge := io.LimitReader(repeatByte('x'), 300<<20)
	in := &countingReader{r: io.MultiReader(strings.NewReader("store,item,date,qty\nS1,I1,2026-01-05,3\nS1,"), huge)}
	r, err := historycsv.NewReader(in, historycsv.Options{Outlet: "store", Brand: "item", Date: "date", Qty: "qty"})
	if err != nil {
		t.Fatal(err)
	}
	var pe *historycsv.ParseError
	for err == nil {
		_, err = r.Read()
	}
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(pe.Error(), "line 3") || !strings.Contains(pe.Error(), "longer than") {
		t.Fatalf("Read of a 300 MB field = %v; want a ParseError at line 3 saying the line is too long", err)
	}
	if in.n > 4*historycsv.MaxLineBytes {
		t.Errorf("read %d bytes before refusing the line; want at most a few times historycsv.MaxLineBytes (%d)", in.n, historycsv.MaxLineBytes)
	}
}

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
