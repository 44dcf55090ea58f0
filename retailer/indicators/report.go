package indicators

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
)

// The rules the figures follow, in one place.
const (
	// EmptyMinMissed is how many consecutive cycles without an order put an outlet on the list.
	EmptyMinMissed = 2
	// EmptyHorizon is how many cycles back the empty-order list reads.
	EmptyHorizon = 13
	// ShelvingWeeks is how long after its launch a new product counts for the shelving rate.
	ShelvingWeeks = 8
	// SellThroughBack is how many earlier periods sell-through compares with.
	SellThroughBack = 3
	// StockWindowWeeks is the window of the stock-to-sales ratio: stock at the last count in it over
	// the average weekly cartons delivered in it.
	StockWindowWeeks = 4
	// AccuracyLookback is how many months before its own the bulletin looks for the latest scored
	// month's forecast accuracy: a month is scored only once it has ended (ordercast score), so the
	// day's month never has one.
	AccuracyLookback = 3
)

// Service computes reports from the stores. Its store fields must be set, except Snapshots; it is
// safe for concurrent use when they are, and must not be copied after first use.
type Service struct {
	Directory Directory
	Orders    OrderStore
	History   History
	Scores    Scores
	Targets   TargetStore
	// Snapshots, when set, keeps the computed bulletins: Bulletin serves them while they are at most
	// MaxAge old (DefaultMaxAge when 0). Nil: every bulletin is computed on request.
	Snapshots BulletinStore
	MaxAge    time.Duration
	Now       func() time.Time // time.Now when nil
	// Life, when set, ends the bulletin computations callers share (a server's lifetime): no caller
	// can cancel one for the others, and the server's shutdown does not wait for a store that hangs.
	Life context.Context

	refreshing singleflight.Group // one computation of a day's bulletins at a time per day
}

// Value is one indicator of one row: the figure, or no data with the reason; its target and gap;
// for account managers the previous period's figure, the change and the rank among peers.
type Value struct {
	Indicator Indicator
	Period    Period
	Value     *float64 // nil: no data, see NoData
	Num, Den  float64
	NoData    string
	Target    *float64 // nil: no target set
	Gap       *float64 // Value − Target
	Met       *bool
	Previous  *float64
	Change    *float64 // Value − Previous
	Rank      int      // 1 is best; 0 when not ranked
	Peers     int      // rows ranked
	// Note says how a bulletin's figure departs from its cadence (Period says what it is over): the
	// forecast accuracy of the latest scored month, not the day's month's; the order figures of a row
	// with nothing on the day over its cycle to the day (see OrderCycle). "" otherwise.
	Note string
	// NoDataCode and NoteCode with NoteParams are NoData and Note as codes, for a page to say them in
	// its reader's language: NoDataCode is the indicator's name for its own reason (Spec.NoData), else
	// one of the NoData… codes; NoteCode one of the Note… codes.
	NoDataCode string
	NoteCode   string
	NoteParams map[string]string
}

// The reasons for no data besides an indicator's own (Value.NoDataCode).
const (
	NoDataNoActiveOutlets = "no_active_outlets" // a row without active outlets
	NoDataNotByRoute      = "not_by_route"      // forecast accuracy is not scored per route
	NoDataNotScored       = "not_scored"        // forecast accuracy: the month was not scored
	NoDataNoScore         = "no_score"          // forecast accuracy: no score of this key in the month
	NoDataNothingSold     = "nothing_sold"      // forecast accuracy: nothing was sold in the month
)

// The notes of a figure that departs from its cadence (Value.NoteCode), with their NoteParams.
const (
	// NoteCycleToDay: an order figure over the cycle to the day; from and to are its days, reason
	// the day's own no-data code.
	NoteCycleToDay = "cycle_to_day"
	// NoteLatestScored: forecast accuracy of scored, the latest month scored, as month is not yet.
	NoteLatestScored = "latest_scored"
)

// note is a Value's note: its English text and its code with parameters.
type note struct {
	text, code string
	params     map[string]string
}

// Row is one outlet, manager, route, area or the company.
type Row struct {
	Level   Level
	Key     string
	Name    string
	Manager string // the outlet's, or the manager row's own code
	Area    string
	Outlets int // active outlets rolled up
	Values  []Value
}

// Value returns the row's value of ind.
func (r Row) Value(ind Indicator) (Value, bool) {
	for _, v := range r.Values {
		if v.Indicator == ind {
			return v, true
		}
	}
	return Value{}, false
}

