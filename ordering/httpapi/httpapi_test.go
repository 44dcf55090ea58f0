package httpapi

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

func TestCatalogue(t *testing.T) {
	store := newStore()
	store.lines = []ordering.CatalogueLine{
		{Brand: ordering.Brand{Code: "A", Name: "Alpha", PacksPerCarton: 10, WholesaleCents: 1000}, OnSale: true},
		{Brand: ordering.Brand{Code: "S", Name: "Scarce", PacksPerCarton: 10, Scarce: true}, OnSale: true,
			Limit: new(4), Remaining: new(2), Ordered: 1, Explanation: "grade 12", SupplyPublished: true},
		{Brand: ordering.Brand{Code: "N", Name: "None", PacksPerCarton: 10}, OnSale: true},
		// Scarce, its supply not published yet: not orderable, so nothing suggested.
		{Brand: ordering.Brand{Code: "W", Name: "Waiting", PacksPerCarton: 10, Scarce: true}, OnSale: true},
	}
	demand := fakeDemand{demand: map[string]ordering.Demand{"A": {Expected: 4}, "S": {Expected: 8}, "W": {Expected: 6}}}
	interval := fakeDemand{demand: map[string]ordering.Demand{"A": {Expected: 4, Upper: 6.8}, "S": {Expected: 8, Upper: 9},
		"W": {Expected: 6, Upper: 7}}}
	type line = catalogueLine
	tests := []struct {
		name   string
		as     string
		demand DemandSource
		stock  StockSource
		basis  string
		want   map[string]line
	}{
		{"demand less stock, capped by remaining", "retailer1", demand, fakeStock{"A": 16}, "forecast 2026-11-16", map[string]line{
			"A": {Suggested: 3, ExpectedDemand: 4, StockOnHand: new(1.6)}, // round(4 × 1.25 − 1.6)
			"S": {Suggested: 3, ExpectedDemand: 8, Remaining: new(2)},     // 10, capped at 1 ordered + 2 remaining
			"N": {},
			"W": {ExpectedDemand: 6, AwaitingSupply: true},
		}},
		{"no stock source", "retailer1", demand, nil, "forecast 2026-11-16", map[string]line{
			"A": {Suggested: 5, ExpectedDemand: 4},
			"S": {Suggested: 3, ExpectedDemand: 8, Remaining: new(2)},
			"N": {},
			"W": {ExpectedDemand: 6, AwaitingSupply: true},
		}},
		{"a forecast interval is the safety stock", "retailer1", interval, fakeStock{"A": 16}, "forecast 2026-11-16", map[string]line{
			"A": {Suggested: 5, ExpectedDemand: 4, DemandUpper: new(6.8), StockOnHand: new(1.6)}, // round(6.8 − 1.6)
			"S": {Suggested: 3, ExpectedDemand: 8, DemandUpper: new(9.0), Remaining: new(2)},     // 9, capped at 1 + 2
			"N": {},
			"W": {ExpectedDemand: 6, DemandUpper: new(7.0), AwaitingSupply: true},
		}},
		{"demand unknown: no suggestion, still served", "retailer1", fakeDemand{err: errStoreDown}, fakeStock{"A": 16}, "", map[string]line{
			"A": {}, "S": {Remaining: new(2)}, "N": {}, "W": {AwaitingSupply: true},
		}},
		{"the outlet's manager may read it", "manager", demand, nil, "forecast 2026-11-16", map[string]line{
			"A": {Suggested: 5, ExpectedDemand: 4},
			"S": {Suggested: 3, ExpectedDemand: 8, Remaining: new(2)},
			"N": {},
			"W": {ExpectedDemand: 6, AwaitingSupply: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, store, tt.demand, tt.stock)
			rec := s.do(t, req{as: tt.as, method: http.MethodGet, path: "/outlets/1/catalogue"})
			if rec.Code != http.StatusOK {
				t.Fatalf("GET catalogue = %d %s; want 200", rec.Code, rec.Body)
			}
			var res struct {
				Cycle  string `json:"cycle"`
				Window struct {
					OpensAt  time.Time `json:"opens_at"`
					ClosesAt time.Time `json:"closes_at"`
					Open     bool      `json:"open"`
				} `json:"window"`
				Basis string `json:"suggestion_basis"`
				Lines []struct {
					Brand string `json:"brand"`
					Why   string `json:"suggestion_explanation"`
					line
				} `json:"lines"`
			}
			decode(t, rec, &res)
			if res.Cycle != "2026-11-23" || !res.Window.Open || !res.Window.ClosesAt.Equal(testOpen.ClosesAt) || res.Basis != tt.basis {
				t.Errorf("catalogue cycle %s, window %+v, basis %q; want 2026-11-23, open until %v, %q",
					res.Cycle, res.Window, res.Basis, testOpen.ClosesAt, tt.basis)
			}
			got := map[string]line{}
			for _, l := range res.Lines {
				got[l.Brand] = l.line
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("catalogue lines %v; want %v", got, tt.want)
			}
			for _, l := range res.Lines {
				switch {
				case tt.basis == "" && l.Why != "":
					t.Errorf("line %s explains %q without any basis; want no explanation", l.Brand, l.Why)
				case tt.basis != "" && l.AwaitingSupply:
					if !strings.Contains(l.Why, "not published") {
						t.Errorf("line %s awaiting its supply explains %q; want the supply named", l.Brand, l.Why)
					}
				case tt.basis != "" && !strings.Contains(l.Why, fmt.Sprintf("%d", l.Suggested)):
					t.Errorf("line %s explains %q; want the suggested %d in it", l.Brand, l.Why, l.Suggested)
				case l.DemandUpper != nil && !strings.Contains(l.Why, "upper bound"):
					t.Errorf("line %s with an interval explains %q; want the upper bound named", l.Brand, l.Why)
				}
			}
		})
	}
	t.Run("an outlet the caller may not see", func(t *testing.T) {
		s := newServer(t, store, demand, nil)
		wantProblem(t, s.do(t, req{as: "retailer2", method: http.MethodGet, path: "/outlets/1/catalogue"}), http.StatusNotFound, "not-found")
		wantProblem(t, s.do(t, req{as: "manager", method: http.MethodGet, path: "/outlets/2/catalogue"}), http.StatusNotFound, "not-found")
	})
}

