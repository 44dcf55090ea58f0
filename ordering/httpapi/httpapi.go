// Package httpapi is the ordering domain's HTTP adapter: an outlet's catalogue for the cycle it orders
// in (price, limit, remaining, suggested quantity), placing, editing and cancelling its order, and its
// order history, under /api/v1/outlets/{id}; a cycle's windows, supply plan and orders for planners and
// logistics, the planner's publication of supply and per-outlet limits, and deliveries, under
// /api/v1/cycles/{week} and /api/v1/orders/{id}. POSTs need an Idempotency-Key header.
//
// A response carrying an order sets ETag to "v<version>"; If-Match with it on replacing (POST when the
// outlet has an order) or cancelling makes the write conditional: a stale version gets 412 (a problem
// whose detail names the current version, with the current ETag). Without If-Match the last write wins.
//
// Handlers return domain errors as they are; Problems says how each answers, and the server renders
// them as application/problem+json.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// OutletAuthorizer resolves an outlet id to an outlet the principal may see, authorization being part
// of its query. An outlet that does not exist, or that p may not see, is an error wrapping
// retailer.ErrNotFound (404: the caller cannot tell the two apart); any other error is a 500.
type OutletAuthorizer interface {
	Outlet(ctx context.Context, p retailer.Principal, id int64) (retailer.Profile, error)
}

// OrderStore keeps the cycle's catalogue and the outlets' orders (ordering/postgres.Store). Its
// errors wrap these ordering sentinels, or are 500s:
//
//   - Catalogue: ErrWindowClosed (a *ordering.WindowClosedError) when no cycle has a window for the
//     outlet yet.
//   - PlaceOrder: ErrInvalid (a *ordering.ValidationError naming the lines), ErrNotFound (no such
//     outlet), ErrOutletInactive, ErrWindowClosed (a *ordering.WindowClosedError with the times of
//     the outlet's next window), ErrNotOnSale and ErrLimitExceeded (a *ordering.LinesError naming
//     the lines), ErrConflict (the outlet's order is no longer editable), ErrVersionMismatch (a
//     *ordering.StaleError: opts.IfVersion is not the live order's), ErrInsufficientBalance (unless
//     opts.AllowCredit); under opts.Key, an *ordering.InFlightError (another request with the key
//     runs) or ErrIdempotencyKeyHeld (the key is held; nothing was written), and it keeps the response
//     opts.Respond renders on the key in the order's transaction. It reports whether the order was
//     created (true) or the outlet's live order replaced (false), and returns the order with its Funds.
//   - CancelOrder: ErrNotFound (no such outlet, or no such order of it in the open cycle),
//     ErrOutletInactive, ErrWindowClosed, ErrConflict (the order is no longer editable),
//     ErrVersionMismatch (ifVersion, when not 0, is not the order's).
type OrderStore interface {
	Catalogue(ctx context.Context, outletID int64, now time.Time) (ordering.Cycle, ordering.Window, []ordering.CatalogueLine, error)
	PlaceOrder(ctx context.Context, outletID, userID int64, reqs []ordering.LineRequest, opts ordering.PlaceOptions, now time.Time) (ordering.Order, bool, error)
	CancelOrder(ctx context.Context, outletID, orderID int64, ifVersion int, now time.Time) (ordering.Order, error)
}

// FundsReader reads an outlet's balance and what its submitted orders add up to, for the catalogue
// (ordering/postgres.Store); ErrNotFound for no such outlet, any other error is a 500.
type FundsReader interface {
	Funds(ctx context.Context, outletID int64) (ordering.Funds, error)
}

// OrderReader reads an outlet's orders (ordering/postgres.Store). Orders lists them newest first,
// with ids below beforeID (0: from the newest), at most limit, and returns no sentinel; Order returns
// ErrNotFound when the outlet has no such order. Other errors are 500s.
type OrderReader interface {
	Orders(ctx context.Context, outletID, beforeID int64, limit int) ([]ordering.Order, error)
	Order(ctx context.Context, outletID, orderID int64) (ordering.Order, error)
}

