package allocation

import (
	"math"
	"strconv"
	"strings"
)

// Explain returns the explanation of the limit of outlet r.Limits[i], for the retailer, built from
// the numbers in the Limit and its Group; for example
//
//	limit 3 cartons: grade 18; forecast 4.2 cartons; supply covers 61% of demand; 2.56 rounded up to
//	3 by largest remainder
//
// Explanations are built on demand: Allocate does not spend time on texts nobody reads.
func (r *Result) Explain(i int) string {
	return string(r.AppendExplanation(make([]byte, 0, 160), i))
}

// Explanations returns every outlet's explanation, in the order of r.Limits. The texts share one
// block of memory (some 40 MB for 300,000 outlets); to write them out, AppendExplanation with one
// reused buffer costs less.
func (r *Result) Explanations() []string {
	n := len(r.Limits)
	buf := make([]byte, 0, 256)
	sample, size := min(n, 100), 0 // estimate the total size from evenly spaced outlets
	for k := range sample {
		size += len(r.AppendExplanation(buf[:0], k*n/sample))
	}
	var all strings.Builder
	if sample > 0 {
		all.Grow(size/sample*n + size/sample*n/8)
	}
	ends := make([]int, n)
	for i := range r.Limits {
		buf = r.AppendExplanation(buf[:0], i)
		all.Write(buf)
		ends[i] = all.Len()
	}
	text := all.String() // no copy
	out := make([]string, len(r.Limits))
	start := 0
	for i, end := range ends {
		out[i], start = text[start:end], end
	}
	return out
}

// AppendExplanation appends the explanation of r.Limits[i] to b and returns the result.
func (r *Result) AppendExplanation(b []byte, i int) []byte {
	l := &r.Limits[i]
	switch {
	case l.Reason.Has(Inactive):
		return append(append(append(b, "outlet "...), l.Status...), ": no allocation"...)
	case l.Reason.Has(NotSelected):
		return append(b, "not one of the selected outlets: no allocation"...)
	case l.Reason.Has(NoDemand):
		return append(b, "no forecast demand in demand mode: no allocation"...)
	}
	b = append(b, "limit "...)
	b = appendCartons(b, float64(l.Cartons))
	if r.Supply == 0 {
		return append(b, ": no supply this cycle"...)
	}
	gr := &r.Groups[l.Group]
	b = append(b, ": grade "...)
	b = strconv.AppendInt(b, int64(l.Grade), 10)

	switch {
	case l.Demand > 0:
		b = append(b, "; forecast "...)
		b = appendCartons(b, l.Demand)
	case r.Mode == BySelection && gr.Even:
		b = append(b, "; no selected outlet has a forecast: supply shared evenly"...)
	case r.Mode == BySelection:
		b = append(b, "; no forecast: counted as "...)
		b = appendCartons(b, gr.Imputed)
		b = append(b, ", the average selected outlet"...)
	default:
		b = append(b, "; no forecast"...)
	}
	if r.Mode == ByGradeWithin {
		b = append(b, "; "...)
		b = append(b, dimensionName(r.Dimension)...)
		b = append(b, ' ')
		if gr.Name == "" {
			b = append(b, "(none)"...)
		} else {
			b = append(b, gr.Name...)
		}
		b = append(b, " receives "...)
		b = strconv.AppendInt(b, int64(gr.Supply), 10)
		b = append(b, " of "...)
		b = appendCartons(b, float64(r.Supply))
		if r.anyGroupDemand() {
			b = append(b, " by its forecast demand"...)
		} else {
			b = append(b, " by its number of outlets"...)
		}
	}
	if r.Mode == ByPriceBand {
		b = append(b, "; a budget for any brand of price band "...)
		b = append(b, r.Brand...)
	}
	if !l.Reason.Has(ServedFirst) {
		b = appendCover(b, r.Mode, gr)
	}

	switch {
	case l.Reason.Has(ServedFirst):
		if l.Reason.Has(RoundedUp) || l.Quota != math.Trunc(l.Quota) {
			b = append(b, "; benchmark outlets are served first and share what they can be given: "...)
			b = appendRounding(b, l)
		} else {
			b = append(b, "; benchmark outlet served first, in full"...)
		}
	case r.Mode.graded():
		b = append(b, "; grade "...)
		b = strconv.AppendInt(b, int64(l.Grade), 10)
		b = append(b, " limit "...)
		b = appendCartons(b, float64(gr.Table[l.Grade]))
		q := gr.Quota[l.Grade]
		up := float64(gr.Table[l.Grade]) - q // beyond float noise: rounded up (> 0) or down (< 0)
		switch {
		case gr.Weight[l.Grade] == 0:
			b = append(b, " (the grade weighs 0 in the grade table)"...)
		case math.IsInf(gr.Scale, 1):
			b = append(b, " (supply covers every outlet)"...)
		case up > 1e-9:
			b = append(b, " (quota "...)
			b = appendNumber(b, q)
			b = append(b, " rounded up by largest remainder)"...)
		case up < -1e-9:
			b = append(b, " (quota "...)
			b = appendNumber(b, q)
			b = append(b, " rounded down)"...)
		}
		if l.Reason.Has(Remainder) {
			b = append(b, "; plus 1 carton left over after the grade table (largest remainder, then highest forecast)"...)
		}
	case l.Reason&(Capped|DemandCapped|CoverageFloor) == 0:
		b = append(b, "; "...)
		b = appendRounding(b, l)
	}

	switch {
	case l.Reason.Has(Capped):
		b = append(b, "; held at the outlet cap of "...)
		b = appendCartons(b, float64(l.Cap))
	case l.Reason.Has(DemandCapped):
		b = append(b, "; held at the forecast rounded up to whole cartons"...)
	case l.Reason.Has(CoverageFloor):
		b = append(b, "; raised to 1 carton by the minimum coverage"...)
	}
	return b
}

