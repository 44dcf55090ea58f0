package httpapi

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/grading"
)

// fuzzPrincipals is every role, as the X-Test-As header names it.
var fuzzPrincipals = map[string]retailer.Principal{
	"retailer":     {UserID: 1, Username: "r1", Role: retailer.RoleRetailer, OutletID: 1},
	"manager":      {UserID: 2, Username: "m1", Role: retailer.RoleManager, ManagerID: 5},
	"other":        {UserID: 3, Username: "m2", Role: retailer.RoleManager, ManagerID: 6},
	"planner":      {UserID: 4, Username: "p", Role: retailer.RolePlanner},
	"admin":        {UserID: 5, Username: "a", Role: retailer.RoleAdmin},
	"logistics":    {UserID: 6, Username: "l", Role: retailer.RoleLogistics},
	"manufacturer": {UserID: 7, Username: "f", Role: retailer.RoleManufacturer, ManufacturerID: 2},
}

var fuzzRoles = []string{"retailer", "manager", "other", "planner", "admin", "logistics", "manufacturer"}

// fuzzStores is every store the retailer routes read and write, in memory: outlet 1 (licence L1) of
// manager 5, which uploads scans and has a satisfaction score.
type fuzzStores struct{ fakeWork }

func (fuzzStores) Overviews(_ context.Context, p retailer.Principal, q retailer.OverviewQuery) ([]retailer.Overview, error) {
	pr, err := workOutlets{}.Outlet(context.Background(), p, 1)
	if err != nil {
		return nil, nil
	}
	return []retailer.Overview{{Profile: pr, LastOrder: &retailer.LastOrder{ID: 3, Week: workNow.Truncate(24 * time.Hour), Status: "placed"}}}, nil
}

func (fuzzStores) Uploads(_ context.Context, outlets []string, since time.Time) (map[string]retailer.Upload, error) {
	return map[string]retailer.Upload{"L1": {Last: since.Add(time.Hour), Batches: 2, Accepted: 10, Rejected: 1}}, nil
}

func (fuzzStores) ScanBatches(_ context.Context, outlet string, limit int) ([]retailer.ScanBatchSummary, error) {
	return []retailer.ScanBatchSummary{{BatchID: "b1", ReceivedAt: workNow, Accepted: 10, Rejected: 1}}, nil
}

func (fuzzStores) PutSatisfaction(_ context.Context, p retailer.Principal, id int64, month time.Time, score float64,
	comment string, now time.Time) (retailer.SatisfactionScore, bool, error) {
	if _, err := (workOutlets{}).Outlet(context.Background(), p, id); err != nil {
		return retailer.SatisfactionScore{}, false, err
	}
	return retailer.SatisfactionScore{OutletID: id, Licence: "L1", Month: month, Score: score, Comment: comment,
		RecordedBy: p.Username, RecordedAt: now}, true, nil
}

func (fuzzStores) Satisfaction(_ context.Context, p retailer.Principal, f retailer.SatisfactionFilter) ([]retailer.SatisfactionScore, error) {
	return []retailer.SatisfactionScore{{OutletID: 1, Licence: "L1", Month: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Score: 87.5}}, nil
}

func (fuzzStores) GradeInputs(context.Context) ([]grading.Outlet, error) {
	return []grading.Outlet{
		{ID: 1, Licence: "L1", Grade: 12, Status: retailer.Active, AmountCents: 120_000, Cartons: 12},
		{ID: 2, Licence: "L2", Grade: 3, Status: retailer.Active, AmountCents: 9_000_000, Cartons: 300},
		{ID: 3, Licence: "L3", Grade: 20, Status: retailer.Suspended},
	}, nil
}

func (fuzzStores) Purchases(_ context.Context, from, to time.Time) (map[string]retailer.Purchase, error) {
	return map[string]retailer.Purchase{"L1": {AmountCents: 120_000, Cartons: 12}, "L2": {AmountCents: 9_000_000, Cartons: 300}}, nil
}

func (fuzzStores) PublishGrades(_ context.Context, results []grading.Result, _ time.Time, _ string) (int, error) {
	return len(results), nil
}

func (fuzzStores) OutletGrade(ctx context.Context, p retailer.Principal, id int64) (grading.Record, error) {
	if _, err := (workOutlets{}).Outlet(ctx, p, id); err != nil {
		return grading.Record{}, err
	}
	return grading.Record{OutletID: 1, Licence: "L1", Grade: 12, RuleVersion: "w13-a0.7-s2", Explanation: "rank 3 of 40"}, nil
}

