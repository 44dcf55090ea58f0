package indicators

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
)

// The weekly trend: N weeks of the weekly indicators of a level's rows with the company's beside,
// read in one pass per store (one PostgreSQL query and one ClickHouse query, each grouped by week and
// row) instead of one report per week. Every week of a trend equals the report of that week
// (Service.Report with a week's Period) for the indicators it holds.

// TrendIndicators are the indicators a trend holds, in the order reports show them: those counted
// per week from the orders and the history. The empty-order list, stock-to-sales, forecast accuracy
// and satisfaction are not weekly series.
var TrendIndicators = []Indicator{OrderSuccess, FailedOrders, UploadRate, ScarceCoverage, NewProductShelf, SellThrough, StockOut}

// The length of a trend in weeks.
const (
	DefaultTrendWeeks = 12
	MaxTrendWeeks     = 53
)

// TrendQuery asks for a trend.
type TrendQuery struct {
	Weeks int       // 1 to MaxTrendWeeks; the last week holds Date
	Date  time.Time // a day of the last week
	Level Level
	Keys  []string // rows asked for; nil: all
	// Manager, when set, keeps the rows to that account manager's: its own manager row, its outlets.
	Manager string
}

// TrendWeek is one week of a trend: the rows asked for and the company's, as the week's report
// gives them for the trend's indicators.
type TrendWeek struct {
	Period  Period
	Rows    []Row
	Company Row
}

// Trend is a level's rows week by week, oldest first, with the stock-to-sales ratio of each brand
// at the end of the last week within the query's scope (an account manager's outlets, else the
// company's), as the last week's report gives it.
type Trend struct {
	Level Level
	Weeks []TrendWeek
	Stock []BrandStock
}

// TrendOutlet is an outlet as the stores read a trend's facts: the row it rolls up to and whether it
// counts in a week.
type TrendOutlet struct {
	Licence         string
	Row             int // index of the trend's row; -1: counted for the company only
	Active          bool
	CollectionPoint bool
	Joined          time.Time
}

// countsIn reports whether the outlet counts in the week starting at monday (Outlet.activeIn).
func (o TrendOutlet) countsIn(monday time.Time) bool {
	return o.Active && o.Joined.Before(monday.AddDate(0, 0, 7))
}

// WeekFact is an indicator's numerator and denominator over one week for the outlets of one row.
type WeekFact struct {
	Indicator Indicator
	Week      time.Time // its Monday
	Row       int       // as TrendOutlet.Row
	Ratio
}

// WeeklyOrders reads the trend's order facts (PostgreSQL).
type WeeklyOrders interface {
	// WeeklyOrderCounts returns, per week of [from, to) (Mondays) and row of outlets, OrderSuccess
	// (cycles paid ÷ cycles scheduled) and FailedOrders (orders failed ÷ orders that reached cut-off),
	// counted as OrderStore.OrderCounts counts them for each week. Outlets not listed are not counted.
	WeeklyOrderCounts(ctx context.Context, from, to time.Time, outlets []TrendOutlet) ([]WeekFact, error)
}

// WeeklyHistory reads the trend's history facts (ClickHouse).
type WeeklyHistory interface {
	// WeeklyFacts returns, per week of [from, to) (Mondays) and row of outlets, as History reads them
	// for each week: UploadRate's numerator (collection points that count in the week with a scan in
	// it), ScarceCoverage's (outlets that count and were delivered one of scarce), NewProductShelf's
	// (pairs of an outlet that counts and a brand of shelving within its shelving weeks that it was
	// delivered and shows since the brand's launch), and SellThrough and StockOut (numerator and
	// denominator). Outlets not listed are not counted.
	WeeklyFacts(ctx context.Context, from, to time.Time, scarce []string, shelving []Brand, outlets []TrendOutlet) ([]WeekFact, error)
}

// BrandReader gives the brands (PostgreSQL; OrderStore.Brands).
type BrandReader interface {
	Brands(ctx context.Context) ([]Brand, []StockLimit, error)
}

