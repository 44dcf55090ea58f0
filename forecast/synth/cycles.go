package synth

import (
	"fmt"
	"slices"
	"time"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
)

// DemoCycles is how many of the last weeks the seed loads as real cycles and orders into the ordering
// system: two months, enough for the indicators' daily, weekly and monthly views and for the list of
// outlets that have not ordered for two cycles or more.
const DemoCycles = 8

// RecentCycles rebuilds the last weeks of the region as the ordering system would hold them: each
// week a closed cycle with its windows, the limits of the brands rationed that week (for every active
// outlet that carries them, as LimitFor sets them) and every order the outlets placed, delivered as
// the history says or failed for an insufficient balance. Add each outlet's History in turn; Cycles
// then holds the result, consistent line by line with the History's Sales: a week without Sales
// lines is a cycle without an order. Take hands over what was added so far, so that a caller can
// write it while the next outlets are generated.
//
// Orders are delivered on their order day, during the delivery round (09:00 to 17:00 where the
// windows are), at a time drawn for the outlet and week. With Config.UpToNow the week under way comes
// last, as a cycle still open (ordering.PastCycle.CutOff is Now): the windows that closed by Now cut
// off, with their orders, and the later windows open. Its orders due after Now are paid and not
// delivered yet: they are the round logistics has still to drive, and their lines leave the
// History's Sales (see Add).
type RecentCycles struct {
	Cycles []ordering.PastCycle

	r      *Region
	first  int            // first week
	brands map[string]int // code → index into Region.Brands
}

// NewRecentCycles returns a collector of the last n weeks (all of them when n exceeds the history),
// with the order windows of Config.Windows, and with Config.UpToNow the week under way after them.
func (r *Region) NewRecentCycles(n int) *RecentCycles {
	n = min(n, r.Weeks)
	c := &RecentCycles{r: r, first: r.Weeks - n, brands: make(map[string]int, len(r.Brands))}
	for b := range r.Brands {
		c.brands[r.Brands[b].Code] = b
	}
	last := r.Weeks
	if r.upToNow {
		last++
	}
	for w := c.first; w < last; w++ {
		monday := r.Week(w)
		pc := ordering.PastCycle{WeekStart: monday, Windows: r.windows.Windows(monday)}
		if w == r.Weeks {
			pc.CutOff = r.now
		}
		for b := range r.Brands {
			if _, ok := r.LimitFor(b, 1, w); ok {
				pc.Rationed = append(pc.Rationed, r.Brands[b].Code)
			}
		}
		c.Cycles = append(c.Cycles, pc)
	}
	return c
}

