package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// The clock of every test: a Thursday, inside outlet 1's window of the cycle of 23 November.
var (
	testNow   = time.Date(2026, 11, 19, 10, 0, 0, 0, time.UTC)
	testWeek  = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	testCycle = ordering.Cycle{ID: 7, WeekStart: testWeek, Status: ordering.Open}
	testOpen  = ordering.Window{OrderDay: time.Friday, OpensAt: time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC).AddDate(0, 0, -7),
		ClosesAt: time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)}
)

// The callers of the tests, by the X-Test-As header.
var principals = map[string]retailer.Principal{
	"retailer1": {UserID: 11, Username: "r1", Role: retailer.RoleRetailer, OutletID: 1},
	"retailer2": {UserID: 12, Username: "r2", Role: retailer.RoleRetailer, OutletID: 2},
	"manager":   {UserID: 21, Username: "m", Role: retailer.RoleManager, ManagerID: 5},
	"planner":   {UserID: 31, Username: "p", Role: retailer.RolePlanner},
	"logistics": {UserID: 41, Username: "l", Role: retailer.RoleLogistics},
	"admin":     {UserID: 51, Username: "a", Role: retailer.RoleAdmin},
}

// fakeOutlets lets a retailer see its own outlet, a manager the outlets it manages, planners and
// admins every outlet.
type fakeOutlets struct {
	outlets map[int64]retailer.Profile
	manager map[int64]int64 // outlet → manager id
}

func (f fakeOutlets) Outlet(_ context.Context, p retailer.Principal, id int64) (retailer.Profile, error) {
	o, ok := f.outlets[id]
	if ok && (p.SeesAllOutlets() || p.OutletID == id || (p.Role == retailer.RoleManager && f.manager[id] == p.ManagerID)) {
		return o, nil
	}
	return retailer.Profile{}, fmt.Errorf("outlet %d: %w", id, retailer.ErrNotFound)
}

func newOutlets() fakeOutlets {
	profile := func(id int64, licence string) retailer.Profile {
		p := retailer.Profile{ID: id}
		p.Licence = licence
		return p
	}
	return fakeOutlets{
		outlets: map[int64]retailer.Profile{1: profile(1, "L001"), 2: profile(2, "L002")},
		manager: map[int64]int64{1: 5},
	}
}

// fakeStore keeps orders, idempotency keys and cycles in memory. Orders are granted by ordering.Grant
// against offers, as the real store does.
type fakeStore struct {
	mu     sync.Mutex
	offers map[string]ordering.Offer
	lines  []ordering.CatalogueLine // the catalogue
	orders map[int64]ordering.Order
	nextID int64
	keys   map[string]*fakeKey // by user id and key
	inTx   map[string]bool     // keys taken by a PlaceOrder under way
	tokens int                 // claims handed out
	cycles map[time.Time]ordering.CycleView

	placeErr    error  // PlaceOrder fails with it, when set
	duringPlace func() // called inside PlaceOrder, when set
	placed      int    // PlaceOrder calls
	published   int    // successful PublishSupply calls
	delivered   []ordering.DeliveryLine
	listed      [2]int64              // the beforeID / afterID and limit of the last listing
	balance     int64                 // every outlet's balance, in cents
	gotOpts     ordering.PlaceOptions // the options of the last PlaceOrder
	gotUser     int64                 // the user of the last PlaceOrder
	credit      bool                  // the handler's WithCredit
}

type fakeKey struct {
	hash    []byte
	running bool
	token   string
	status  int
	body    []byte
}

func newStore() *fakeStore {
	return &fakeStore{
		offers: map[string]ordering.Offer{
			"A": {BrandID: 1, OnSale: true, PriceCents: 1000},
			"S": {BrandID: 2, OnSale: true, PriceCents: 5000, Remaining: new(2)},
			"X": {BrandID: 3, OnSale: false, PriceCents: 100},
		},
		orders:  map[int64]ordering.Order{},
		nextID:  1,
		balance: 1_000_000,
		keys:    map[string]*fakeKey{},
		inTx:    map[string]bool{},
		cycles:  map[time.Time]ordering.CycleView{},
	}
}