// catalogueLine is what the catalogue tests check of a line.
type catalogueLine struct {
	Suggested      int      `json:"suggested"`
	ExpectedDemand float64  `json:"expected_demand"`
	DemandUpper    *float64 `json:"demand_upper"`
	StockOnHand    *float64 `json:"stock_on_hand"`
	Remaining      *int     `json:"remaining"`
	AwaitingSupply bool     `json:"awaiting_supply"`
}

func (l catalogueLine) String() string {
	stock, remaining, upper := "nil", "nil", "nil"
	if l.DemandUpper != nil {
		upper = fmt.Sprint(*l.DemandUpper)
	}
	if l.StockOnHand != nil {
		stock = fmt.Sprint(*l.StockOnHand)
	}
	if l.Remaining != nil {
		remaining = fmt.Sprint(*l.Remaining)
	}
	return fmt.Sprintf("{suggested %d, demand %v, upper %s, stock %s, remaining %s, awaiting %t}",
		l.Suggested, l.ExpectedDemand, upper, stock, remaining, l.AwaitingSupply)
}

type orderBody struct {
	ID         int64  `json:"id"`
	OutletID   int64  `json:"outlet_id"`
	Cycle      string `json:"cycle"`
	Status     string `json:"status"`
	TotalCents int64  `json:"total_cents"`
	Version    int    `json:"version"`
	Funds      *struct {
		BalanceCents   int64  `json:"balance_cents"`
		OrderedCents   int64  `json:"ordered_cents"`
		ShortfallCents int64  `json:"shortfall_cents"`
		Warning        string `json:"warning"`
	} `json:"funds"`
	Lines []struct {
		Brand     string `json:"brand"`
		Requested int    `json:"requested"`
		Granted   int    `json:"granted"`
		Limit     *int   `json:"limit"`
		Limited   string `json:"limited"`
	} `json:"lines"`
}

