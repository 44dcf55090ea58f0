package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/retailer"
	"github.com/ordercast/ordercast/retailer/indicators/httpapi"
)

// A bulletin asked for without a date is today's in the clock's time zone: at 07:30 on a Monday in
// Shanghai it is Monday's, although it is still Sunday in UTC.
func TestBulletinDefaultsToTheClocksCalendarDay(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	sundayUTC := time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"a Monday morning in Shanghai", sundayUTC.In(shanghai), "2026-12-07"},
		{"the same instant in UTC", sundayUTC, "2026-12-06"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := httpapi.New(&fuzzService{}, fuzzScope{}, func() time.Time { return tt.now })
			e := echo.New()
			e.HTTPErrorHandler = problem.NewRenderer(h.Problems()).Handler(slog.New(slog.NewTextHandler(io.Discard, nil)))
			planner := fuzzPrincipals[2]
			authed := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					c.SetRequest(c.Request().WithContext(retailer.WithPrincipal(c.Request().Context(), planner)))
					return next(c)
				}
			})
			h.Register(e.Group("/api/v1"), authed)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/bulletin", nil))
			var got struct {
				Date string `json:"date"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil {
				t.Fatalf("GET /bulletin = %d %s (%v)", rec.Code, rec.Body, err)
			}
			if got.Date != tt.want {
				t.Errorf("GET /bulletin at %s: the bulletin of %s; want %s", tt.now.Format(time.RFC3339), got.Date, tt.want)
			}
		})
	}
}
