package synth

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/retailer"
)

// History is what one outlet did over the region's weeks.
//
// Sales has one line per order line, failed and limited ones included: Requested is what the
// retailer asked for, Granted what the limit allowed (0 when the warehouse had none, Limited set
// and Limit 0), Delivered what arrived (0 when the deduction failed and the whole order with it; then
// Limited is false). Limit is the scarce brand's limit in force, 0 on unrationed lines.
//
// Demand holds the weeks in which the outlet's true demand for a brand was not zero: a week absent
// is a week of zero demand. Demand is the outlet's consumer demand in whole cartons; what the
// outlet could sell of it is min(demand, stock), so sales fall short of it after a limit, a
// stock-out, a skipped cycle or a failed order.
//
// Scans holds a collection point's weekly uploads (sell-out and stock counts, in packs, counted on
// Sunday evening), with the gaps of a real terminal and a few bad rows: negative stock counts,
// implausibly high stock counts and duplicated rows. The generator knows which rows it spoiled and
// lists them in each batch's Rejects, as a validator would.
//
// With Config.UpToNow the history goes on into the week under way (week index Weeks), as far as Now:
// Sales holds the orders of its order days whose windows closed by Now (cut off the evening before,
// Config.Windows; delivered on the order day), and Scans the collection points' uploads of its
// days made by Now, one a day (the terminals of the week under way upload daily, each a sell-out
// and a stock count, none spoilt);
// Demand holds its true demand of the whole week, as for the history's weeks, so that what is judged
// against the truth (a backtest over the last weeks) has it.
//
// Active, Failed and Listed say, per week and per brand, what the Sales lines were drawn from, so
// that a caller can rebuild the cycles as the ordering system holds them: Active[w] whether the
// outlet was open (and so scheduled to order) in week w, Failed[w] whether its order of week w, if it
// placed one, failed for an insufficient balance (its lines then have Granted 0), and Listed the
// brands (indices into Region.Brands) the outlet carries: the outlets a scarce brand's limits go to.
// Active and Failed have Weeks+1 entries: the last is the week under way's (false without UpToNow).
//
// Satisfaction holds the monthly customer-satisfaction scores of the SatisfactionMonths months the
// history ends in (and, with UpToNow, of Now's month so far), one per month for most outlets.
type History struct {
	Index        int // into Region.Outlets
	Outlet       *retailer.Outlet
	Sales        []forecast.Sale
	Demand       []forecast.DemandPoint
	Scans        []retailer.ScanBatch
	Active       []bool
	Failed       []bool
	Listed       []int
	Satisfaction []retailer.SatisfactionScore
}

// Rates of the scan flaws, per row.
const (
	negativeStockRate = 0.002
	stockToSalesRate  = 0.002
	duplicateRate     = 0.003
)

// Each generates every outlet's history, in the order of Region.Outlets, and calls fn with each.
// The History and its slices are reused: fn must not keep them after it returns. Each stops at,
// and returns, the first error fn returns.
func (r *Region) Each(fn func(*History) error) error {
	g := r.newGenerator()
	var h History
	for i := range r.Outlets {
		r.generate(i, g, &h)
		if err := fn(&h); err != nil {
			return err
		}
	}
	return nil
}

// History returns outlet i's history in memory of its own; it is the same as what Each yields for i.
func (r *Region) History(i int) *History {
	var h History
	r.generate(i, r.newGenerator(), &h)
	return &h
}

// generator holds the buffers reused from one outlet to the next.
type generator struct {
	src      *rand.PCG
	rng      *rand.Rand
	p        profile
	orders   []bool
	failed   []bool
	active   []bool
	uploads  []bool
	shock    []float64
	trend    []float64
	weekRows [][]retailer.Scan
	sales    []forecast.Sale
	demand   []forecast.DemandPoint
	batches  []retailer.ScanBatch
	rows     []retailer.Scan
	rejects  []retailer.ScanReject

	// The week under way (Config.UpToNow).
	nowSrc    *rand.PCG // its own stream, so that the history does not depend on it
	nowRng    *rand.Rand
	ordersNow bool // the outlet has ordered in it by now
	shockNow  float64
	trendNow  float64
	uploadAt  [7]time.Time // per weekday: when the terminal uploaded; zero: not by Now
	dayRows   [7][]retailer.Scan
}

func (r *Region) newGenerator() *generator {
	src := &rand.PCG{}
	return &generator{
		src:      src,
		rng:      rand.New(src),
		orders:   make([]bool, r.Weeks),
		failed:   make([]bool, r.Weeks+1),
		active:   make([]bool, r.Weeks+1),
		uploads:  make([]bool, r.Weeks),
		shock:    make([]float64, r.Weeks),
		trend:    make([]float64, r.Weeks),
		weekRows: make([][]retailer.Scan, r.Weeks),
	}
}

