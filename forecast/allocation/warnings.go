package allocation

import (
	"fmt"
	"slices"
)

// Warning is something a planner should know about an allocation before publishing it, in a form
// any language can render: a stable code with its parameters, as Clause is for explanations, and the
// English sentence. The codes and parameters are a contract with the API's clients (openapi.json
// lists them); a new kind of warning gets a new code, never a new meaning for an old one.
//
// Params holds numbers as int and names, dates (YYYY-MM-DD) and run ids as strings.
type Warning struct {
	Code   string
	Params map[string]any
}

// The codes of the warnings of a plan, each with its parameters.
const (
	// WarnNoRun (week): no forecast run covers the cycle's week; every outlet's demand is taken as 0.
	WarnNoRun = "no_forecast_run"
	// WarnNoBrandDemand (run, brand, week): the run covering the week has no forecast of the brand;
	// demand taken as 0.
	WarnNoBrandDemand = "no_brand_demand"
	// WarnUnallocated (cartons): the eligible outlets cannot take that much of the supply.
	WarnUnallocated = "unallocated"
)

// warningForms are the English sentences of the warnings, with the parameters they name in order.
var warningForms = map[string]struct {
	format string
	params []string
}{
	WarnNoRun:         {"no forecast run covers the week of %v: demand taken as 0", []string{"week"}},
	WarnNoBrandDemand: {"forecast run %v has no demand for %v in the week of %v: demand taken as 0", []string{"run", "brand", "week"}},
	WarnUnallocated:   {"%v cartons left unallocated: the eligible outlets cannot take them", []string{"cartons"}},
}

// Warnings returns every warning code, in a fixed order.
func Warnings() []string { return []string{WarnNoRun, WarnNoBrandDemand, WarnUnallocated} }

// WarningParams returns the names of the parameters of warning code, sorted; nil for an unknown code.
func WarningParams(code string) []string {
	f, ok := warningForms[code]
	if !ok {
		return nil
	}
	return slices.Sorted(slices.Values(f.params))
}

// warn makes the warning code from its parameters, given as name, value pairs.
func warn(code string, kv ...any) Warning {
	w := Warning{Code: code, Params: make(map[string]any, len(kv)/2)}
	for k := 0; k+1 < len(kv); k += 2 {
		w.Params[kv[k].(string)] = kv[k+1]
	}
	return w
}

// String is the warning in English, as "no forecast run covers the week of 2026-11-16: demand taken
// as 0"; an unknown code is shown with its parameters.
func (w Warning) String() string {
	f, ok := warningForms[w.Code]
	if !ok {
		return fmt.Sprintf("%s %v", w.Code, w.Params)
	}
	args := make([]any, len(f.params))
	for k, name := range f.params {
		args[k] = w.Params[name]
	}
	return fmt.Sprintf(f.format, args...)
}

// WarningTexts is the English sentences of ws, in order; never nil.
func WarningTexts(ws []Warning) []string {
	out := make([]string, len(ws))
	for k, w := range ws {
		out[k] = w.String()
	}
	return out
}
