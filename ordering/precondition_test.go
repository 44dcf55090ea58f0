package ordering

import (
	"errors"
	"testing"
)

func TestMatchVersion(t *testing.T) {
	tests := []struct {
		name          string
		want, current int
		ok            bool
	}{
		{"no If-Match", 0, 3, true},
		{"no If-Match, no order", 0, 0, true},
		{"current", 3, 3, true},
		{"stale", 2, 3, false},
		{"no order to match", 2, 0, false},
		{"any, an order", AnyVersion, 7, true},
		{"any, no order", AnyVersion, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MatchVersion(tt.want, tt.current)
			var stale *StaleError
			if (err == nil) != tt.ok || (err != nil && (!errors.Is(err, ErrVersionMismatch) || !errors.As(err, &stale) || stale.Current != tt.current)) {
				t.Errorf("MatchVersion(%d, %d) = %v; want ok %v", tt.want, tt.current, err, tt.ok)
			}
		})
	}
}

func TestCheckFunds(t *testing.T) {
	tests := []struct {
		name                  string
		total, balance, other int64
		credit                bool
		wantErr               error
		wantShortfall         int64
		wantWarning           bool
		wantDetail            string
	}{
		{"covered", 17000, 20000, 0, false, nil, 0, false, ""},
		{"covered exactly with another order", 10000, 20000, 10000, false, nil, 0, false, ""},
		{"above the balance", 17000, 1500, 0, false, ErrInsufficientBalance, 15500, false, "the order is 170.00, the balance 15.00"},
		{"above what other orders leave", 5000, 10000, 8000, false, ErrInsufficientBalance, 3000, false, "the order is 50.00, the balance 20.00"},
		{"on credit", 17000, 1500, 0, true, nil, 15500, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := CheckFunds(tt.total, tt.balance, tt.other, tt.credit)
			if !errors.Is(err, tt.wantErr) || f.ShortfallCents() != tt.wantShortfall || (f.Warning != "") != tt.wantWarning {
				t.Fatalf("CheckFunds(%d, %d, %d, %v) = %+v, %v; want error %v, shortfall %d, warning %v",
					tt.total, tt.balance, tt.other, tt.credit, f, err, tt.wantErr, tt.wantShortfall, tt.wantWarning)
			}
			var d interface{ Detail() string }
			if tt.wantDetail != "" && (!errors.As(err, &d) || d.Detail() != tt.wantDetail) {
				t.Errorf("detail of %v; want %q", err, tt.wantDetail)
			}
		})
	}
}