// BrandStock is a brand's stock-to-sales ratio within a scope, against its limits. The limits are
// agreed in cartons for the company (stock_limits); as weeks of cover they are the limit over the
// company's average weekly sales of the brand, the same for every scope.
type BrandStock struct {
	Brand              string
	Stock, WeeklySales float64 // cartons; cartons a week
	Ratio              *float64
	LowerWeeks         *float64
	UpperWeeks         *float64
	Warning            string // above upper limit, below lower limit, within limits, no limit, no sales
}

// Report is the rows of a level for a period, with the company's row to compare with.
type Report struct {
	Period  Period
	Level   Level
	Rows    []Row
	Company Row
	Stock   []BrandStock // per brand within the rows' scope
	// Empty is the empty-order list as of the last day of the period of EmptyOrders, within the rows'
	// scope.
	Empty []EmptyOrder
}

// Query asks for a report.
type Query struct {
	Period Period
	Level  Level
	Keys   []string // rows asked for; nil: all
	// Manager, when set, keeps the rows to that account manager's: its own manager row, its outlets.
	Manager string
	// Cadence takes each indicator over its own cadence's period holding Period.Start (the bulletin)
	// instead of Period; forecast accuracy, which no month has before it ends, over the latest month
	// scored within AccuracyLookback months before (see Service.scoredMonth), and the order figures of
	// a row with no outlet scheduled (or no order cut off) on the day over its cycle to the day
	// (OrderCycle), each with a Note.
	Cadence bool
}

// periods gives each indicator's period for q.
func (q Query) periods() map[Indicator]Period {
	out := map[Indicator]Period{}
	for _, s := range Specs {
		p := q.Period
		if q.Cadence {
			p, _ = PeriodOf(s.Cadence, q.Period.Start)
		}
		out[s.Indicator] = p
	}
	return out
}

func previous(ps map[Indicator]Period) map[Indicator]Period {
	out := map[Indicator]Period{}
	for ind, p := range ps {
		out[ind] = p.Previous()
	}
	return out
}

// Report computes q. The figures of every outlet are read, so that the company row and the ranks
// among managers are the company's whatever the scope asked for.
func (s *Service) Report(ctx context.Context, q Query) (Report, error) {
	outlets, managers, err := s.Directory.Directory(ctx)
	if err != nil {
		return Report{}, err
	}
	if q.Manager != "" && !slices.ContainsFunc(managers, func(m AccountManager) bool { return m.Code == q.Manager }) {
		return Report{}, fmt.Errorf("%w: %q", ErrUnknownManager, q.Manager)
	}
	targets, err := s.Targets.Targets(ctx)
	if err != nil {
		return Report{}, err
	}
	ps := q.periods()
	var note note
	if q.Cadence {
		if ps[ForecastAccuracy], note, err = s.scoredMonth(ctx, ps[ForecastAccuracy]); err != nil {
			return Report{}, err
		}
	}
	var cur, prev *facts
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { cur, err = s.facts(gctx, ps, q.Level, outlets, q.Cadence); return err })
	if q.Level == AtManager {
		g.Go(func() (err error) { prev, err = s.facts(gctx, previous(ps), q.Level, outlets, q.Cadence); return err })
	}
	if err := g.Wait(); err != nil {
		return Report{}, err
	}
	r := Report{Period: q.Period, Level: q.Level}
	tg := newTargetBook(targets, managers)
	rows := rollup(q.Level, outlets, managers, cur, ps, tg)
	company := rollup(AtCompany, outlets, managers, cur, ps, tg)
	if len(company) == 1 {
		r.Company = company[0]
	}
	if prev != nil {
		before := rollup(q.Level, outlets, managers, prev, previous(ps), tg)
		compare(rows, before)
	}
	r.Rows = keepRows(rows, q)
	if note.text != "" {
		for _, row := range append([]Row{r.Company}, r.Rows...) {
			for i := range row.Values {
				if v := &row.Values[i]; v.Indicator == ForecastAccuracy {
					v.Note, v.NoteCode, v.NoteParams = note.text, note.code, note.params
				}
			}
		}
	}
	r.Empty = []EmptyOrder{}
	for _, e := range cur.empty {
		if q.Manager == "" || e.Manager == q.Manager {
			r.Empty = append(r.Empty, e)
		}
	}
	var scope []string
	if q.Manager != "" {
		scope = managedBy(outlets, q.Manager)
	}
	if r.Stock, err = s.brandStock(ctx, ps[StockToSales], cur, scope); err != nil {
		return Report{}, err
	}
	return r, nil
}