// IdempotencyStore claims idempotency keys and keeps the first response (ordering/postgres.Store).
// BeginIdempotent returns an ordering.Begun (a response to replay, an order committed by an attempt
// that did not answer, or a claim to run the request under), ordering.ErrIdempotencyKeyReused for the
// key with another request, an *ordering.InFlightError (ordering.ErrIdempotencyInFlight with its
// RetryAfter) while another attempt holds the key within its lease. FinishIdempotent and
// AbandonIdempotent return no sentinel; their errors are 500s. A store that commits a request's
// effect records it on the request's claim in the same transaction: PlaceOrder does, given
// PlaceOptions.Claim; or it claims the key itself there, given PlaceOptions.Key (idempotentInTx).
type IdempotencyStore interface {
	BeginIdempotent(ctx context.Context, userID int64, key string, hash []byte, now time.Time) (ordering.Begun, error)
	FinishIdempotent(ctx context.Context, claim ordering.IdempotencyClaim, status int, body []byte) error
	AbandonIdempotent(ctx context.Context, claim ordering.IdempotencyClaim) error
}

// DemandSource gives an outlet's demand per brand (cartons) in a cycle's week: the expected demand
// and, from a forecast, the upper bound of its 80% interval; and what it rests on (the latest forecast
// covering the week, or recent requested quantities): the basis of suggested quantities
// (forecast/clickhouse.Store). A nil DemandSource suggests nothing. Any error only means no
// suggestion: the catalogue is served without one.
type DemandSource interface {
	OutletDemand(ctx context.Context, outlet string, week, now time.Time) (map[string]ordering.Demand, string, error)
}

// StockSource gives an outlet's stock on hand per brand (packs) from its latest stock counts since a
// time (retailer/clickhouse.Store). Any error means the stock is not known: suggestions ignore it.
type StockSource interface {
	StockOnHand(ctx context.Context, outlet string, since time.Time) (map[string]float64, error)
}

// StockCountAge is how old a stock count may be and still count as stock on hand.
const StockCountAge = 14 * 24 * time.Hour

// Store is everything the handler needs of PostgreSQL.
type Store interface {
	OrderStore
	OrderReader
	FundsReader
	IdempotencyStore
	CycleStore
}

// Handler serves the ordering routes.
type Handler struct {
	outlets OutletAuthorizer
	store   Store
	demand  DemandSource
	stock   StockSource // nil: stock on hand is not known
	now     func() time.Time
	metrics *orderMetrics // nil: not counted (WithMetrics)
	credit  bool          // accept orders above the balance, with a warning (WithCredit)
}

// New returns a Handler. now is the clock (time.Now outside tests).
func New(outlets OutletAuthorizer, store Store, demand DemandSource, now func() time.Time) *Handler {
	return &Handler{outlets: outlets, store: store, demand: demand, now: now}
}

// WithCredit makes the handler accept an order above the outlet's balance available, with a warning,
// where it would otherwise refuse it with 422 insufficient-balance: the distributor gives credit.
func (h *Handler) WithCredit(allow bool) { h.credit = allow }

// WithStock makes suggested quantities net of the outlet's stock on hand.
func (h *Handler) WithStock(stock StockSource) { h.stock = stock }

// MaxPageSize caps the orders one page lists.
const MaxPageSize = 100

// Register adds the routes to authed, which must sit behind authentication.
func (h *Handler) Register(_, authed *echo.Group) {
	authed.GET("/outlets/:id/catalogue", h.catalogue, problem.Query())
	authed.POST("/outlets/:id/orders", h.placeOrder, h.idempotentInTx)
	authed.GET("/outlets/:id/orders", h.listOrders, problem.Query("limit", "before"))
	authed.GET("/outlets/:id/orders/:order", h.getOrder, problem.Query())
	authed.DELETE("/outlets/:id/orders/:order", h.cancelOrder)
	authed.GET("/cycles/:week", h.getCycle, problem.Query("max_age"))
	authed.GET("/cycles/:week/supply", h.getSupply, problem.Query())
	authed.PUT("/cycles/:week/supply", h.publishSupply)
	authed.GET("/cycles/:week/orders", h.cycleOrders, problem.Query("status", "limit", "after"))
	authed.POST("/orders/:order/delivery", h.deliver, h.idempotent)
}

