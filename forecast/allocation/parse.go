package allocation

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ordercast/ordercast/ordering"
)

// ParseExplanation reads an explanation Explain wrote back into its clauses, for a store that keeps
// only the text of a published limit (the limits of an ordering cycle), and the ordering store's
// ordering.NotInAllocation. ok is false for a text Explain did not write (a limit set by hand, or by an older wording): show the text as it is.
// Numbers come back as float64.
func ParseExplanation(text string) (cs []Clause, ok bool) {
	cs, ok = parseClauses(text, nil)
	if !ok {
		return nil, false
	}
	for k := range cs { // the limit says what a whole quota of a benchmark outlet became
		if cs[k].Code == ClauseServedShared && cs[k].Params["cartons"] == nil {
			cs[k].Params["cartons"] = cs[0].Params["cartons"]
		}
	}
	return cs, true
}

// parseClauses reads the clauses of rest after the clauses done: the next clause is a form that
// matches rest up to its end or up to a separator, and the rest parses.
func parseClauses(rest string, done []Clause) ([]Clause, bool) {
	if rest == "" {
		return done, len(done) > 0
	}
	sep := "; " // after this clause
	if len(done) == 0 {
		sep = ": "
	}
	var ends []int // the shortest clause first: a name (a group, a band) holds no separator if it can
	for i := 0; i < len(rest); {
		k := strings.Index(rest[i:], sep)
		if k < 0 {
			break
		}
		ends, i = append(ends, i+k), i+k+1
	}
	ends = append(ends, len(rest))
	for _, end := range ends {
		for _, f := range clauseForms {
			if f.first != (len(done) == 0) || !strings.HasPrefix(rest, f.prefix) {
				continue
			}
			m := f.re.FindStringSubmatchIndex(rest[:end])
			if m == nil {
				continue
			}
			c, ok := f.clause(rest, m)
			if !ok {
				continue
			}
			next := rest[end:]
			if next != "" {
				next = next[len(sep):]
				if next == "" {
					continue
				}
			}
			if cs, ok := parseClauses(next, append(done[:len(done):len(done)], c)); ok {
				return cs, true
			}
		}
	}
	return nil, false
}

// clause is the clause of f read from the submatches m of s.
func (f *clauseForm) clause(s string, m []int) (Clause, bool) {
	c := Clause{Code: f.code, Params: map[string]any{}}
	for name, v := range f.fixed {
		c.Params[name] = v
	}
	for k, name := range f.names {
		v := s[m[2+2*k]:m[3+2*k]]
		switch name {
		case "status", "band":
			c.Params[name] = v
		case "group":
			if v == "(none)" {
				v = ""
			}
			c.Params[name] = v
		case "dimension":
			c.Params[name] = dimensionCodes[v]
		default:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, false
			}
			c.Params[name] = x
		}
	}
	return c, true
}

// clauseForm is the English form of a clause, as Explain writes it.
type clauseForm struct {
	code   string
	first  bool   // the first clause of an explanation
	prefix string // the text before the first parameter
	re     *regexp.Regexp
	names  []string       // the parameters of re's groups, in order
	fixed  map[string]any // parameters the form implies
}

var dimensionCodes = map[string]string{"district": string(District), "market type": string(MarketType),
	"locality": string(Locality), "business format": string(Format), "credit level": string(CreditLevel)}

