package allocation

import (
	"math"
)

// Clause is one part of a limit's explanation in a form any language can render: a stable code and
// its parameters. The codes and parameters are a contract with the API's clients (openapi.json
// documents them); a new kind of explanation gets a new code, never a new meaning for an old one.
//
// Params holds numbers as the English text shows them (int, or float64 rounded to 0.01; a
// percentage in percent) and names as strings (a status, a dimension code, a group or band name;
// "" when the group has no name).
type Clause struct {
	Code   string
	Params map[string]any
}

// The codes of the clauses of an explanation. The first clause of an explanation is one of
// ClauseInactive, ClauseNotSelected, ClauseNoDemand (the whole explanation) or ClauseLimit, which
// the others follow in the order listed here.
const (
	ClauseInactive    = "inactive"     // status: the outlet is not active, no allocation
	ClauseNotSelected = "not_selected" // not one of the selected outlets
	ClauseNoDemand    = "no_demand"    // no forecast demand in demand mode
	// ClauseNotInAllocation: the outlet was listed after the cycle's allocation was published, so it
	// has none (ordering.NotInAllocation; the ordering store writes it, never Explain).
	ClauseNotInAllocation = "not_in_allocation"
	ClauseLimit           = "limit"         // cartons: the limit
	ClauseNoSupply        = "no_supply"     // no supply this cycle (the explanation ends)
	ClauseGrade           = "grade"         // grade
	ClauseForecast        = "forecast"      // forecast (cartons)
	ClauseEvenShare       = "even_share"    // no selected outlet has a forecast: supply shared evenly
	ClauseImputed         = "imputed"       // imputed: no forecast, counted as the average selected outlet
	ClauseNoForecast      = "no_forecast"   // no forecast
	ClauseGroupByDemand   = "group_demand"  // dimension, group, group_supply, supply: the group's share, by forecast
	ClauseGroupByCount    = "group_outlets" // dimension, group, group_supply, supply: the group's share, by outlets
	ClausePriceBand       = "price_band"    // band: a budget for any brand of the price band
	ClauseCoverAll        = "cover_all"     // supply covers all forecast demand
	ClauseCover           = "cover"         // cover_pct: supply covers that percentage of demand
	ClauseServedShared    = "served_first_shared"
	// ClauseServedShared: quota, cartons, rounding ("up", "down" or "none"): benchmark outlets
	// served first share what they can be given.
	ClauseServedFull      = "served_first_full"      // benchmark outlet served first, in full
	ClauseGradeLimit      = "grade_limit"            // grade, limit: the grade table's limit
	ClauseGradeWeightless = "grade_limit_weightless" // grade, limit: the grade weighs 0 in the table
	ClauseGradeCovered    = "grade_limit_covered"    // grade, limit: supply covers every outlet
	ClauseGradeUp         = "grade_limit_up"         // grade, limit, quota: quota rounded up by largest remainder
	ClauseGradeDown       = "grade_limit_down"       // grade, limit, quota: quota rounded down
	ClauseRemainder       = "remainder"              // plus 1 carton left over after the grade table
	ClauseQuota           = "quota"                  // quota: a whole quota, no rounding
	ClauseRoundedUp       = "rounded_up"             // quota, cartons: rounded up by largest remainder
	ClauseRoundedDown     = "rounded_down"           // quota, cartons: rounded down by largest remainder
	ClauseCapped          = "capped"                 // cap: held at the outlet cap
	ClauseDemandCapped    = "demand_capped"          // held at the forecast rounded up to whole cartons
	ClauseCoverageFloor   = "coverage_floor"         // raised to 1 carton by the minimum coverage
)

// Clauses returns every code an explanation may hold, in the order a limit's clauses follow.
func Clauses() []string {
	return []string{ClauseInactive, ClauseNotSelected, ClauseNoDemand, ClauseNotInAllocation, ClauseLimit, ClauseNoSupply, ClauseGrade,
		ClauseForecast, ClauseEvenShare, ClauseImputed, ClauseNoForecast, ClauseGroupByDemand, ClauseGroupByCount,
		ClausePriceBand, ClauseCoverAll, ClauseCover, ClauseServedShared, ClauseServedFull, ClauseGradeLimit,
		ClauseGradeWeightless, ClauseGradeCovered, ClauseGradeUp, ClauseGradeDown, ClauseRemainder, ClauseQuota,
		ClauseRoundedUp, ClauseRoundedDown, ClauseCapped, ClauseDemandCapped, ClauseCoverageFloor}
}