// scoredMonth is the month whose forecast accuracy the bulletin shows for month p: p when it was
// scored, else the latest month scored in the AccuracyLookback months before it, with a note that
// says so; p itself (no data) when none was.
func (s *Service) scoredMonth(ctx context.Context, p Period) (Period, note, error) {
	month, found, err := s.Scores.LatestScored(ctx, p.Back(AccuracyLookback), p.End, AccuracyBasis)
	if err != nil || !found || !month.Before(p.Start) {
		return p, note{}, err
	}
	scored, err := PeriodOf(Month, month)
	if err != nil {
		return p, note{}, err
	}
	return scored, note{text: fmt.Sprintf("the latest scored month, %s: %s is not scored yet (a month is scored once it has ended)",
		scored, p), code: NoteLatestScored, params: map[string]string{"scored": scored.String(), "month": p.String()}}, nil
}

// keepRows keeps the rows q asks for and may see.
func keepRows(rows []Row, q Query) []Row {
	asked := map[string]bool{}
	for _, k := range q.Keys {
		asked[k] = true
	}
	out := []Row{}
	for _, r := range rows {
		if len(asked) > 0 && !asked[r.Key] {
			continue
		}
		if q.Manager != "" && r.Manager != q.Manager {
			continue
		}
		out = append(out, r)
	}
	return out
}

func managedBy(outlets []Outlet, manager string) []string {
	out := []string{}
	for _, o := range outlets {
		if o.Manager == manager {
			out = append(out, o.Licence)
		}
	}
	return out
}

// facts is what the stores told about every outlet for each indicator's period.
type facts struct {
	ratios   map[Indicator]map[string]Ratio
	accuracy map[string]float64 // at the report's level
	company  map[string]float64 // the company's accuracy (key ""), whatever the report's level
	scored   bool
	// companyScored is scored for the company's accuracy, read at every level (routes included)
	companyScored bool
	stock         map[string]Ratio   // per brand, company-wide
	brandSales    map[string]float64 // per brand, the company's average weekly cartons delivered
	limits        []StockLimit
	packs         map[string]int
	empty         []EmptyOrder // the empty-order list, every outlet
	// cycle holds the order figures (OrderSuccess, FailedOrders) over the OrderCycle of their day,
	// for the rows with nothing on the day; nil unless asked for.
	cycle map[Indicator]map[string]Ratio
}

// OrderCycle is what the bulletin's order figures fall back on for a row with no outlet scheduled
// (or no order cut off) on the day: the 7 days ending with it, one whole cycle, in which every outlet
// of the row had its latest order day. A manager's routes order on one or two weekdays, and nobody
// orders at the weekend: without it a manager's bulletin would show no order success most days.
func OrderCycle(day Period) Period {
	return Period{Kind: Week, Start: day.End.AddDate(0, 0, -7), End: day.End}
}