func (fuzzStores) RecentSellOut(context.Context, string, string, time.Time, time.Time) (map[string]float64, error) {
	return map[string]float64{"B0001": 4}, nil
}

func (fuzzStores) WriteScanBatch(_ context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error) {
	return retailer.ScanOutcome{BatchID: b.ID, Accepted: len(b.Rows) - len(b.Rejects), Rejects: b.Rejects}, nil
}

func (s fuzzStores) WriteFirstScanBatch(ctx context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error) {
	return s.WriteScanBatch(ctx, b)
}

func (fuzzStores) ClaimScanBatch(context.Context, string, string, string, time.Duration) (bool, bool, *retailer.ScanOutcome, error) {
	return true, true, nil, nil
}

func (fuzzStores) FinishScanBatch(context.Context, string, retailer.ScanOutcome) error { return nil }

func (fuzzStores) ReleaseScanBatch(context.Context, string, string, string) error { return nil }

func (fuzzStores) KnownBrands(_ context.Context, codes []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, c := range codes {
		out[c] = strings.HasPrefix(c, "B")
	}
	return out, nil
}

// serverBinder answers bodies as the server's binder does (cmd/ordercast/bind.go): strict JSON, a
// body it cannot decode a 4xx. testBinder hands the decoder's error on as it is, a 500.
type serverBinder struct{}

func (serverBinder) Bind(v any, c echo.Context) error {
	if err := decodeStrictReader(c.Request().Body, v); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return &echo.HTTPError{Code: http.StatusBadRequest, Message: "malformed JSON: " + err.Error(), Internal: err}
	}
	return nil
}

// newFuzzServer is every retailer route but logging in, behind a stand-in for authentication that
// takes the principal named by X-Test-As, with the server's strict binder and problem renderer.
func newFuzzServer(t *testing.T) *echo.Echo {
	t.Helper()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	stores := &fuzzStores{}
	pass := func(next echo.HandlerFunc) echo.HandlerFunc { return next } // idempotency is ordering's, fuzzed there
	h := New(nil, workOutlets{}, func() time.Time { return workNow })
	h.WithManagerWork(stores, fakeSales{}, pass, shanghai, latestCycle(shanghai))
	h.WithOverviews(stores, stores)
	h.WithSatisfaction(stores)
	h.WithGrades(&grading.Grader{Outlets: stores, Purchases: stores, Store: stores}, stores, pass)
	if err := h.WithScans(stores, stores, stores, prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Binder = serverBinder{}
	e.HTTPErrorHandler = problem.NewRenderer(h.Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	authed := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := fuzzPrincipals[c.Request().Header.Get("X-Test-As")]
			c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	})
	h.Register(e.Group("/api/v1"), authed)
	return e
}

// checkAnswer fails t on a 5xx, and on a refusal that is not a problem.
func checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: %d %s", what, rec.Code, rec.Body)
	}
	if rec.Code >= 400 && rec.Code != http.StatusMethodNotAllowed {
		if ct := rec.Header().Get(echo.HeaderContentType); ct != problem.MediaType {
			t.Fatalf("%s: %d with Content-Type %q; want a problem", what, rec.Code, ct)
		}
	}
}

// requestable reports whether an HTTP client can send path (a path parameter in it: not empty, no
// slash) and query in a request line: no control characters or spaces (a client escapes them), no
// malformed percent escape.
func requestable(param, query string) bool {
	if param == "" || strings.ContainsAny(param, "/?") ||
		strings.IndexFunc(param+query, func(r rune) bool { return r < 0x21 || r == 0x7f || r == '#' }) >= 0 {
		return false
	}
	_, err := url.ParseRequestURI("/api/v1/x/" + param + query)
	return err == nil
}

