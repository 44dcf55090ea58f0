package allocation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// The planner's workflow: preview an allocation (Planner.Plan), then publish it (Planner.Publish):
// its limits go to the ordering store, which enforces them at once, and the allocation with every
// explanation to the history store.

// Request is a planner's allocation of one brand's supply in one cycle.
type Request struct {
	Week  time.Time // the cycle, by its Monday
	Brand string    // ByPriceBand: the band's name, as "class 1"
	// PriceClass is the wholesale price class (1 … 5) of the band, in ByPriceBand.
	PriceClass int
	Supply     int
	Mode       Mode
	Dimension  Dimension // ByGradeWithin
	Options    Options
	Cap        int      // per-outlet cap in cartons; 0 for none
	Selected   []string // BySelection: licence numbers of the selected outlets
}

// OutletSource lists every outlet's master data (retailer/postgres.Store).
type OutletSource interface {
	Outlets(ctx context.Context) ([]retailer.Outlet, error)
}

// DemandSource gives each outlet's forecast demand for a brand in a week from the latest forecast
// run covering the week, and the run's id; the map is empty when the run did not forecast the brand,
// and without a run covering the week the error wraps forecast.ErrNoRun (forecast/clickhouse.Store).
type DemandSource interface {
	BrandDemand(ctx context.Context, brand string, week time.Time) (map[string]float64, string, error)
	// BandDemand is the demand of every brand of a price class together.
	BandDemand(ctx context.Context, priceClass int, week time.Time) (map[string]float64, string, error)
}

// freshDemand is a DemandSource that keeps what it reads (KeptDemand) and can be told to look the
// covering run up afresh, as publishing must.
type freshDemand interface {
	FreshBrandDemand(ctx context.Context, brand string, week time.Time) (map[string]float64, string, error)
}

// BrandCatalogue tells which brand codes the catalogue holds (retailer/postgres.Store).
type BrandCatalogue interface {
	KnownBrands(ctx context.Context, codes []string) (map[string]bool, error)
}

// LimitPublisher writes an allocation's limits into the cycle (ordering/postgres.Store).
// SupplyPublishedAt is when the brand's supply in the cycle was last published (zero: not yet); an
// allocation is computed on it, and PublishAllocation refuses with ordering.ErrPublishedMeanwhile a
// line published at another time since (basedOn).
type LimitPublisher interface {
	SupplyPublishedAt(ctx context.Context, week time.Time, brand string) (time.Time, error)
	PublishAllocation(ctx context.Context, week time.Time, line ordering.SupplyLine, mode, allocationID string,
		basedOn time.Time, limits []ordering.OutletLimit, userID int64, now time.Time) error
}

// Archive keeps allocations with their explanations (forecast/clickhouse.Store).
type Archive interface {
	WriteAllocation(ctx context.Context, allocationID string, week time.Time, r *Result, explanations []string,
		published bool, at time.Time) error
}

// Planner previews and publishes allocations.
type Planner struct {
	Outlets OutletSource
	Brands  BrandCatalogue // nil: brands are not checked before a preview
	Demand  DemandSource
	Limits  LimitPublisher
	Archive Archive
	Now     func() time.Time
	// Roster, when set, gives previews (Plan, Preview) their outlets, kept while unchanged, instead of
	// Outlets; publishing reads Outlets all the same.
	Roster *KeptRoster
	// Previews keeps previews (Preview, Kept, PublishKept) for PreviewTTL (DefaultPreviewTTL when 0);
	// nil keeps none.
	Previews   PreviewStore
	PreviewTTL time.Duration
	// Log receives the failures of keeping a preview after it was answered; nil discards them.
	Log *slog.Logger

	keeping previewKeeper // previews being kept, and the latest kept, of this process
	lined   linedInput    // the kept outlets with the kept demand, as an allocation's input
}

// Plan is a previewed allocation.
type Plan struct {
	ID          string
	Request     Request
	ForecastRun string // the run the demand came from; "" when none was used
	// BasedOn is when the brand's supply in the cycle was last published as the plan was computed
	// (zero: not yet): publishing the plan replaces that publication and no later one.
	BasedOn time.Time
	Result  *Result
	// Explanations holds one per Result.Limits when the plan was made to be published, else nil:
	// a preview explains only the outlets it shows (Result.Explain, Result.ExplainClauses).
	Explanations []string
	Summary      Summary
	Warnings     []Warning
}

