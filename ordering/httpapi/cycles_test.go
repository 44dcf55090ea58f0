package httpapi

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

// cycleStore is a store with the open cycle of testWeek: one window, one brand's supply, and orders.
func cycleStore() *fakeStore {
	store := newStore()
	store.cycles[testWeek] = ordering.CycleView{Cycle: testCycle,
		Windows: []ordering.WindowState{{Window: testOpen, Closed: false}},
		Supply: []ordering.SupplyState{{SupplyLine: ordering.SupplyLine{Brand: "S", OnSale: true, SupplyCartons: new(40)},
			Limits: 4, LimitCartons: 10, UsedCartons: 6, Requested: 8, Granted: 6, Eligible: 4, Covered: 3}},
		Orders: map[ordering.OrderStatus]int{ordering.Submitted: 2, ordering.Paid: 1}}
	store.add(1, ordering.Submitted) // 1
	store.add(2, ordering.Paid)      // 2
	store.add(1, ordering.Cancelled) // 3
	return store
}

func TestCycleRoutes(t *testing.T) {
	const week = "/cycles/2026-11-23"
	const supply = `{"plan": [{"brand": "S", "supply_cartons": 30}]}`
	tests := []struct {
		name   string
		r      req
		status int
		typ    string            // of a problem
		fields map[string]string // of a 422
	}{
		{"view: planner", req{as: "planner", method: http.MethodGet, path: week}, 200, "", nil},
		{"view: logistics", req{as: "logistics", method: http.MethodGet, path: week}, 200, "", nil},
		{"view: retailer", req{as: "retailer1", method: http.MethodGet, path: week}, 403, "forbidden", nil},
		{"view: manager", req{as: "manager", method: http.MethodGet, path: week}, 403, "forbidden", nil},
		{"view: not a Monday", req{as: "planner", method: http.MethodGet, path: "/cycles/2026-11-24"}, 422, "invalid-fields",
			map[string]string{"week": ordering.ErrWeek.Error()}},
		{"view: not a date", req{as: "planner", method: http.MethodGet, path: "/cycles/week47"}, 422, "invalid-fields",
			map[string]string{"week": ordering.ErrWeek.Error()}},
		{"view: no such cycle", req{as: "planner", method: http.MethodGet, path: "/cycles/2026-11-30"}, 404, "not-found", nil},
		{"supply: planner", req{as: "planner", method: http.MethodPut, path: week + "/supply", body: supply}, 200, "", nil},
		{"supply: logistics", req{as: "logistics", method: http.MethodPut, path: week + "/supply", body: supply}, 403, "forbidden", nil},
		{"supply: retailer", req{as: "retailer1", method: http.MethodPut, path: week + "/supply", body: supply}, 403, "forbidden", nil},
		{"supply: bad week", req{as: "planner", method: http.MethodPut, path: "/cycles/2026-11-25/supply", body: supply}, 422, "invalid-fields",
			map[string]string{"week": ordering.ErrWeek.Error()}},
		{"supply: invalid plan", req{as: "planner", method: http.MethodPut, path: week + "/supply",
			body: `{"plan": [{"brand": "S", "supply_cartons": -1}]}`}, 422, "invalid-fields",
			map[string]string{"plan[0].supply_cartons": "want 0 to 10000000 whole cartons"}},
		{"supply: unknown brand", req{as: "planner", method: http.MethodPut, path: week + "/supply",
			body: `{"plan": [{"brand": "Q"}]}`}, 422, "invalid-fields", map[string]string{"brand": `"Q": no such brand`}},
		{"orders: retailer", req{as: "retailer1", method: http.MethodGet, path: week + "/orders"}, 403, "forbidden", nil},
		{"orders: manager", req{as: "manager", method: http.MethodGet, path: week + "/orders"}, 403, "forbidden", nil},
		{"orders: bad week", req{as: "planner", method: http.MethodGet, path: "/cycles/2026-13-01/orders"}, 422, "invalid-fields",
			map[string]string{"week": ordering.ErrWeek.Error()}},
		{"orders: bad status and limit", req{as: "planner", method: http.MethodGet, path: week + "/orders?status=lost&limit=0"}, 422, "invalid-fields",
			map[string]string{"status": "want submitted, confirmed, paid, delivered, cancelled or failed", "limit": "want 1 to 100"}},
		{"delivery: logistics", req{as: "logistics", method: http.MethodPost, path: "/orders/2/delivery",
			body: `{"lines": [{"brand": "A", "delivered": 0}]}`, key: "d1"}, 200, "", nil},
		{"delivery: no body", req{as: "admin", method: http.MethodPost, path: "/orders/2/delivery", key: "d2"}, 200, "", nil},
		{"delivery: planner", req{as: "planner", method: http.MethodPost, path: "/orders/2/delivery", key: "d3"}, 403, "forbidden", nil},
		{"delivery: retailer", req{as: "retailer2", method: http.MethodPost, path: "/orders/2/delivery", key: "d4"}, 403, "forbidden", nil},
		{"delivery: not paid", req{as: "logistics", method: http.MethodPost, path: "/orders/1/delivery", key: "d5"}, 409, "order-state-conflict", nil},
		{"delivery: no such order", req{as: "logistics", method: http.MethodPost, path: "/orders/99/delivery", key: "d6"}, 404, "not-found", nil},
		{"delivery: invalid lines", req{as: "logistics", method: http.MethodPost, path: "/orders/2/delivery",
			body: `{"lines": [{"brand": "A", "delivered": -1}, {"brand": "B", "delivered": 1}]}`, key: "d7"}, 422, "invalid-fields",
			map[string]string{"lines[0].delivered": "want 0 to 10000 whole cartons"}},
		{"delivery: more than granted", req{as: "logistics", method: http.MethodPost, path: "/orders/2/delivery",
			body: `{"lines": [{"brand": "A", "delivered": 2}, {"brand": "B", "delivered": 1}]}`, key: "d8"}, 422, "invalid-fields",
			map[string]string{"lines[0].delivered": "2 is more than the 1 cartons granted", "lines[1].brand": "B is not in the order"}},
		{"delivery: no key", req{as: "logistics", method: http.MethodPost, path: "/orders/2/delivery"}, 400, "idempotency-key-required", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := cycleStore()
			s := newServer(t, store, nil, nil)
			rec := s.do(t, tt.r)
			if tt.status >= 400 {
				b := wantProblem(t, rec, tt.status, tt.typ)
				if tt.fields != nil && !reflect.DeepEqual(fieldsOf(b), tt.fields) {
					t.Errorf("errors %v; want %v", fieldsOf(b), tt.fields)
				}
				if store.published != 0 || store.orders[2].Status != ordering.Paid {
					t.Errorf("a refused request changed the store: %d publications, order 2 %s", store.published, store.orders[2].Status)
				}
				return
			}
			if rec.Code != tt.status {
				t.Fatalf("%s %s = %d %s; want %d", tt.r.method, tt.r.path, rec.Code, rec.Body, tt.status)
			}
		})
	}
}

