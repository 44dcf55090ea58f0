package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// catalogueJSON is the answer of GET /api/v1/outlets/{id}/catalogue.
type catalogueJSON struct {
	Cycle  string `json:"cycle"`
	Window struct {
		OpensAt  time.Time `json:"opens_at"`
		ClosesAt time.Time `json:"closes_at"`
		Open     bool      `json:"open"`
	} `json:"window"`
	Funds fundsJSON       `json:"funds"`
	Lines []catalogueLine `json:"lines"`
}

// catalogueLine is one brand of the catalogue.
type catalogueLine struct {
	Brand          string   `json:"brand"`
	Name           string   `json:"name"`
	Manufacturer   string   `json:"manufacturer"`
	WholesaleCents int64    `json:"wholesale_cents"`
	Scarce         bool     `json:"scarce"`
	NewProduct     bool     `json:"new_product"`
	AwaitingSupply bool     `json:"awaiting_supply"`
	Limit          *int     `json:"limit"`
	Remaining      *int     `json:"remaining"`
	Ordered        int      `json:"ordered"`
	Suggested      int      `json:"suggested"`
	StockOnHand    *float64 `json:"stock_on_hand"`
	Explanation    string   `json:"limit_explanation"`
	// ExplanationParts is the explanation clause by clause, rendered in the reader's language.
	ExplanationParts []ExplanationPart `json:"limit_explanation_parts"`
}

type fundsJSON struct {
	BalanceCents   int64 `json:"balance_cents"`
	OrderedCents   int64 `json:"ordered_cents"`
	ShortfallCents int64 `json:"shortfall_cents"`
}

// order is an order as the API answers it.
type order struct {
	ID         int64     `json:"id"`
	Cycle      string    `json:"cycle"`
	Status     string    `json:"status"`
	Reason     string    `json:"failure_reason"`
	TotalCents int64     `json:"total_cents"`
	Version    int       `json:"version"`
	UpdatedAt  time.Time `json:"updated_at"`
	Lines      []struct {
		Brand      string `json:"brand"`
		Requested  int    `json:"requested"`
		Granted    int    `json:"granted"`
		Limit      *int   `json:"limit"`
		Delivered  *int   `json:"delivered"`
		PriceCents int64  `json:"price_cents"`
		Limited    string `json:"limited"`
	} `json:"lines"`
}

// live reports whether the order still stands (not cancelled or failed).
func (o order) live() bool { return o.Status != "cancelled" && o.Status != "failed" }

// retailerData is the retailer page's data.
type retailerData struct {
	Outlet    profile
	Cycle     string
	OpensAt   time.Time
	ClosesAt  time.Time
	Open      bool
	Now       time.Time
	Funds     fundsJSON
	Current   *order // this cycle's live order, which the form edits
	Track     *order // the newest order not cancelled, followed from submitted to delivered
	Lines     []lineView
	Orders    []orderView
	Messages  []string
	Key       string // the form's Idempotency-Key: a double tap sends the same one
	Total     int64  // of the quantities in the form
	OtherCost int64  // what the outlet's other submitted orders hold of the balance
	Available int64
	Shortfall int64
	Notice    string // a catalogue key
	Error     string // already translated
	Steps     []string
}

type lineView struct {
	Brand, Name, Manufacturer string
	PriceCents                int64
	Scarce, New               bool
	Awaiting                  bool // a scarce brand waiting for its supply: not orderable yet
	Limit                     *int
	Explanation               string
	Stock                     string // cartons, "" when not known
	Suggested, LastWeek, Qty  int
}

type orderView struct {
	order
	Names map[string]string
}

// steps is the way of an order from placing to delivery.
var steps = []string{"submitted", "confirmed", "paid", "delivered"}

// retailerSession is the session of a retailer with its outlet; ok is false when the answer is
// written (the login page, or home for another user).
func (p *Pages) retailerSession(c echo.Context) (me, bool, error) {
	m, ok, err := p.roleSession(c, "retailer")
	if ok && m.Outlet == nil {
		return m, false, c.Redirect(http.StatusSeeOther, "/")
	}
	return m, ok, err
}

func (p *Pages) retailerPage(c echo.Context) error {
	m, ok, err := p.retailerSession(c)
	if !ok {
		return err
	}
	d, err := p.retailerData(c, m, nil)
	if err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "placed":
		d.Notice = "r.placed"
	case "cancelled":
		d.Notice = "r.cancelled"
	case "received":
		d.Notice = "r.received"
	}
	return p.render(c, http.StatusOK, "retailer", &m.User, d)
}

