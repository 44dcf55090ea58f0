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
// Active, Failed and Listed say, per week and per brand, what the Sales lines were drawn from, so
// that a caller can rebuild the cycles as the ordering system holds them: Active[w] whether the
// outlet was open (and so scheduled to order) in week w, Failed[w] whether its order of week w, if it
// placed one, failed for an insufficient balance (its lines then have Granted 0), and Listed the
// brands (indices into Region.Brands) the outlet carries: the outlets a scarce brand's limits go to.
//
// Satisfaction holds the monthly customer-satisfaction scores of the months the last
// SatisfactionMonths weeks' history ends in, one per month for most outlets.
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
}

func (r *Region) newGenerator() *generator {
	src := &rand.PCG{}
	return &generator{
		src:      src,
		rng:      rand.New(src),
		orders:   make([]bool, r.Weeks),
		failed:   make([]bool, r.Weeks),
		active:   make([]bool, r.Weeks),
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
					s := forecast.Sale{Day: r.days[w*7+op.orderDay], Outlet: o.Licence, Brand: br.Code, Requested: float64(req)}
					grant := req
					if limit, ok := r.LimitFor(b, o.Grade, w); ok {
						s.Limit = float64(limit)
						if limit < req {
							grant, s.Limited = limit, true
						}
					}
					if g.failed[w] {
						grant, s.Limited = 0, false
					}
					s.Granted, s.Delivered = float64(grant), float64(grant)
					stock += grant
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
	month := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(SatisfactionMonths - 1), 0)
	for range SatisfactionMonths {
		surveyed := month.Before(r.End()) && !month.AddDate(0, 1, 0).Before(r.Start) &&
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
