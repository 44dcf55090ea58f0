package ordering

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseArrivalsCSV(t *testing.T) {
	rows, err := ParseArrivalsCSV(strings.NewReader("Cartons,Brand,arrives_on,cadence\n120,B1,2026-12-07,\n30, B2 ,2026-12-10,ten_days\n"), "plans.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Plan.Brand != "B1" || rows[0].Plan.Cartons != 120 || rows[0].Plan.Cadence != Weekly ||
		rows[1].Plan.Brand != "B2" || rows[1].Plan.Cadence != TenDays || rows[1].Line != 3 {
		t.Errorf("ParseArrivalsCSV = %+v", rows)
	}
	tests := []struct {
		name, in string
		want     []string
	}{
		{"a missing column", "brand,cartons\nB1,3\n", []string{`plans.csv:1: no column "arrives_on" in the header`}},
		{"bad values name line and column", "brand,arrives_on,cartons\nB1,2026-12-07,12\nB2,7.12.2026,x\n",
			[]string{`plans.csv:3: column "arrives_on": "7.12.2026" is not a day as YYYY-MM-DD`, `plans.csv:3: column "cartons": "x" is not a whole number of cartons`}},
		{"a bad cadence", "brand,arrives_on,cartons,cadence\nB1,2026-12-07,12,monthly\n", []string{`plans.csv:2: column "cadence": "monthly": want weekly or ten_days`}},
		{"no rows", "brand,arrives_on,cartons\n", []string{"plans.csv: no rows after the header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ParseArrivalsCSV(strings.NewReader(tt.in), "plans.csv")
			var ce *CSVError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) || rows != nil {
				t.Fatalf("ParseArrivalsCSV = %v, %v; want a *CSVError and no rows", rows, err)
			}
			if !reflect.DeepEqual(ce.Problems, tt.want) {
				t.Errorf("problems %q; want %q", ce.Problems, tt.want)
			}
		})
	}
}

func FuzzParseArrivalsCSV(f *testing.F) {
	f.Add("brand,arrives_on,cartons,cadence\nB1,2026-12-07,120,weekly\n")
	f.Add("brand,arrives_on,cartons\n\"B1,2026-12-07,1\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ParseArrivalsCSV(strings.NewReader(in), "f.csv")
		if (err == nil) == (rows == nil) {
			t.Fatalf("ParseArrivalsCSV = %v, %v; want rows or an error", rows, err)
		}
		var ce *CSVError
		if err != nil && (!errors.As(err, &ce) || len(ce.Problems) == 0 || len(ce.Problems) > MaxCSVProblems) {
			t.Fatalf("error %v; want a *CSVError with 1 to %d problems", err, MaxCSVProblems)
		}
	})
}