// orderUpTo is the stock level a retailer orders up to when it expects to sell plan cartons: the
// plan times its cover, plus some safety for the noise, in whole cartons.
func orderUpTo(plan, cover float64) int {
	return int(math.Ceil(plan*cover + 0.5*math.Sqrt(plan)))
}

// generate fills h with outlet i's history.
func (r *Region) generate(i int, g *generator, h *History) {
	o, op := &r.Outlets[i], &r.outlets[i]
	r.profile(i, g.src, g.rng, &g.p)
	reseed(g.src, r.seed, streamOutletHistory, uint64(i))
	rng := g.rng

	// What happens to the outlet as a whole, week by week.
	skipped := false
	outage := 0
	mid := float64(r.Weeks) / 2
	for w := range r.Weeks {
		active := w < op.closeWeek && w < op.suspendWeek
		skip := op.skip
		if skipped {
			skip = min(0.6, op.skip+0.35) // a skipped cycle is often followed by another
		}
		skipped = rng.Float64() < skip
		g.orders[w] = active && !skipped
		g.failed[w] = rng.Float64() < op.fail
		g.active[w] = active
		g.shock[w] = lognormal(rng, 0.08)
		g.trend[w] = math.Exp(op.trend*(float64(w)-mid)/52.18) * g.p.norm(r, w)
		upload := false
		if o.CollectionPoint {
			switch {
			case outage > 0:
				outage--
			case rng.Float64() < 0.015:
				outage = 1 + rng.IntN(5) // the terminal is out for 2–6 weeks
			default:
				upload = rng.Float64() < op.upload
			}
		}
		g.uploads[w] = upload && active
		g.weekRows[w] = g.weekRows[w][:0]
	}
	r.beginWeekUnderWay(i, g)

	// Brand by brand: demand, orders, stock and scans.
	h.Index, h.Outlet = i, o
	h.Sales, h.Demand = g.sales[:0], g.demand[:0]
	for j, b := range g.p.listed {
		bp, br := &r.brands[b], &r.Brands[b]
		packs := float64(br.PacksPerCarton)
		stock, started := 0, false
		for w := range min(r.Weeks, op.closeWeek) {
			f := bp.weekly[w] * g.trend[w]
			if f == 0 {
				continue // not launched yet
			}
			plan := g.p.base[j] * f
			if !started {
				started = true
				if !bp.newProduct {
					stock = orderUpTo(plan, op.cover)
				}
			}
			monday := r.mondays[w]
			d := poisson(rng, plan*g.shock[w]*gammaMean1(rng, 4))
			if d > 0 {
				h.Demand = append(h.Demand, forecast.DemandPoint{Week: monday, Outlet: o.Licence, Brand: br.Code, Demand: float64(d)})
			}
			if g.orders[w] {
				if req := orderUpTo(plan, op.cover) - stock; req > 0 {
					s := r.orderLine(i, b, w, req, g.failed[w])
					stock += int(s.Granted)
					h.Sales = append(h.Sales, s)
				}
			}
			sold := min(d, stock)
			stock -= sold
			if g.uploads[w] {
				at := r.scanAt[w]
				if sold > 0 {
					g.weekRows[w] = append(g.weekRows[w], retailer.Scan{Outlet: o.Licence, Brand: br.Code, Kind: retailer.SellOut, At: at, Qty: float64(sold) * packs})
				}
				g.weekRows[w] = append(g.weekRows[w], retailer.Scan{Outlet: o.Licence, Brand: br.Code, Kind: retailer.StockCount, At: at, Qty: float64(stock) * packs})
			}
		}
		if g.active[r.Weeks] {
			h.Sales = r.brandWeekUnderWay(i, j, g, stock, started, h.Sales, &h.Demand)
		}
	}
	g.sales, g.demand = h.Sales, h.Demand

	// The week's rows become an upload, a few of them spoilt.
	h.Scans, g.rows, g.rejects = g.batches[:0], g.rows[:0], g.rejects[:0]
	for w := range r.Weeks {
		if len(g.weekRows[w]) == 0 {
			continue
		}
		rowStart, rejStart := len(g.rows), len(g.rejects)
		for _, row := range g.weekRows[w] {
			var reason retailer.RejectReason
			if row.Kind == retailer.StockCount {
				switch u := rng.Float64(); {
				case u < negativeStockRate:
					row.Qty, reason = -float64(1+rng.IntN(20)), retailer.RejectNegativeStock
				case u < negativeStockRate+stockToSalesRate:
					row.Qty, reason = (row.Qty+10)*100, retailer.RejectStockToSales
				}
			}
			g.rows = append(g.rows, row)
			if reason != "" {
				g.rejects = append(g.rejects, retailer.ScanReject{Row: len(g.rows) - rowStart, Reason: reason})
			} else if rng.Float64() < duplicateRate {
				g.rows = append(g.rows, row)
				g.rejects = append(g.rejects, retailer.ScanReject{Row: len(g.rows) - rowStart, Reason: retailer.RejectDuplicate})
			}
		}
		h.Scans = append(h.Scans, retailer.ScanBatch{
			Outlet:   o.Licence,
			ID:       "seed-" + o.Licence + "-" + r.mondays[w].Format("20060102"),
			Received: r.scanAt[w].Add(time.Duration(5+rng.IntN(115)) * time.Minute),
			Rows:     g.rows[rowStart:len(g.rows):len(g.rows)],
			Rejects:  g.rejects[rejStart:len(g.rejects):len(g.rejects)],
		})
	}
	if g.active[r.Weeks] {
		for d := range 7 {
			if len(g.dayRows[d]) == 0 {
				continue
			}
			rowStart := len(g.rows)
			g.rows = append(g.rows, g.dayRows[d]...)
			h.Scans = append(h.Scans, retailer.ScanBatch{
				Outlet:   o.Licence,
				ID:       "seed-" + o.Licence + "-" + r.days[7*r.Weeks+d].Format("20060102") + "-day",
				Received: g.uploadAt[d],
				Rows:     g.rows[rowStart:len(g.rows):len(g.rows)],
				Rejects:  []retailer.ScanReject{},
			})
		}
	}
	g.batches = h.Scans

	h.Active, h.Failed, h.Listed = g.active, g.failed, g.p.listed
	h.Satisfaction = r.satisfaction(i, h.Satisfaction[:0])
}

