package ordering

import (
	"fmt"
	"math"
	"strings"
)

// SafetyStockWeeks is the safety stock a suggested quantity adds when the demand has no interval (a
// basis of recent weeks' average, say), in weeks of expected demand.
const SafetyStockWeeks = 0.25

// ServiceLevel is how often a suggested quantity resting on a forecast interval covers the week's
// demand: the upper bound of a calibrated 80% interval is the demand's 90% quantile.
const ServiceLevel = 0.9

// Demand is an outlet's demand for a brand in a week, in cartons: the expected demand and, when a
// forecast gives one, the upper bound of its calibrated 80% interval (forecast.Calibrate); Upper 0
// means no interval is known.
type Demand struct {
	Expected, Upper float64
}

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
	s, _ := covering(demand, upper, stock, l)
	return s
}

// covering is SuggestCovering with whether the cap cut the quantity.
func covering(demand, upper, stock float64, l CatalogueLine) (int, bool) {
	safety := 0.0
	if upper > demand {
		safety = upper - demand
	}
	s := int(math.Round(max(demand+safety-max(stock, 0), 0)))
	if l.Remaining != nil {
		if c := l.Ordered + max(*l.Remaining, 0); c < s {
			return c, true
		}
	}
	return s, false
}

// Suggestion is a suggested quantity with the sentence that explains it.
type Suggestion struct {
	Quantity    int
	Explanation string
}

// SuggestFor is the suggested quantity of catalogue line l for demand d and the stock on hand
// (cartons; nil when no recent count is known): with an interval (d.Upper > 0) the interval's upper
// bound, the demand at the ServiceLevel, less the stock (SuggestCovering); without one the expected
// demand plus SafetyStockWeeks of it, less the stock (Suggest). Either way capped by what the outlet
// may be granted, and the explanation says which, with the figures. A line awaiting its supply
// (CatalogueLine.AwaitingSupply) is suggested nothing: it cannot be ordered yet.
func SuggestFor(d Demand, stock *float64, l CatalogueLine) Suggestion {
	if l.AwaitingSupply() {
		return Suggestion{Explanation: fmt.Sprintf("expected demand %.1f; the brand's supply for the cycle is not published yet", d.Expected)}
	}
	onHand := 0.0
	if stock != nil {
		onHand = *stock
	}
	var b strings.Builder
	var q int
	var capped bool
	if d.Upper > 0 {
		upper := max(d.Upper, d.Expected)
		q, capped = covering(d.Expected, upper, onHand, l)
		fmt.Fprintf(&b, "forecast upper bound %.1f (forecast %.1f, top of its 80%% interval: demand covered %.0f%% of weeks)",
			upper, d.Expected, 100*ServiceLevel)
	} else {
		q, capped = covering(d.Expected, d.Expected*(1+SafetyStockWeeks), onHand, l)
		fmt.Fprintf(&b, "expected demand %.1f × %.2f (safety stock of %.2g weeks; no forecast interval)",
			d.Expected, 1+SafetyStockWeeks, SafetyStockWeeks)
	}
	if stock != nil {
		fmt.Fprintf(&b, " − %.1f on hand", onHand)
	}
	if capped {
		fmt.Fprintf(&b, "; capped at %d by the limit (%d ordered, %d remaining)", q, l.Ordered, max(*l.Remaining, 0))
	} else {
		fmt.Fprintf(&b, " = %d", q)
	}
	if stock == nil {
		b.WriteString("; no recent stock count")
	}
	return Suggestion{Quantity: q, Explanation: b.String()}
}