// Add adds one outlet's limits and orders to the cycles, and takes out of h.Sales the lines of its
// orders whose day's round is still to come at Now: the history has a line once its delivery is
// recorded (the ordering system's outbox relays it then), so write h.Sales after Add. h may be
// reused after Add returns.
func (c *RecentCycles) Add(h *History) {
	r, o := c.r, h.Outlet
	for k := range c.Cycles {
		w := c.first + k
		if !h.Active[w] {
			continue
		}
		pc := &c.Cycles[k]
		for _, b := range h.Listed {
			if limit, ok := r.LimitFor(b, o.Grade, w); ok {
				pc.Limits = append(pc.Limits, ordering.OutletLimit{Outlet: o.Licence, Brand: r.Brands[b].Code,
					Cartons: limit, Explanation: r.limitExplanation(b, o.Grade, w, limit)})
			}
		}
	}

	// Sales come brand by brand, week by week within a brand: gather each week's lines.
	orders := make([]*ordering.PastOrder, len(c.Cycles))
	unrecorded := false
	for _, s := range h.Sales {
		w := int(s.Day.Sub(r.Start).Hours()) / (7 * 24)
		if w < c.first {
			continue
		}
		k := w - c.first
		if orders[k] == nil {
			orders[k] = &ordering.PastOrder{Outlet: o.Licence, Status: ordering.Delivered}
		}
		b := c.brands[s.Brand]
		line := ordering.Line{Brand: s.Brand, Requested: int(s.Requested), Granted: int(s.Granted),
			PriceCents: r.Brands[b].WholesaleCents}
		if limit, ok := r.LimitFor(b, o.Grade, w); ok {
			line.Limit = &limit
			// A failed order's lines were granted what the limit allowed when it was placed; the
			// history records 0 because nothing was delivered.
			line.Granted = min(line.Requested, limit)
		} else {
			line.Granted = line.Requested
		}
		if line.Granted < line.Requested {
			line.Reason = ordering.ByLimit
		}
		orders[k].Lines = append(orders[k].Lines, line)
		orders[k].TotalCents += int64(line.Granted) * line.PriceCents
	}
	for k, po := range orders {
		if po == nil {
			continue
		}
		w := c.first + k
		window, _ := ordering.WindowFor(c.Cycles[k].Windows, o.OrderDay)
		// Placed some hours before the window closed, the hour drawn from the outlet and week.
		po.PlacedAt = window.ClosesAt.Add(-time.Duration(1+splitmix64(uint64(h.Index)<<16|uint64(w))%96) * time.Hour)
		po.SettledAt = window.ClosesAt
		// The history records the week's lines with the day's round, a failed order's (all granted
		// nothing) as a delivered one's: before the round, the day would show only the failed lines.
		at := deliveryTime(window, h.Index, w)
		recorded := w < r.Weeks || !at.After(r.now)
		switch {
		case h.Failed[w] && po.TotalCents > 0:
			po.Status = ordering.Failed
			// The balance fell short by a share of the order drawn like the hour.
			short := 0.1 + 0.8*float64(splitmix64(uint64(h.Index)<<16|uint64(w)|1<<15)%1000)/1000
			balance := int64(float64(po.TotalCents)*(1-short)) / 100 * 100
			po.Reason = ordering.InsufficientBalance(po.TotalCents, balance)
		case recorded:
			po.Delivered = at
		default:
			po.Status = ordering.Paid
		}
		unrecorded = unrecorded || !recorded
		c.Cycles[k].Orders = append(c.Cycles[k].Orders, *po)
	}
	if unrecorded { // the week under way's order: its lines are the Sales of that week
		week := r.mondays[r.Weeks]
		h.Sales = slices.DeleteFunc(h.Sales, func(s forecast.Sale) bool { return !s.Day.Before(week) })
	}
}

// limitExplanation explains a limit LimitFor set in the allocation's wording
// (allocation.Result.Explain), which the pages read back and show in the reader's language: the
// outlet's grade, or no supply in a week the brand is out of stock.
func (r *Region) limitExplanation(b, grade, w, limit int) string {
	if r.brands[b].outOfStock[w] {
		return "limit 0 cartons: no supply this cycle"
	}
	unit := "cartons"
	if limit == 1 {
		unit = "carton"
	}
	return fmt.Sprintf("limit %d %s: grade %d", limit, unit, grade)
}

// deliveryTime is when the order of window's order day from outlet i in week w is delivered: during
// the round, 09:00 to 17:00 on the order day where the window closes, at a minute drawn from the
// outlet and week.
func deliveryTime(window ordering.Window, i, w int) time.Time {
	closes := window.ClosesAt
	day := time.Date(closes.Year(), closes.Month(), closes.Day()+1, 9, 0, 0, 0, closes.Location())
	return day.Add(time.Duration(splitmix64(uint64(i)<<16|uint64(w)|1<<14)%(8*60)) * time.Minute)
}

// Take returns the cycles with the limits and orders added since the last Take, and forgets those:
// the caller owns the result.
func (c *RecentCycles) Take() []ordering.PastCycle {
	out := make([]ordering.PastCycle, len(c.Cycles))
	copy(out, c.Cycles)
	for k := range c.Cycles {
		c.Cycles[k].Limits, c.Cycles[k].Orders = nil, nil
	}
	return out
}
