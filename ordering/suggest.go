package ordering

import "math"

// SafetyStockWeeks is the safety stock a suggested quantity adds, in weeks of expected demand: a
// quarter of a week covers an ordinary week's variation without piling stock up.
const SafetyStockWeeks = 0.25

// Suggest is the suggested quantity of a catalogue line (whole cartons): the week's expected demand
// plus the safety stock, less the stock on hand, rounded to whole cartons and never below 0, capped by
// what the outlet may be granted in the cycle (its current order's grant plus what remains of its
// limit). demand and stock are in cartons.
func Suggest(demand, stock float64, l CatalogueLine) int {
	s := int(math.Round(max(demand*(1+SafetyStockWeeks)-max(stock, 0), 0)))
	if l.Remaining != nil {
		s = min(s, l.Ordered+max(*l.Remaining, 0))
	}
	return s
}
