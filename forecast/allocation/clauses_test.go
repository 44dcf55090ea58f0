package allocation

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/ordering"
)

// english renders clauses as Explain writes them, from the codes and parameters alone: a test that
// the clauses carry everything the text says.
var english = map[string]string{
	ClauseInactive:        "outlet {status}: no allocation",
	ClauseNotSelected:     "not one of the selected outlets: no allocation",
	ClauseNoDemand:        "no forecast demand in demand mode: no allocation",
	ClauseNotInAllocation: "not in the cycle's allocation, published before the outlet was listed: no allocation",
	ClauseLimit:           "limit {cartons:u}",
	ClauseNoSupply:        "no supply this cycle",
	ClauseGrade:           "grade {grade}",
	ClauseForecast:        "forecast {forecast:u}",
	ClauseEvenShare:       "no selected outlet has a forecast: supply shared evenly",
	ClauseImputed:         "no forecast: counted as {imputed:u}, the average selected outlet",
	ClauseNoForecast:      "no forecast",
	ClauseGroupByDemand:   "{dimension} {group} receives {group_supply} of {supply:u} by its forecast demand",
	ClauseGroupByCount:    "{dimension} {group} receives {group_supply} of {supply:u} by its number of outlets",
	ClausePriceBand:       "a budget for any brand of price band {band}",
	ClauseCoverAll:        "supply covers all forecast demand",
	ClauseCover:           "supply covers {cover_pct}% of demand",
	ClauseServedShared:    "benchmark outlets are served first and share what they can be given: {rounding}",
	ClauseServedFull:      "benchmark outlet served first, in full",
	ClauseGradeLimit:      "grade {grade} limit {limit:u}",
	ClauseGradeWeightless: "grade {grade} limit {limit:u} (the grade weighs 0 in the grade table)",
	ClauseGradeCovered:    "grade {grade} limit {limit:u} (supply covers every outlet)",
	ClauseGradeUp:         "grade {grade} limit {limit:u} (quota {quota} rounded up by largest remainder)",
	ClauseGradeDown:       "grade {grade} limit {limit:u} (quota {quota} rounded down)",
	ClauseRemainder:       "plus 1 carton left over after the grade table (largest remainder, then highest forecast)",
	ClauseQuota:           "quota {quota:u}",
	ClauseRoundedUp:       "{quota} rounded up to {cartons} by largest remainder",
	ClauseRoundedDown:     "{quota} rounded down to {cartons} by largest remainder",
	ClauseCapped:          "held at the outlet cap of {cap:u}",
	ClauseDemandCapped:    "held at the forecast rounded up to whole cartons",
	ClauseCoverageFloor:   "raised to 1 carton by the minimum coverage",
}

var dimensionWords = map[string]string{"district": "district", "market_type": "market type", "locality": "locality",
	"format": "business format", "credit_level": "credit level"}

func renderEnglish(t *testing.T, cs []Clause) string {
	t.Helper()
	var b strings.Builder
	for k, c := range cs {
		switch k {
		case 0:
		case 1:
			b.WriteString(": ")
		default:
			b.WriteString("; ")
		}
		msg, ok := english[c.Code]
		if !ok {
			t.Fatalf("clause %q has no English message", c.Code)
		}
		if c.Code == ClauseServedShared { // the rounding as its own clause would say it
			sub := map[any]string{"none": ClauseQuota, "up": ClauseRoundedUp, "down": ClauseRoundedDown}[c.Params["rounding"]]
			msg = strings.ReplaceAll(msg, "{rounding}", renderEnglish(t, []Clause{{sub, c.Params}}))
		}
		for name, v := range c.Params {
			s := fmt.Sprint(v)
			switch {
			case name == "dimension":
				s = dimensionWords[s]
			case name == "group" && s == "":
				s = "(none)"
			}
			msg = strings.ReplaceAll(msg, "{"+name+"}", s)
			if strings.Contains(msg, "{"+name+":u}") {
				unit := " cartons"
				if s == "1" {
					unit = " carton"
				}
				msg = strings.ReplaceAll(msg, "{"+name+":u}", s+unit)
			}
		}
		if strings.Contains(msg, "{") && c.Code != ClauseGroupByCount && c.Code != ClauseGroupByDemand {
			t.Fatalf("clause %+v leaves a parameter of %q unfilled", c, english[c.Code])
		}
		b.WriteString(msg)
	}
	return b.String()
}

