package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/forecast/httpapi"
	"github.com/ordercast/ordercast/retailer"
)

// server is h's routes under /api/v1 as the API serves them to p: behind a stand-in for
// authentication that puts p in the request's context, rendering errors with the server's renderer.
type server struct{ e *echo.Echo }

func newServer(h *httpapi.Handler, p retailer.Principal) *server {
	s := &server{e: echo.New()}
	s.e.HTTPErrorHandler = problem.NewRenderer(h.Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	authed := s.e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), p)))
			return next(c)
		}
	})
	h.Register(s.e.Group("/api/v1"), authed)
	return s
}

// counter is a pass-through stand-in for the API's Idempotency-Key middleware that counts the
// requests it sees.
type counter struct{ n int }

func (k *counter) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		k.n++
		return next(c)
	}
}

func (s *server) do(t *testing.T, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if body != "" {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

// checkProblem checks that rec is a problem of the status and type (as "/problems/no-scores") that
// names exactly the fields (none: nil).
func checkProblem(t *testing.T, req string, rec *httptest.ResponseRecorder, status int, typ string, fields []string) problem.Body {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("%s = %d %s; want %d", req, rec.Code, rec.Body, status)
	}
	if ct := rec.Header().Get(echo.HeaderContentType); ct != problem.MediaType {
		t.Errorf("%s Content-Type = %q; want %q", req, ct, problem.MediaType)
	}
	var b problem.Body
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Fatalf("%s: body %s: %v", req, rec.Body, err)
	}
	if b.Type != typ || b.Status != status {
		t.Errorf("%s = type %q status %d; want %q %d (body %s)", req, b.Type, b.Status, typ, status, rec.Body)
	}
	var got []string
	for _, f := range b.Errors {
		got = append(got, f.Field)
		if f.Detail == "" {
			t.Errorf("%s: field %q without a detail", req, f.Field)
		}
	}
	if !slices.Equal(got, fields) {
		t.Errorf("%s fields = %q; want %q (body %s)", req, got, fields, rec.Body)
	}
	return b
}

func decode[T any](t *testing.T, req string, rec *httptest.ResponseRecorder, status int) T {
	t.Helper()
	var v T
	if rec.Code != status {
		t.Fatalf("%s = %d %s; want %d", req, rec.Code, rec.Body, status)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("%s: body %s: %v", req, rec.Body, err)
	}
	return v
}

var (
	planner  = retailer.Principal{UserID: 42, Username: "plan", Role: retailer.RolePlanner}
	admin    = retailer.Principal{UserID: 1, Username: "root", Role: retailer.RoleAdmin}
	manager  = retailer.Principal{UserID: 7, Username: "mgr", Role: retailer.RoleManager, ManagerID: 3}
	retailr  = retailer.Principal{UserID: 9, Username: "shop", Role: retailer.RoleRetailer, OutletID: 5}
	producer = retailer.Principal{UserID: 11, Username: "maker", Role: retailer.RoleManufacturer, ManufacturerID: 2}
)

func TestUnknownRouteIsNotFound(t *testing.T) {
	s := newServer(httpapi.New(&fakeAllocator{}, pass), planner)
	rec := s.do(t, http.MethodGet, "/api/v1/scores?month=2026-02", "")
	checkProblem(t, "GET /scores without WithScores", rec, http.StatusNotFound, "/problems/not-found", nil)
}

func pass(next echo.HandlerFunc) echo.HandlerFunc { return next }