// outlet resolves the :id of the path to an outlet the caller may see; with write set, only the
// outlet's own retailer may act on it (others who may see it get 403).
func (h *Handler) outlet(c echo.Context, write bool) (retailer.Principal, retailer.Profile, error) {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return p, retailer.Profile{}, fmt.Errorf("%w: outlet %q", ordering.ErrNotFound, c.Param("id"))
	}
	if write && p.Role == retailer.RoleRetailer && p.OutletID == id {
		// The session already names the retailer's own outlet, and the store checks its status in the
		// order's transaction: a write needs nothing else of the profile, so no query is spent on it.
		return p, retailer.Profile{ID: id}, nil
	}
	o, err := h.outlets.Outlet(c.Request().Context(), p, id)
	if err != nil {
		return p, o, err
	}
	if write && !(p.Role == retailer.RoleRetailer && p.OutletID == o.ID) {
		return p, o, errForbidden
	}
	return p, o, nil
}

// outletToOrder resolves the :id of the path to an outlet the caller may order for: its own retailer,
// or its account manager, who orders on the outlet's behalf when the retailer phones in. The manager's
// outlets are those the OutletAuthorizer's query admits, so any other outlet is 404; other roles get 403.
func (h *Handler) outletToOrder(c echo.Context) (retailer.Principal, retailer.Profile, error) {
	if p, _ := retailer.PrincipalFrom(c.Request().Context()); p.Role == retailer.RoleManager {
		return h.outlet(c, false)
	}
	return h.outlet(c, true)
}

var errForbidden = errors.New("ordering: only the outlet's retailer (or, to place an order, its account manager) may change its orders")

type catalogueResponse struct {
	Cycle  string     `json:"cycle"` // Monday of the cycle's week
	Window windowJSON `json:"window"`
	// SuggestionBasis says what suggested quantities rest on: a forecast run, recent weeks' demand,
	// or "" when no suggestion could be made (the history store does not answer, say).
	SuggestionBasis string          `json:"suggestion_basis"`
	Funds           fundsJSON       `json:"funds"`
	Lines           []catalogueJSON `json:"lines"`
}

// fundsJSON is the outlet's balance, what its submitted orders add up to (to be deducted at their
// cut-off) and what they lack of the balance.
type fundsJSON struct {
	BalanceCents   int64  `json:"balance_cents"`
	OrderedCents   int64  `json:"ordered_cents"`
	ShortfallCents int64  `json:"shortfall_cents"`
	Warning        string `json:"warning,omitempty"` // an order above the balance accepted on credit
}

func fundsOf(f ordering.Funds) fundsJSON {
	return fundsJSON{BalanceCents: f.BalanceCents, OrderedCents: f.OrderedCents, ShortfallCents: f.ShortfallCents(), Warning: f.Warning}
}

type windowJSON struct {
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
	Open     bool      `json:"open"`
}

type catalogueJSON struct {
	Brand          string `json:"brand"`
	Name           string `json:"name"`
	Manufacturer   string `json:"manufacturer"`
	PriceClass     int    `json:"price_class"`
	WholesaleCents int64  `json:"wholesale_cents"`
	RetailCents    int64  `json:"retail_cents"`
	Scarce         bool   `json:"scarce"`
	NewProduct     bool   `json:"new_product"` // new in this cycle (ordering.Brand.NewIn)
	LaunchDate     string `json:"launch_date,omitempty"`
	AwaitingSupply bool   `json:"awaiting_supply"` // ordering.CatalogueLine.AwaitingSupply
	Limit          *int   `json:"limit,omitempty"`
	Remaining      *int   `json:"remaining,omitempty"`
	Ordered        int    `json:"ordered"`
	Suggested      int    `json:"suggested"`
	// ExpectedDemand is the week's expected demand (cartons) behind Suggested; DemandUpper the upper
	// bound of its forecast's 80% interval, when the forecast gives one; StockOnHand the cartons at
	// the last stock count, when there is a recent one; SuggestionExplanation how they make Suggested.
	ExpectedDemand        float64  `json:"expected_demand"`
	DemandUpper           *float64 `json:"demand_upper,omitempty"`
	StockOnHand           *float64 `json:"stock_on_hand,omitempty"`
	SuggestionExplanation string   `json:"suggestion_explanation,omitempty"`
	Explanation           string   `json:"limit_explanation,omitempty"`
	// ExplanationParts is Explanation clause by clause (codes and parameters), when the allocation
	// wrote it; a limit set by hand has only its text.
	ExplanationParts []clauseJSON `json:"limit_explanation_parts,omitempty"`
}

