package holidaycsv

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/forecast/historycsv"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestReadGood(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		in     string
		want   []forecast.CalendarDay
	}{
		{"calendar with region, any column order and case", Calendar,
			"\uFEFFRegion, Name ,DATE\nCN,Spring Festival,2026-02-17\n,Spring Festival,2026-02-16\nCN, Lantern ,2026-03-03\n",
			[]forecast.CalendarDay{
				{Day: day("2026-02-16"), Holiday: "Spring Festival"},
				{Day: day("2026-02-17"), Holiday: "Spring Festival", Region: "CN"},
				{Day: day("2026-03-03"), Holiday: "Lantern", Region: "CN"},
			}},
		{"calendar without region, extra column ignored", Calendar,
			"date,name,note\n2025-12-25,Christmas,\"big, week\"\n2025-11-27,Thanksgiving,x\n",
			[]forecast.CalendarDay{
				{Day: day("2025-11-27"), Holiday: "Thanksgiving"},
				{Day: day("2025-12-25"), Holiday: "Christmas"},
			}},
		{"header only", Calendar, "date,name\n", nil},
		{"m5 events, two on a day", M5Calendar,
			"date,wm_yr_wk,event_name_1,event_type_1,event_name_2,event_type_2\n" +
				"2011-01-29,11101,,,,\n2011-02-06,11102,SuperBowl,Sporting,,\n2014-04-20,11412,Easter,Cultural,OrthodoxEaster,Religious\n",
			[]forecast.CalendarDay{
				{Day: day("2011-02-06"), Holiday: "SuperBowl"},
				{Day: day("2014-04-20"), Holiday: "Easter"},
				{Day: day("2014-04-20"), Holiday: "OrthodoxEaster"},
			}},
		{"walmart flags named by month, each week once", WalmartFlags,
			"Store,Dept,Date,Weekly_Sales,IsHoliday\n1,1,2010-02-05,1,FALSE\n1,1,2010-02-12,2,TRUE\n1,2,2010-02-12,3,TRUE\n" +
				"1,1,2010-09-10,1,TRUE\n1,1,2010-11-26,1,true\n1,1,2010-12-31,1,TRUE\n",
			[]forecast.CalendarDay{
				{Day: day("2010-02-12"), Holiday: "Super Bowl"},
				{Day: day("2010-09-10"), Holiday: "Labor Day"},
				{Day: day("2010-11-26"), Holiday: "Thanksgiving"},
				{Day: day("2010-12-31"), Holiday: "Christmas"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tt.in), "h.csv", tt.format)
			if err != nil {
				t.Fatalf("Read = %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Read = %v; want %v", got, tt.want)
			}
			for i := range got {
				if !got[i].Day.Equal(tt.want[i].Day) || got[i].Holiday != tt.want[i].Holiday || got[i].Region != tt.want[i].Region {
					t.Errorf("day %d = %+v; want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadBad(t *testing.T) {
	tests := []struct {
		name         string
		format       Format
		in           string
		line         int
		column, text string // the column named, and a part of the message
	}{
		{"bad date", Calendar, "date,name\n2026-02-17,Spring Festival\n2026-13-01,X\n", 3, "date", "is not a date like 2006-01-02"},
		{"empty date", Calendar, "date,name\n,X\n", 2, "date", "is empty"},
		{"empty name", Calendar, "date,name,region\n2026-02-17, ,CN\n", 2, "name", "is empty"},
		{"duplicate row", Calendar, "date,name,region\n2026-02-17,SF,CN\n2026-02-18,SF,CN\n2026-02-17,SF,CN\n", 4, "name", "repeats line 2"},
		{"too few fields", Calendar, "date,name\n2026-02-17\n", 2, "", "the row has 1 fields; the header has 2"},
		{"name too long", Calendar, "date,name\n2026-02-17," + strings.Repeat("x", MaxNameLen+1) + "\n", 2, "name", "longer than"},
		{"control character", Calendar, "date,name\n2026-02-17,\"a\x01b\"\n", 2, "name", "control character"},
		{"unclosed quote", Calendar, "date,name\n2026-02-17,\"x\n", 2, "", "quote"},
		{"date out of range", Calendar, "date,name\n1960-01-01,X\n", 2, "date", "outside"},
		{"m5 bad date", M5Calendar, "date,event_name_1,event_name_2\n2011/01/29,,\n", 2, "date", "not a date"},
		{"walmart bad flag", WalmartFlags, "Date,IsHoliday\n2010-02-12,yes\n", 2, "IsHoliday", "not TRUE or FALSE"},
		{"walmart flag out of the named months", WalmartFlags, "Date,IsHoliday\n2010-05-07,TRUE\n", 2, "IsHoliday", "in May"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tt.in), "h.csv", tt.format)
			var pe *historycsv.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Read = %v, %v; want a *ParseError", got, err)
			}
			if got != nil {
				t.Errorf("Read returned %d days with its error", len(got))
			}
			if pe.Line != tt.line || pe.Column != tt.column || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Read error = %q (line %d, column %q); want line %d, column %q, containing %q",
					err, pe.Line, pe.Column, tt.line, tt.column, tt.text)
			}
			if !strings.HasPrefix(err.Error(), "h.csv:") {
				t.Errorf("Read error = %q; want it to name the file", err)
			}
		})
	}
}