// SatisfactionMonths is how many of the last months have customer-satisfaction scores: the month
// the history ends in and the ones before it.
const SatisfactionMonths = 3

// satisfactionComments are what a manager writes beside a score, from the lowest band to the highest.
var satisfactionComments = [][]string{
	{"complains about short supply of scarce brands", "delivery came late twice", "wants a higher grade"},
	{"satisfied with delivery, asks for more scarce brands", "ordering app is hard to read", "no complaints this month"},
	{"very satisfied", "praises the account manager's visits", "happy with the new products"},
}

// satisfaction draws outlet i's monthly scores, from a stream of its own so that the rest of the
// history does not depend on it: most outlets are surveyed each month, scores around 85 out of 100,
// lower where orders failed or limits cut deep, with a comment for the score's band.
func (r *Region) satisfaction(i int, out []retailer.SatisfactionScore) []retailer.SatisfactionScore {
	o, op := &r.Outlets[i], &r.outlets[i]
	rng := newStream(r.seed, streamSatisfaction, uint64(i))
	last := r.Week(r.Weeks - 1)
	through := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC)
	month := through.AddDate(0, -(SatisfactionMonths - 1), 0)
	end := r.End() // surveys are recorded up to the history's end
	if r.upToNow {
		through, end = time.Date(r.today.Year(), r.today.Month(), 1, 0, 0, 0, 0, time.UTC), r.now
	}
	for !month.After(through) {
		surveyed := month.Before(end) && !month.AddDate(0, 1, 0).Before(r.Start) &&
			op.closeWeek == r.Weeks && rng.Float64() < 0.9
		if surveyed {
			score := 88 - 60*op.fail - 4*float64(retailer.MaxGrade-o.Grade)/29 + 6*rng.NormFloat64()
			score = math.Round(min(100, max(20, score))*10) / 10
			band := 0
			if score >= 90 {
				band = 2
			} else if score >= 75 {
				band = 1
			}
			cs := satisfactionComments[band]
			out = append(out, retailer.SatisfactionScore{Licence: o.Licence, Month: month, Score: score,
				Comment: cs[rng.IntN(len(cs))]})
		}
		month = month.AddDate(0, 1, 0)
	}
	return out
}

// orderLine is outlet i's order line of brand b (an index into Brands) in week w for req cartons,
// delivered on the outlet's order day: granted what the limit allows, nothing when the deduction
// failed.
func (r *Region) orderLine(i, b, w, req int, failed bool) forecast.Sale {
	o := &r.Outlets[i]
	s := forecast.Sale{Day: r.days[w*7+r.outlets[i].orderDay], Outlet: o.Licence, Brand: r.Brands[b].Code,
		Requested: float64(req)}
	grant := req
	if limit, ok := r.LimitFor(b, o.Grade, w); ok {
		s.Limit = float64(limit)
		if limit < req {
			grant, s.Limited = limit, true
		}
	}
	if failed {
		grant, s.Limited = 0, false
	}
	s.Granted, s.Delivered = float64(grant), float64(grant)
	return s
}