// facts reads every indicator's facts over every outlet, the stores' reads running concurrently; with
// cycle, the order figures over the OrderCycle of their day too.
func (s *Service) facts(ctx context.Context, ps map[Indicator]Period, level Level, outlets []Outlet, cycle bool) (*facts, error) {
	brands, limits, err := s.Orders.Brands(ctx)
	if err != nil {
		return nil, err
	}
	f := &facts{ratios: map[Indicator]map[string]Ratio{}, limits: limits, packs: map[string]int{}}
	var scarce []string
	for _, b := range brands {
		f.packs[b.Code] = b.PacksPerUnit
		if b.Scarce {
			scarce = append(scarce, b.Code)
		}
	}
	var (
		counts            map[string]OrderCount
		empty             []EmptyOrder
		uploads           map[string]time.Time
		received          map[string]bool
		shelved           []shelving
		sellThrough, outs map[string]Ratio
		stockOutlet       map[string]Ratio
		satisfaction      map[string]float64
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { counts, err = s.Orders.OrderCounts(gctx, ps[OrderSuccess], nil); return err })
	var cycleCounts map[string]OrderCount
	if p := ps[OrderSuccess]; cycle && p.Kind == Day {
		g.Go(func() (err error) { cycleCounts, err = s.Orders.OrderCounts(gctx, OrderCycle(p), nil); return err })
	}
	g.Go(func() error {
		p := ps[EmptyOrders]
		var err error
		empty, err = s.Orders.EmptyOrders(gctx, p.End.AddDate(0, 0, -1), EmptyMinMissed, EmptyHorizon, nil)
		return err
	})
	g.Go(func() (err error) {
		p := ps[UploadRate]
		uploads, err = s.History.LastUploads(gctx, p.Start, p.End, nil)
		return err
	})
	g.Go(func() (err error) {
		if len(scarce) == 0 {
			return nil
		}
		received, err = s.History.Received(gctx, ps[ScarceCoverage], scarce, nil)
		return err
	})
	g.Go(func() (err error) { shelved, err = s.shelving(gctx, ps[NewProductShelf], brands); return err })
	g.Go(func() (err error) {
		p := ps[SellThrough]
		sellThrough, err = s.History.SellThrough(gctx, p, p.Back(SellThroughBack), nil)
		return err
	})
	g.Go(func() (err error) { outs, err = s.History.StockOuts(gctx, ps[StockOut], nil); return err })
	g.Go(func() (err error) {
		stockOutlet, f.stock, err = s.History.StockToSales(gctx, ps[StockToSales].End, StockWindowWeeks, f.packs, nil)
		return err
	})
	g.Go(func() (err error) {
		f.brandSales, err = s.History.BrandWeeklySales(gctx, ps[StockToSales].End, StockWindowWeeks)
		return err
	})
	g.Go(func() (err error) {
		satisfaction, err = s.Orders.Satisfaction(gctx, monthOf(ps[Satisfaction]), nil)
		return err
	})
	g.Go(func() (err error) {
		if level == AtRoute {
			return nil
		}
		f.accuracy, f.scored, err = s.Scores.Accuracy(gctx, monthOf(ps[ForecastAccuracy]), AccuracyBasis, string(level))
		return err
	})
	g.Go(func() (err error) { // the company row beside every level's
		f.company, f.companyScored, err = s.Scores.Accuracy(gctx, monthOf(ps[ForecastAccuracy]), AccuracyBasis, string(AtCompany))
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	set := func(ind Indicator, outlet string, r Ratio) {
		m := f.ratios[ind]
		if m == nil {
			m = map[string]Ratio{}
			f.ratios[ind] = m
		}
		m[outlet] = r
	}
	onList := map[string]bool{}
	for _, e := range empty {
		onList[e.Outlet] = true
	}
	f.empty = empty
	if cycleCounts != nil {
		f.cycle = map[Indicator]map[string]Ratio{OrderSuccess: {}, FailedOrders: {}}
	}
	for _, o := range outlets {
		c := counts[o.Licence]
		set(OrderSuccess, o.Licence, Ratio{float64(c.Paid), float64(c.Scheduled)})
		set(FailedOrders, o.Licence, Ratio{float64(c.Failed), float64(c.Reached)})
		if c, ok := cycleCounts[o.Licence]; ok {
			f.cycle[OrderSuccess][o.Licence] = Ratio{float64(c.Paid), float64(c.Scheduled)}
			f.cycle[FailedOrders][o.Licence] = Ratio{float64(c.Failed), float64(c.Reached)}
		}
		if o.activeIn(ps[EmptyOrders]) {
			set(EmptyOrders, o.Licence, Ratio{b2f(onList[o.Licence]), 1})
		}
		if p := ps[UploadRate]; o.CollectionPoint && o.activeIn(p) {
			_, ok := uploads[o.Licence]
			set(UploadRate, o.Licence, Ratio{b2f(ok), 1})
		}
		if o.activeIn(ps[ScarceCoverage]) {
			set(ScarceCoverage, o.Licence, Ratio{b2f(received[o.Licence]), 1})
		}
		if o.activeIn(ps[NewProductShelf]) {
			var r Ratio
			for _, sh := range shelved {
				r = r.Add(Ratio{b2f(sh.outlets[o.Licence]), 1})
			}
			set(NewProductShelf, o.Licence, r)
		}
		set(SellThrough, o.Licence, sellThrough[o.Licence])
		set(StockOut, o.Licence, outs[o.Licence])
		set(StockToSales, o.Licence, stockOutlet[o.Licence])
		if score, ok := satisfaction[o.Licence]; ok {
			set(Satisfaction, o.Licence, Ratio{score, 1})
		}
	}
	return f, nil
}

type shelving struct {
	brand   string
	outlets map[string]bool
}

// shelving reads, for each new product within its shelving weeks during p, the outlets that bought and
// show it from its launch to the earlier of p's end and the end of its shelving weeks.
func (s *Service) shelving(ctx context.Context, p Period, brands []Brand) ([]shelving, error) {
	var out []shelving
	for _, b := range brands {
		if !b.NewProduct {
			continue
		}
		until := b.Launch.AddDate(0, 0, 7*ShelvingWeeks)
		if !b.Launch.Before(p.End) || !until.After(p.Start) {
			continue
		}
		to := p.End
		if until.Before(to) {
			to = until
		}
		got, err := s.History.Shelved(ctx, b.Code, b.Launch, to, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, shelving{brand: b.Code, outlets: got})
	}
	return out, nil
}

func monthOf(p Period) time.Time {
	return time.Date(p.Start.Year(), p.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// groupOf is the key an outlet rolls up to at a level.
func groupOf(level Level, o Outlet) string {
	switch level {
	case AtArea:
		return o.Area
	case AtRoute:
		return o.Route
	case AtManager:
		return o.Manager
	case AtOutlet:
		return o.Licence
	}
	return ""
}

// rollup adds the outlets' facts into the rows of level.
func rollup(level Level, outlets []Outlet, managers []AccountManager, f *facts, ps map[Indicator]Period, tg targetBook) []Row {
	rows := map[string]*Row{}
	add := func(key string) *Row {
		if r, ok := rows[key]; ok {
			return r
		}
		r := &Row{Level: level, Key: key}
		rows[key] = r
		return r
	}
	sums, cycleSums := map[string]map[Indicator]Ratio{}, map[string]map[Indicator]Ratio{}
	byCode := map[string]AccountManager{}
	for _, m := range managers {
		byCode[m.Code] = m
		if level == AtManager {
			r := add(m.Code)
			r.Name, r.Manager, r.Area = m.Name, m.Code, m.Area
		}
	}
	if level == AtCompany {
		add("").Name = "company"
	}
	for _, o := range outlets {
		if level == AtManager && o.Manager == "" {
			continue
		}
		key := groupOf(level, o)
		r := add(key)
		switch level {
		case AtOutlet:
			r.Name, r.Manager, r.Area = o.Name, o.Manager, o.Area
		case AtArea:
			r.Name, r.Area = o.Area, o.Area
		case AtRoute:
			r.Name = o.Route
		}
		if o.Status == "active" {
			r.Outlets++
		}
		if sums[key] == nil {
			sums[key] = map[Indicator]Ratio{}
		}
		for ind, m := range f.ratios {
			if v, ok := m[o.Licence]; ok {
				sums[key][ind] = sums[key][ind].Add(v)
			}
		}
		if cycleSums[key] == nil {
			cycleSums[key] = map[Indicator]Ratio{}
		}
		for ind, m := range f.cycle {
			if v, ok := m[o.Licence]; ok {
				cycleSums[key][ind] = cycleSums[key][ind].Add(v)
			}
		}
	}
	out := make([]Row, 0, len(rows))
	for key, r := range rows {
		for _, s := range Specs {
			v := Value{Indicator: s.Indicator, Period: ps[s.Indicator]}
			switch s.Indicator {
			case ForecastAccuracy:
				v = accuracyValue(v, level, key, f)
			default:
				v.Num, v.Den = sums[key][s.Indicator].Num, sums[key][s.Indicator].Den
				if c := cycleSums[key][s.Indicator]; v.Den == 0 && c.Den > 0 {
					day := v.Period
					v.Period, v.Num, v.Den = OrderCycle(day), c.Num, c.Den
					from := v.Period.Start.Format(time.DateOnly)
					v.Note = fmt.Sprintf("over the cycle to the day, %s to %s (each outlet's latest order day), "+
						"as on the day %s", from, day, s.NoData)
					v.NoteCode = NoteCycleToDay
					v.NoteParams = map[string]string{"from": from, "to": day.String(), "reason": string(s.Indicator)}
				}
				if v.Den > 0 {
					x := v.Num / v.Den
					v.Value = &x
				} else {
					v.NoData, v.NoDataCode = noData(s, level, r)
				}
			}
			tg.apply(&v, s, level, r)
			r.Values = append(r.Values, v)
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// noData says why a row has no figure of s, and the reason's code.
func noData(s Spec, level Level, r *Row) (string, string) {
	if level != AtOutlet && r.Outlets == 0 {
		return "no active outlets", NoDataNoActiveOutlets
	}
	return s.NoData, string(s.Indicator)
}

func accuracyValue(v Value, level Level, key string, f *facts) Value {
	switch {
	case level == AtRoute:
		v.NoData, v.NoDataCode = "forecast accuracy is scored per outlet, manager, area and company, not per route", NoDataNotByRoute
	case level == AtCompany && !f.companyScored, level != AtCompany && !f.scored:
		v.NoData, v.NoDataCode = notScored, NoDataNotScored
	default:
		scores := f.accuracy
		if level == AtCompany {
			scores = f.company
		}
		a, ok := scores[key]
		switch {
		case !ok:
			v.NoData, v.NoDataCode = "no score for this key in the month", NoDataNoScore
		case math.IsNaN(a) || math.IsInf(a, 0):
			v.NoData, v.NoDataCode = "nothing was sold in the month (A = 0)", NoDataNothingSold
		default:
			v.Value, v.Num, v.Den = &a, a, 1
		}
	}
	return v
}

// compare sets each row's previous figure, change and rank among the rows (account managers).
func compare(rows, before []Row) {
	prev := map[string]Row{}
	for _, r := range before {
		prev[r.Key] = r
	}
	for i := range rows {
		p, ok := prev[rows[i].Key]
		if !ok {
			continue
		}
		for j := range rows[i].Values {
			v := &rows[i].Values[j]
			if pv, ok := p.Value(v.Indicator); ok && pv.Value != nil {
				x := *pv.Value
				v.Previous = &x
				if v.Value != nil {
					d := *v.Value - x
					v.Change = &d
				}
			}
		}
	}
	for _, s := range Specs {
		var ranked []*Value
		for i := range rows {
			for j := range rows[i].Values {
				if v := &rows[i].Values[j]; v.Indicator == s.Indicator && v.Value != nil {
					ranked = append(ranked, v)
				}
			}
		}
		slices.SortStableFunc(ranked, func(a, b *Value) int {
			if s.HigherIsBetter {
				return cmp.Compare(*b.Value, *a.Value)
			}
			return cmp.Compare(*a.Value, *b.Value)
		})
		for i, v := range ranked {
			v.Rank, v.Peers = i+1, len(ranked)
			if i > 0 && *v.Value == *ranked[i-1].Value {
				v.Rank = ranked[i-1].Rank
			}
		}
	}
}

// brandStock gives each brand's stock-to-sales ratio within scope (nil: the company) against its
// limits.
func (s *Service) brandStock(ctx context.Context, p Period, f *facts, scope []string) ([]BrandStock, error) {
	within := f.stock
	if scope != nil {
		var err error
		if _, within, err = s.History.StockToSales(ctx, p.End, StockWindowWeeks, f.packs, scope); err != nil {
			return nil, err
		}
	}
	return BrandStocks(within, f.brandSales, f.limits), nil
}

// BrandStocks compares each brand's ratio within a scope against the brand's limits, expressed in
// weeks of sales: the limit in cartons over sales[brand], the company's average weekly cartons
// delivered to every outlet. (Not over the sales of the outlets that count stock, the ratio's own
// denominator: a limit for the company's stock over a sample's sales was 6 to 36 weeks, and every
// brand of every manager fell below it.)
func BrandStocks(within map[string]Ratio, sales map[string]float64, limits []StockLimit) []BrandStock {
	lim := map[string]StockLimit{}
	for _, l := range limits {
		lim[l.Brand] = l
	}
	out := []BrandStock{}
	for brand, r := range within {
		b := BrandStock{Brand: brand, Stock: r.Num, WeeklySales: r.Den}
		if r.Den > 0 {
			x := r.Num / r.Den
			b.Ratio = &x
		}
		l, hasLimit := lim[brand]
		weekly := sales[brand]
		switch {
		case b.Ratio == nil:
			b.Warning = "no sales"
		case !hasLimit:
			b.Warning = "no limit"
		case weekly <= 0:
			b.Warning = "no limit"
		default:
			lo, up := l.Lower/weekly, l.Upper/weekly
			b.LowerWeeks, b.UpperWeeks = &lo, &up
			switch {
			case *b.Ratio > up:
				b.Warning = "above upper limit"
			case *b.Ratio < lo:
				b.Warning = "below lower limit"
			default:
				b.Warning = "within limits"
			}
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Brand < out[j].Brand })
	return out
}
