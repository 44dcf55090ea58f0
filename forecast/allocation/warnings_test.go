package allocation

import (
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
