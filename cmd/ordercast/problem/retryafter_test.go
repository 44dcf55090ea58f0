package problem

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

var errBusy = errors.New("test: busy")

type later struct{ after time.Duration }

func (l later) Error() string             { return "test: busy for a while" }
func (l later) Unwrap() error             { return errBusy }
func (l later) RetryAfter() time.Duration { return l.after }

func TestHandlerSendsRetryAfter(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = NewRenderer(Table{{Err: errBusy, Status: http.StatusServiceUnavailable, Type: "busy", Detail: "busy"}}).
		Handler(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"whole seconds", fmt.Errorf("login: %w", later{3 * time.Second}), "3"},
		{"rounded up", later{1500 * time.Millisecond}, "2"},
		{"none when zero", later{0}, ""},
		{"none without the method", errBusy, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fmt.Sprintf("/%d", i)
			e.GET(path, func(echo.Context) error { return tt.err })
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if got := rec.Header().Get("Retry-After"); rec.Code != http.StatusServiceUnavailable || got != tt.want {
				t.Errorf("GET for %v = %d, Retry-After %q; want 503, %q", tt.err, rec.Code, got, tt.want)
			}
		})
	}
}