// clauseJSON is one clause of a limit's explanation: allocation.Clause.
type clauseJSON struct {
	Code   string         `json:"code"`
	Params map[string]any `json:"params"`
}

// explanationParts is the clauses of a published limit's explanation; nil when the allocation did
// not write it.
func explanationParts(text string) []clauseJSON {
	cs, ok := allocation.ParseExplanation(text)
	if !ok {
		return nil
	}
	out := make([]clauseJSON, len(cs))
	for k, c := range cs {
		out[k] = clauseJSON{Code: c.Code, Params: c.Params}
	}
	return out
}

func (h *Handler) catalogue(c echo.Context) error {
	_, o, err := h.outlet(c, false)
	if err != nil {
		return err
	}
	now := h.now()
	ctx := c.Request().Context()
	// The outlet's cycle and lines, then its demand in the cycle's week; its funds; its stock on hand:
	// the three at once. Suggestions help; they are not worth failing the catalogue for (ordering goes
	// on while the history store is down): the demand's and the stock's errors only mean none.
	var (
		cycle  ordering.Cycle
		w      ordering.Window
		lines  []ordering.CatalogueLine
		funds  ordering.Funds
		demand = map[string]ordering.Demand{}
		basis  string
		stock  map[string]float64
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if cycle, w, lines, err = h.store.Catalogue(gctx, o.ID, now); err != nil {
			return err
		}
		if h.demand != nil {
			if d, b, err := h.demand.OutletDemand(gctx, o.Licence, cycle.WeekStart, now); err == nil {
				demand, basis = d, b
			}
		}
		return nil
	})
	g.Go(func() (err error) {
		funds, err = h.store.Funds(gctx, o.ID)
		return err
	})
	if h.stock != nil {
		g.Go(func() error {
			stock, _ = h.stock.StockOnHand(gctx, o.Licence, now.Add(-StockCountAge)) // none known on error
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if basis == "" {
		stock = nil // no suggestion: the stock is not shown either
	}
	res := catalogueResponse{Cycle: cycle.WeekStart.Format(time.DateOnly),
		Window:          windowJSON{OpensAt: w.OpensAt.UTC(), ClosesAt: w.ClosesAt.UTC(), Open: w.Open(now)},
		SuggestionBasis: basis, Funds: fundsOf(funds), Lines: make([]catalogueJSON, len(lines))}
	for i, l := range lines {
		code := l.Brand.Code
		j := catalogueJSON{Brand: code, Name: l.Brand.Name, Manufacturer: l.Brand.Manufacturer,
			PriceClass: l.Brand.PriceClass, WholesaleCents: l.Brand.WholesaleCents, RetailCents: l.Brand.RetailCents,
			Scarce: l.Brand.Scarce, NewProduct: l.Brand.NewIn(cycle.WeekStart), AwaitingSupply: l.AwaitingSupply(),
			Limit: l.Limit, Remaining: l.Remaining,
			Ordered: l.Ordered, ExpectedDemand: math.Round(demand[code].Expected*10) / 10, Explanation: l.Explanation,
			ExplanationParts: explanationParts(l.Explanation)}
		if l.Brand.NewProduct && !l.Brand.LaunchDate.IsZero() {
			j.LaunchDate = l.Brand.LaunchDate.Format(time.DateOnly)
		}
		if u := demand[code].Upper; u > 0 {
			u = math.Round(u*10) / 10
			j.DemandUpper = &u
		}
		if packs, ok := stock[code]; ok && l.Brand.PacksPerCarton > 0 {
			cartons := math.Round(packs/float64(l.Brand.PacksPerCarton)*10) / 10
			j.StockOnHand = &cartons
		}
		s := ordering.SuggestFor(demand[code], j.StockOnHand, l)
		j.Suggested = s.Quantity
		if basis != "" {
			j.SuggestionExplanation = s.Explanation
		}
		res.Lines[i] = j
	}
	return c.JSON(http.StatusOK, res)
}

// orderRequest is the body of a request placing an order (read by bindOrderRequest).
type orderRequest struct {
	Lines        []orderLineRequest `json:"lines"`
	AllOrNothing bool               `json:"all_or_nothing"`
}

type orderLineRequest struct {
	Brand    string `json:"brand"`
	Quantity int    `json:"quantity"`
}

type orderJSON struct {
	ID         int64      `json:"id"`
	OutletID   int64      `json:"outlet_id"`
	Cycle      string     `json:"cycle"`
	Status     string     `json:"status"`
	Reason     string     `json:"failure_reason,omitempty"`
	TotalCents int64      `json:"total_cents"`
	Version    int        `json:"version"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Lines      []lineJSON `json:"lines"`
	// Funds is the outlet's balance and orders as placing this order found them; only in the answer
	// to placing it.
	Funds *fundsJSON `json:"funds,omitempty"`
	// PlacedBy is who placed the current lines: the retailer, or its account manager on its behalf.
	PlacedBy *authorJSON `json:"placed_by,omitempty"`
}

type authorJSON struct {
	Username string `json:"username"`
	Role     string `json:"role"`
}

type lineJSON struct {
	Brand      string `json:"brand"`
	Requested  int    `json:"requested"`
	Granted    int    `json:"granted"`
	Limit      *int   `json:"limit,omitempty"`
	Delivered  *int   `json:"delivered,omitempty"`
	PriceCents int64  `json:"price_cents"`
	Limited    string `json:"limited,omitempty"` // why granted < requested: limit, supply, refused, not_on_sale
}

func orderOf(o ordering.Order) orderJSON {
	out := orderJSON{ID: o.ID, OutletID: o.OutletID, Cycle: o.WeekStart.Format(time.DateOnly), Status: string(o.Status),
		Reason: o.Reason, TotalCents: o.TotalCents, Version: o.Version, UpdatedAt: o.UpdatedAt.UTC(), Lines: []lineJSON{}}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, lineJSON{Brand: l.Brand, Requested: l.Requested, Granted: l.Granted,
			Limit: l.Limit, Delivered: l.Delivered, PriceCents: l.PriceCents, Limited: string(l.Reason)})
	}
	if o.Funds != nil {
		out.Funds = new(fundsOf(*o.Funds))
	}
	if o.PlacedBy != nil {
		out.PlacedBy = &authorJSON{Username: o.PlacedBy.Username, Role: o.PlacedBy.Role}
	}
	return out
}

// etag is the entity tag of an order's version.
func etag(version int) string { return fmt.Sprintf(`"v%d"`, version) }

// writeOrder answers with the order and its ETag.
func writeOrder(c echo.Context, status int, o ordering.Order) error {
	c.Response().Header().Set("ETag", etag(o.Version))
	return c.JSON(status, orderOf(o))
}

// ifMatch reads the If-Match header of a change to an order (its ETag, "v<n>"): ifMatchOf's version.
func ifMatch(c echo.Context) (int, error) { return ifMatchOf(c, etag, "the order") }

// ifMatchOf reads the If-Match header as the version a write is conditional on: 0 without the
// header, ordering.AnyVersion for *, n for the one entity tag tag(n); anything else is invalid (what
// names the thing tagged, for the message).
func ifMatchOf(c echo.Context, tag func(int) string, what string) (int, error) {
	v := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	switch {
	case v == "":
		return 0, nil
	case v == "*":
		return ordering.AnyVersion, nil
	}
	if i := strings.IndexFunc(v, func(r rune) bool { return r >= '0' && r <= '9' }); i > 0 {
		if n, err := strconv.Atoi(strings.TrimSuffix(v[i:], `"`)); err == nil && n > 0 && tag(n) == v {
			return n, nil
		}
	}
	return 0, &ordering.ValidationError{Fields: map[string]string{"If-Match": fmt.Sprintf("want the ETag of %s, as %s, or *", what, tag(3))}}
}