func TestCycleView(t *testing.T) {
	s := newServer(t, cycleStore(), nil, nil)
	rec := s.do(t, req{as: "planner", method: http.MethodGet, path: "/cycles/2026-11-23"})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET cycle = %d %s", rec.Code, rec.Body)
	}
	var v struct {
		Week    string `json:"week"`
		Status  string `json:"status"`
		Windows []struct {
			OrderDay string    `json:"order_day"`
			ClosesAt time.Time `json:"closes_at"`
			CutOff   bool      `json:"cut_off"`
		} `json:"windows"`
		Supply []struct {
			Brand       string   `json:"brand"`
			Supply      *int     `json:"supply_cartons"`
			PublishedAt *string  `json:"published_at"`
			FillRate    float64  `json:"fill_rate"`
			Coverage    float64  `json:"coverage"`
			Covered     int      `json:"covered_outlets"`
			Cap         *float64 `json:"per_outlet_cap"`
		} `json:"supply"`
		Orders map[string]int `json:"orders"`
	}
	decode(t, rec, &v)
	if v.Week != "2026-11-23" || v.Status != "open" || len(v.Windows) != 1 || v.Windows[0].OrderDay != "friday" ||
		!v.Windows[0].ClosesAt.Equal(testOpen.ClosesAt) || v.Windows[0].CutOff {
		t.Errorf("cycle %+v; want 2026-11-23, open, Friday's window open until %v", v, testOpen.ClosesAt)
	}
	if len(v.Supply) != 1 {
		t.Fatalf("supply %+v; want brand S", v.Supply)
	}
	if s := v.Supply[0]; s.Brand != "S" || s.Supply == nil || *s.Supply != 40 || s.PublishedAt != nil || s.FillRate != 0.75 ||
		s.Coverage != 0.75 || s.Covered != 3 || s.Cap != nil {
		t.Errorf("supply %+v; want S, 40 cartons, unpublished, fill rate and coverage 0.75", s)
	}
	if want := map[string]int{"submitted": 2, "paid": 1}; !reflect.DeepEqual(v.Orders, want) {
		t.Errorf("orders %v; want %v", v.Orders, want)
	}
}

func TestCycleOrdersPaging(t *testing.T) {
	store := cycleStore()
	s := newServer(t, store, nil, nil)
	tests := []struct {
		query string
		ids   []int64
		next  string
	}{
		{"?limit=2", []int64{1, 2}, "?status=&limit=2&after=2"},
		{"?limit=2&after=2", []int64{3}, ""},
		{"?status=paid", []int64{2}, ""},
	}
	for _, tt := range tests {
		rec := s.do(t, req{as: "logistics", method: http.MethodGet, path: "/cycles/2026-11-23/orders" + tt.query})
		var page struct {
			Orders []orderBody `json:"orders"`
			Next   string      `json:"next"`
		}
		if decode(t, rec, &page); rec.Code != http.StatusOK {
			t.Fatalf("GET orders%s = %d %s", tt.query, rec.Code, rec.Body)
		}
		var ids []int64
		for _, o := range page.Orders {
			ids = append(ids, o.ID)
		}
		if !reflect.DeepEqual(ids, tt.ids) || page.Next != tt.next {
			t.Errorf("GET orders%s = %v, next %q; want %v, %q", tt.query, ids, page.Next, tt.ids, tt.next)
		}
	}
}

func TestPublishSupplyClosedCycle(t *testing.T) {
	store := cycleStore()
	v := store.cycles[testWeek]
	v.Status = ordering.Closed
	store.cycles[testWeek] = v
	s := newServer(t, store, nil, nil)
	rec := s.do(t, req{as: "planner", method: http.MethodPut, path: "/cycles/2026-11-23/supply", body: `{"plan": [{"brand": "S"}]}`})
	if b := wantProblem(t, rec, http.StatusConflict, "order-state-conflict"); b.Detail != "the cycle is closed" || store.published != 0 {
		t.Errorf("detail %q, %d publications; want \"the cycle is closed\", none", b.Detail, store.published)
	}
}
