package ordering

import "testing"

func TestSupplyStateRates(t *testing.T) {
	tests := []struct {
		name               string
		s                  SupplyState
		fillRate, coverage float64
	}{
		{"nothing asked, no outlet", SupplyState{}, 1, 0},
		{"half granted", SupplyState{Requested: 8, Granted: 4, Eligible: 4, Covered: 3}, 0.5, 0.75},
		{"all granted, none covered", SupplyState{Requested: 3, Granted: 3, Eligible: 2}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.FillRate(); got != tt.fillRate {
				t.Errorf("%+v.FillRate() = %v; want %v", tt.s, got, tt.fillRate)
			}
			if got := tt.s.Coverage(); got != tt.coverage {
				t.Errorf("%+v.Coverage() = %v; want %v", tt.s, got, tt.coverage)
			}
		})
	}
}