// receipt confirms what arrived of a delivered order, or reports a shortfall: the form's rcv_<brand>
// fields (cartons received, the delivered quantity when left as it was) and note go to
// POST /api/v1/outlets/{id}/orders/{order}/receipt under the form's Idempotency-Key.
func (p *Pages) receipt(c echo.Context) error {
	m, ok, err := p.retailerSession(c)
	if !ok {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	type line struct {
		Brand    string `json:"brand"`
		Received int    `json:"received"`
	}
	var lines []line
	for name, v := range form {
		if brand, ok := strings.CutPrefix(name, "rcv_"); ok && len(v) > 0 {
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil {
				n = -1 // the API says what is wrong with it
			}
			lines = append(lines, line{brand, n})
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Brand < lines[j].Brand }) // the same form, the same body
	path := "/outlets/" + strconv.FormatInt(m.Outlet.ID, 10) + "/orders/" + url.PathEscape(c.FormValue("order")) + "/receipt"
	prob, err := p.callRetry(c, call{method: "POST", path: path, token: m.User.token,
		body:   map[string]any{"lines": lines, "note": strings.TrimSpace(c.FormValue("note"))},
		header: map[string]string{"Idempotency-Key": c.FormValue("key")}}, nil)
	if err != nil {
		return err
	}
	if prob == nil {
		return c.Redirect(http.StatusSeeOther, "/retailer?done=received")
	}
	d, err := p.retailerData(c, m, nil)
	if err != nil {
		return err
	}
	d.Error = langOf(c).T("r.error", problemText(prob))
	return p.render(c, max(prob.Status, http.StatusBadRequest), "retailer", &m.User, d)
}

// retailerData asks the API for the outlet's catalogue and orders. form, when not nil, holds the
// quantities the retailer entered (a refused order is shown again as entered).
func (p *Pages) retailerData(c echo.Context, m me, form map[string]int) (retailerData, error) {
	base := "/outlets/" + strconv.FormatInt(m.Outlet.ID, 10)
	var cat catalogueJSON
	if _, prob, err := p.api(c, call{method: "GET", path: base + "/catalogue", token: m.User.token}, &cat); err != nil || prob != nil {
		return retailerData{}, problemErr(err, prob)
	}
	var page struct {
		Orders []order `json:"orders"`
	}
	if _, prob, err := p.api(c, call{method: "GET", path: base + "/orders?limit=10", token: m.User.token}, &page); err != nil || prob != nil {
		return retailerData{}, problemErr(err, prob)
	}
	key, err := newKey()
	if err != nil {
		return retailerData{}, err
	}
	d := retailerData{Outlet: *m.Outlet, Cycle: cat.Cycle, OpensAt: cat.Window.OpensAt, ClosesAt: cat.Window.ClosesAt,
		Open: cat.Window.Open, Now: p.now(), Funds: cat.Funds, Key: key, Steps: steps}
	names := map[string]string{}
	for _, l := range cat.Lines {
		names[l.Brand] = l.Name
	}
	// The last order of an earlier cycle is "last week"'s.
	var last *order
	for i, o := range page.Orders {
		if o.Cycle == cat.Cycle && o.live() && d.Current == nil {
			d.Current = &page.Orders[i]
		}
		if o.Status != "cancelled" && d.Track == nil {
			d.Track = &page.Orders[i]
		}
		if o.Cycle < cat.Cycle && o.Status != "cancelled" && last == nil {
			last = &page.Orders[i]
		}
		d.Orders = append(d.Orders, orderView{order: o, Names: names})
	}
	lastQty, lastLimit := map[string]int{}, map[string]*int{}
	if last != nil {
		for _, l := range last.Lines {
			lastQty[l.Brand], lastLimit[l.Brand] = l.Requested, l.Limit
		}
	}
	current := map[string]int{}
	if d.Current != nil {
		for _, l := range d.Current.Lines {
			current[l.Brand] = l.Requested
		}
		if d.Current.Status == "submitted" {
			d.OtherCost = cat.Funds.OrderedCents - d.Current.TotalCents
		}
	} else {
		d.OtherCost = cat.Funds.OrderedCents
	}
	if form != nil {
		current = form
	}
	for _, l := range cat.Lines {
		v := lineView{Brand: l.Brand, Name: l.Name, Manufacturer: l.Manufacturer, PriceCents: l.WholesaleCents,
			Scarce: l.Scarce, New: l.NewProduct, Awaiting: l.AwaitingSupply, Limit: l.Limit, Suggested: l.Suggested,
			LastWeek: lastQty[l.Brand], Qty: current[l.Brand], Explanation: langOf(c).Explain(l.Explanation, l.ExplanationParts)}
		if l.StockOnHand != nil {
			v.Stock = strconv.FormatFloat(*l.StockOnHand, 'f', -1, 64)
		}
		d.Total += int64(v.Qty) * v.PriceCents
		d.Lines = append(d.Lines, v)
	}
	// Scarce brands first, then the other limited ones, then the rest, each in the catalogue's order.
	rank := func(v lineView) int {
		switch {
		case v.Scarce:
			return 0
		case v.Limit != nil:
			return 1
		}
		return 2
	}
	sort.SliceStable(d.Lines, func(i, j int) bool { return rank(d.Lines[i]) < rank(d.Lines[j]) })
	d.Available = cat.Funds.BalanceCents - d.OtherCost
	d.Shortfall = max(0, d.Total-d.Available)
	d.Messages = attention(langOf(c), d.Now, cat, page.Orders, lastLimit)
	return d, nil
}

// attention lists what the retailer should see first: the window closing with nothing ordered, the
// latest order failed and why, a limit that is new this cycle (or changed since the last order), a
// new product. Computed from the catalogue and the orders the API gave.
func attention(l Lang, now time.Time, cat catalogueJSON, orders []order, lastLimit map[string]*int) []string {
	var msgs []string
	ordered := false
	for _, o := range orders {
		if o.Cycle == cat.Cycle && o.live() {
			ordered = true
		}
	}
	if left := cat.Window.ClosesAt.Sub(now); cat.Window.Open && !ordered && left < 48*time.Hour {
		msgs = append(msgs, l.T("m.closing", int(left.Hours())))
	}
	if len(orders) > 0 && orders[0].Status == "failed" {
		msgs = append(msgs, l.T("m.failed", orders[0].ID, orders[0].Reason))
	}
	for _, line := range cat.Lines {
		if line.Limit != nil && (lastLimit[line.Brand] == nil || *lastLimit[line.Brand] != *line.Limit) {
			if why := l.Reasons(line.Explanation, line.ExplanationParts); why != "" {
				msgs = append(msgs, l.N("m.limit", *line.Limit, line.Name, *line.Limit, why))
			} else {
				msgs = append(msgs, l.N("m.limit_plain", *line.Limit, line.Name, *line.Limit))
			}
		}
	}
	for _, line := range cat.Lines {
		if line.NewProduct {
			msgs = append(msgs, l.T("m.new_product", line.Name))
		}
	}
	var awaiting []string
	for _, line := range cat.Lines {
		if line.AwaitingSupply {
			awaiting = append(awaiting, line.Name)
		}
	}
	if len(awaiting) > 0 {
		msgs = append(msgs, l.N("m.awaiting", len(awaiting), len(awaiting), l.List(awaiting)))
	}
	return msgs
}

// problemErr turns an unexpected API answer into an error of the page: a 503 page while a store is
// unavailable, else a 500 page.
func problemErr(err error, prob *apiProblem) error {
	if err != nil {
		return err
	}
	status := http.StatusInternalServerError
	if prob.Status == http.StatusServiceUnavailable {
		status = http.StatusServiceUnavailable
	}
	return echo.NewHTTPError(status, fmt.Sprintf("web: the API answered %d %s: %s", prob.Status, prob.Type, prob.Detail))
}

// placeOrder sends the form's quantities through POST /api/v1/outlets/{id}/orders with the form's
// Idempotency-Key (a double tap sends the same key and body, and the API places the order once), or
// cancels this cycle's order when every quantity is 0.
func (p *Pages) placeOrder(c echo.Context) error {
	m, ok, err := p.retailerSession(c)
	if !ok {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	qty := map[string]int{}
	type line struct {
		Brand    string `json:"brand"`
		Quantity int    `json:"quantity"`
	}
	var lines []line
	var brands []string
	for name, v := range form {
		if brand, ok := strings.CutPrefix(name, "q_"); ok && len(v) > 0 && strings.TrimSpace(v[0]) != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil || n < 0 {
				n = -1 // the API says what is wrong with it
			}
			qty[brand] = n
			if n != 0 {
				brands = append(brands, brand)
			}
		}
	}
	sort.Strings(brands) // the same form gives the same body: a repeat is recognised by its key
	for _, b := range brands {
		lines = append(lines, line{b, qty[b]})
	}
	base := "/outlets/" + strconv.FormatInt(m.Outlet.ID, 10) + "/orders"
	key := c.FormValue("key")
	var prob *apiProblem
	switch {
	case c.FormValue("order") != "": // the cancel button
		prob, err = p.callRetry(c, call{method: "DELETE", path: base + "/" + url.PathEscape(c.FormValue("order")), token: m.User.token}, nil)
		if err == nil && prob == nil {
			return c.Redirect(http.StatusSeeOther, "/retailer?done=cancelled")
		}
	case len(lines) > 0:
		prob, err = p.callRetry(c, call{method: "POST", path: base, token: m.User.token,
			body: map[string]any{"lines": lines}, header: map[string]string{"Idempotency-Key": key}}, nil)
		if err == nil && prob == nil {
			return c.Redirect(http.StatusSeeOther, "/retailer?done=placed")
		}
	}
	if err != nil {
		return err
	}
	d, err := p.retailerData(c, m, qty)
	if err != nil {
		return err
	}
	l := langOf(c)
	switch {
	case prob == nil:
		d.Error = l.T("r.nothing")
	case prob.Is("insufficient-balance"):
		d.Error = l.T("r.err.balance", prob.Detail)
	case prob.Is("window-closed"):
		d.Error = l.T("r.err.window")
	case prob.Is("order-version-mismatch"):
		d.Error = l.T("r.err.stale")
	default:
		d.Error = l.T("r.error", problemText(prob))
	}
	status := http.StatusUnprocessableEntity
	if prob != nil && prob.Status >= 400 {
		status = prob.Status
	}
	return p.render(c, status, "retailer", &m.User, d)
}