// ExplainClauses returns the explanation of r.Limits[i] as clauses: the same explanation as
// Explain, clause by clause, for a page or a client to render in its reader's language.
func (r *Result) ExplainClauses(i int) []Clause {
	l := &r.Limits[i]
	switch {
	case l.Reason.Has(Inactive):
		return []Clause{{ClauseInactive, map[string]any{"status": string(l.Status)}}}
	case l.Reason.Has(NotSelected):
		return []Clause{{Code: ClauseNotSelected}}
	case l.Reason.Has(NoDemand):
		return []Clause{{Code: ClauseNoDemand}}
	}
	cs := []Clause{{ClauseLimit, map[string]any{"cartons": l.Cartons}}}
	if r.Supply == 0 {
		return append(cs, Clause{Code: ClauseNoSupply})
	}
	gr := &r.Groups[l.Group]
	cs = append(cs, Clause{ClauseGrade, map[string]any{"grade": l.Grade}})
	switch {
	case l.Demand > 0:
		cs = append(cs, Clause{ClauseForecast, map[string]any{"forecast": round2(l.Demand)}})
	case r.Mode == BySelection && gr.Even:
		cs = append(cs, Clause{Code: ClauseEvenShare})
	case r.Mode == BySelection:
		cs = append(cs, Clause{ClauseImputed, map[string]any{"imputed": round2(gr.Imputed)}})
	default:
		cs = append(cs, Clause{Code: ClauseNoForecast})
	}
	if r.Mode == ByGradeWithin {
		code := ClauseGroupByCount
		if r.anyGroupDemand() {
			code = ClauseGroupByDemand
		}
		cs = append(cs, Clause{code, map[string]any{"dimension": string(r.Dimension), "group": gr.Name,
			"group_supply": gr.Supply, "supply": r.Supply}})
	}
	if r.Mode == ByPriceBand {
		cs = append(cs, Clause{ClausePriceBand, map[string]any{"band": r.Brand}})
	}
	if !l.Reason.Has(ServedFirst) {
		if c, ok := coverClause(r.Mode, gr); ok {
			cs = append(cs, c)
		}
	}

	switch {
	case l.Reason.Has(ServedFirst):
		if l.Reason.Has(RoundedUp) || l.Quota != math.Trunc(l.Quota) {
			c := roundingClause(l)
			rounding := map[string]string{ClauseQuota: "none", ClauseRoundedUp: "up", ClauseRoundedDown: "down"}[c.Code]
			cs = append(cs, Clause{ClauseServedShared, map[string]any{"quota": c.Params["quota"], "cartons": l.Cartons,
				"rounding": rounding}})
		} else {
			cs = append(cs, Clause{Code: ClauseServedFull})
		}
	case r.Mode.graded():
		p := map[string]any{"grade": l.Grade, "limit": gr.Table[l.Grade]}
		q := gr.Quota[l.Grade]
		up := float64(gr.Table[l.Grade]) - q
		code := ClauseGradeLimit
		switch {
		case gr.Weight[l.Grade] == 0:
			code = ClauseGradeWeightless
		case math.IsInf(gr.Scale, 1):
			code = ClauseGradeCovered
		case up > 1e-9:
			code, p["quota"] = ClauseGradeUp, round2(q)
		case up < -1e-9:
			code, p["quota"] = ClauseGradeDown, round2(q)
		}
		cs = append(cs, Clause{code, p})
		if l.Reason.Has(Remainder) {
			cs = append(cs, Clause{Code: ClauseRemainder})
		}
	case l.Reason&(Capped|DemandCapped|CoverageFloor) == 0:
		cs = append(cs, roundingClause(l))
	}

	switch {
	case l.Reason.Has(Capped):
		cs = append(cs, Clause{ClauseCapped, map[string]any{"cap": l.Cap}})
	case l.Reason.Has(DemandCapped):
		cs = append(cs, Clause{Code: ClauseDemandCapped})
	case l.Reason.Has(CoverageFloor):
		cs = append(cs, Clause{Code: ClauseCoverageFloor})
	}
	return cs
}

// coverClause says how much of the forecast demand the supply covers, as appendCover does; ok is
// false when the explanation says nothing of it.
func coverClause(m Mode, gr *Group) (c Clause, ok bool) {
	ratio := gr.Scale
	switch {
	case m == BySelection && gr.Even:
		return c, false
	case m.graded():
		if gr.Demand == 0 {
			return c, false
		}
		ratio = float64(gr.Supply) / gr.Demand
	}
	if ratio >= 1 {
		return Clause{Code: ClauseCoverAll}, true
	}
	return Clause{ClauseCover, map[string]any{"cover_pct": percent(ratio)}}, true
}

// roundingClause says how an outlet's quota became whole cartons, as appendRounding does.
func roundingClause(l *Limit) Clause {
	if l.Quota == math.Trunc(l.Quota) {
		return Clause{ClauseQuota, map[string]any{"quota": round2(l.Quota)}}
	}
	code := ClauseRoundedDown
	if l.Reason.Has(RoundedUp) {
		code = ClauseRoundedUp
	}
	return Clause{code, map[string]any{"quota": round2(l.Quota), "cartons": l.Cartons}}
}

// round2 is x rounded to two decimals, as the English text shows it.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// percent is a share as a percentage as the English text shows it: whole (rounded down), or with
// one decimal under 1%.
func percent(x float64) float64 {
	p := 100 * x
	if p > 0 && p < 1 {
		return float64(min(9, int(math.Round(p*10)))) / 10
	}
	return float64(int64(p))
}