// staleETag sets the ETag of the current version on the answer to a write refused as stale.
func staleETag(c echo.Context, err error) error {
	var stale *ordering.StaleError
	if errors.As(err, &stale) && stale.Current > 0 {
		c.Response().Header().Set("ETag", etag(stale.Current))
	}
	return err
}

func (h *Handler) placeOrder(c echo.Context) error {
	p, o, err := h.outletToOrder(c)
	if err != nil {
		return err
	}
	var req orderRequest
	if err := bindOrderRequest(c, &req); err != nil { // as the server's binder: strict JSON, unknown fields refused
		return err
	}
	reqs := make([]ordering.LineRequest, len(req.Lines))
	for i, l := range req.Lines {
		reqs[i] = ordering.LineRequest{Brand: strings.TrimSpace(l.Brand), Requested: l.Quantity}
	}
	version, err := ifMatch(c)
	if err != nil {
		return err
	}
	opts := ordering.PlaceOptions{AllOrNothing: req.AllOrNothing, IfVersion: version, AllowCredit: h.credit,
		Claim: claimOf(c), Key: keyOf(c)}
	var kept ordering.StoredResponse // the response kept on opts.Key
	if opts.Key != nil {
		opts.Respond = func(o ordering.Order, created bool) (ordering.StoredResponse, error) {
			b, err := encodeOrder(orderOf(o)) // as c.JSON writes it
			kept = ordering.StoredResponse{Status: placedStatus(created), Body: b}
			return kept, err
		}
	}
	order, created, err := h.store.PlaceOrder(c.Request().Context(), o.ID, p.UserID, reqs, opts, h.now())
	h.metrics.observe(order, created, len(reqs), err)
	if err != nil {
		return staleETag(c, err)
	}
	if opts.Key != nil {
		c.Response().Header().Set("ETag", etag(order.Version))
		return c.Blob(kept.Status, echo.MIMEApplicationJSON, kept.Body)
	}
	return writeOrder(c, placedStatus(created), order)
}

