package ordering

import "math"

// SafetyStockWeeks is the safety stock a suggested quantity adds when the demand has no interval (a
// basis of recent weeks' average, say), in weeks of expected demand.
const SafetyStockWeeks = 0.25

// Suggest is the suggested quantity of a catalogue line (whole cartons) without an interval of the
// demand: SuggestCovering with the safety stock SafetyStockWeeks of demand.
func Suggest(demand, stock float64, l CatalogueLine) int {
	return SuggestCovering(demand, demand*(1+SafetyStockWeeks), stock, l)
}

// SuggestCovering is the suggested quantity of a catalogue line (whole cartons): the week's expected
// demand plus the safety stock, less the stock on hand, rounded to whole cartons and never below 0,
// capped by what the outlet may be granted in the cycle (its current order's grant plus what remains
// of its limit). The safety stock is upper − demand, upper the top of the outlet's calibrated 80%
// interval of the week's demand (forecast.Calibrate): with it the suggestion covers the week's demand
// in about nine weeks out of ten. An upper below demand (or NaN) adds no safety stock. demand, upper
// and stock are in cartons.
func SuggestCovering(demand, upper, stock float64, l CatalogueLine) int {
	safety := 0.0
	if upper > demand {
		safety = upper - demand
	}
	s := int(math.Round(max(demand+safety-max(stock, 0), 0)))
	if l.Remaining != nil {
		s = min(s, l.Ordered+max(*l.Remaining, 0))
	}
	return s
}
