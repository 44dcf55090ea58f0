package ordering

import (
	"fmt"
	"reflect"
	"testing"
)

func TestAllowanceRemaining(t *testing.T) {
	tests := []struct {
		name string
		a    Allowance
		own  int
		want *int
	}{
		{"no limit, no cap", Allowance{}, 0, nil},
		{"no limit, no cap, an order held", Allowance{}, 4, nil},
		{"limit less what the orders hold", Allowance{Limit: intp(5), Used: 2}, 0, intp(3)},
		{"the order being replaced gives back what it holds", Allowance{Limit: intp(5), Used: 5}, 2, intp(2)},
		{"used up", Allowance{Limit: intp(5), Used: 5}, 0, intp(0)},
		{"cap below the limit", Allowance{Limit: intp(5), Used: 1, Cap: intp(2)}, 0, intp(2)},
		{"cap above the limit", Allowance{Limit: intp(5), Used: 1, Cap: intp(9)}, 0, intp(4)},
		{"cap alone", Allowance{Cap: intp(3)}, 1, intp(3)},
		{"a lowered limit leaves less than nothing", Allowance{Limit: intp(1), Used: 3}, 0, intp(-2)},
		{"supply alone", Allowance{Supply: intp(3)}, 0, intp(3)},
		{"the order being replaced gives back its supply", Allowance{Supply: intp(0)}, 4, intp(4)},
		{"supply below the limit", Allowance{Limit: intp(5), Used: 1, Supply: intp(2)}, 0, intp(2)},
		{"supply above the limit", Allowance{Limit: intp(5), Used: 1, Supply: intp(20)}, 0, intp(4)},
		{"supply below the cap", Allowance{Cap: intp(5), Supply: intp(1)}, 0, intp(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.Remaining(tt.own)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("%+v.Remaining(%d) = %s; want %s", tt.a, tt.own, show(got), show(tt.want))
			}
		})
	}
}

func TestAllowanceBoundReason(t *testing.T) {
	tests := []struct {
		name string
		a    Allowance
		want LimitReason
	}{
		{"nothing", Allowance{}, ""},
		{"limit", Allowance{Limit: intp(5)}, ByLimit},
		{"cap", Allowance{Cap: intp(5)}, ByLimit},
		{"supply", Allowance{Supply: intp(5)}, BySupply},
		{"supply below the limit", Allowance{Limit: intp(5), Supply: intp(4)}, BySupply},
		{"a tie is the limit's", Allowance{Limit: intp(5), Supply: intp(5)}, ByLimit},
		{"cap below the supply", Allowance{Cap: intp(2), Supply: intp(4)}, ByLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, got := tt.a.Bound(0); got != tt.want {
				t.Errorf("%+v.Bound(0) reason = %q; want %q", tt.a, got, tt.want)
			}
		})
	}
}

func show(n *int) string {
	if n == nil {
		return "nil"
	}
	return fmt.Sprint(*n)
}

func TestLimitMoves(t *testing.T) {
	tests := []struct {
		name  string
		held  map[int64]int
		lines []Line
		want  map[int64]int
	}{
		{"new order", nil, []Line{{BrandID: 1, Granted: 3}, {BrandID: 2, Granted: 0}}, map[int64]int{1: 3}},
		{"replaced: up, down, dropped, unchanged", map[int64]int{1: 3, 2: 4, 3: 1, 4: 2},
			[]Line{{BrandID: 1, Granted: 5}, {BrandID: 2, Granted: 1}, {BrandID: 4, Granted: 2}, {BrandID: 5, Granted: 1}},
			map[int64]int{1: 2, 2: -3, 3: -1, 5: 1}},
		{"cancelled", map[int64]int{1: 3, 2: 0}, nil, map[int64]int{1: -3}},
		{"nothing", nil, nil, map[int64]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LimitMoves(tt.held, tt.lines); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LimitMoves(%v, %+v) = %v; want %v", tt.held, tt.lines, got, tt.want)
			}
		})
	}
}