// StockReader reads the stock-to-sales ratio and the brands' sales its limits are weeks of
// (ClickHouse; History.StockToSales and History.BrandWeeklySales).
type StockReader interface {
	StockToSales(ctx context.Context, end time.Time, windowWeeks int, packs map[string]int, outlets []string) (perOutlet map[string]Ratio, perBrand map[string]Ratio, err error)
	BrandWeeklySales(ctx context.Context, end time.Time, windowWeeks int) (map[string]float64, error)
}

// Trends computes trends from the stores. Its store fields must be set; it is safe for concurrent use
// and must not be copied after first use.
type Trends struct {
	Directory Directory
	Brands    BrandReader
	Orders    WeeklyOrders
	History   WeeklyHistory
	Stock     StockReader
	Targets   TargetStore
	// MaxAge, when above 0, keeps computed figures in memory: a request is served those computed for
	// its level and weeks (and the stock for its scope) while at most MaxAge old, and concurrent
	// requests for the same share one computation. 0 computes on every request.
	MaxAge time.Duration
	Now    func() time.Time // time.Now when nil
	// Life, when set, ends the computations concurrent requests share (a server's lifetime), as
	// Service.Life.
	Life context.Context

	keep trendKeep
}

// CheckTrend validates the shape of q: its weeks and level.
func CheckTrend(q TrendQuery) error {
	if q.Weeks < 1 || q.Weeks > MaxTrendWeeks {
		return fmt.Errorf("%w: weeks %d: want 1 to %d", ErrInvalid, q.Weeks, MaxTrendWeeks)
	}
	if _, err := ParseLevel(string(q.Level)); err != nil {
		return err
	}
	return nil
}

// Trend computes q. For account managers each week also holds the week before's figure, the change
// and the rank among every manager, as a week's report does. With MaxAge set, the figures computed
// for a level and week are kept and served to every request for them while at most MaxAge old
// (targets are read on every request).
func (t *Trends) Trend(ctx context.Context, q TrendQuery) (Trend, error) {
	if err := CheckTrend(q); err != nil {
		return Trend{}, err
	}
	last, _ := PeriodOf(Week, q.Date)
	var (
		c       *trendFigures
		targets []Target
		stock   []BrandStock
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { c, err = t.figures(gctx, q, last); return err })
	g.Go(func() (err error) { targets, err = t.Targets.Targets(gctx); return err })
	g.Go(func() (err error) { stock, err = t.keptStock(gctx, last, q.Manager); return err })
	if err := g.Wait(); err != nil {
		return Trend{}, err
	}
	if q.Manager != "" && !slices.ContainsFunc(c.managers, func(m AccountManager) bool { return m.Code == q.Manager }) {
		return Trend{}, fmt.Errorf("%w: %q", ErrUnknownManager, q.Manager)
	}
	tg := newTargetBook(targets, c.managers)
	out := Trend{Level: q.Level, Stock: stock}
	for _, w := range c.weeks {
		week := TrendWeek{Period: w.Period, Company: withTargets(w.Company, AtCompany, tg)}
		if q.Level == AtCompany {
			week.Rows = []Row{week.Company}
		} else {
			for _, r := range keepRows(w.Rows, Query{Keys: q.Keys, Manager: q.Manager}) {
				week.Rows = append(week.Rows, withTargets(r, q.Level, tg))
			}
			if week.Rows == nil {
				week.Rows = []Row{}
			}
		}
		out.Weeks = append(out.Weeks, week)
	}
	return out, nil
}

// withTargets returns r with its values' targets, gaps and whether each is met, on a copy of its
// values (a kept computation is shared).
func withTargets(r Row, level Level, tg targetBook) Row {
	r.Values = slices.Clone(r.Values)
	for i := range r.Values {
		s, _ := SpecOf(r.Values[i].Indicator)
		tg.apply(&r.Values[i], s, level, &r)
	}
	return r
}

