package allocation

import (
	"bytes"
	"encoding/gob"
	"slices"
	"testing"
)

// Each warning reads in English as before it had a code, names exactly its parameters, and an
// allocation the eligible outlets cannot take in full warns with its cartons.
func TestWarnings(t *testing.T) {
	tests := []struct {
		w    Warning
		want string
	}{
		{warn(WarnNoRun, "week", "2026-11-16"), "no forecast run covers the week of 2026-11-16: demand taken as 0"},
		{warn(WarnNoBrandDemand, "run", "r1", "brand", "B0007", "week", "2026-11-16"),
			"forecast run r1 has no demand for B0007 in the week of 2026-11-16: demand taken as 0"},
		{warn(WarnUnallocated, "cartons", 12), "12 cartons left unallocated: the eligible outlets cannot take them"},
		{Warning{Code: "new_kind", Params: map[string]any{"x": 1}}, "new_kind map[x:1]"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("%+v.String() = %q; want %q", tt.w, got, tt.want)
		}
	}
	for _, code := range Warnings() {
		f := warningForms[code]
		if got := WarningParams(code); len(got) != len(f.params) || !slices.IsSorted(got) {
			t.Errorf("WarningParams(%s) = %v; want %v sorted", code, got, f.params)
		}
	}
	if len(warningForms) != len(Warnings()) {
		t.Errorf("Warnings() lists %d codes; %d have a sentence", len(Warnings()), len(warningForms))
	}
	if got := WarningTexts(nil); got == nil || len(got) != 0 {
		t.Errorf("WarningTexts(nil) = %#v; want an empty list", got)
	}
}

// A kept plan whose columns disagree is refused, not read as a wrong plan.
func TestDecodePlanRefusesBrokenColumns(t *testing.T) {
	for name, c := range map[string]limitColumns{
		"short column": {Names: []string{"active"}, Outlets: "L1L2", Ends: []uint32{2, 4}, Status: []uint32{0}, Area: []uint32{0, 0},
			Grade: []int{1, 2}, Group: []int{0, 0}, Cap: []int{0, 0}, Cartons: []int{1, 1}, Demand: []float64{1, 1},
			Quota: []float64{1, 1}, Reason: []uint16{0, 0}},
		"no such name": {Names: []string{"active"}, Outlets: "L1", Ends: []uint32{2}, Status: []uint32{3}, Area: []uint32{0},
			Grade: []int{1}, Group: []int{0}, Cap: []int{0}, Cartons: []int{1}, Demand: []float64{1}, Quota: []float64{1}, Reason: []uint16{0}},
		"ends beyond": {Names: []string{"active"}, Outlets: "L1", Ends: []uint32{9}, Status: []uint32{0}, Area: []uint32{0},
			Grade: []int{1}, Group: []int{0}, Cap: []int{0}, Cartons: []int{1}, Demand: []float64{1}, Quota: []float64{1}, Reason: []uint16{0}},
	} {
		var b bytes.Buffer
		if err := gob.NewEncoder(&b).Encode(keptPlan{ID: "p", Result: &Result{}, Limits: c}); err != nil {
			t.Fatal(err)
		}
		if plan, err := DecodePlan(b.Bytes()); err == nil {
			t.Errorf("%s: DecodePlan = %+v; want an error", name, plan.Result.Limits)
		}
	}
}