func TestReadHeader(t *testing.T) {
	tests := []struct {
		name      string
		format    Format
		in        string
		missing   []string
		duplicate []string
		empty     bool
	}{
		{"empty input", Calendar, "", []string{"date", "name"}, nil, true},
		{"no name column", Calendar, "date,holiday\n2026-02-17,X\n", []string{"name"}, nil, false},
		{"date twice", Calendar, "date,name,Date\n", nil, []string{"date"}, false},
		{"m5 without events", M5Calendar, "date,d\n", []string{"event_name_1", "event_name_2"}, nil, false},
		{"walmart without flag", WalmartFlags, "Store,Date\n", []string{"isholiday"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), "h.csv", tt.format)
			var he *historycsv.HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("Read = %v; want a *HeaderError", err)
			}
			if strings.Join(he.Missing, ",") != strings.Join(tt.missing, ",") ||
				strings.Join(he.Duplicate, ",") != strings.Join(tt.duplicate, ",") || (he.Header == nil) != tt.empty {
				t.Errorf("Read error = %+v; want missing %v, duplicate %v, empty %v", he, tt.missing, tt.duplicate, tt.empty)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v; want it back", f, got, err)
		}
	}
	if _, err := ParseFormat("ics"); err == nil {
		t.Error("ParseFormat(ics) = nil error; want one")
	}
}

func FuzzRead(f *testing.F) {
	f.Add("date,name,region\n2026-02-17,Spring Festival,CN\n", 0)
	f.Add("date,event_name_1,event_name_2\n2011-02-06,SuperBowl,\n", 1)
	f.Add("Date,IsHoliday\n2010-02-12,TRUE\n", 2)
	f.Fuzz(func(t *testing.T, in string, k int) {
		formats := Formats()
		format := formats[(k%len(formats)+len(formats))%len(formats)]
		days, err := Read(strings.NewReader(in), "f.csv", format)
		if err != nil {
			if days != nil {
				t.Fatalf("Read returned days with its error %v", err)
			}
			return
		}
		for i, d := range days {
			if d.Holiday == "" || d.Day.Before(minDay) || d.Day.After(maxDay) {
				t.Fatalf("day %d = %+v: an empty name or a day out of range", i, d)
			}
			if i > 0 && !days[i-1].Day.After(d.Day) && days[i-1] == d {
				t.Fatalf("day %d repeats the one before: %+v", i, d)
			}
		}
	})
}
