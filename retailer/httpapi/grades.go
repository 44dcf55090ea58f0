package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/grading"
)

// GradeReader reads an outlet's grade and the change that set it, with the caller's authorization in
// the query (retailer/postgres.Store); retailer.ErrNotFound for an outlet the caller may not see.
type GradeReader interface {
	OutletGrade(ctx context.Context, p retailer.Principal, id int64) (grading.Record, error)
}

// Grades recomputes grades (grading.Grader).
type Grades interface {
	Preview(ctx context.Context, rule grading.Rule, now time.Time) (grading.Recomputation, error)
	Publish(ctx context.Context, rule grading.Rule, now time.Time) (grading.Recomputation, int, error)
}

// WithGrades adds grades: GET /grades (a planner's preview of every outlet's recomputed grade with
// its reason), POST /grades (publish them; idempotent is the API's Idempotency-Key middleware) and
// GET /outlets/{id}/grade (an outlet's grade and the rule that set it, for whoever may see the outlet).
func (h *Handler) WithGrades(grades Grades, reader GradeReader, idempotent echo.MiddlewareFunc) {
	h.grades, h.gradeReader, h.idempotent = grades, reader, idempotent
}

// RuleView is the grading rule with its parameters and its text.
type RuleView struct {
	Version      string  `json:"version"`
	Weeks        int     `json:"weeks"`
	AmountWeight float64 `json:"amount_weight"`
	MaxStep      int     `json:"max_step"`
	Text         string  `json:"text"`
}

func ruleOf(r grading.Rule) RuleView {
	return RuleView{Version: r.Version(), Weeks: r.Weeks, AmountWeight: r.AmountWeight, MaxStep: r.MaxStep, Text: r.Text()}
}

// GradeSummaryView counts what a recomputation changes.
type GradeSummaryView struct {
	Outlets int `json:"outlets"`
	Ranked  int `json:"ranked"`
	Up      int `json:"up"`
	Down    int `json:"down"`
	Same    int `json:"same"`
	Capped  int `json:"capped"`
}

// GradeResultView is one outlet's recomputed grade with its reason.
type GradeResultView struct {
	Outlet      int64   `json:"outlet"`
	Licence     string  `json:"licence"`
	Old         int     `json:"old"`
	New         int     `json:"new"`
	Earned      int     `json:"earned"`
	AmountCents int64   `json:"amount_cents"`
	Cartons     float64 `json:"cartons"`
	AmountRank  float64 `json:"amount_percentile"`
	CartonsRank float64 `json:"cartons_percentile"`
	Score       float64 `json:"score"`
	Ranked      bool    `json:"ranked"`
	Reason      string  `json:"reason"`
}

// GradesView is a recomputation of grades as the API and `ordercast grade -json` show it.
type GradesView struct {
	Rule    RuleView          `json:"rule"`
	From    string            `json:"from"` // the window's first Monday
	To      string            `json:"to"`   // the Monday after its last week
	Summary GradeSummaryView  `json:"summary"`
	Outlets []GradeResultView `json:"outlets,omitempty"`
	Next    string            `json:"next,omitempty"`
	// Publish only.
	EffectiveFrom string `json:"effective_from,omitempty"`
	Changed       *int   `json:"changed,omitempty"`
}

// GradesViewOf is rc as GradesView, with every outlet's result when outlets is set.
func GradesViewOf(rc grading.Recomputation, outlets bool) GradesView {
	v := recomputationOf(rc)
	if outlets {
		v.Outlets = make([]GradeResultView, len(rc.Results))
		for i, r := range rc.Results {
			v.Outlets[i] = resultView(r)
		}
	}
	return v
}

func resultView(r grading.Result) GradeResultView {
	return GradeResultView{Outlet: r.ID, Licence: r.Licence, Old: r.Grade, New: r.New,
		Earned: r.Earned, AmountCents: r.AmountCents, Cartons: r.Cartons, AmountRank: round(r.AmountRank, 2),
		CartonsRank: round(r.CartonsRank, 2), Score: round(r.Score, 2), Ranked: r.Ranked, Reason: r.Reason}
}

func recomputationOf(rc grading.Recomputation) GradesView {
	s := rc.Summary
	return GradesView{Rule: ruleOf(rc.Rule), From: rc.From.Format(time.DateOnly), To: rc.To.Format(time.DateOnly),
		Summary: GradeSummaryView{Outlets: s.Outlets, Ranked: s.Ranked, Up: s.Up, Down: s.Down, Same: s.Same, Capped: s.Capped}}
}