// beginWeekUnderWay draws what outlet i does in the week under way as a whole, after its history (in
// g) is drawn, from the outlet's own stream for it: whether it is open and orders (with the history's
// chance of skipping, once its order day's window has closed by Now), whether the deduction fails,
// and when its terminal uploads on each day (once a day, during the business day: 01:00 to 13:00
// UTC, the region's 09:00 to 21:00; the uploads after Now are not made yet). Without Config.UpToNow
// the outlet is inactive in it. The draws do not depend on Now within the week.
func (r *Region) beginWeekUnderWay(i int, g *generator) {
	w := r.Weeks
	g.active[w], g.failed[w], g.ordersNow = false, false, false
	for d := range 7 {
		g.uploadAt[d], g.dayRows[d] = time.Time{}, g.dayRows[d][:0]
	}
	o, op := &r.Outlets[i], &r.outlets[i]
	if !r.upToNow || op.closeWeek < w || op.suspendWeek < w {
		return
	}
	if g.nowRng == nil {
		g.nowSrc = &rand.PCG{}
		g.nowRng = rand.New(g.nowSrc)
	}
	reseed(g.nowSrc, r.seed, streamCurrentWeek, uint64(i))
	rng := g.nowRng
	skip := op.skip
	if !g.orders[w-1] {
		skip = min(0.6, op.skip+0.35) // as in the history
	}
	g.active[w] = true
	g.ordersNow = rng.Float64() >= skip && r.closedNow[op.orderDay] // its window closed the evening before
	g.failed[w] = rng.Float64() < op.fail
	g.shockNow = lognormal(rng, 0.08)
	g.trendNow = math.Exp(op.trend*(float64(w)-float64(r.Weeks)/2)/52.18) * g.p.norm(r, w)
	for d := range 7 {
		if !o.CollectionPoint || rng.Float64() >= op.upload {
			continue
		}
		at := r.days[7*w+d].Add(time.Hour + time.Duration(rng.IntN(12*60))*time.Minute)
		if !at.After(r.now) {
			g.uploadAt[d] = at
		}
	}
}

// brandWeekUnderWay goes on with outlet i's j-th listed brand into the week under way, from the
// stock the history left (started: the brand was on sale before): its order line, if the outlet
// ordered, appended to sales; the week's demand spread evenly over its days and sold from stock, the
// order arriving on its day (the week's demand appended to truth); and the rows of the day's upload,
// where the terminal uploaded.
func (r *Region) brandWeekUnderWay(i, j int, g *generator, stock int, started bool, sales []forecast.Sale,
	truth *[]forecast.DemandPoint) []forecast.Sale {
	w, o, op := r.Weeks, &r.Outlets[i], &r.outlets[i]
	b := g.p.listed[j]
	bp, br := &r.brands[b], &r.Brands[b]
	f := bp.weekly[w] * g.trendNow
	if f == 0 {
		return sales // not launched yet
	}
	plan := g.p.base[j] * f
	if !started && !bp.newProduct {
		stock = orderUpTo(plan, op.cover)
	}
	rng := g.nowRng
	demand := poisson(rng, plan*g.shockNow*gammaMean1(rng, 4))
	if demand > 0 {
		*truth = append(*truth, forecast.DemandPoint{Week: r.mondays[w], Outlet: o.Licence, Brand: br.Code, Demand: float64(demand)})
	}
	grant := 0
	if g.ordersNow {
		if req := orderUpTo(plan, op.cover) - stock; req > 0 {
			s := r.orderLine(i, b, w, req, g.failed[w])
			grant = int(s.Granted)
			sales = append(sales, s)
		}
	}
	packs := float64(br.PacksPerCarton)
	for d := range 7 {
		if d == op.orderDay {
			stock += grant
		}
		sold := min(demand*(d+1)/7-demand*d/7, stock)
		stock -= sold
		if at := g.uploadAt[d]; !at.IsZero() {
			if sold > 0 {
				g.dayRows[d] = append(g.dayRows[d], retailer.Scan{Outlet: o.Licence, Brand: br.Code, Kind: retailer.SellOut, At: at, Qty: float64(sold) * packs})
			}
			g.dayRows[d] = append(g.dayRows[d], retailer.Scan{Outlet: o.Licence, Brand: br.Code, Kind: retailer.StockCount, At: at, Qty: float64(stock) * packs})
		}
	}
	return sales
}