// anyGroupDemand reports whether a group has a forecast: ByGradeWithin splits the supply by
// forecasts, or by outlets when there is none.
func (r *Result) anyGroupDemand() bool {
	for k := range r.Groups {
		if r.Groups[k].Demand > 0 {
			return true
		}
	}
	return false
}

// appendCover says how much of the forecast demand the supply covers.
func appendCover(b []byte, m Mode, gr *Group) []byte {
	ratio := gr.Scale // share modes: each outlet's quota is Scale × forecast
	switch {
	case m == BySelection && gr.Even:
		return b
	case m.graded():
		if gr.Demand == 0 {
			return b
		}
		ratio = float64(gr.Supply) / gr.Demand
	}
	if ratio >= 1 {
		return append(b, "; supply covers all forecast demand"...)
	}
	b = append(b, "; supply covers "...)
	b = appendPercent(b, ratio)
	return append(b, " of demand"...)
}

// appendRounding says how an outlet's quota became whole cartons.
func appendRounding(b []byte, l *Limit) []byte {
	if l.Quota == math.Trunc(l.Quota) {
		b = append(b, "quota "...)
		return appendCartons(b, l.Quota)
	}
	b = appendNumber(b, l.Quota)
	if l.Reason.Has(RoundedUp) {
		b = append(b, " rounded up to "...)
	} else {
		b = append(b, " rounded down to "...)
	}
	b = strconv.AppendInt(b, int64(l.Cartons), 10)
	return append(b, " by largest remainder"...)
}

func dimensionName(d Dimension) string {
	switch d {
	case District:
		return "district"
	case MarketType:
		return "market type"
	case Locality:
		return "locality"
	case Format:
		return "business format"
	case CreditLevel:
		return "credit level"
	}
	return string(d)
}

// appendNumber appends x ≥ 0 rounded to two decimals, without trailing zeros.
func appendNumber(b []byte, x float64) []byte {
	n := int64(math.Round(x * 100))
	b = strconv.AppendInt(b, n/100, 10)
	switch c := n % 100; {
	case c == 0:
	case c%10 == 0:
		b = append(b, '.', byte('0'+c/10))
	default:
		b = append(b, '.', byte('0'+c/10), byte('0'+c%10))
	}
	return b
}

func appendCartons(b []byte, x float64) []byte {
	b = appendNumber(b, x)
	if math.Round(x*100) == 100 { // as shown: 0.999 is "1 carton"

		return append(b, " carton"...)
	}
	return append(b, " cartons"...)
}

// appendPercent appends a share as a whole percentage (rounded down), or with one decimal under 1%.
func appendPercent(b []byte, x float64) []byte {
	p := 100 * x
	if p > 0 && p < 1 {
		b = append(b, '0', '.', byte('0'+min(9, int(math.Round(p*10)))))
	} else {
		b = strconv.AppendInt(b, int64(p), 10)
	}
	return append(b, '%')
}