func TestPlaceOrder(t *testing.T) {
	closed := &ordering.WindowClosedError{OpensAt: time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC),
		ClosesAt: time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)}
	tests := []struct {
		name     string
		as       string
		path     string
		body     string
		live     bool   // outlet 1 has a live order already (version 1)
		ifMatch  string // the If-Match header
		balance  int64  // the outlet's balance, when not 0
		credit   bool   // the distributor gives credit
		placeErr error  // the store's error
		etag     string // the ETag of the answer, when set
		status   int
		typ      string            // of the problem, when status ≥ 400
		detail   string            // of the problem, when set
		fields   map[string]string // of the problem, when set
		check    func(t *testing.T, o orderBody)
	}{
		{name: "new order", as: "retailer1", path: "/outlets/1/orders",
			body: `{"lines": [{"brand": "S", "quantity": 5}, {"brand": "A", "quantity": 2}]}`, status: http.StatusCreated,
			check: func(t *testing.T, o orderBody) {
				if o.OutletID != 1 || o.Cycle != "2026-11-23" || o.Status != "submitted" || o.TotalCents != 2*1000+2*5000 || len(o.Lines) != 2 {
					t.Fatalf("order %+v; want outlet 1's submitted order of 120.00 in cycle 2026-11-23, 2 lines", o)
				}
				if s := o.Lines[1]; s.Brand != "S" || s.Requested != 5 || s.Granted != 2 || s.Limit == nil || *s.Limit != 2 || s.Limited != "limit" {
					t.Errorf("line S %+v; want 5 requested, 2 granted by its limit of 2", s)
				}
			}},
		{name: "replaced", as: "retailer1", path: "/outlets/1/orders", live: true,
			body: `{"lines": [{"brand": "A", "quantity": 3}]}`, status: http.StatusOK,
			check: func(t *testing.T, o orderBody) {
				if o.ID != 1 || o.TotalCents != 3000 || len(o.Lines) != 1 || o.Lines[0].Granted != 3 {
					t.Errorf("order %+v; want order 1 replaced by 3 cartons of A", o)
				}
			}},
		{name: "replaced if still at version 1", as: "retailer1", path: "/outlets/1/orders", live: true, ifMatch: `"v1"`,
			body: `{"lines": [{"brand": "A", "quantity": 3}]}`, status: http.StatusOK, etag: `"v2"`,
			check: func(t *testing.T, o orderBody) {
				if o.Version != 2 {
					t.Errorf("version %d; want 2", o.Version)
				}
			}},
		{name: "a stale version is not replaced", as: "retailer1", path: "/outlets/1/orders", live: true, ifMatch: `"v7"`,
			body: `{"lines": [{"brand": "A", "quantity": 3}]}`, status: http.StatusPreconditionFailed, typ: "order-version-mismatch",
			detail: "the order changed: it is at version 1; read it again and apply the change to it", etag: `"v1"`},
		{name: "If-Match without an order", as: "retailer1", path: "/outlets/1/orders", ifMatch: `*`,
			body: `{"lines": [{"brand": "A", "quantity": 3}]}`, status: http.StatusPreconditionFailed, typ: "order-version-mismatch",
			detail: "the outlet has no live order in the open cycle to replace"},
		{name: "a malformed If-Match", as: "retailer1", path: "/outlets/1/orders", live: true, ifMatch: `v1`,
			body: `{"lines": [{"brand": "A", "quantity": 3}]}`, status: http.StatusUnprocessableEntity, typ: "invalid-fields",
			fields: map[string]string{"If-Match": `want the ETag of the order, as "v3", or *`}},
		{name: "above the balance", as: "retailer1", path: "/outlets/1/orders", balance: 1500,
			body: `{"lines": [{"brand": "A", "quantity": 17}]}`, status: http.StatusUnprocessableEntity, typ: "insufficient-balance",
			detail: "the order is 170.00, the balance 15.00"},
		{name: "above the balance on credit", as: "retailer1", path: "/outlets/1/orders", balance: 1500, credit: true,
			body: `{"lines": [{"brand": "A", "quantity": 17}]}`, status: http.StatusCreated, etag: `"v1"`,
			check: func(t *testing.T, o orderBody) {
				if f := o.Funds; f == nil || f.BalanceCents != 1500 || f.OrderedCents != 17000 || f.ShortfallCents != 15500 || f.Warning == "" {
					t.Errorf("funds %+v; want balance 1500, ordered 17000, shortfall 15500 and a warning", f)
				}
			}},
		{name: "window closed", as: "retailer1", path: "/outlets/1/orders", placeErr: closed,
			body: `{"lines": [{"brand": "A", "quantity": 1}]}`, status: http.StatusConflict, typ: "window-closed",
			detail: "order window closed: it opens 2026-11-26T18:00:00Z and closes 2026-12-03T18:00:00Z"},
		{name: "all or nothing over a limit", as: "retailer1", path: "/outlets/1/orders",
			body:   `{"lines": [{"brand": "A", "quantity": 1}, {"brand": "S", "quantity": 3}], "all_or_nothing": true}`,
			status: http.StatusConflict, typ: "limit-exceeded", fields: map[string]string{"lines[1].quantity": "S: 3 requested, 2 left"}},
		{name: "invalid lines", as: "retailer1", path: "/outlets/1/orders",
			body:   `{"lines": [{"brand": "A", "quantity": 0}, {"brand": "", "quantity": 1}]}`,
			status: http.StatusUnprocessableEntity, typ: "invalid-fields",
			fields: map[string]string{"lines[0].quantity": "want 1 to 10000 whole cartons", "lines[1].brand": "required"}},
		{name: "no lines", as: "retailer1", path: "/outlets/1/orders", body: `{"lines": []}`,
			status: http.StatusUnprocessableEntity, typ: "invalid-fields", fields: map[string]string{"lines": "want 1 to 500 lines"}},
		{name: "not on sale", as: "retailer1", path: "/outlets/1/orders", body: `{"lines": [{"brand": "X", "quantity": 1}]}`,
			status: http.StatusUnprocessableEntity, typ: "not-on-sale", fields: map[string]string{"lines[0].brand": "X is not on sale in this cycle"}},
		{name: "the order is paid", as: "retailer1", path: "/outlets/1/orders", placeErr: ordering.Explain(ordering.ErrConflict, "the order is paid"),
			body: `{"lines": [{"brand": "A", "quantity": 1}]}`, status: http.StatusConflict, typ: "order-state-conflict", detail: "the order is paid"},
		{name: "the outlet's manager orders on its behalf", as: "manager", path: "/outlets/1/orders",
			body: `{"lines": [{"brand": "A", "quantity": 1}]}`, status: http.StatusCreated, etag: `"v1"`,
			check: func(t *testing.T, o orderBody) {
				if o.OutletID != 1 || len(o.Lines) != 1 || o.Lines[0].Granted != 1 {
					t.Errorf("order %+v; want outlet 1's order of 1 A", o)
				}
			}},
		{name: "a planner may not order", as: "planner", path: "/outlets/1/orders",
			body: `{"lines": [{"brand": "A", "quantity": 1}]}`, status: http.StatusForbidden, typ: "forbidden"},
		{name: "an outlet the caller may not see", as: "retailer2", path: "/outlets/1/orders",
			body: `{"lines": [{"brand": "A", "quantity": 1}]}`, status: http.StatusNotFound, typ: "not-found"},
		{name: "a manager's outlet it does not manage", as: "manager", path: "/outlets/2/orders",
			body: `{"lines": [{"brand": "A", "quantity": 1}]}`, status: http.StatusNotFound, typ: "not-found"},
		{name: "no such outlet", as: "retailer1", path: "/outlets/x/orders",
			body: `{"lines": [{"brand": "A", "quantity": 1}]}`, status: http.StatusNotFound, typ: "not-found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			store.placeErr, store.credit = tt.placeErr, tt.credit
			if tt.balance != 0 {
				store.balance = tt.balance
			}
			if tt.live {
				store.add(1, ordering.Submitted)
			}
			s := newServer(t, store, nil, nil)
			rec := s.do(t, req{as: tt.as, method: http.MethodPost, path: tt.path, body: tt.body, key: "k-" + strings.ReplaceAll(tt.name, " ", "-"),
				ifMatch: tt.ifMatch})
			if got := rec.Header().Get("ETag"); tt.etag != "" && got != tt.etag {
				t.Errorf("ETag %q; want %q", got, tt.etag)
			}
			if tt.status >= 400 {
				b := wantProblem(t, rec, tt.status, tt.typ)
				if tt.detail != "" && b.Detail != tt.detail {
					t.Errorf("detail %q; want %q", b.Detail, tt.detail)
				}
				if tt.fields != nil && !reflect.DeepEqual(fieldsOf(b), tt.fields) {
					t.Errorf("errors %v; want %v", fieldsOf(b), tt.fields)
				}
				return
			}
			if rec.Code != tt.status {
				t.Fatalf("POST = %d %s; want %d", rec.Code, rec.Body, tt.status)
			}
			var o orderBody
			decode(t, rec, &o)
			tt.check(t, o)
		})
	}
}

