package problem

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

var (
	errGone    = errors.New("test: gone")
	errClosed  = errors.New("test: closed")
	errUnknown = errors.New("test: a database said something internal")
)

type why struct{ err error }

func (w why) Error() string  { return w.err.Error() + ": at 18:00" }
func (w why) Unwrap() error  { return w.err }
func (w why) Detail() string { return "it closed at 18:00" }

var table = Table{
	{Err: errGone, Status: http.StatusNotFound, Type: "gone-away", Detail: "no such thing"},
	{Err: errClosed, Status: http.StatusConflict, Type: "closed", Detail: "it is closed"},
}

func TestRendererOf(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantDetail string
		wantFields []Field
		wantKnown  bool
	}{
		{"mapped, wrapped", fmt.Errorf("read: %w", errGone), 404, "/problems/gone-away", "no such thing", nil, true},
		{"detail of the occurrence", fmt.Errorf("place: %w", why{errClosed}), 409, "/problems/closed", "it closed at 18:00", nil, true},
		{"invalid fields, sorted", Invalid(map[string]string{"b": "bad", "a": "worse"}), 422, "/problems/invalid-fields",
			"the request has invalid fields", []Field{{"a", "worse"}, {"b", "bad"}}, true},
		{"unknown: a 500 that says nothing", fmt.Errorf("query: %w", errUnknown), 500, "/problems/internal", "", nil, false},
		{"echo's 404", echo.ErrNotFound, 404, "/problems/not-found", "Not Found", nil, true},
		{"body over the limit", fmt.Errorf("bind: %w", &http.MaxBytesError{Limit: 10}), 413, "/problems/body-too-large",
			"request body over 10 bytes", nil, true},
	}
	r := NewRenderer(table)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, known := r.Of(tt.err)
			if b.Status != tt.wantStatus || b.Type != tt.wantType || b.Detail != tt.wantDetail || known != tt.wantKnown {
				t.Errorf("Of(%v) = %d %s %q known=%v; want %d %s %q known=%v", tt.err, b.Status, b.Type, b.Detail, known,
					tt.wantStatus, tt.wantType, tt.wantDetail, tt.wantKnown)
			}
			if fmt.Sprint(b.Errors) != fmt.Sprint(tt.wantFields) {
				t.Errorf("Of(%v).Errors = %v; want %v", tt.err, b.Errors, tt.wantFields)
			}
			if b.Title != http.StatusText(tt.wantStatus) {
				t.Errorf("Of(%v).Title = %q; want %q", tt.err, b.Title, http.StatusText(tt.wantStatus))
			}
		})
	}
}

func TestHandlerWritesProblemAndLogsFailures(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	e := echo.New()
	e.HTTPErrorHandler = NewRenderer(table).Handler(log)
	e.GET("/gone", func(echo.Context) error { return errGone })
	e.GET("/broken", func(echo.Context) error { return fmt.Errorf("query: %w", errUnknown) })
	e.GET("/late", func(c echo.Context) error {
		if err := c.String(http.StatusOK, "sent"); err != nil {
			return err
		}
		return errors.New("test: failed after the response")
	})

	for _, tt := range []struct {
		path       string
		wantStatus int
		wantBody   string
		notInBody  string
	}{
		{"/gone", 404, `"type":"/problems/gone-away"`, ""},
		{"/broken", 500, `"type":"/problems/internal"`, "database"},
		{"/late", 200, "sent", ""},
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		body := rec.Body.String()
		if rec.Code != tt.wantStatus || !strings.Contains(body, tt.wantBody) ||
			(tt.notInBody != "" && strings.Contains(body, tt.notInBody)) {
			t.Errorf("GET %s = %d %s; want %d with %s", tt.path, rec.Code, body, tt.wantStatus, tt.wantBody)
		}
		if tt.wantStatus >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != MediaType {
				t.Errorf("GET %s Content-Type = %q; want %q", tt.path, ct, MediaType)
			}
			var b Body
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Status != tt.wantStatus {
				t.Errorf("GET %s body = %s (%v); want a problem with status %d", tt.path, body, err, tt.wantStatus)
			}
		}
	}
	for _, want := range []string{"request failed", "a database said something internal", "error after the response was sent", "failed after the response"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "gone") {
		t.Errorf("log has a 404 as a failure:\n%s", logs.String())
	}
}

