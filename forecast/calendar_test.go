package forecast

import (
	"strings"
	"testing"
)

// A dataset's imported holidays are in its own scope (but for another region's when one is named),
// never in another dataset's; the calendar table's days follow the region rule as before.
func TestCalendarScopeImported(t *testing.T) {
	cal := []CalendarDay{
		{Region: "CN", Day: day("2024-02-10"), Holiday: "Spring Festival"},
		{Dataset: "m5", Day: day("2024-03-31"), Holiday: "Easter"},
		{Dataset: "m5", Region: "TX", Day: day("2024-03-02"), Holiday: "Texas Independence Day"},
		{Dataset: "walmart", Day: day("2024-11-29"), Holiday: "Thanksgiving"},
	}
	tests := []struct {
		scope CalendarScope
		want  []string
	}{
		{CalendarScope{Dataset: "m5"}, []string{"Easter", "Texas Independence Day"}},
		{CalendarScope{Dataset: "m5", Region: "TX"}, []string{"Easter", "Texas Independence Day"}},
		{CalendarScope{Dataset: "m5", Region: "CA"}, []string{"Easter"}},
		{CalendarScope{Dataset: "m5", Region: "CN"}, []string{"Spring Festival", "Easter"}},
		{CalendarScope{Dataset: "walmart"}, []string{"Thanksgiving"}},
		{CalendarScope{Dataset: "other"}, nil},
		{CalendarScope{Dataset: LiveDataset}, []string{"Spring Festival"}},
	}
	for _, tt := range tests {
		holidays, days := tt.scope.Select(cal)
		var names []string
		for _, h := range holidays {
			names = append(names, h.Holiday)
		}
		if strings.Join(names, ",") != strings.Join(tt.want, ",") || days != len(tt.want) {
			t.Errorf("%+v.Select = %q, %d days; want %q", tt.scope, names, days, tt.want)
		}
	}
}
