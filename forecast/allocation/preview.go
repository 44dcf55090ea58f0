package allocation

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
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
	// ErrPreviewPending: a preview is reserved under the id but its plan is still being written.
	ErrPreviewPending = errors.New("allocation: the preview is still being kept")
)

// PreviewStore keeps previews for a while (forecast/postgres.Store). ReservePreview records that a
// preview of id is being kept until expires, KeepPreview stores its plan (as encoded by EncodePlan),
// DropPreview forgets it; Preview returns the plan of id kept and not expired at now,
// ErrPreviewPending while it is reserved and not yet stored, or ErrNoPreview. All are safe for
// concurrent use.
type PreviewStore interface {
	ReservePreview(ctx context.Context, id string, week time.Time, expires time.Time) error
	KeepPreview(ctx context.Context, id string, week time.Time, body []byte, expires time.Time) error
	DropPreview(ctx context.Context, id string) error
	Preview(ctx context.Context, id string, now time.Time) ([]byte, error)
}

// Keeping a preview after it is answered. Encoding the plan of a province (5.6 MB for 100,000
// outlets) and writing it costs as much as computing it, so Preview reserves the id in the store (a
// small row: another process asking for it waits for the plan rather than answering "no preview"),
// answers, and encodes and writes the plan on a goroutine the Planner owns (Wait joins them). This
// process keeps its latest few plans in memory as well, and pages and publishes them from there.

// keptInMemory is how many of its latest previews a process keeps in memory.
const keptInMemory = 4

// pendingWait bounds how long Kept waits for a reserved preview's plan to be written, and
// pendingPoll is how often it looks.
const (
	pendingWait = 30 * time.Second
	pendingPoll = 40 * time.Millisecond
	keepTimeout = time.Minute // for writing one plan
)

type previewKeeper struct {
	mu     sync.Mutex
	recent []*keptEntry // the latest last
	wg     sync.WaitGroup
}

type keptEntry struct {
	plan    *Plan
	expires time.Time
}

// remember keeps plan in memory until expires, forgetting the oldest beyond keptInMemory.
func (k *previewKeeper) remember(plan *Plan, expires time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.recent = append(k.recent, &keptEntry{plan: plan, expires: expires})
	if len(k.recent) > keptInMemory {
		k.recent = append([]*keptEntry(nil), k.recent[len(k.recent)-keptInMemory:]...)
	}
}

// lookup returns the plan of id kept in memory, if any.
func (k *previewKeeper) lookup(id string) (*keptEntry, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, e := range k.recent {
		if e.plan.ID == id {
			return e, true
		}
	}
	return nil, false
}

// forget drops the plan of id from memory.
func (k *previewKeeper) forget(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.recent = slices.DeleteFunc(k.recent, func(e *keptEntry) bool { return e.plan.ID == id })
}

// Wait returns once every preview this planner answered is written to its store (or failed to be).
func (p *Planner) Wait() { p.keeping.wg.Wait() }

// keptPlan is what a kept preview holds: the rest (explanations, summary) follows from it. The
// result's limits are kept column by column (limitColumns), which gob encodes and decodes several
// times faster than 100,000 structs.
type keptPlan struct {
	ID          string
	Request     Request
	ForecastRun string
	BasedOn     time.Time
	Result      *Result // without its Limits
	Limits      limitColumns
	Warnings    []Warning
}

// limitColumns is a result's limits as columns; statuses and areas are indexes into Names, and the
// outlets' ids one string (Outlets), each ending at its Ends.
type limitColumns struct {
	Names                      []string
	Outlets                    string
	Ends                       []uint32
	Status, Area               []uint32
	Grade, Group, Cap, Cartons []int
	Demand, Quota              []float64
	Reason                     []uint16
}

