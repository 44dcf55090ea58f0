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
type History struct {
	Index  int // into Region.Outlets
	Outlet *retailer.Outlet
	Sales  []forecast.Sale
	Demand []forecast.DemandPoint
	Scans  []retailer.ScanBatch
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
}
