package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
)

// The cycle's supply page: every scarce brand of a cycle still awaiting its supply, on one page, each
// with a proposed supply (the balance's stock and arrivals of the week, or the supply of the cycle
// before), its allocation previewed, and one press that publishes them all. A planner would otherwise
// allocate the week's scarce brands one by one before retailers can order any of them.

// supplyPreviews is how many brands' previews the page computes at once: each is an allocation over
// every outlet, and the page should not take the whole machine from the orders.
const supplyPreviews = 4

// Where the proposed supplies come from.
const (
	basisBalance = "balance" // the balance's supply of the week: projected stock plus planned arrivals
	basisLast    = "last"    // the brand's supply published in the cycle before
)

// supplyRow is one brand awaiting its supply on the cycle's supply page.
type supplyRow struct {
	Brand, Name string
	// Balance is the balance's supply of the week (projected stock and planned arrivals, whole
	// cartons) and Demand its demand there (forecast, or requested where more); nil when the balance
	// does not reach the week.
	Balance *int
	Demand  *float64
	Last    *int   // the supply published for the brand in the cycle before; nil when none was
	Supply  string // the supply to publish, as typed or proposed
	Error   string // what is wrong with the supply, or why its allocation cannot be previewed
	Refused string // why the last press did not publish it
	Plan    *allocationJSON
}

// Zero reports whether the row's supply is 0 cartons: published, the brand is on sale with no
// outlet able to order any.
func (r supplyRow) Zero() bool {
	n, err := strconv.Atoi(r.Supply)
	return err == nil && n == 0
}

// cycleSupplyData is the cycle's supply page's data.
type cycleSupplyData struct {
	Week       string
	Basis      string
	Mode       string
	Dimension  string
	Modes      []string
	Dimensions []string
	Rows       []supplyRow
	Ready      int      // rows with a preview: what the publish button publishes
	Key        string   // the publication's Idempotency-Key; each brand's is Key.brand
	Published  []string // brands the last press published, when it could not publish every one
	Meanwhile  []string // brands the last press left alone: another allocation was published since the preview
	figures
}

// cycleSupplyPage lists the cycle's brands awaiting their supply with a proposed supply each and
// the preview of its allocation. ?basis= chooses the proposals (balance, the default, or last),
// ?supply.BRAND= overrides one, ?mode= and ?dimension= apply to every brand.
func (p *Pages) cycleSupplyPage(c echo.Context) error {
	m, w, ok, err := p.plannerWeek(c)
	if !ok {
		return err
	}
	d, found, err := p.cycleSupply(c, m, w, supplyFormOf(c.QueryParams()), nil)
	if err != nil {
		return err
	}
	if !found {
		return p.noCycle(c, m)
	}
	return p.render(c, http.StatusOK, "planner-supply", &m.User, d)
}

// supplyForm is what the planner asks of the cycle's supply page.
type supplyForm struct {
	Basis, Mode, Dimension string
	Supply                 map[string]string // brand → the supply typed
}

// supplyFormOf reads the page's form from a query or a posted form: an unknown basis is the
// balance, an unknown mode (or price_band, which publishes nothing) grade.
func supplyFormOf(v url.Values) supplyForm {
	f := supplyForm{Basis: v.Get("basis"), Mode: v.Get("mode"), Dimension: v.Get("dimension"), Supply: map[string]string{}}
	if f.Basis != basisLast {
		f.Basis = basisBalance
	}
	if !slices.Contains(allocationModes, f.Mode) {
		f.Mode = "grade"
	}
	for k, vs := range v {
		if b, ok := strings.CutPrefix(k, "supply."); ok && len(vs) > 0 {
			f.Supply[b] = strings.TrimSpace(vs[0])
		}
	}
	return f
}