// Errors of the planner.
var (
	// ErrNoDemand: the mode needs forecasts and the latest run has none for the brand and week.
	ErrNoDemand = errors.New("allocation: no forecast demand for the brand and week")
	// ErrNotPublishable: price-band budgets span brands; the ordering store enforces limits per brand.
	ErrNotPublishable = errors.New("allocation: price-band budgets can be previewed, not published as per-brand limits")
	// ErrWeek: a request's week is not a Monday.
	ErrWeek = errors.New("allocation: the cycle's week must be given by its Monday")
	// ErrPriceClass: a price-band request names no price class 1 … 5.
	ErrPriceClass = errors.New("allocation: price class outside 1 … 5")
	// ErrUnknownOutlet: a request selects an outlet that does not exist.
	ErrUnknownOutlet = errors.New("allocation: unknown outlet")
	// ErrUnknownBrand: a request names a brand the catalogue does not hold.
	ErrUnknownBrand = errors.New("allocation: no such brand in the catalogue")
)

// Plan computes the allocation req asks for, from every outlet and the latest forecast, without
// writing anything.
func (p *Planner) Plan(ctx context.Context, req Request) (*Plan, error) {
	plan, err := p.plan(ctx, req, false)
	if err != nil || req.Mode == ByPriceBand || p.Limits == nil {
		return plan, err
	}
	// What the planner sees the plan replace: publishing it replaces that publication and no later
	// one. (PublishKept's plan, computed again only to compare, needs no basis.)
	if plan.BasedOn, err = p.Limits.SupplyPublishedAt(ctx, req.Week, req.Brand); err != nil {
		return nil, err
	}
	return plan, nil
}

// plan is Plan; fresh reads the outlets from Outlets even when the planner keeps a Roster, and looks
// the forecast run up even when a KeptDemand keeps it.
func (p *Planner) plan(ctx context.Context, req Request, fresh bool) (*Plan, error) {
	if req.Week.IsZero() || req.Week.Weekday() != time.Monday {
		return nil, &ValidationError{Field: "week", Value: req.Week.Format(time.DateOnly), Err: ErrWeek}
	}
	plan := &Plan{Request: req}
	if req.Mode == ByPriceBand {
		if req.PriceClass < 1 || req.PriceClass > 5 {
			return nil, &ValidationError{Field: "price_class", Value: fmt.Sprint(req.PriceClass), Err: ErrPriceClass}
		}
		if req.Brand == "" {
			req.Brand = fmt.Sprintf("class %d", req.PriceClass)
			plan.Request.Brand = req.Brand
		}
	}
	// The brand is checked and the outlets (PostgreSQL) and the demand (ClickHouse) are read at once;
	// an unknown brand is refused before anything the reads found.
	var known map[string]bool
	var brandsErr error
	checked := make(chan struct{})
	if req.Mode != ByPriceBand && p.Brands != nil {
		go func() {
			defer close(checked)
			known, brandsErr = p.Brands.KnownBrands(ctx, []string{req.Brand})
		}()
	} else {
		close(checked)
		known = map[string]bool{req.Brand: true}
	}
	var outlets []Outlet
	var outletsErr error
	read := make(chan struct{})
	go func() {
		defer close(read)
		outlets, outletsErr = p.outlets(ctx, fresh)
	}()
	var demand map[string]float64
	var run string
	var err error
	afresh, canAfresh := p.Demand.(freshDemand)
	switch {
	case req.Mode == ByPriceBand:
		demand, run, err = p.Demand.BandDemand(ctx, req.PriceClass, req.Week)
	case fresh && canAfresh:
		demand, run, err = afresh.FreshBrandDemand(ctx, req.Brand, req.Week)
	default:
		demand, run, err = p.Demand.BrandDemand(ctx, req.Brand, req.Week)
	}
	<-read
	<-checked
	if brandsErr != nil {
		return nil, brandsErr
	}
	if !known[req.Brand] {
		return nil, &ValidationError{Field: "brand", Value: strconv.Quote(req.Brand), Err: ErrUnknownBrand}
	}
	if outletsErr != nil {
		return nil, outletsErr
	}
	needsDemand := req.Mode == ByDemand || req.Mode == ByPriceBand
	week := req.Week.Format(time.DateOnly)
	switch {
	case errors.Is(err, forecast.ErrNoRun) && needsDemand:
		return nil, fmt.Errorf("%w: no forecast run covers the week of %s", ErrNoDemand, week)
	case errors.Is(err, forecast.ErrNoRun):
		plan.Warnings = append(plan.Warnings, warn(WarnNoRun, "week", week))
	case err != nil:
		return nil, fmt.Errorf("allocation: read the forecast demand: %w", err)
	case len(demand) == 0 && needsDemand:
		return nil, fmt.Errorf("%w: forecast run %s has none for %s in the week of %s", ErrNoDemand, run, req.Brand, week)
	case len(demand) == 0:
		plan.Warnings = append(plan.Warnings, warn(WarnNoBrandDemand, "run", run, "brand", req.Brand, "week", week))
	default:
		plan.ForecastRun = run
	}
	in := Input{Brand: req.Brand, Supply: req.Supply, Mode: req.Mode, Dimension: req.Dimension, Options: req.Options}
	lined, valid := p.Roster != nil && !fresh && len(req.Selected) == 0, false
	if lined {
		in.Outlets, valid = p.lined.of(outlets, demand, req.Cap)
	} else if in.Outlets, err = inputOutlets(outlets, demand, req.Cap, req.Selected); err != nil {
		return nil, err
	}
	res, err := allocate(in, valid)
	if err != nil {
		return nil, err
	}
	if lined && !valid {
		p.lined.validated(in.Outlets)
	}
	now := p.now()
	plan.ID = fmt.Sprintf("%s-%s-%s", req.Week.Format("20060102"), req.Brand, now.UTC().Format("20060102T150405.000"))
	plan.Result, plan.Summary = res, res.Summary()
	if u := res.Unallocated(); u > 0 {
		plan.Warnings = append(plan.Warnings, warn(WarnUnallocated, "cartons", u))
	}
	return plan, nil
}