func TestIdempotency(t *testing.T) {
	const body = `{"lines": [{"brand": "A", "quantity": 2}]}`
	post := func(key, body string) req {
		return req{as: "retailer1", method: http.MethodPost, path: "/outlets/1/orders", body: body, key: key}
	}

	t.Run("a repeat is replayed", func(t *testing.T) {
		s := newServer(t, newStore(), nil, nil)
		first := s.do(t, post("k1", body))
		again := s.do(t, post("k1", body))
		if first.Code != http.StatusCreated || again.Code != http.StatusCreated {
			t.Fatalf("statuses %d, %d; want 201 twice", first.Code, again.Code)
		}
		if first.Header().Get("Idempotent-Replayed") != "" || again.Header().Get("Idempotent-Replayed") != "true" {
			t.Errorf("Idempotent-Replayed %q, %q; want none, then true",
				first.Header().Get("Idempotent-Replayed"), again.Header().Get("Idempotent-Replayed"))
		}
		if first.Body.String() != again.Body.String() || s.store.placed != 1 {
			t.Errorf("replay %s after %s, %d placements; want the same body, 1 placement", again.Body, first.Body, s.store.placed)
		}
	})
	t.Run("the response kept in the order's transaction is the one sent", func(t *testing.T) {
		s := newServer(t, newStore(), nil, nil)
		first := s.do(t, post("k1", body))
		kept := s.store.keys[fmt.Sprint(s.store.gotUser, "/k1")]
		if first.Code != http.StatusCreated || first.Header().Get("ETag") != `"v1"` {
			t.Fatalf("first = %d with ETag %q; want 201 with \"v1\"", first.Code, first.Header().Get("ETag"))
		}
		if s.store.gotOpts.Key == nil || s.store.gotOpts.Claim != nil || kept == nil || kept.running ||
			kept.status != http.StatusCreated || string(kept.body) != first.Body.String() {
			t.Errorf("placed under key %v, claim %v; kept %+v; want the key claimed with the order, and %s kept",
				s.store.gotOpts.Key, s.store.gotOpts.Claim, kept, first.Body)
		}
	})
	t.Run("a refusal is replayed as a problem", func(t *testing.T) {
		store := newStore()
		store.placeErr = &ordering.WindowClosedError{}
		s := newServer(t, store, nil, nil)
		wantProblem(t, s.do(t, post("k1", body)), http.StatusConflict, "window-closed")
		store.placeErr = nil
		again := s.do(t, post("k1", body))
		wantProblem(t, again, http.StatusConflict, "window-closed")
		if again.Header().Get("Idempotent-Replayed") != "true" || store.placed != 1 {
			t.Errorf("Idempotent-Replayed %q, %d placements; want true, 1", again.Header().Get("Idempotent-Replayed"), store.placed)
		}
	})
	t.Run("a key reused with another body", func(t *testing.T) {
		s := newServer(t, newStore(), nil, nil)
		if rec := s.do(t, post("k1", body)); rec.Code != http.StatusCreated {
			t.Fatalf("first = %d; want 201", rec.Code)
		}
		wantProblem(t, s.do(t, post("k1", `{"lines": [{"brand": "A", "quantity": 3}]}`)), http.StatusUnprocessableEntity, "idempotency-key-reused")
		if s.store.placed != 1 {
			t.Errorf("%d placements; want 1", s.store.placed)
		}
	})
	t.Run("a repeat while the first runs", func(t *testing.T) {
		store := newStore()
		s := newServer(t, store, nil, nil)
		var inner int
		store.duringPlace = func() {
			store.duringPlace = nil
			rec := s.do(t, post("k1", body))
			inner = rec.Code
			wantProblem(t, rec, http.StatusConflict, "idempotency-in-flight")
		}
		if rec := s.do(t, post("k1", body)); rec.Code != http.StatusCreated {
			t.Fatalf("first = %d; want 201", rec.Code)
		}
		if inner != http.StatusConflict || store.placed != 1 {
			t.Errorf("repeat in flight = %d, %d placements; want 409, 1", inner, store.placed)
		}
	})
	t.Run("no key", func(t *testing.T) {
		s := newServer(t, newStore(), nil, nil)
		wantProblem(t, s.do(t, post("", body)), http.StatusBadRequest, "idempotency-key-required")
		wantProblem(t, s.do(t, post("has space", body)), http.StatusBadRequest, "idempotency-key-required")
		wantProblem(t, s.do(t, post(strings.Repeat("k", 201), body)), http.StatusBadRequest, "idempotency-key-required")
		if s.store.placed != 0 {
			t.Errorf("%d placements; want none", s.store.placed)
		}
	})
	t.Run("a server error is not kept", func(t *testing.T) {
		store := newStore()
		store.placeErr = errStoreDown
		s := newServer(t, store, nil, nil)
		rec := s.do(t, post("k1", body))
		if b := wantProblem(t, rec, http.StatusInternalServerError, "internal"); strings.Contains(b.Detail, "postgresql") {
			t.Errorf("a 500 leaks its cause: %q", b.Detail)
		}
		store.placeErr = nil
		again := s.do(t, post("k1", body))
		if again.Code != http.StatusCreated || again.Header().Get("Idempotent-Replayed") != "" || store.placed != 2 {
			t.Errorf("retry = %d (replayed %q), %d placements; want a fresh 201, 2 placements",
				again.Code, again.Header().Get("Idempotent-Replayed"), store.placed)
		}
	})
}