// cycleSupply builds the page: the cycle's brands awaiting their supply, their proposals, and a
// kept preview of each one's allocation. refused holds the brands a press could not publish, with
// why. found is false when the API has no such cycle.
func (p *Pages) cycleSupply(c echo.Context, m me, w time.Time, f supplyForm, refused map[string]string) (cycleSupplyData, bool, error) {
	week := w.Format(time.DateOnly)
	d := cycleSupplyData{Week: week, Basis: f.Basis, Mode: f.Mode, Dimension: f.Dimension, Modes: allocationModes, Dimensions: allocationDimensions}
	var cycle, prev cycleJSON // the supply lines of the cycle and of the one before, as they are now (no sums)
	status, prob, err := p.api(c, call{method: "GET", path: "/cycles/" + week + "/supply", token: m.User.token}, &cycle)
	if err != nil {
		return d, false, err
	}
	if status == http.StatusNotFound || (prob != nil && prob.Status == http.StatusBadRequest) {
		return d, false, nil
	}
	if prob != nil {
		return d, false, problemErr(nil, prob)
	}
	awaiting := awaitingSupply(cycle.Supply)
	if len(awaiting) == 0 {
		return d, true, nil
	}
	// The cycle before: what each brand was given last (none before the first cycle kept).
	status, prob, err = p.api(c, call{method: "GET", path: "/cycles/" + w.AddDate(0, 0, -7).Format(time.DateOnly) + "/supply", token: m.User.token}, &prev)
	if err != nil {
		return d, false, err
	}
	if prob != nil && prob.Status >= 500 {
		return d, false, problemErr(nil, prob)
	}
	last := map[string]*int{}
	if status == http.StatusOK && prob == nil {
		for _, s := range prev.Supply {
			last[s.Brand] = s.SupplyCartons
		}
	}
	balance, err := p.weekBalance(c, m, w)
	if err != nil {
		return d, false, err
	}
	l := langOf(c)
	d.Rows = make([]supplyRow, len(awaiting))
	for i, s := range awaiting {
		r := supplyRow{Brand: s.Brand, Name: s.Name, Last: last[s.Brand]}
		if b, ok := balance[s.Brand]; ok {
			supply, demand := int(math.Floor(b.Available+1e-9)), b.Demand
			r.Balance, r.Demand = &supply, &demand
		}
		r.Supply = proposedSupply(f, r)
		r.Refused = refused[s.Brand]
		if n, err := strconv.Atoi(r.Supply); r.Supply != "" && (err != nil || n < 0) {
			r.Error = l.T("p.err.cartons")
		}
		d.Rows[i] = r
	}
	if err := p.previewRows(c, m, week, f, d.Rows); err != nil {
		return d, false, err
	}
	for _, r := range d.Rows {
		if r.Plan != nil {
			d.Ready++
		}
	}
	if d.Key, err = newKey(); err != nil {
		return d, false, err
	}
	return d, true, nil
}

// proposedSupply is the supply a row shows: the one typed, else the basis's, else the other
// basis's, else none.
func proposedSupply(f supplyForm, r supplyRow) string {
	if s, ok := f.Supply[r.Brand]; ok {
		return s
	}
	first, second := r.Balance, r.Last
	if f.Basis == basisLast {
		first, second = r.Last, r.Balance
	}
	for _, n := range []*int{first, second} {
		if n != nil {
			return strconv.Itoa(*n)
		}
	}
	return ""
}

// weekBalance is each brand's balance in week w, by brand; empty when the balance does not reach it.
func (p *Pages) weekBalance(c echo.Context, m me, w time.Time) (map[string]balanceWeekJSON, error) {
	this := forecast.Monday(p.now())
	weeks := int(w.Sub(this).Hours()/(24*7)) + 1
	out := map[string]balanceWeekJSON{}
	if weeks < 1 || weeks > ordering.MaxBalanceWeeks {
		return out, nil
	}
	var bs struct {
		Brands []struct {
			Brand string            `json:"brand"`
			Weeks []balanceWeekJSON `json:"weeks"`
		} `json:"brands"`
	}
	q := url.Values{"weeks": {strconv.Itoa(weeks)}, "from": {this.Format(time.DateOnly)}}
	if _, prob, err := p.api(c, call{method: "GET", path: "/balance?" + q.Encode(), token: m.User.token}, &bs); err != nil || prob != nil {
		return nil, problemErr(err, prob)
	}
	week := w.Format(time.DateOnly)
	for _, b := range bs.Brands {
		for _, bw := range b.Weeks {
			if bw.Week == week {
				out[b.Brand] = bw
			}
		}
	}
	return out, nil
}

