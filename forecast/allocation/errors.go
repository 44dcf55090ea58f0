package allocation

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
)

// Errors of an invalid Input. Allocate and Validate return them inside a *ValidationError, which
// names the field; match them with errors.Is.
var (
	ErrSupply          = errors.New("allocation: supply outside 0 … MaxSupply cartons")
	ErrMode            = errors.New("allocation: unknown mode")
	ErrDimension       = errors.New("allocation: unknown dimension, or a dimension outside grade_within")
	ErrCoverage        = errors.New("allocation: minimum coverage outside 0 … 1")
	ErrGradeWeights    = errors.New("allocation: grade weights must be 30 non-negative, non-decreasing numbers, not all 0, in a grade mode")
	ErrOutletID        = errors.New("allocation: outlet without an ID")
	ErrDuplicateOutlet = errors.New("allocation: outlet listed twice")
	ErrGrade           = errors.New("allocation: grade outside 1 … 30")
	ErrStatus          = errors.New("allocation: unknown outlet status")
	ErrDemand          = errors.New("allocation: demand must be a number of cartons 0 … MaxDemand")
	ErrCap             = errors.New("allocation: negative cap")
	ErrNoSelected      = errors.New("allocation: selected mode without a selected outlet")
)

// ValidationError says which field of an Input is invalid and why.
type ValidationError struct {
	Field  string // as "supply", "options.min_coverage", "outlets[12].grade"
	Outlet string // the outlet's ID when the field is an outlet's
	Value  string // the offending value, as text
	Err    error  // one of the Err values
}

func (e *ValidationError) Error() string {
	s := e.Err.Error() + ": " + e.Field
	if e.Value != "" {
		s += " = " + e.Value
	}
	if e.Outlet != "" {
		s += " (outlet " + strconv.Quote(e.Outlet) + ")"
	}
	return s
}

func (e *ValidationError) Unwrap() error { return e.Err }

// FieldErrors names the field with what is wrong with it, for problem responses.
func (e *ValidationError) FieldErrors() map[string]string {
	why := strings.TrimPrefix(e.Err.Error(), "allocation: ")
	if e.Value != "" {
		why += " (" + e.Value + ")"
	}
	return map[string]string{e.Field: why}
}

// Validate checks in against the package's rules and returns a problem as a *ValidationError, or
// nil: the first invalid field, in the order supply, mode, dimension, options, outlets; then the
// first outlet whose ID an earlier outlet has; then a selection without a selected outlet.
func (in *Input) Validate() error {
	return in.validate(false)
}

// validate is Validate; outletsValid skips the outlets' own checks (validOutlets passed on these very
// outlets before), keeping the selection's.
func (in *Input) validate(outletsValid bool) error {
	invalid := func(field, value string, err error) error {
		return &ValidationError{Field: field, Value: value, Err: err}
	}
	if in.Supply < 0 || in.Supply > MaxSupply {
		return invalid("supply", strconv.Itoa(in.Supply), ErrSupply)
	}
	if !in.Mode.valid() {
		return invalid("mode", strconv.Quote(string(in.Mode)), ErrMode)
	}
	if (in.Mode == ByGradeWithin) != (in.Dimension != "") || in.Dimension != "" && !in.Dimension.valid() {
		return invalid("dimension", strconv.Quote(string(in.Dimension)), ErrDimension)
	}
	if p := in.Options.MinCoverage; !(p >= 0 && p <= 1) {
		return invalid("options.min_coverage", fmt.Sprint(p), ErrCoverage)
	}
	if w := in.Options.GradeWeights; w != nil {
		if err := validWeights(w, in.Mode); err != "" {
			return invalid("options.grade_weights", err, ErrGradeWeights)
		}
	}
	selected := false
	if outletsValid {
		for i := range in.Outlets {
			selected = selected || in.Outlets[i].Selected
		}
	} else {
		var err error
		if selected, err = validOutlets(in.Outlets); err != nil {
			return err
		}
	}
	if in.Mode == BySelection && !selected {
		return invalid("outlets", "", ErrNoSelected)
	}
	return nil
}

// validOutlets checks every outlet (its ID, grade, status, demand and cap, then that no ID is
// listed twice) and says whether any is selected.
func validOutlets(outlets []Outlet) (selected bool, err error) {
	for i := range outlets {
		o := &outlets[i]
		bad := func(field, value string, err error) error {
			return &ValidationError{Field: "outlets[" + strconv.Itoa(i) + "]." + field, Outlet: o.ID, Value: value, Err: err}
		}
		if o.ID == "" {
			return false, bad("id", "", ErrOutletID)
		}
		if o.Grade < MinGrade || o.Grade > MaxGrade {
			return false, bad("grade", strconv.Itoa(o.Grade), ErrGrade)
		}
		switch o.Status {
		case Active, Suspended, Closed:
		default:
			return false, bad("status", strconv.Quote(string(o.Status)), ErrStatus)
		}
		if !(o.Demand >= 0 && o.Demand <= MaxDemand) { // also refuses NaN
			return false, bad("demand", fmt.Sprint(o.Demand), ErrDemand)
		}
		if o.Cap < 0 {
			return false, bad("cap", strconv.Itoa(o.Cap), ErrCap)
		}
		selected = selected || o.Selected
	}
	if i, dup := duplicate(outlets); dup {
		return false, &ValidationError{Field: "outlets[" + strconv.Itoa(i) + "].id", Outlet: outlets[i].ID,
			Value: strconv.Quote(outlets[i].ID), Err: ErrDuplicateOutlet}
	}
	return selected, nil
}

// duplicate returns the index of the first outlet whose ID an earlier outlet has. It keeps 64-bit
// hashes of the IDs in an open-addressing set, several times faster than a map of strings, and
// checks the strings only when two hashes match.
func duplicate(outlets []Outlet) (int, bool) {
	size := 1
	for size < len(outlets)+len(outlets)/4+1 {
		size <<= 1
	}
	set := make([]uint64, size)
	seed := maphash.MakeSeed()
	for i := range outlets {
		h := maphash.String(seed, outlets[i].ID) | 1 // 0 marks an empty slot
		for k := h & uint64(size-1); ; k = (k + 1) & uint64(size-1) {
			if set[k] == 0 {
				set[k] = h
				break
			}
			if set[k] == h {
				return duplicateByName(outlets)
			}
		}
	}
	return 0, false
}

// duplicateByName is duplicate with a map of the IDs themselves.
func duplicateByName(outlets []Outlet) (int, bool) {
	seen := make(map[string]struct{}, len(outlets))
	for i := range outlets {
		if _, dup := seen[outlets[i].ID]; dup {
			return i, true
		}
		seen[outlets[i].ID] = struct{}{}
	}
	return 0, false
}

// validWeights returns what is wrong with grade weights w in mode m, or "".
func validWeights(w []float64, m Mode) string {
	switch {
	case !m.graded():
		return "given in mode " + string(m)
	case len(w) != MaxGrade:
		return strconv.Itoa(len(w)) + " weights"
	}
	positive := false
	for g, x := range w {
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0) || x < 0:
			return fmt.Sprintf("grade %d weighs %v", g+1, x)
		case g > 0 && x < w[g-1]:
			return fmt.Sprintf("grade %d weighs %v, less than grade %d", g+1, x, g)
		}
		positive = positive || x > 0
	}
	if !positive {
		return "all 0"
	}
	return ""
}
