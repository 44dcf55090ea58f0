package allocation

import (
	"slices"
	"strings"
	"testing"
)

// ParseExplanation reads the text of a published limit back, and a limit's text may have been typed by
// hand: any text is read without a panic, and a text it accepts gives clauses of known codes, each
// with exactly the parameters ClauseParams lists. Run for longer with:
// go test -run '^$' -fuzz '^FuzzParseExplanation$' -fuzztime 60s -parallel 1 ./forecast/allocation/
func FuzzParseExplanation(f *testing.F) {
	outlets, total := city(40)
	for k, mode := range Modes {
		in := Input{Brand: "B0001", Supply: int(0.6 * total), Mode: mode, Outlets: outlets,
			Options: Options{MinCoverage: 0.5, BenchmarkFirst: k%2 == 0}}
		if mode == ByGradeWithin {
			in.Dimension = Dimensions[k%len(Dimensions)]
		}
		r, err := Allocate(in)
		if err != nil {
			f.Fatalf("Allocate %s: %v", mode, err)
		}
		for i := 0; i < len(r.Limits); i += 9 {
			f.Add(r.Explain(i))
		}
	}
	for _, s := range []string{"", "limit 3 cartons", "limit 3 cartons: grade 18; set by hand", "limit -0 cartons: grade 1e308",
		"limit 3 cartons: grade 18; forecast NaN cartons", "limit 99999999999999999999 cartons: grade 18",
		"limit 3 cartons: district \x00 receives 1 of 0 cartons by its forecast demand", "limit 3 cartons; ; ; ;",
		"limit 3 cartons: grade 18; grade 18 limit 3 cartons (quota 2.56 rounded up by largest remainder)",
		"outlet suspended: no allocation", "limit 3 cartons: " + strings.Repeat("grade 18; ", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cs, ok := ParseExplanation(text)
		if !ok {
			if cs != nil {
				t.Fatalf("ParseExplanation(%q) = %v, false; want no clauses", text, cs)
			}
			return
		}
		if len(cs) == 0 {
			t.Fatalf("ParseExplanation(%q) accepted it with no clause", text)
		}
		for _, c := range cs {
			if !slices.Contains(Clauses(), c.Code) {
				t.Fatalf("ParseExplanation(%q): clause %q is not in Clauses()", text, c.Code)
			}
			var names []string
			for name := range c.Params {
				names = append(names, name)
			}
			if slices.Sort(names); !slices.Equal(names, ClauseParams(c.Code)) {
				t.Fatalf("ParseExplanation(%q): clause %q has parameters %v; ClauseParams says %v", text, c.Code, names, ClauseParams(c.Code))
			}
		}
	})
}

// DecodePlan reads a kept preview back from the store: any body is read without a panic, or refused
// with an error; a plan it reads can be summed up and explained as a page of the preview does. Run for
// longer with: go test -run '^$' -fuzz '^FuzzDecodePlan$' -fuzztime 60s -parallel 1 ./forecast/allocation/
func FuzzDecodePlan(f *testing.F) {
	outlets, total := city(30)
	for _, mode := range []Mode{ByGrade, ByDemand, ByGradeWithin} {
		in := Input{Brand: "B0001", Supply: int(0.5 * total), Mode: mode, Outlets: outlets}
		if mode == ByGradeWithin {
			in.Dimension = District
		}
		r, err := Allocate(in)
		if err != nil {
			f.Fatalf("Allocate %s: %v", mode, err)
		}
		body, err := EncodePlan(&Plan{ID: "p-" + string(mode), Request: Request{Brand: "B0001", Supply: r.Supply, Mode: mode}, Result: r})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
		f.Add(body[:len(body)/2])
	}
	empty, err := Allocate(Input{Brand: "B0001", Mode: ByGrade})
	if err != nil {
		f.Fatal(err)
	}
	body, err := EncodePlan(&Plan{ID: "empty", Result: empty})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body)
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02not gob"))
	f.Fuzz(func(t *testing.T, body []byte) {
		plan, err := DecodePlan(body)
		if err != nil {
			return
		}
		if plan.Result == nil || plan.Result.Limits == nil {
			t.Fatalf("DecodePlan gave a plan without a result or limits: %+v", plan)
		}
		for i := range min(len(plan.Result.Limits), 5) {
			_ = plan.Result.Explain(i)
			_ = plan.Result.ExplainClauses(i)
		}
	})
}