// columnsOf puts limits into columns.
func columnsOf(limits []Limit) limitColumns {
	n := len(limits)
	c := limitColumns{Ends: make([]uint32, n), Status: make([]uint32, n), Area: make([]uint32, n),
		Grade: make([]int, n), Group: make([]int, n), Cap: make([]int, n), Cartons: make([]int, n),
		Demand: make([]float64, n), Quota: make([]float64, n), Reason: make([]uint16, n)}
	names := map[string]uint32{}
	name := func(s string) uint32 {
		k, ok := names[s]
		if !ok {
			k = uint32(len(c.Names))
			names[s] = k
			c.Names = append(c.Names, s)
		}
		return k
	}
	size := 0
	for i := range limits {
		size += len(limits[i].Outlet)
	}
	var ids strings.Builder
	ids.Grow(size)
	for i, l := range limits {
		ids.WriteString(l.Outlet)
		c.Ends[i], c.Status[i], c.Area[i] = uint32(ids.Len()), name(string(l.Status)), name(l.Area)
		c.Grade[i], c.Group[i], c.Cap[i], c.Cartons[i] = l.Grade, l.Group, l.Cap, l.Cartons
		c.Demand[i], c.Quota[i], c.Reason[i] = l.Demand, l.Quota, uint16(l.Reason)
	}
	c.Outlets = ids.String()
	return c
}

// limits is the limits of the columns, or an error when the columns do not hold as many rows each or
// name a name they do not hold.
func (c *limitColumns) limits() ([]Limit, error) {
	n := len(c.Ends)
	for _, m := range []int{len(c.Status), len(c.Area), len(c.Grade), len(c.Group), len(c.Cap), len(c.Cartons),
		len(c.Demand), len(c.Quota), len(c.Reason)} {
		if m != n {
			return nil, fmt.Errorf("a column of %d limits holds %d", n, m)
		}
	}
	out := make([]Limit, n)
	start := uint32(0)
	for i := range out {
		end := c.Ends[i]
		if int(c.Status[i]) >= len(c.Names) || int(c.Area[i]) >= len(c.Names) || end < start || int(end) > len(c.Outlets) {
			return nil, fmt.Errorf("limit %d names no name or no outlet", i)
		}
		outlet := c.Outlets[start:end] // shares the one string
		start = end
		out[i] = Limit{Outlet: outlet, Grade: c.Grade[i], Status: Status(c.Names[c.Status[i]]), Area: c.Names[c.Area[i]],
			Group: c.Group[i], Demand: c.Demand[i], Cap: c.Cap[i], Quota: c.Quota[i], Cartons: c.Cartons[i], Reason: Reason(c.Reason[i])}
	}
	return out, nil
}

// EncodePlan encodes what a preview keeps of plan.
func EncodePlan(plan *Plan) ([]byte, error) {
	if plan.Result == nil {
		return nil, fmt.Errorf("allocation: encode preview %s: no result", plan.ID)
	}
	var b bytes.Buffer
	b.Grow(48 * len(plan.Result.Limits)) // some 40 bytes an outlet: no copy while it grows
	result := *plan.Result
	result.Limits = nil
	err := gob.NewEncoder(&b).Encode(keptPlan{ID: plan.ID, Request: plan.Request, ForecastRun: plan.ForecastRun, BasedOn: plan.BasedOn,
		Result: &result, Limits: columnsOf(plan.Result.Limits), Warnings: plan.Warnings})
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
	limits, err := k.Limits.limits()
	if err != nil {
		return nil, fmt.Errorf("allocation: decode a kept preview: %w", err)
	}
	// Summary and Explain index the grade table and the groups by a limit's grade and group (-1: an
	// outlet not eligible, in no group): a body that was not EncodePlan's (damaged in the store) is
	// refused rather than read out of range.
	for i, l := range limits {
		if l.Grade < MinGrade || l.Grade > MaxGrade || l.Group < -1 || l.Group >= len(k.Result.Groups) && k.Result.Supply != 0 {
			return nil, fmt.Errorf("allocation: decode a kept preview: limit %d has grade %d and group %d of %d", i, l.Grade, l.Group, len(k.Result.Groups))
		}
	}
	if len(limits) > 0 { // gob leaves an empty slice nil; a result's limits are never nil
		k.Result.Limits = limits
	} else {
		k.Result.Limits = []Limit{}
	}
	plan := &Plan{ID: k.ID, Request: k.Request, ForecastRun: k.ForecastRun, BasedOn: k.BasedOn, Result: k.Result, Warnings: k.Warnings}
	plan.Summary = k.Result.Summary()
	return plan, nil
}