// add stores an order of outlet in status and returns its id.
func (s *fakeStore) add(outlet int64, status ordering.OrderStatus) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	s.orders[id] = ordering.Order{ID: id, OutletID: outlet, CycleID: testCycle.ID, WeekStart: testWeek, Status: status,
		TotalCents: 1000, Version: 1, UpdatedAt: testNow,
		Lines: []ordering.Line{{Brand: "A", BrandID: 1, Requested: 1, Granted: 1, PriceCents: 1000}}}
	return id
}

func (s *fakeStore) Catalogue(_ context.Context, _ int64, _ time.Time) (ordering.Cycle, ordering.Window, []ordering.CatalogueLine, error) {
	return testCycle, testOpen, s.lines, nil
}

// PlaceOrder places as the real store does. Under opts.Key it takes the key for the time it runs (a
// repeat meanwhile is in flight), refuses a key already held, and keeps opts.Respond's response on the
// key with the order, as the real store does in the order's transaction.
func (s *fakeStore) PlaceOrder(_ context.Context, outletID, userID int64, reqs []ordering.LineRequest, opts ordering.PlaceOptions, now time.Time) (ordering.Order, bool, error) {
	s.mu.Lock()
	if opts.Key != nil {
		k := fmt.Sprint(opts.Key.UserID, "/", opts.Key.Key)
		if s.inTx[k] {
			s.mu.Unlock()
			return ordering.Order{}, false, &ordering.InFlightError{Wait: time.Second}
		}
		if s.keys[k] != nil {
			s.mu.Unlock()
			return ordering.Order{}, false, ordering.ErrIdempotencyKeyHeld
		}
		s.inTx[k] = true
		defer func() {
			s.mu.Lock()
			delete(s.inTx, k)
			s.mu.Unlock()
		}()
	}
	s.placed++
	s.gotOpts, s.gotUser = opts, userID
	during := s.duringPlace
	s.mu.Unlock()
	if during != nil {
		during()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, created, err := s.place(outletID, reqs, opts, now)
	if err != nil || opts.Key == nil {
		return o, created, err
	}
	resp, err := opts.Respond(o, created)
	if err != nil {
		return ordering.Order{}, false, err
	}
	s.keys[fmt.Sprint(opts.Key.UserID, "/", opts.Key.Key)] = &fakeKey{hash: opts.Key.Hash, status: resp.Status, body: resp.Body}
	s.orders[o.ID] = o
	return o, created, nil
}

// place is PlaceOrder's order, stored unless opts has a key (the caller stores it then).
func (s *fakeStore) place(outletID int64, reqs []ordering.LineRequest, opts ordering.PlaceOptions, now time.Time) (ordering.Order, bool, error) {
	if s.placeErr != nil {
		return ordering.Order{}, false, s.placeErr
	}
	var live *ordering.Order
	for _, o := range s.orders {
		if o.OutletID == outletID && o.Status != ordering.Cancelled && o.Status != ordering.Failed {
			live = &o
		}
	}
	current := 0
	if live != nil {
		current = live.Version
	}
	if err := ordering.MatchVersion(opts.IfVersion, current); err != nil {
		return ordering.Order{}, false, err
	}
	if live != nil && !live.Status.Editable() {
		return ordering.Order{}, false, ordering.Explain(ordering.ErrConflict, "the order is %s", live.Status)
	}
	lines, err := ordering.Grant(reqs, s.offers, opts.AllOrNothing)
	if err != nil {
		return ordering.Order{}, false, err
	}
	funds, err := ordering.CheckFunds(ordering.Total(lines), s.balance, 0, opts.AllowCredit)
	if err != nil {
		return ordering.Order{}, false, err
	}
	o := ordering.Order{ID: s.nextID, OutletID: outletID, CycleID: testCycle.ID, WeekStart: testWeek, Version: 1}
	if live != nil {
		o = *live
		o.Version++
	} else {
		s.nextID++
	}
	o.Status, o.Lines, o.TotalCents, o.UpdatedAt = ordering.Submitted, lines, ordering.Total(lines), now
	if opts.Key == nil {
		s.orders[o.ID] = o
	}
	o.Funds = &funds
	return o, live == nil, nil
}

func (s *fakeStore) Funds(context.Context, int64) (ordering.Funds, error) {
	return ordering.Funds{BalanceCents: s.balance}, nil
}

func (s *fakeStore) CancelOrder(_ context.Context, outletID, orderID int64, ifVersion int, now time.Time) (ordering.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok || o.OutletID != outletID {
		return ordering.Order{}, fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
	}
	if err := ordering.MatchVersion(ifVersion, o.Version); err != nil {
		return ordering.Order{}, err
	}
	if !o.Status.Editable() {
		return ordering.Order{}, ordering.Explain(ordering.ErrConflict, "the order is %s", o.Status)
	}
	o.Status, o.UpdatedAt, o.Version = ordering.Cancelled, now, o.Version+1
	s.orders[orderID] = o
	return o, nil
}

// sorted returns the orders that keep, by id, descending when desc.
func (s *fakeStore) sorted(keep func(ordering.Order) bool, desc bool) []ordering.Order {
	var out []ordering.Order
	for _, o := range s.orders {
		if keep(o) {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return (out[i].ID < out[j].ID) != desc })
	return out
}

func (s *fakeStore) Orders(_ context.Context, outletID, beforeID int64, limit int) ([]ordering.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listed = [2]int64{beforeID, int64(limit)}
	out := s.sorted(func(o ordering.Order) bool {
		return o.OutletID == outletID && (beforeID == 0 || o.ID < beforeID)
	}, true)
	return out[:min(limit, len(out))], nil
}

func (s *fakeStore) Order(_ context.Context, outletID, orderID int64) (ordering.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok || o.OutletID != outletID {
		return ordering.Order{}, fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
	}
	return o, nil
}

func (s *fakeStore) BeginIdempotent(_ context.Context, userID int64, key string, hash []byte, _ time.Time) (ordering.Begun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprint(userID, "/", key)
	held, ok := s.keys[k]
	s.tokens++
	claim := ordering.IdempotencyClaim{UserID: userID, Key: key, Token: fmt.Sprint(s.tokens)}
	switch {
	case !ok:
		s.keys[k] = &fakeKey{hash: hash, running: true, token: claim.Token}
		return ordering.Begun{Claim: claim}, nil
	case !bytes.Equal(held.hash, hash):
		return ordering.Begun{}, ordering.ErrIdempotencyKeyReused
	case held.running:
		return ordering.Begun{}, &ordering.InFlightError{Wait: ordering.IdempotencyLease}
	}
	return ordering.Begun{Stored: &ordering.StoredResponse{Status: held.status, Body: held.body}}, nil
}

func (s *fakeStore) FinishIdempotent(_ context.Context, claim ordering.IdempotencyClaim, status int, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[fmt.Sprint(claim.UserID, "/", claim.Key)]
	if k.token == claim.Token {
		k.running, k.status, k.body = false, status, body
	}
	return nil
}

func (s *fakeStore) AbandonIdempotent(_ context.Context, claim ordering.IdempotencyClaim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys[fmt.Sprint(claim.UserID, "/", claim.Key)]; k != nil && k.token == claim.Token {
		delete(s.keys, fmt.Sprint(claim.UserID, "/", claim.Key))
	}
	return nil
}

func (s *fakeStore) Cycle(_ context.Context, weekStart time.Time) (ordering.CycleView, error) {
	v, ok := s.cycles[weekStart]
	if !ok {
		return v, ordering.Explain(ordering.ErrNotFound, "no cycle in the week of %s", weekStart.Format(time.DateOnly))
	}
	return v, nil
}

func (s *fakeStore) CycleOf(ctx context.Context, weekStart time.Time) (ordering.Cycle, error) {
	v, err := s.Cycle(ctx, weekStart)
	return v.Cycle, err
}

func (s *fakeStore) SupplyLines(ctx context.Context, weekStart time.Time) ([]ordering.SupplyState, error) {
	v, err := s.Cycle(ctx, weekStart)
	return v.Supply, err
}

func (s *fakeStore) CycleOrders(_ context.Context, _ time.Time, status ordering.OrderStatus, afterID int64, limit int) ([]ordering.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listed = [2]int64{afterID, int64(limit)}
	out := s.sorted(func(o ordering.Order) bool { return (status == "" || o.Status == status) && o.ID > afterID }, false)
	return out[:min(limit, len(out))], nil
}

func (s *fakeStore) PublishSupply(_ context.Context, _, _ int64, _ int, plan []ordering.SupplyLine, _ []ordering.OutletLimit, _ string, _ time.Time) error {
	for _, l := range plan {
		if _, ok := s.offers[l.Brand]; !ok {
			return &ordering.ValidationError{Fields: map[string]string{"brand": fmt.Sprintf("%q: no such brand", l.Brand)}}
		}
	}
	s.published++
	return nil
}

func (s *fakeStore) Deliver(_ context.Context, orderID int64, lines []ordering.DeliveryLine, now time.Time) (ordering.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderID]
	if !ok {
		return o, fmt.Errorf("%w: order %d", ordering.ErrNotFound, orderID)
	}
	if o.Status != ordering.Paid {
		return ordering.Order{}, ordering.Explain(ordering.ErrConflict, "the order is %s; only a paid order is delivered", o.Status)
	}
	granted := map[string]int{}
	for _, l := range o.Lines {
		granted[l.Brand] = l.Granted
	}
	if err := ordering.ValidateDelivery(lines); err != nil {
		return ordering.Order{}, err
	}
	if err := ordering.CheckDelivered(granted, lines); err != nil {
		return ordering.Order{}, err
	}
	s.delivered = lines
	o.Status, o.UpdatedAt = ordering.Delivered, now
	s.orders[orderID] = o
	return o, nil
}