// The table of the adapter whose route failed is searched before the others.
func TestScopedTableWins(t *testing.T) {
	other := Table{{Err: errGone, Status: http.StatusNotFound, Type: "no-such-cycle", Detail: "no such cycle"}}
	e := echo.New()
	e.HTTPErrorHandler = NewRenderer(table, other).Handler(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	fail := func(echo.Context) error { return errGone }
	e.GET("/first", fail, Scope(table))
	e.GET("/second", fail, Scope(other))
	e.GET("/unscoped", fail)
	for path, want := range map[string]string{"/first": "/problems/gone-away", "/second": "/problems/no-such-cycle", "/unscoped": "/problems/gone-away"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var b Body
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil || b.Type != want {
			t.Errorf("GET %s = %s; want type %s", path, rec.Body, want)
		}
	}
}

// A mapping's RetryAfter is sent as the Retry-After header in whole seconds, rounded up; a mapping
// without one sends none.
func TestRetryAfterHeader(t *testing.T) {
	errBusy := errors.New("test: store unavailable")
	errSlow := errors.New("test: store slow")
	retry := Table{
		{Err: errBusy, Status: http.StatusServiceUnavailable, Type: "unavailable", Detail: "try again", RetryAfter: 5 * time.Second},
		{Err: errSlow, Status: http.StatusServiceUnavailable, Type: "unavailable", Detail: "try again", RetryAfter: 1500 * time.Millisecond},
	}
	e := echo.New()
	var logs bytes.Buffer
	e.HTTPErrorHandler = NewRenderer(table, retry).Handler(slog.New(slog.NewTextHandler(&logs, nil)))
	e.GET("/busy", func(echo.Context) error { return fmt.Errorf("write: %w", errBusy) })
	e.GET("/slow", func(echo.Context) error { return errSlow })
	e.GET("/gone", func(echo.Context) error { return errGone })
	for _, tt := range []struct {
		path       string
		wantStatus int
		wantRetry  string
	}{
		{"/busy", 503, "5"},
		{"/slow", 503, "2"},
		{"/gone", 404, ""},
	} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if got := rec.Header().Get("Retry-After"); rec.Code != tt.wantStatus || got != tt.wantRetry {
			t.Errorf("GET %s = %d Retry-After %q; want %d Retry-After %q", tt.path, rec.Code, got, tt.wantStatus, tt.wantRetry)
		}
		if !strings.Contains(rec.Body.String(), `"status":`+fmt.Sprint(tt.wantStatus)) || strings.Contains(rec.Body.String(), "RetryAfter") {
			t.Errorf("GET %s body = %s; want a problem without the retry field", tt.path, rec.Body.String())
		}
	}
	if strings.Contains(logs.String(), "request failed") || !strings.Contains(logs.String(), "request answered unavailable") {
		t.Errorf("a mapped 503 was logged as a failure, or not noted:\n%s", logs.String())
	}
}

// An error no table knows that says a store was lost answers 503 with Retry-After, not 500.
func TestStoreLostIsUnavailable(t *testing.T) {
	lost := errors.New("test: connection refused")
	r := NewRenderer(table).WhenStoreLost(func(err error) bool { return errors.Is(err, lost) })
	b, known := r.Of(fmt.Errorf("query: %w", lost))
	if !known || b.Status != http.StatusServiceUnavailable || b.Type != "/problems/unavailable" || b.RetryAfter != UnavailableRetry {
		t.Errorf("Of(lost store) = %d %s retry %v known=%v; want 503 unavailable with Retry-After %v", b.Status, b.Type, b.RetryAfter, known, UnavailableRetry)
	}
	if b, _ := r.Of(fmt.Errorf("query: %w", errUnknown)); b.Status != http.StatusInternalServerError {
		t.Errorf("Of(another error) = %d; want 500", b.Status)
	}
	if b, _ := r.Of(fmt.Errorf("query: %w: %w", errGone, lost)); b.Status != http.StatusNotFound {
		t.Errorf("Of(mapped error) = %d; want the table's 404 first", b.Status)
	}
}
