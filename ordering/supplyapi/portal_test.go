package supplyapi

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// The portal's weeks end with the week of the clock's calendar day: early on a Monday in Shanghai
// (still Sunday in UTC) that Monday's week is this week.
func TestWeeksBackEndWithTheClocksWeek(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	sundayUTC := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		query    string
		add      int // weeks after this one
		now      time.Time
		from, to string
	}{
		{"a Monday morning in Shanghai", "", 0, sundayUTC.In(shanghai), "2026-09-14", "2026-12-07"},
		{"the same instant in UTC", "", 0, sundayUTC, "2026-09-07", "2026-11-30"},
		{"two weeks, three ahead", "?weeks=2", 3, sundayUTC.In(shanghai), "2026-11-23", "2026-12-28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := echo.New().NewContext(httptest.NewRequest("GET", "/api/v1/portal/sales"+tt.query, nil), httptest.NewRecorder())
			from, to, err := weeksBack(c, 12, tt.add, tt.now)
			if err != nil || from.Format(time.DateOnly) != tt.from || to.Format(time.DateOnly) != tt.to {
				t.Errorf("weeksBack(%q, now %s) = %s … %s, %v; want %s … %s", tt.query, tt.now.Format(time.RFC3339),
					from.Format(time.DateOnly), to.Format(time.DateOnly), err, tt.from, tt.to)
			}
		})
	}
}