// fakeDemand is an outlet's expected demand, or an error.
type fakeDemand struct {
	demand map[string]ordering.Demand
	err    error
}

func (f fakeDemand) OutletDemand(_ context.Context, outlet string, week, _ time.Time) (map[string]ordering.Demand, string, error) {
	if f.err != nil {
		return nil, "", f.err
	}
	if outlet != "L001" || !week.Equal(testWeek) {
		return nil, "", fmt.Errorf("demand of %s in %v: want L001 in the test week", outlet, week)
	}
	return f.demand, "forecast 2026-11-16", nil
}

type fakeStock map[string]float64 // packs by brand

func (f fakeStock) StockOnHand(context.Context, string, time.Time) (map[string]float64, error) {
	return f, nil
}

// server is the handler behind echo, with the server's problem renderer and the caller named by the
// X-Test-As header in the request's context.
type server struct {
	e     *echo.Echo
	store *fakeStore
}

func newServer(t *testing.T, store *fakeStore, demand DemandSource, stock StockSource) server {
	t.Helper()
	h := New(newOutlets(), store, demand, func() time.Time { return testNow })
	if stock != nil {
		h.WithStock(stock)
	}
	h.WithCredit(store.credit)
	e := echo.New()
	e.HTTPErrorHandler = problem.NewRenderer(h.Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	authed := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p, ok := principals[c.Request().Header.Get("X-Test-As")]
			if !ok {
				t.Fatalf("no test principal %q", c.Request().Header.Get("X-Test-As"))
			}
			c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	})
	h.Register(e.Group(""), authed)
	return server{e: e, store: store}
}