// inputOutlets is outlets with their demand, cap and selection, as an allocation's input; a selected
// licence that is not among them is a *ValidationError of ErrUnknownOutlet.
func inputOutlets(outlets []Outlet, demand map[string]float64, cap int, selection []string) ([]Outlet, error) {
	selected := make(map[string]bool, len(selection))
	for _, s := range selection {
		selected[s] = true
	}
	in := make([]Outlet, len(outlets))
	for i, o := range outlets {
		o.Demand, o.Cap = max(demand[o.ID], 0), cap
		if len(selected) > 0 && selected[o.ID] {
			o.Selected = true
			delete(selected, o.ID)
		}
		in[i] = o
	}
	if len(selected) > 0 {
		unknown := make([]string, 0, len(selected))
		for s := range selected {
			unknown = append(unknown, s)
		}
		sort.Strings(unknown)
		return nil, &ValidationError{Field: "selected", Value: fmt.Sprint(unknown), Err: ErrUnknownOutlet}
	}
	return in, nil
}

// outlets reads every outlet as the allocation sees it: from the kept Roster unless fresh or there
// is none.
func (p *Planner) outlets(ctx context.Context, fresh bool) ([]Outlet, error) {
	if p.Roster != nil && !fresh {
		return p.Roster.Outlets(ctx)
	}
	outlets, err := p.Outlets.Outlets(ctx)
	if err != nil {
		return nil, err
	}
	return OutletsOf(outlets), nil
}

// OutletsOf is the outlets as the allocation sees them, in the same order, with their Demand, Cap
// and Selected left zero.
func OutletsOf(outlets []retailer.Outlet) []Outlet {
	out := make([]Outlet, len(outlets))
	for i, o := range outlets {
		out[i] = Outlet{ID: o.Licence, Grade: o.Grade, Status: Status(o.Status), Area: o.Area, MarketType: o.MarketType,
			Rural: o.Rural, Format: string(o.Format), CreditLevel: o.CreditLevel, Benchmark: o.Benchmark}
	}
	return out
}

// Publish writes plan's limits into the cycle (enforced by the ordering API from then on) and then
// the allocation with its explanations into the archive. The ordering store is the system of record:
// when the archive fails after the limits were published, the error says so and the limits stand.
func (p *Planner) Publish(ctx context.Context, plan *Plan, userID int64) error {
	if plan.Request.Mode == ByPriceBand {
		return ErrNotPublishable
	}
	r := plan.Result
	explanations := plan.Explanations // a kept plan may be shared: it is not changed
	if explanations == nil {
		explanations = r.Explanations()
	}
	limits := make([]ordering.OutletLimit, len(r.Limits))
	for i, l := range r.Limits {
		limits[i] = ordering.OutletLimit{Outlet: l.Outlet, Brand: r.Brand, Cartons: l.Cartons, Explanation: explanations[i]}
	}
	supply := plan.Request.Supply
	line := ordering.SupplyLine{Brand: r.Brand, OnSale: true, SupplyCartons: &supply}
	if c := plan.Request.Cap; c > 0 {
		line.PerOutletCap = &c
	}
	now := p.now()
	if err := p.Limits.PublishAllocation(ctx, plan.Request.Week, line, string(plan.Request.Mode), plan.ID, plan.BasedOn, limits, userID, now); err != nil {
		return err
	}
	if err := p.Archive.WriteAllocation(ctx, plan.ID, plan.Request.Week, r, explanations, true, now); err != nil {
		return fmt.Errorf("the limits of allocation %s are published, but archiving it failed: %w", plan.ID, err)
	}
	return nil
}

func (p *Planner) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}