func TestCancelOrder(t *testing.T) {
	tests := []struct {
		name   string
		as     string
		order  string // the path's order id; "live" and "paid" name the seeded orders
		status int
		typ    string
		detail string
	}{
		{"cancelled", "retailer1", "live", http.StatusOK, "", ""},
		{"paid", "retailer1", "paid", http.StatusConflict, "order-state-conflict", "the order is paid"},
		{"another outlet's order", "retailer1", "other", http.StatusNotFound, "not-found", ""},
		{"no such order", "retailer1", "99", http.StatusNotFound, "not-found", ""},
		{"not an order id", "retailer1", "x", http.StatusNotFound, "not-found", ""},
		{"the manager may not cancel", "manager", "live", http.StatusForbidden, "forbidden", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			ids := map[string]int64{"live": store.add(1, ordering.Submitted), "paid": store.add(1, ordering.Paid),
				"other": store.add(2, ordering.Submitted)}
			path := "/outlets/1/orders/" + tt.order
			if id, ok := ids[tt.order]; ok {
				path = "/outlets/1/orders/" + strconv.FormatInt(id, 10)
			}
			s := newServer(t, store, nil, nil)
			rec := s.do(t, req{as: tt.as, method: http.MethodDelete, path: path})
			if tt.status >= 400 {
				b := wantProblem(t, rec, tt.status, tt.typ)
				if tt.detail != "" && b.Detail != tt.detail {
					t.Errorf("detail %q; want %q", b.Detail, tt.detail)
				}
				if o := store.orders[ids["live"]]; o.Status != ordering.Submitted {
					t.Errorf("the live order is %s; want it left submitted", o.Status)
				}
				return
			}
			var o orderBody
			decode(t, rec, &o)
			if rec.Code != tt.status || o.Status != "cancelled" || o.ID != ids["live"] {
				t.Errorf("DELETE = %d %+v; want 200 and the order cancelled", rec.Code, o)
			}
		})
	}
}