// Preview computes the allocation req asks for (as Plan) and keeps it for PreviewTTL under its ID.
// It returns once the id is reserved; the plan is written after (Wait joins the writing), and Kept
// waits for it.
func (p *Planner) Preview(ctx context.Context, req Request) (*Plan, time.Time, error) {
	if p.Previews == nil {
		return nil, time.Time{}, errors.New("allocation: the planner keeps no previews")
	}
	plan, err := p.Plan(ctx, req)
	if err != nil {
		return nil, time.Time{}, err
	}
	ttl := p.PreviewTTL
	if ttl <= 0 {
		ttl = DefaultPreviewTTL
	}
	expires := p.now().Add(ttl)
	if err := p.Previews.ReservePreview(ctx, plan.ID, req.Week, expires); err != nil {
		return nil, time.Time{}, fmt.Errorf("allocation: keep preview %s: %w", plan.ID, err)
	}
	p.keeping.remember(plan, expires)
	p.keeping.wg.Add(1)
	go func() {
		defer p.keeping.wg.Done()
		if err := p.keep(plan, expires); err != nil {
			// Forgotten everywhere: every process answers "no preview" rather than one publishing what
			// the others wait for in vain.
			p.keeping.forget(plan.ID)
			if p.Log != nil {
				p.Log.Error("keep an allocation preview", "preview", plan.ID, "err", err)
			}
		}
	}()
	return plan, expires, nil
}

// keep encodes plan and writes it to the store; when it cannot, it drops the reservation.
func (p *Planner) keep(plan *Plan, expires time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), keepTimeout)
	defer cancel()
	body, err := EncodePlan(plan)
	if err == nil {
		err = p.Previews.KeepPreview(ctx, plan.ID, plan.Request.Week, body, expires)
	}
	if err == nil {
		return nil
	}
	if derr := p.Previews.DropPreview(ctx, plan.ID); derr != nil {
		err = errors.Join(err, derr)
	}
	return fmt.Errorf("allocation: keep preview %s: %w", plan.ID, err)
}

// Kept is the preview kept under id for the cycle of week, or ErrNoPreview. A preview another
// process answered and is still writing is waited for.
func (p *Planner) Kept(ctx context.Context, week time.Time, id string) (*Plan, error) {
	if p.Previews == nil {
		return nil, ErrNoPreview
	}
	plan, err := p.kept(ctx, id)
	if err != nil {
		return nil, err
	}
	if !plan.Request.Week.Equal(week) {
		return nil, fmt.Errorf("%w: preview %s is of the cycle of %s", ErrNoPreview, id, plan.Request.Week.Format(time.DateOnly))
	}
	return plan, nil
}

// kept reads the plan of id from memory, else from the store, waiting while it is pending.
func (p *Planner) kept(ctx context.Context, id string) (*Plan, error) {
	if e, ok := p.keeping.lookup(id); ok {
		if !p.now().Before(e.expires) {
			return nil, fmt.Errorf("%w: %q", ErrNoPreview, id)
		}
		return e.plan, nil
	}
	deadline := time.Now().Add(pendingWait)
	for {
		body, err := p.Previews.Preview(ctx, id, p.now())
		if errors.Is(err, ErrPreviewPending) && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(pendingPoll):
			}
			continue
		}
		if errors.Is(err, ErrPreviewPending) {
			return nil, fmt.Errorf("%w: %q was not written within %s", ErrNoPreview, id, pendingWait)
		}
		if err != nil {
			return nil, err
		}
		return DecodePlan(body)
	}
}

// PublishKept publishes the preview kept under id, exactly as it was previewed. It computes the
// allocation again from the kept request first and refuses with ErrStalePreview (wrapped, saying
// what differs) when the result is not the same; ErrNoPreview when there is no such preview; and
// ordering.ErrPublishedMeanwhile when the brand's supply was published again since the preview (by
// another planner, say), which the preview would otherwise replace unseen.
func (p *Planner) PublishKept(ctx context.Context, week time.Time, id string, userID int64) (*Plan, error) {
	kept, err := p.Kept(ctx, week, id)
	if err != nil {
		return nil, err
	}
	if kept.Request.Mode == ByPriceBand {
		return nil, ErrNotPublishable
	}
	now, err := p.plan(ctx, kept.Request, true)
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