func round(v float64, decimals int) float64 {
	p := 1.0
	for range decimals {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}

// gradeRule reads the rule's parameters, the defaults where absent, noting what is wrong in fields.
func gradeRule(weeks, amountWeight, maxStep string, fields map[string]string) grading.Rule {
	r := grading.DefaultRule()
	if weeks != "" {
		n, err := strconv.Atoi(weeks)
		if err != nil || n < grading.MinWeeks || n > grading.MaxWeeks {
			fields["weeks"] = fmt.Sprintf("want %d to %d", grading.MinWeeks, grading.MaxWeeks)
		}
		r.Weeks = n
	}
	if amountWeight != "" {
		w, err := strconv.ParseFloat(amountWeight, 64)
		if err != nil || !(w >= 0 && w <= 1) {
			fields["amount_weight"] = "want 0 to 1"
		}
		r.AmountWeight = w
	}
	if maxStep != "" {
		n, err := strconv.Atoi(maxStep)
		if err != nil || n < 1 || n > retailer.MaxGrade-retailer.MinGrade {
			fields["max_step"] = fmt.Sprintf("want 1 to %d", retailer.MaxGrade-retailer.MinGrade)
		}
		r.MaxStep = n
	}
	return r
}

func requirePlanner(c echo.Context, what string) (retailer.Principal, error) {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	if p.Role != retailer.RolePlanner && p.Role != retailer.RoleAdmin {
		return p, retailer.Forbidden(what + " is for planners")
	}
	return p, nil
}

func (h *Handler) previewGrades(c echo.Context) error {
	if _, err := requirePlanner(c, "recomputing grades"); err != nil {
		return err
	}
	fields := map[string]string{}
	rule := gradeRule(c.QueryParam("weeks"), c.QueryParam("amount_weight"), c.QueryParam("max_step"), fields)
	limit, after, pageFields := pageParams(c, 100)
	for k, v := range pageFields {
		fields[k] = v
	}
	changedOnly := false
	if v := c.QueryParam("changed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fields["changed"] = "want true or false"
		}
		changedOnly = b
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	rc, err := h.grades.Preview(c.Request().Context(), rule, h.now())
	if err != nil {
		return err
	}
	out := recomputationOf(rc)
	out.Outlets = []GradeResultView{}
	for _, r := range rc.Results { // in id order
		if r.ID <= after || changedOnly && r.New == r.Grade {
			continue
		}
		if len(out.Outlets) == limit {
			q := fmt.Sprintf("?weeks=%d&amount_weight=%g&max_step=%d&limit=%d&after=%d", rule.Weeks, rule.AmountWeight,
				rule.MaxStep, limit, out.Outlets[len(out.Outlets)-1].Outlet)
			if changedOnly {
				q += "&changed=true"
			}
			out.Next = q
			break
		}
		out.Outlets = append(out.Outlets, resultView(r))
	}
	return c.JSON(http.StatusOK, out)
}

type publishGradesRequest struct {
	Weeks        *int     `json:"weeks"`
	AmountWeight *float64 `json:"amount_weight"`
	MaxStep      *int     `json:"max_step"`
}

func (h *Handler) publishGrades(c echo.Context) error {
	if _, err := requirePlanner(c, "publishing grades"); err != nil {
		return err
	}
	var req publishGradesRequest
	if c.Request().ContentLength != 0 {
		if err := c.Bind(&req); err != nil {
			return err
		}
	}
	str := func(v any) string {
		switch v := v.(type) {
		case *int:
			if v != nil {
				return strconv.Itoa(*v)
			}
		case *float64:
			if v != nil {
				return strconv.FormatFloat(*v, 'g', -1, 64)
			}
		}
		return ""
	}
	fields := map[string]string{}
	rule := gradeRule(str(req.Weeks), str(req.AmountWeight), str(req.MaxStep), fields)
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	now := h.now()
	rc, changed, err := h.grades.Publish(c.Request().Context(), rule, now)
	if err != nil {
		return err
	}
	out := recomputationOf(rc)
	out.EffectiveFrom, out.Changed = now.Format(time.DateOnly), &changed
	return c.JSON(http.StatusCreated, out)
}

type outletGradeJSON struct {
	Outlet        int64     `json:"outlet"`
	Licence       string    `json:"licence"`
	Grade         int       `json:"grade"`
	EffectiveFrom *string   `json:"effective_from"` // null: set with the master data, never recomputed
	Explanation   string    `json:"explanation"`
	Rule          *RuleView `json:"rule"` // null: no rule has set it
}

func (h *Handler) outletGrade(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id"))
	}
	rec, err := h.gradeReader.OutletGrade(c.Request().Context(), p, id)
	if err != nil {
		return err
	}
	out := outletGradeJSON{Outlet: rec.OutletID, Licence: rec.Licence, Grade: rec.Grade,
		Explanation: "grade set with the outlet's master data; no recomputation has changed it yet"}
	if !rec.EffectiveFrom.IsZero() {
		from := rec.EffectiveFrom.Format(time.DateOnly)
		out.EffectiveFrom, out.Explanation = &from, rec.Explanation
		if r, ok := grading.ParseVersion(rec.RuleVersion); ok {
			rj := ruleOf(r)
			out.Rule = &rj
		}
	}
	return c.JSON(http.StatusOK, out)
}