// FuzzRetailerRequests sends any body, path parameters and query to every retailer route but logging
// in (FuzzLogin), as every role, against in-memory stores and the real grader: never a panic, never a
// 5xx, every 4xx a problem. Run for longer with:
// go test -run '^$' -fuzz '^FuzzRetailerRequests$' -fuzztime 60s -parallel 1 ./retailer/httpapi/
func FuzzRetailerRequests(f *testing.F) {
	f.Add(uint8(0), uint8(0), "1", "", "", "")
	f.Add(uint8(1), uint8(1), "1", "", "?status=active&limit=2&after=0&licence=L1", "")
	f.Add(uint8(1), uint8(3), "1", "", "?status=%00&limit=-1&after=x", "")
	f.Add(uint8(2), uint8(1), "1", "", "?limit=201", "")
	f.Add(uint8(3), uint8(0), "1", "", "", `{"batch_id":"b1","rows":[{"brand":"B0001","kind":"sellout","qty":2,"at":"2026-11-18T10:00:00+08:00"},{"brand":"B0001","kind":"stock","qty":4,"at":"2026-11-18T10:00:00+08:00"}]}`)
	f.Add(uint8(3), uint8(0), "1", "", "", `{"batch_id":"","rows":[{"brand":"X","kind":"stock","qty":1e308,"at":"0001-01-01T00:00:00Z"}]}`)
	f.Add(uint8(4), uint8(1), "1", "2026-10", "", `{"score":87.5,"comment":"tidy shelves"}`)
	f.Add(uint8(4), uint8(1), "1", "2026-13", "", `{"score":-0,"comment":"\u0000"}`)
	f.Add(uint8(5), uint8(3), "1", "", "?month=2026-10&outlet=L1&limit=5&after=1/2026-09", "")
	f.Add(uint8(6), uint8(3), "1", "", "?weeks=13&amount_weight=0.7&max_step=2&changed=true&limit=2&after=1", "")
	f.Add(uint8(6), uint8(3), "1", "", "?weeks=99999999999&amount_weight=NaN&max_step=-1", "")
	f.Add(uint8(7), uint8(4), "1", "", "?weeks=13&amount_weight=1e-300&max_step=40", `{}`)
	f.Add(uint8(8), uint8(0), "1", "", "", "")
	f.Add(uint8(9), uint8(1), "1", "", "", `{"visited_on":"2026-11-18","purpose":"stock check","notes":"ok","follow_up":{"on":"2026-11-25","action":"call"}}`)
	f.Add(uint8(10), uint8(1), "1", "", "?manager=AM1&from=2026-11-01&to=2026-11-30&limit=5&before=9", "")
	f.Add(uint8(11), uint8(3), "1", "", "?manager=AM1&from=2026-12-01&to=2026-11-01", "")
	f.Add(uint8(12), uint8(1), "1", "", "?weeks=8&manager=AM1", "")
	f.Add(uint8(13), uint8(3), "1", "", "", `{"benchmark":true}`)
	f.Add(uint8(14), uint8(3), "1", "", "", `{"manager":"AM2","order_day":"Funday","route":"R9","reason":"moved"}`)
	f.Add(uint8(15), uint8(3), "99999999999999999999", "", "?limit=0&before=-1", "")
	f.Add(uint8(16), uint8(6), "1", "", "", "")
	f.Add(uint8(17), uint8(5), "1", "", "", "")
	routes := []struct{ method, path string }{
		{"GET", "/outlets/{id}"}, {"GET", "/outlets"}, {"GET", "/outlets/{id}/scans"}, {"POST", "/outlets/{id}/scans"},
		{"PUT", "/outlets/{id}/satisfaction/{month}"}, {"GET", "/satisfaction"}, {"GET", "/grades"}, {"POST", "/grades"},
		{"GET", "/outlets/{id}/grade"}, {"POST", "/outlets/{id}/visits"}, {"GET", "/outlets/{id}/visits"}, {"GET", "/visits"},
		{"GET", "/benchmarks"}, {"PUT", "/outlets/{id}/benchmark"}, {"PATCH", "/outlets/{id}/assignment"},
		{"GET", "/outlets/{id}/changes"}, {"GET", "/me"}, {"DELETE", "/outlets/{id}"},
	}
	f.Fuzz(func(t *testing.T, route, as uint8, id, month, query, body string) {
		r := routes[int(route)%len(routes)]
		if query != "" && !strings.HasPrefix(query, "?") {
			query = "?" + query
		}
		if !strings.Contains(r.path, "{month}") {
			month = "m"
		}
		if !requestable(id, query) || !requestable(month, "") {
			t.Skip()
		}
		path := "/api/v1" + strings.NewReplacer("{id}", id, "{month}", month).Replace(r.path) + query
		who := fuzzRoles[int(as)%len(fuzzRoles)]
		rec := serveWork(newFuzzServer(t), who, r.method, strings.TrimPrefix(path, "/api/v1"), body)
		checkAnswer(t, r.method+" "+path+" as "+who+", body "+body, rec)
	})
}

// fuzzAccounts is the credentials, sessions and login budgets of one user, ann (a planner), in memory.
type fuzzAccounts struct {
	hash     string
	mu       sync.Mutex
	sessions map[string]bool // hex of the token hash
}