// trendFigures is a trend's computation without targets or stock: every row of the level for the
// company and manager levels (whatever a request keeps), the rows the query may see for the others.
type trendFigures struct {
	at       time.Time
	weeks    []TrendWeek
	managers []AccountManager
}

// compute reads the stores and rolls the facts up into q's rows week by week.
func (t *Trends) compute(ctx context.Context, q TrendQuery, last Period) (*trendFigures, error) {
	outlets, managers, err := t.Directory.Directory(ctx)
	if err != nil {
		return nil, err
	}
	c := &trendFigures{at: t.now(), managers: managers}
	weeks := make([]Period, 0, q.Weeks+1)
	read := q.Weeks
	if q.Level == AtManager {
		read++ // the week before the first, for its previous figures
	}
	for i := read - 1; i >= 0; i-- {
		p, _ := PeriodOf(Week, last.Start.AddDate(0, 0, -7*i))
		weeks = append(weeks, p)
	}
	from, to := weeks[0].Start, last.End

	rows, assigned := trendRows(q, outlets, managers)
	var (
		brands       []Brand
		orders, hist []WeekFact
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { orders, err = t.Orders.WeeklyOrderCounts(gctx, from, to, assigned); return err })
	g.Go(func() error {
		var err error
		if brands, _, err = t.Brands.Brands(gctx); err != nil {
			return err
		}
		var scarce []string
		var shelving []Brand
		for _, b := range brands {
			if b.Scarce {
				scarce = append(scarce, b.Code)
			}
			if b.NewProduct && b.Launch.Before(to) && b.Launch.AddDate(0, 0, 7*ShelvingWeeks).After(from) {
				shelving = append(shelving, b)
			}
		}
		hist, err = t.History.WeeklyFacts(gctx, from, to, scarce, shelving, assigned)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// sums[w][row+1][indicator]: row -1 (the company's only) at index 0.
	index := map[time.Time]int{}
	for i, p := range weeks {
		index[p.Start] = i
	}
	sums := make([][]map[Indicator]Ratio, len(weeks))
	for i := range sums {
		sums[i] = make([]map[Indicator]Ratio, len(rows)+1)
		for j := range sums[i] {
			sums[i][j] = map[Indicator]Ratio{}
		}
	}
	for _, f := range append(orders, hist...) {
		w, ok := index[f.Week]
		if !ok || f.Row < -1 || f.Row >= len(rows) {
			continue
		}
		sums[w][f.Row+1][f.Indicator] = sums[w][f.Row+1][f.Indicator].Add(f.Ratio)
	}
	// Denominators counted from the directory: outlets (and collection points) that count in the week,
	// and for new products one per brand within its shelving weeks.
	for i, p := range weeks {
		shelving := 0.0
		for _, b := range brands {
			if b.NewProduct && b.Launch.Before(p.End) && b.Launch.AddDate(0, 0, 7*ShelvingWeeks).After(p.Start) {
				shelving++
			}
		}
		for _, o := range assigned {
			if !o.countsIn(p.Start) {
				continue
			}
			s := sums[i][o.Row+1]
			s[ScarceCoverage] = s[ScarceCoverage].Add(Ratio{0, 1})
			s[NewProductShelf] = s[NewProductShelf].Add(Ratio{0, shelving})
			if o.CollectionPoint {
				s[UploadRate] = s[UploadRate].Add(Ratio{0, 1})
			}
		}
	}

	company := Row{Level: AtCompany, Name: "company"}
	for _, o := range outlets {
		if o.Status == "active" {
			company.Outlets++
		}
	}
	var before []Row
	for i, p := range weeks {
		week := TrendWeek{Period: p, Rows: make([]Row, len(rows))}
		total := map[Indicator]Ratio{}
		for j := range sums[i] {
			for ind, r := range sums[i][j] {
				total[ind] = total[ind].Add(r)
			}
		}
		week.Company = trendRow(company, AtCompany, p, total)
		for j, r := range rows {
			week.Rows[j] = trendRow(r, q.Level, p, sums[i][j+1])
		}
		if q.Level == AtManager {
			if before != nil {
				compare(week.Rows, before)
			}
			before = week.Rows
			if i == 0 {
				continue // read for the first week's previous figures only
			}
		}
		c.weeks = append(c.weeks, week)
	}
	return c, nil
}

// stock gives each brand's stock-to-sales ratio at the end of week within manager's outlets (every
// outlet for ""), against its limits (Service.brandStock): the scope's ratios and the company's sales
// read at once.
func (t *Trends) stock(ctx context.Context, week Period, manager string) ([]BrandStock, error) {
	brands, limits, err := t.Brands.Brands(ctx)
	if err != nil {
		return nil, err
	}
	packs := map[string]int{}
	for _, b := range brands {
		packs[b.Code] = b.PacksPerUnit
	}
	var within map[string]Ratio
	var sales map[string]float64
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		sales, err = t.Stock.BrandWeeklySales(gctx, week.End, StockWindowWeeks)
		return err
	})
	g.Go(func() error {
		var scope []string // nil: every outlet
		if manager != "" {
			outlets, _, err := t.Directory.Directory(gctx)
			if err != nil {
				return err
			}
			scope = managedBy(outlets, manager)
		}
		var err error
		_, within, err = t.Stock.StockToSales(gctx, week.End, StockWindowWeeks, packs, scope)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return BrandStocks(within, sales, limits), nil
}

// trendRow fills r's values of the trend's indicators over week p from their sums, without targets.
func trendRow(r Row, level Level, p Period, sums map[Indicator]Ratio) Row {
	r.Values = make([]Value, 0, len(TrendIndicators))
	for _, ind := range TrendIndicators {
		s, _ := SpecOf(ind)
		v := Value{Indicator: ind, Period: p, Num: sums[ind].Num, Den: sums[ind].Den}
		if v.Den > 0 {
			x := v.Num / v.Den
			v.Value = &x
		} else {
			v.NoData, v.NoDataCode = noData(s, level, &r)
		}
		r.Values = append(r.Values, v)
	}
	return r
}

// trendRows gives the rows a trend computes, sorted by key as a report's (every account manager for
// the manager level, for their ranks; the rows q may see for the others), and every outlet with the
// index of its row, -1 when it counts for the company only.
func trendRows(q TrendQuery, outlets []Outlet, managers []AccountManager) ([]Row, []TrendOutlet) {
	rows := map[string]*Row{}
	asked := map[string]bool{}
	for _, k := range q.Keys {
		asked[k] = true
	}
	wanted := func(r *Row) bool {
		if q.Level == AtManager || q.Level == AtCompany {
			return q.Level == AtManager
		}
		return (len(asked) == 0 || asked[r.Key]) && (q.Manager == "" || r.Manager == q.Manager)
	}
	if q.Level == AtManager {
		for _, m := range managers {
			rows[m.Code] = &Row{Level: AtManager, Key: m.Code, Name: m.Name, Manager: m.Code, Area: m.Area}
		}
	}
	group := make([]string, len(outlets))
	for i, o := range outlets {
		if q.Level == AtCompany || (q.Level == AtManager && o.Manager == "") {
			group[i] = "\x00" // the company's only
			continue
		}
		key := groupOf(q.Level, o)
		group[i] = key
		r, ok := rows[key]
		if !ok {
			r = &Row{Level: q.Level, Key: key}
			rows[key] = r
		}
		switch q.Level {
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
	}
	var kept []Row
	for _, r := range rows {
		if wanted(r) {
			kept = append(kept, *r)
		}
	}
	slices.SortFunc(kept, func(a, b Row) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	at := map[string]int{}
	for i, r := range kept {
		at[r.Key] = i
	}
	assigned := make([]TrendOutlet, len(outlets))
	for i, o := range outlets {
		row, ok := at[group[i]]
		if !ok {
			row = -1
		}
		assigned[i] = TrendOutlet{Licence: o.Licence, Row: row, Active: o.Status == "active",
			CollectionPoint: o.CollectionPoint, Joined: o.Joined}
	}
	return kept, assigned
}