// balanceWeekJSON is what the supply page reads of a week of the balance.
type balanceWeekJSON struct {
	Week      string  `json:"week"`
	Available float64 `json:"available"`
	Demand    float64 `json:"demand"`
}

// previewRows asks the API for a kept preview of each row's allocation with its supply and the
// form's mode, a few at a time. A row with an error or without a supply gets none; a refusal is
// the row's error.
func (p *Pages) previewRows(c echo.Context, m me, week string, f supplyForm, rows []supplyRow) error {
	l := langOf(c)
	var g errgroup.Group
	g.SetLimit(supplyPreviews)
	for i := range rows {
		r := &rows[i]
		if r.Error != "" || r.Supply == "" {
			continue
		}
		g.Go(func() error {
			form := allocationForm{Brand: r.Brand, Supply: r.Supply, Mode: f.Mode, Dimension: f.Dimension}
			body, errs := form.body(l, true)
			if len(errs) > 0 {
				r.Error = errs["supply"]
				return nil
			}
			key, err := newKey()
			if err != nil {
				return err
			}
			var plan allocationJSON
			_, prob, err := p.api(c, call{method: "POST", path: fmt.Sprintf("/cycles/%s/allocations?limits=0", week),
				token: m.User.token, body: body, header: map[string]string{"Idempotency-Key": key}}, &plan)
			switch {
			case err != nil:
				return err
			case prob != nil && prob.Status >= 500:
				return problemErr(nil, prob)
			case prob != nil:
				r.Error, _ = allocationRefusal(l, prob)
			default:
				r.Plan = &plan
			}
			return nil
		})
	}
	return g.Wait()
}

// cycleSupplyPublish publishes each posted brand's kept preview (preview.BRAND) with its own
// Idempotency-Key (the form's key and the brand), so that a second press publishes each once. When
// every one is published it shows the cycle; otherwise the page again, with what was published,
// why the rest was not, and fresh previews of it.
func (p *Pages) cycleSupplyPublish(c echo.Context) error {
	m, w, ok, err := p.plannerWeek(c)
	if !ok {
		return err
	}
	week := w.Format(time.DateOnly)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	key := form.Get("key")
	if key == "" {
		if key, err = newKey(); err != nil {
			return err
		}
	}
	l := langOf(c)
	var published, meanwhile []string
	refused := map[string]string{}
	for _, brand := range form["brand"] {
		id := form.Get("preview." + brand)
		if id == "" {
			continue
		}
		k := call{method: "POST", path: fmt.Sprintf("/cycles/%s/allocations/%s/publication?limits=0", week, url.PathEscape(id)),
			token: m.User.token, header: map[string]string{"Idempotency-Key": key + "." + brand}}
		prob, err := p.callRetry(c, k, nil)
		switch {
		case err != nil:
			return err
		case prob == nil:
			published = append(published, brand)
		case prob.Status >= 500:
			return problemErr(nil, prob)
		case prob.Is("not-found"):
			return p.noCycle(c, m)
		case prob.Is("published-meanwhile"):
			// Published since the preview, by another planner or on another page: the API left it
			// alone. (One published with this very preview was published by an earlier press of the
			// button, and its key answers as it did then.)
			meanwhile = append(meanwhile, brand)
		case prob.Is("stale-preview") || prob.Is("no-preview"):
			refused[brand] = l.T("p.stale")
		default:
			refused[brand], _ = allocationRefusal(l, prob)
		}
	}
	if len(refused) == 0 && len(meanwhile) == 0 && len(published) > 0 {
		return c.Redirect(http.StatusSeeOther, "/planner/cycles/"+week+"?"+url.Values{"published": {l.List(published)}}.Encode())
	}
	d, found, err := p.cycleSupply(c, m, w, supplyFormOf(form), refused)
	if err != nil {
		return err
	}
	if !found {
		return p.noCycle(c, m)
	}
	d.Published, d.Meanwhile = published, meanwhile
	status := http.StatusOK
	if len(refused) > 0 || len(meanwhile) > 0 {
		status = http.StatusConflict // something asked for was not published
	}
	return p.render(c, status, "planner-supply", &m.User, d)
}