// clauseForms are the English forms of the clauses, compiled from templates: {name} is a number,
// {name:u} a number of cartons; status, dimension, group and band are names.
var clauseForms = func() []clauseForm {
	const served = "benchmark outlets are served first and share what they can be given: "
	forms := []struct {
		code, template string
		fixed          map[string]any
	}{
		{ClauseInactive, "outlet {status}: no allocation", nil},
		{ClauseNotSelected, "not one of the selected outlets: no allocation", nil},
		{ClauseNoDemand, "no forecast demand in demand mode: no allocation", nil},
		{ClauseNotInAllocation, ordering.NotInAllocation, nil},
		{ClauseLimit, "limit {cartons:u}", nil},
		{ClauseNoSupply, "no supply this cycle", nil},
		{ClauseGrade, "grade {grade}", nil},
		{ClauseForecast, "forecast {forecast:u}", nil},
		{ClauseEvenShare, "no selected outlet has a forecast: supply shared evenly", nil},
		{ClauseImputed, "no forecast: counted as {imputed:u}, the average selected outlet", nil},
		{ClauseNoForecast, "no forecast", nil},
		{ClauseGroupByDemand, "{dimension} {group} receives {group_supply} of {supply:u} by its forecast demand", nil},
		{ClauseGroupByCount, "{dimension} {group} receives {group_supply} of {supply:u} by its number of outlets", nil},
		{ClausePriceBand, "a budget for any brand of price band {band}", nil},
		{ClauseCoverAll, "supply covers all forecast demand", nil},
		{ClauseCover, "supply covers {cover_pct}% of demand", nil},
		{ClauseServedShared, served + "quota {quota:u}", map[string]any{"rounding": "none"}},
		{ClauseServedShared, served + "{quota} rounded up to {cartons} by largest remainder", map[string]any{"rounding": "up"}},
		{ClauseServedShared, served + "{quota} rounded down to {cartons} by largest remainder", map[string]any{"rounding": "down"}},
		{ClauseServedFull, "benchmark outlet served first, in full", nil},
		{ClauseGradeWeightless, "grade {grade} limit {limit:u} (the grade weighs 0 in the grade table)", nil},
		{ClauseGradeCovered, "grade {grade} limit {limit:u} (supply covers every outlet)", nil},
		{ClauseGradeUp, "grade {grade} limit {limit:u} (quota {quota} rounded up by largest remainder)", nil},
		{ClauseGradeDown, "grade {grade} limit {limit:u} (quota {quota} rounded down)", nil},
		{ClauseGradeLimit, "grade {grade} limit {limit:u}", nil},
		{ClauseRemainder, "plus 1 carton left over after the grade table (largest remainder, then highest forecast)", nil},
		{ClauseQuota, "quota {quota:u}", nil},
		{ClauseRoundedUp, "{quota} rounded up to {cartons} by largest remainder", nil},
		{ClauseRoundedDown, "{quota} rounded down to {cartons} by largest remainder", nil},
		{ClauseCapped, "held at the outlet cap of {cap:u}", nil},
		{ClauseDemandCapped, "held at the forecast rounded up to whole cartons", nil},
		{ClauseCoverageFloor, "raised to 1 carton by the minimum coverage", nil},
	}
	const number = `(\d+(?:\.\d+)?)`
	placeholder := regexp.MustCompile(`\{([a-z_]+)(:u)?\}`)
	out := make([]clauseForm, len(forms))
	for k, f := range forms {
		var re strings.Builder
		re.WriteString("^")
		var names []string
		last := 0
		for _, m := range placeholder.FindAllStringSubmatchIndex(f.template, -1) {
			re.WriteString(regexp.QuoteMeta(f.template[last:m[0]]))
			name := f.template[m[2]:m[3]]
			names = append(names, name)
			switch name {
			case "status":
				re.WriteString(`(active|suspended|closed)`)
			case "dimension":
				re.WriteString(`(district|market type|locality|business format|credit level)`)
			case "group", "band":
				re.WriteString(`(.*?)`)
			default:
				re.WriteString(number)
				if m[4] >= 0 {
					re.WriteString(` cartons?`)
				}
			}
			last = m[1]
		}
		re.WriteString(regexp.QuoteMeta(f.template[last:]))
		re.WriteString("$")
		first := f.code == ClauseInactive || f.code == ClauseNotSelected || f.code == ClauseNoDemand ||
			f.code == ClauseNotInAllocation || f.code == ClauseLimit
		prefix, _, _ := strings.Cut(f.template, "{")
		out[k] = clauseForm{code: f.code, first: first, prefix: prefix, re: regexp.MustCompile(re.String()), names: names, fixed: f.fixed}
	}
	return out
}()

// ClauseParams returns the names of the parameters of clauses with the code, sorted; nil for a code
// the allocation does not write.
func ClauseParams(code string) []string {
	var names []string
	for _, f := range clauseForms {
		if f.code != code {
			continue
		}
		names = append(names, f.names...)
		for name := range f.fixed {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