// DELETE with If-Match cancels only an order still at that version; a stale one answers 412 with the
// current version's ETag and stays live.
func TestCancelOrderIfMatch(t *testing.T) {
	tests := []struct {
		name, ifMatch string
		status        int
		etag          string
	}{
		{"current version", `"v1"`, http.StatusOK, `"v2"`},
		{"any version", `*`, http.StatusOK, `"v2"`},
		{"stale version", `"v2"`, http.StatusPreconditionFailed, `"v1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			id := store.add(1, ordering.Submitted)
			s := newServer(t, store, nil, nil)
			rec := s.do(t, req{as: "retailer1", method: http.MethodDelete, path: "/outlets/1/orders/" + strconv.FormatInt(id, 10), ifMatch: tt.ifMatch})
			if rec.Code != tt.status || rec.Header().Get("ETag") != tt.etag {
				t.Fatalf("DELETE If-Match %s = %d, ETag %q %s; want %d, ETag %s", tt.ifMatch, rec.Code, rec.Header().Get("ETag"), rec.Body, tt.status, tt.etag)
			}
			if tt.status == http.StatusPreconditionFailed {
				wantProblem(t, rec, tt.status, "order-version-mismatch")
				if store.orders[id].Status != ordering.Submitted {
					t.Errorf("a stale cancel changed the order to %s", store.orders[id].Status)
				}
			}
		})
	}
}

func TestListOrders(t *testing.T) {
	store := newStore()
	for range 3 {
		store.add(1, ordering.Submitted) // 1, 2, 3
	}
	store.add(2, ordering.Submitted) // 4
	s := newServer(t, store, nil, nil)
	tests := []struct {
		name   string
		as     string
		query  string
		ids    []int64
		next   string
		fields map[string]string // of a 422
		status int
	}{
		{"first page", "retailer1", "?limit=2", []int64{3, 2}, "?limit=2&before=2", nil, 200},
		{"next page", "retailer1", "?limit=2&before=2", []int64{1}, "", nil, 200},
		{"default size", "manager", "", []int64{3, 2, 1}, "", nil, 200},
		{"largest page", "retailer1", "?limit=100", []int64{3, 2, 1}, "", nil, 200},
		{"limit 0", "retailer1", "?limit=0", nil, "", map[string]string{"limit": "want 1 to 100"}, 422},
		{"limit over the most", "retailer1", "?limit=101", nil, "", map[string]string{"limit": "want 1 to 100"}, 422},
		{"limit not a number", "retailer1", "?limit=ten", nil, "", map[string]string{"limit": "want 1 to 100"}, 422},
		{"before not an id", "retailer1", "?before=0&limit=-1", nil, "",
			map[string]string{"before": "want an order id", "limit": "want 1 to 100"}, 422},
		{"another retailer's outlet", "retailer2", "", nil, "", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, req{as: tt.as, method: http.MethodGet, path: "/outlets/1/orders" + tt.query})
			switch tt.status {
			case 422:
				if b := wantProblem(t, rec, 422, "invalid-fields"); !reflect.DeepEqual(fieldsOf(b), tt.fields) {
					t.Errorf("errors %v; want %v", fieldsOf(b), tt.fields)
				}
				return
			case 404:
				wantProblem(t, rec, 404, "not-found")
				return
			}
			if rec.Code != http.StatusOK {
				t.Fatalf("GET = %d %s; want 200", rec.Code, rec.Body)
			}
			var page struct {
				Orders []orderBody `json:"orders"`
				Next   string      `json:"next"`
			}
			decode(t, rec, &page)
			var ids []int64
			for _, o := range page.Orders {
				ids = append(ids, o.ID)
			}
			if !reflect.DeepEqual(ids, tt.ids) || page.Next != tt.next {
				t.Errorf("page %v, next %q; want %v, %q", ids, page.Next, tt.ids, tt.next)
			}
		})
	}
	rec := s.do(t, req{as: "retailer1", method: http.MethodGet, path: "/outlets/1/orders/4"})
	wantProblem(t, rec, http.StatusNotFound, "not-found") // outlet 2's order, asked of outlet 1
	rec = s.do(t, req{as: "retailer1", method: http.MethodGet, path: "/outlets/1/orders/2"})
	var o orderBody
	if decode(t, rec, &o); rec.Code != http.StatusOK || o.ID != 2 || o.OutletID != 1 {
		t.Errorf("GET order 2 = %d %+v; want 200, order 2 of outlet 1", rec.Code, o)
	}
}

func TestManagerOrdersAsItself(t *testing.T) {
	store := newStore()
	s := newServer(t, store, nil, nil)
	rec := s.do(t, req{as: "manager", method: http.MethodPost, path: "/outlets/1/orders",
		body: `{"lines": [{"brand": "A", "quantity": 2}]}`, key: "k-behalf"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST as the outlet's manager = %d %s; want 201", rec.Code, rec.Body)
	}
	if want := principals["manager"].UserID; store.gotUser != want {
		t.Errorf("PlaceOrder's user %d; want the manager's, %d", store.gotUser, want)
	}
}

// A new product is new in the cycles of the 4 weeks after its launch (as its notices); one launched
// earlier is an ordinary line, its launch day still given.
func TestCatalogueNewInTheCycle(t *testing.T) {
	store := newStore() // the cycle of 2026-11-23
	store.lines = []ordering.CatalogueLine{
		{Brand: ordering.Brand{Code: "R", Name: "Recent", PacksPerCarton: 10, NewProduct: true,
			LaunchDate: time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)}, OnSale: true},
		{Brand: ordering.Brand{Code: "O", Name: "Old", PacksPerCarton: 10, NewProduct: true,
			LaunchDate: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}, OnSale: true},
		{Brand: ordering.Brand{Code: "A", Name: "Alpha", PacksPerCarton: 10}, OnSale: true},
	}
	s := newServer(t, store, fakeDemand{}, nil)
	rec := s.do(t, req{as: "retailer1", method: http.MethodGet, path: "/outlets/1/catalogue"})
	var res struct {
		Lines []struct {
			Brand  string `json:"brand"`
			New    bool   `json:"new_product"`
			Launch string `json:"launch_date"`
		} `json:"lines"`
	}
	decode(t, rec, &res)
	want := map[string]string{"R": "true 2026-11-04", "O": "false 2026-06-01", "A": "false "}
	for _, l := range res.Lines {
		if got := fmt.Sprintf("%v %s", l.New, l.Launch); got != want[l.Brand] {
			t.Errorf("line %s: new_product, launch_date = %s; want %s", l.Brand, got, want[l.Brand])
		}
	}
}