// placedStatus is the status of an order placed: 201 created, or 200 for an order replaced.
func placedStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

type orderPage struct {
	Orders []orderJSON `json:"orders"`
	Next   string      `json:"next,omitempty"` // the query of the next page
}

func (h *Handler) listOrders(c echo.Context) error {
	_, o, err := h.outlet(c, false)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	limit, before := pageQuery(c, 20, "before", fields)
	if len(fields) > 0 {
		return &ordering.ValidationError{Fields: fields}
	}
	orders, err := h.store.Orders(c.Request().Context(), o.ID, before, limit)
	if err != nil {
		return err
	}
	page := orderPage{Orders: make([]orderJSON, len(orders))}
	for i, ord := range orders {
		page.Orders[i] = orderOf(ord)
	}
	if len(orders) == limit {
		page.Next = fmt.Sprintf("?limit=%d&before=%d", limit, orders[len(orders)-1].ID)
	}
	return c.JSON(http.StatusOK, page)
}

// pageQuery reads a page's size (?limit=, def when absent, at most MaxPageSize) and its cursor, an
// order id (?before= or ?after=, 0 when absent), noting what is wrong in fields.
func pageQuery(c echo.Context, def int, cursor string, fields map[string]string) (limit int, id int64) {
	limit = def
	var err error
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxPageSize {
			fields["limit"] = fmt.Sprintf("want 1 to %d", MaxPageSize)
		}
	}
	if v := c.QueryParam(cursor); v != "" {
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id < 1 {
			fields[cursor] = "want an order id"
		}
	}
	return limit, id
}

func (h *Handler) orderID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("order"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: order %q", ordering.ErrNotFound, c.Param("order"))
	}
	return id, nil
}

func (h *Handler) getOrder(c echo.Context) error {
	_, o, err := h.outlet(c, false)
	if err != nil {
		return err
	}
	id, err := h.orderID(c)
	if err != nil {
		return err
	}
	order, err := h.store.Order(c.Request().Context(), o.ID, id)
	if err != nil {
		return err
	}
	return writeOrder(c, http.StatusOK, order)
}

func (h *Handler) cancelOrder(c echo.Context) error {
	_, o, err := h.outlet(c, true)
	if err != nil {
		return err
	}
	id, err := h.orderID(c)
	if err != nil {
		return err
	}
	version, err := ifMatch(c)
	if err != nil {
		return err
	}
	order, err := h.store.CancelOrder(c.Request().Context(), o.ID, id, version, h.now())
	if err != nil {
		return staleETag(c, err)
	}
	return writeOrder(c, http.StatusOK, order)
}