// req is one request of a test.
type req struct {
	as, method, path, body, key string
	ifMatch                     string // the If-Match header, when set
}

func (s server) do(t *testing.T, r req) *httptest.ResponseRecorder {
	t.Helper()
	hr := httptest.NewRequest(r.method, "/api/v1"+r.path, bytes.NewBufferString(r.body))
	hr.Header.Set("X-Test-As", r.as)
	if r.body != "" {
		hr.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	if r.ifMatch != "" {
		hr.Header.Set("If-Match", r.ifMatch)
	}
	if r.key != "" {
		hr.Header.Set("Idempotency-Key", r.key)
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, hr)
	return rec
}

// decode reads the response's JSON body into v.
func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("response %d %q: %v", rec.Code, rec.Body, err)
	}
}

// wantProblem checks that rec is a problem of status and type (/problems/<typ>) and returns it.
func wantProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, typ string) problem.Body {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, body %s; want %d", rec.Code, rec.Body, status)
	}
	if ct := rec.Header().Get(echo.HeaderContentType); ct != problem.MediaType {
		t.Errorf("Content-Type %q; want %q", ct, problem.MediaType)
	}
	var b problem.Body
	decode(t, rec, &b)
	if want := "/problems/" + typ; b.Type != want || b.Status != status {
		t.Errorf("problem %+v; want type %s, status %d", b, want, status)
	}
	return b
}

// fieldsOf returns a problem's field errors as field → detail.
func fieldsOf(b problem.Body) map[string]string {
	f := map[string]string{}
	for _, e := range b.Errors {
		f[e.Field] = e.Detail
	}
	return f
}

var errStoreDown = errors.New("postgresql: connection refused")
