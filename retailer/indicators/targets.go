package indicators

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// targetBook resolves the target of a row: the manager's override, else its area's, else the
// company's default.
type targetBook struct {
	byKey        map[Indicator]map[Level]map[string]float64
	managersArea map[string]string
}

func newTargetBook(ts []Target, managers []AccountManager) targetBook {
	tb := targetBook{byKey: map[Indicator]map[Level]map[string]float64{}, managersArea: map[string]string{}}
	for _, m := range managers {
		tb.managersArea[m.Code] = m.Area
	}
	for _, t := range ts {
		if tb.byKey[t.Indicator] == nil {
			tb.byKey[t.Indicator] = map[Level]map[string]float64{}
		}
		if tb.byKey[t.Indicator][t.Scope] == nil {
			tb.byKey[t.Indicator][t.Scope] = map[string]float64{}
		}
		tb.byKey[t.Indicator][t.Scope][t.Key] = t.Value
	}
	return tb
}

// of returns the target of ind for a row of level, if any: for an outlet or a manager the manager's
// override, else the area's, else the company's; for an area the area's, else the company's.
func (tb targetBook) of(ind Indicator, level Level, r *Row) (float64, bool) {
	m := tb.byKey[ind]
	if m == nil {
		return 0, false
	}
	manager, area := "", ""
	switch level {
	case AtOutlet:
		manager, area = r.Manager, r.Area
	case AtManager:
		manager, area = r.Key, tb.managersArea[r.Key]
	case AtArea:
		area = r.Key
	}
	if v, ok := m[AtManager][manager]; ok && manager != "" {
		return v, true
	}
	if v, ok := m[AtArea][area]; ok && area != "" {
		return v, true
	}
	v, ok := m[AtCompany][""]
	return v, ok
}

// apply sets v's target, gap and whether the target is met.
func (tb targetBook) apply(v *Value, s Spec, level Level, r *Row) {
	t, ok := tb.of(s.Indicator, level, r)
	if !ok {
		return
	}
	v.Target = &t
	if v.Value == nil {
		return
	}
	gap := *v.Value - t
	met := gap >= 0
	if !s.HigherIsBetter {
		met = gap <= 0
	}
	v.Gap, v.Met = &gap, &met
}

// CheckTarget validates a target a planner sets: a known indicator, a scope of company (no key), area
// or manager (a key), and a value within the indicator's unit.
func CheckTarget(t Target) error {
	s, ok := SpecOf(t.Indicator)
	if !ok {
		return fmt.Errorf("%w: unknown indicator %q", ErrInvalid, t.Indicator)
	}
	switch t.Scope {
	case AtCompany:
		if t.Key != "" {
			return fmt.Errorf("%w: a company target has no key", ErrInvalid)
		}
	case AtArea, AtManager:
		if strings.TrimSpace(t.Key) == "" {
			return fmt.Errorf("%w: an %s target needs the %s's key", ErrInvalid, t.Scope, t.Scope)
		}
	default:
		return fmt.Errorf("%w: scope %q: want company, area or manager", ErrInvalid, t.Scope)
	}
	if math.IsNaN(t.Value) || math.IsInf(t.Value, 0) || t.Value < 0 {
		return fmt.Errorf("%w: value %v: want a number of 0 or more", ErrInvalid, t.Value)
	}
	switch s.Unit {
	case "ratio":
		if t.Value > 1 {
			return fmt.Errorf("%w: value %v: %s is a ratio from 0 to 1", ErrInvalid, t.Value, t.Indicator)
		}
	case "score":
		if t.Value > 100 {
			return fmt.Errorf("%w: value %v: %s is a score from 0 to 100", ErrInvalid, t.Value, t.Indicator)
		}
	}
	return nil
}

// TargetsFor returns the targets a caller may read: all of them, or for a manager the company's
// defaults, its area's and its own.
func (s *Service) TargetsFor(ctx context.Context, manager string) ([]Target, error) {
	ts, err := s.Targets.Targets(ctx)
	if err != nil || manager == "" {
		return ts, err
	}
	_, managers, err := s.Directory.Directory(ctx)
	if err != nil {
		return nil, err
	}
	area := ""
	found := false
	for _, m := range managers {
		if m.Code == manager {
			area, found = m.Area, true
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: %q", ErrUnknownManager, manager)
	}
	out := []Target{}
	for _, t := range ts {
		if t.Scope == AtCompany || (t.Scope == AtArea && t.Key == area) || (t.Scope == AtManager && t.Key == manager) {
			out = append(out, t)
		}
	}
	return out, nil
}

// SetTargets checks and stores targets; remove lists overrides to drop.
func (s *Service) SetTargets(ctx context.Context, set, remove []Target) error {
	for _, t := range append(append([]Target{}, set...), remove...) {
		if err := CheckTarget(Target{Indicator: t.Indicator, Scope: t.Scope, Key: t.Key, Value: max(t.Value, 0)}); err != nil {
			return err
		}
	}
	return s.Targets.SetTargets(ctx, set, remove)
}