func (a *fuzzAccounts) Credentials(_ context.Context, username string) (retailer.Principal, string, error) {
	if !strings.EqualFold(username, "ann") {
		return retailer.Principal{}, "", retailer.ErrInvalidCredentials
	}
	return retailer.Principal{UserID: 4, Username: "ann", Role: retailer.RolePlanner}, a.hash, nil
}

func (a *fuzzAccounts) CreateSession(_ context.Context, _ int64, tokenHash []byte, _ time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions[hex.EncodeToString(tokenHash)] = true
	return nil
}

func (a *fuzzAccounts) SessionPrincipal(_ context.Context, tokenHash []byte, _ time.Time) (retailer.Principal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.sessions[hex.EncodeToString(tokenHash)] {
		return retailer.Principal{}, retailer.ErrUnauthenticated
	}
	return retailer.Principal{UserID: 4, Username: "ann", Role: retailer.RolePlanner}, nil
}

func (a *fuzzAccounts) RevokeSession(_ context.Context, tokenHash []byte, _ time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, hex.EncodeToString(tokenHash))
	return nil
}

func (a *fuzzAccounts) Admit(context.Context, time.Time, time.Duration, []retailer.Limit) (time.Time, error) {
	return time.Time{}, nil
}

func (a *fuzzAccounts) Forget(context.Context, time.Time, []string) error { return nil }

// FuzzLogin sends any body to POST /sessions, then any Authorization header to GET /me and DELETE
// /sessions/current ("$token" in it replaced by the session's token, if one was opened) through the
// real Sessions and Authenticate (over in-memory stores): never a
// panic, never a 5xx, every 4xx a problem. Each login hashes a password (argon2id), so it runs far
// fewer times a second than the other targets. Run for longer with:
// go test -run '^$' -fuzz '^FuzzLogin$' -fuzztime 60s -parallel 1 ./retailer/httpapi/
func FuzzLogin(f *testing.F) {
	const password = "ordercast-demo"
	hash, err := retailer.HashPassword(password)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"username":"ann","password":"ordercast-demo"}`, "Bearer $token")
	f.Add(`{"username":"ann","password":"ordercast-demo"}`, "bEaReR \t$token\t")
	f.Add(`{"username":" ANN ","password":"wrong"}`, "Bearer x")
	f.Add(`{"username":"","password":""}`, "Basic YW5uOm9yZGVyY2FzdC1kZW1v")
	f.Add(`{"username":"ann","password":"ordercast-demo","extra":1}`, "bearer   ")
	f.Add(`{"username":"\u0000ann","password":null}`, "Bearer \x01")
	f.Add(`[`, "Bearer "+strings.Repeat("A", 300))
	f.Fuzz(func(t *testing.T, body, authorization string) {
		if strings.IndexFunc(authorization, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) >= 0 {
			t.Skip() // no HTTP client sends a control character in a header
		}
		accounts := &fuzzAccounts{hash: hash, sessions: map[string]bool{}}
		policy := retailer.DefaultLoginPolicy()
		sessions, err := retailer.NewSessions(accounts, accounts, accounts, policy)
		if err != nil {
			t.Fatal(err)
		}
		h := New(sessions, workOutlets{}, func() time.Time { return workNow })
		e := echo.New()
		e.Binder = serverBinder{}
		e.HTTPErrorHandler = problem.NewRenderer(h.Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
		h.Register(e.Group("/api/v1"), e.Group("/api/v1", h.Authenticate()))

		req := httptest.NewRequest(http.MethodPost, "/api/v1/sessions", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		checkAnswer(t, "POST /sessions "+body, rec)
		var opened struct{ Token string }
		if rec.Code == http.StatusCreated {
			if err := json.Unmarshal(rec.Body.Bytes(), &opened); err != nil || opened.Token == "" {
				t.Fatalf("POST /sessions %s: 201 %s without a token", body, rec.Body)
			}
		}
		authorization = strings.ReplaceAll(authorization, "$token", opened.Token)
		for _, method := range []string{http.MethodGet, http.MethodDelete} {
			target := map[string]string{http.MethodGet: "/api/v1/me", http.MethodDelete: "/api/v1/sessions/current"}[method]
			req := httptest.NewRequest(method, target, nil)
			req.Header.Set("Authorization", authorization)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			checkAnswer(t, method+" "+target+" with Authorization "+authorization, rec)
		}
	})
}
