package allocation

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"time"
)

// Kept previews. A planner previews an allocation once (Planner.Preview: computed and kept), pages
// through its outlets and confirms it from the kept copy (Planner.Kept), and publishes exactly that
// copy (Planner.PublishKept). Publishing computes the allocation again from the kept request: when
// the outlets, the forecast or anything else the result depends on changed since the preview, the
// two differ and the publication is refused with ErrStalePreview, so what is published is always
// what the planner saw.

// DefaultPreviewTTL is how long a preview is kept unless Planner.PreviewTTL says otherwise.
const DefaultPreviewTTL = time.Hour

// Errors of kept previews.
var (
	// ErrNoPreview: no kept preview has the id in the cycle, or it expired.
	ErrNoPreview = errors.New("allocation: no such preview, or it expired")
	// ErrStalePreview: the allocation computed again now differs from the kept preview; preview again.
	ErrStalePreview = errors.New("allocation: the preview's inputs changed since it was computed")
)

// PreviewStore keeps previews for a while (forecast/postgres.Store). KeepPreview stores one under
// its Plan.ID until expires; Preview returns the one of id kept and not expired at now, as encoded
// by EncodePlan, or ErrNoPreview. Both are safe for concurrent use.
type PreviewStore interface {
	KeepPreview(ctx context.Context, id string, week time.Time, body []byte, expires time.Time) error
	Preview(ctx context.Context, id string, now time.Time) ([]byte, error)
}

// keptPlan is what a kept preview holds: the rest (explanations, summary) follows from it.
type keptPlan struct {
	ID          string
	Request     Request
	ForecastRun string
	Result      *Result
	Warnings    []string
}

// EncodePlan encodes what a preview keeps of plan.
func EncodePlan(plan *Plan) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(keptPlan{ID: plan.ID, Request: plan.Request, ForecastRun: plan.ForecastRun,
		Result: plan.Result, Warnings: plan.Warnings})
	if err != nil {
		return nil, fmt.Errorf("allocation: encode preview %s: %w", plan.ID, err)
	}
	return b.Bytes(), nil
}

// DecodePlan is the plan EncodePlan encoded, with its summary. Its Explanations are left nil (a page
// of a kept preview explains only its outlets, with Result.Explain); Publish makes them.
func DecodePlan(body []byte) (*Plan, error) {
	var k keptPlan
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&k); err != nil {
		return nil, fmt.Errorf("allocation: decode a kept preview: %w", err)
	}
	if k.Result == nil {
		return nil, errors.New("allocation: decode a kept preview: no result")
	}
	plan := &Plan{ID: k.ID, Request: k.Request, ForecastRun: k.ForecastRun, Result: k.Result, Warnings: k.Warnings}
	plan.Summary = k.Result.Summary()
	return plan, nil
}

// Preview computes the allocation req asks for (as Plan) and keeps it for PreviewTTL under its ID.
func (p *Planner) Preview(ctx context.Context, req Request) (*Plan, time.Time, error) {
	if p.Previews == nil {
		return nil, time.Time{}, errors.New("allocation: the planner keeps no previews")
	}
	plan, err := p.Plan(ctx, req)
	if err != nil {
		return nil, time.Time{}, err
	}
	body, err := EncodePlan(plan)
	if err != nil {
		return nil, time.Time{}, err
	}
	ttl := p.PreviewTTL
	if ttl <= 0 {
		ttl = DefaultPreviewTTL
	}
	expires := p.now().Add(ttl)
	if err := p.Previews.KeepPreview(ctx, plan.ID, req.Week, body, expires); err != nil {
		return nil, time.Time{}, fmt.Errorf("allocation: keep preview %s: %w", plan.ID, err)
	}
	return plan, expires, nil
}

// Kept is the preview kept under id for the cycle of week, or ErrNoPreview.
func (p *Planner) Kept(ctx context.Context, week time.Time, id string) (*Plan, error) {
	if p.Previews == nil {
		return nil, ErrNoPreview
	}
	body, err := p.Previews.Preview(ctx, id, p.now())
	if err != nil {
		return nil, err
	}
	plan, err := DecodePlan(body)
	if err != nil {
		return nil, err
	}
	if !plan.Request.Week.Equal(week) {
		return nil, fmt.Errorf("%w: preview %s is of the cycle of %s", ErrNoPreview, id, plan.Request.Week.Format(time.DateOnly))
	}
	return plan, nil
}

// PublishKept publishes the preview kept under id, exactly as it was previewed. It computes the
// allocation again from the kept request first and refuses with ErrStalePreview (wrapped, saying
// what differs) when the result is not the same; ErrNoPreview when there is no such preview.
func (p *Planner) PublishKept(ctx context.Context, week time.Time, id string, userID int64) (*Plan, error) {
	kept, err := p.Kept(ctx, week, id)
	if err != nil {
		return nil, err
	}
	if kept.Request.Mode == ByPriceBand {
		return nil, ErrNotPublishable
	}
	now, err := p.Plan(ctx, kept.Request)
	if err != nil {
		return nil, err
	}
	if diff := planDiff(kept, now); diff != "" {
		return nil, fmt.Errorf("%w: %s", ErrStalePreview, diff)
	}
	if err := p.Publish(ctx, kept, userID); err != nil {
		return nil, err
	}
	return kept, nil
}

// planDiff says how b differs from a in what publishing writes or explains, "" when it does not.
func planDiff(a, b *Plan) string {
	if a.ForecastRun != b.ForecastRun {
		return fmt.Sprintf("the forecast run is now %q, not %q", b.ForecastRun, a.ForecastRun)
	}
	ra, rb := a.Result, b.Result
	if len(ra.Limits) != len(rb.Limits) {
		return fmt.Sprintf("the region has %d outlets, not %d", len(rb.Limits), len(ra.Limits))
	}
	for i := range ra.Limits {
		if ra.Limits[i] != rb.Limits[i] {
			return fmt.Sprintf("outlet %s: limit %d cartons now, %d previewed", rb.Limits[i].Outlet, rb.Limits[i].Cartons, ra.Limits[i].Cartons)
		}
	}
	if len(ra.Groups) != len(rb.Groups) {
		return "the outlets' groups changed"
	}
	for i := range ra.Groups {
		if ra.Groups[i] != rb.Groups[i] {
			return fmt.Sprintf("group %q changed", ra.Groups[i].Name)
		}
	}
	return ""
}