// Every explanation's clauses, rendered from their codes and parameters alone, say what its English
// text says, and the random allocations reach every code.
func TestClausesSayTheExplanation(t *testing.T) {
	seen := map[string]bool{}
	forEach(t, 11, func(in *Input, r *Result) string {
		for i := range r.Limits {
			cs := r.ExplainClauses(i)
			for _, c := range cs {
				if !slices.Contains(Clauses(), c.Code) {
					return fmt.Sprintf("clause %q is not in Clauses()", c.Code)
				}
				seen[c.Code] = true
				var names []string
				for name := range c.Params {
					names = append(names, name)
				}
				if slices.Sort(names); !slices.Equal(names, ClauseParams(c.Code)) {
					return fmt.Sprintf("clause %q has parameters %v; ClauseParams says %v", c.Code, names, ClauseParams(c.Code))
				}
			}
			if got, want := renderEnglish(t, cs), r.Explain(i); got != want {
				return fmt.Sprintf("%s: clauses %+v render as\n%q; want\n%q", r.Limits[i].Outlet, cs, got, want)
			}
		}
		return ""
	})
	for _, code := range Clauses() {
		if !seen[code] && code != ClauseNotInAllocation { // the ordering store's, below
			t.Errorf("no random allocation explained a limit with clause %q", code)
		}
	}
	if len(english) != len(Clauses()) {
		t.Errorf("%d English messages for %d codes", len(english), len(Clauses()))
	}
	for _, x := range []float64{0.004, 0.0051, 0.61, 0.999} {
		if got, want := strconv.FormatFloat(percent(x), 'f', -1, 64)+"%", string(appendPercent(nil, x)); got != want {
			t.Errorf("percent(%v) = %s; want %s as the text", x, got, want)
		}
	}
}

// ParseExplanation reads the explanations Explain writes back into the clauses ExplainClauses
// gives, and refuses a text it did not write.
func TestParseExplanation(t *testing.T) {
	forEach(t, 12, func(in *Input, r *Result) string {
		for i := range min(len(r.Limits), 25) { // the outlets are in random order: a sample
			text := r.Explain(i)
			got, ok := ParseExplanation(text)
			if !ok {
				return fmt.Sprintf("ParseExplanation(%q) failed", text)
			}
			if g, w := jsonOf(got), jsonOf(r.ExplainClauses(i)); g != w {
				return fmt.Sprintf("ParseExplanation(%q) = %s; want %s", text, g, w)
			}
		}
		return ""
	})
	// The ordering store's explanation of an outlet its allocation does not list.
	if cs, ok := ParseExplanation(ordering.NotInAllocation); !ok || len(cs) != 1 || cs[0].Code != ClauseNotInAllocation ||
		renderEnglish(t, cs) != ordering.NotInAllocation {
		t.Errorf("ParseExplanation(%q) = %+v, %v; want the one clause %s, rendering as the text", ordering.NotInAllocation, cs, ok, ClauseNotInAllocation)
	}
	for _, text := range []string{"", "grade 18: 3 cartons", "limit 3 cartons: grade 18; forecast", "limit 3 cartons; grade 18",
		"limit 3 cartons: grade 18; set by hand"} {
		if cs, ok := ParseExplanation(text); ok {
			t.Errorf("ParseExplanation(%q) = %+v, true; want false", text, cs)
		}
	}
}

// jsonOf is cs in JSON, where the int 3 and the float64 3 read the same.
func jsonOf(cs []Clause) string {
	for k := range cs {
		if cs[k].Params == nil {
			cs[k].Params = map[string]any{}
		}
	}
	b, err := json.Marshal(cs)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A catalogue reads back the explanation of each of its limits (a few per outlet).
func BenchmarkParseExplanation(b *testing.B) {
	const text = "limit 3 cartons: grade 18; forecast 4.2 cartons; district 城关区 receives 120 of 400 cartons by its forecast demand; " +
		"supply covers 61% of demand; grade 18 limit 3 cartons (quota 2.56 rounded up by largest remainder)"
	for b.Loop() {
		if _, ok := ParseExplanation(text); !ok {
			b.Fatal("not read")
		}
	}
}

// The API's largest page of a preview (5,000 limits) explains each limit clause by clause.
func BenchmarkExplainClauses5k(b *testing.B) {
	r, err := Allocate(benchmarkInput(b, ByGradeWithin, Options{}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range 5000 {
			_ = r.ExplainClauses(i)
		}
	}
}
