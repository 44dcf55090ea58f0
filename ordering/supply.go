package ordering

import (
	"fmt"
	"time"
)

// MaxLimits bounds the per-outlet limits one publication carries, and MaxSupplyCartons a brand's
// supply in one cycle (ten million cartons is far beyond any region's week).
const (
	MaxLimits        = 500_000
	MaxSupplyCartons = 10_000_000
)

// SupplyState is one brand of a cycle's supply plan with what its limits add up to.
type SupplyState struct {
	SupplyLine
	Name         string    // the brand's
	Scarce       bool      // the brand's flag: it awaits its supply until PublishedAt (AwaitingSupply)
	PublishedAt  time.Time // zero until a planner published it
	Allocation   string    // the id of the allocation whose limits the brand has; "" when none was published
	Limits       int       // outlets with a limit of the brand
	LimitCartons int       // their limits added up
	UsedCartons  int       // what live and paid orders hold of them

	// What the cycle's orders (not cancelled or failed) asked for and were granted of the brand.
	Requested, Granted int
	// Eligible is the active outlets with a limit of the brand; Covered those of them granted at
	// least one carton. Covered ÷ Eligible is the scarce-brand coverage (紧俏品牌覆盖率).
	Eligible, Covered int
}

// AwaitingSupply reports whether the brand is not on sale in the cycle until its supply is published
// (see AwaitingSupply).
func (s SupplyState) AwaitingSupply() bool {
	return s.OnSale && AwaitingSupply(s.Scarce, !s.PublishedAt.IsZero())
}

// FillRate is Granted ÷ Requested: the share of what retailers asked for that they got (1 when
// nothing was requested).
func (s SupplyState) FillRate() float64 {
	if s.Requested == 0 {
		return 1
	}
	return float64(s.Granted) / float64(s.Requested)
}

// Coverage is Covered ÷ Eligible (0 with no eligible outlet).
func (s SupplyState) Coverage() float64 {
	if s.Eligible == 0 {
		return 0
	}
	return float64(s.Covered) / float64(s.Eligible)
}

// ValidateSupply checks a supply plan and per-outlet limits as a planner publishes them: each brand
// once in the plan, quantities whole and not negative, each outlet and brand once among the limits.
// Whether the brands and outlets exist is checked against the store.
func ValidateSupply(plan []SupplyLine, limits []OutletLimit) error {
	fields := map[string]string{}
	if len(plan) == 0 && len(limits) == 0 {
		fields["plan"] = "give a plan, limits or both"
	}
	seen := map[string]int{}
	for i, l := range plan {
		key := fmt.Sprintf("plan[%d]", i)
		if l.Brand == "" {
			fields[key+".brand"] = "required"
		} else if j, dup := seen[l.Brand]; dup {
			fields[key+".brand"] = fmt.Sprintf("%s is also plan[%d]: one line per brand", l.Brand, j)
		}
		seen[l.Brand] = i
		if l.SupplyCartons != nil && (*l.SupplyCartons < 0 || *l.SupplyCartons > MaxSupplyCartons) {
			fields[key+".supply_cartons"] = fmt.Sprintf("want 0 to %d whole cartons", MaxSupplyCartons)
		}
		if l.PerOutletCap != nil && (*l.PerOutletCap < 0 || *l.PerOutletCap > MaxCartons) {
			fields[key+".per_outlet_cap"] = fmt.Sprintf("want 0 to %d whole cartons", MaxCartons)
		}
	}
	if len(limits) > MaxLimits {
		fields["limits"] = fmt.Sprintf("want at most %d limits in one publication", MaxLimits)
	}
	type pair struct{ outlet, brand string }
	seenLimit := map[pair]int{}
	for i, l := range limits {
		key := fmt.Sprintf("limits[%d]", i)
		if l.Outlet == "" {
			fields[key+".outlet"] = "required"
		}
		if l.Brand == "" {
			fields[key+".brand"] = "required"
		}
		if j, dup := seenLimit[pair{l.Outlet, l.Brand}]; dup && l.Outlet != "" && l.Brand != "" {
			fields[key] = fmt.Sprintf("outlet %s, brand %s is also limits[%d]", l.Outlet, l.Brand, j)
		}
		seenLimit[pair{l.Outlet, l.Brand}] = i
		if l.Cartons < 0 || l.Cartons > MaxCartons {
			fields[key+".cartons"] = fmt.Sprintf("want 0 to %d whole cartons", MaxCartons)
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}
