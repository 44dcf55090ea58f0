package main

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer/indicators"
)

// TestBulletinOfToday seeds a small region at a fixed now, a Wednesday afternoon in the middle of a
// month, scores the last month the history covers whole, as make demo does, and reads the bulletin of
// that day: every indicator of the company and of manager1 has a value, and the values are not all 0
// or all 100%. The day's month is not scored (it has not ended), so the bulletin's forecast accuracy is
// the latest scored month's, named as such, while GET /indicators for the month stays without one.
func TestBulletinOfToday(t *testing.T) {
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	now := time.Date(2026, 11, 18, 6, 0, 0, 0, time.UTC) // 14:00 in Asia/Shanghai
	today := now.Format(time.DateOnly)
	cfg := seedConfig{storeConfig: storeConfig{PostgresDSN: pg, ClickHouseDSN: ch},
		Outlets: 400, Brands: 30, Weeks: 60, Seed: 5, WindowCloseHour: 18, TimeZone: "Asia/Shanghai"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := seed(ctx, cfg, now, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	checkWeekUnderWay(t, pg, ch, now)
	// As deploy/local/demo.sh: the history ends with 15 November, so October is the last month it
	// covers whole; a forecast made before it, scored against sales and against requested quantities,
	// which the bulletin reads.
	stores := []string{"-pg-dsn", pg, "-ch-dsn", ch}
	if _, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", "2026-09-28", "-horizon", "6"); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	companyScore := map[string]float64{}
	for _, against := range []string{"sales", "requested"} {
		out, stderr, err := run("score", "-ch-dsn", ch, "-month", "2026-10", "-against", against, "-json")
		var got scoresJSON
		if err != nil || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("score -against %s: %v\n%s", against, err, stderr)
		}
		for _, s := range got.Scores {
			if s.Level == "company" {
				companyScore[against] = float64(s.Accuracy)
			}
		}
	}
	if math.Abs(companyScore["sales"]-companyScore["requested"]) < 0.01 {
		t.Fatalf("October's company accuracy is %v; want the two bases apart, so that the bulletin's can tell", companyScore)
	}

	s := startServe(t, stores...)
	anon := apiClient{t: t, base: s.url}
	for _, user := range []string{"planner", "manager1"} {
		code, m, raw := anon.login(user, demoPassword).do("GET", "/api/v1/bulletin?date="+today, "")
		if code != http.StatusOK {
			t.Fatalf("GET /bulletin?date=%s as %s = %d %.300s", today, user, code, raw)
		}
		rows := map[string]map[string]any{"company": m["company"].(map[string]any)}
		if user == "manager1" {
			rows["manager1"] = m["figures"].(map[string]any)
		}
		for name, row := range rows {
			checkNonTrivial(t, user+": "+name, row)
			acc := valueOf(t, row, "forecast_accuracy")
			month, _ := acc["period"].(map[string]any)
			if note, _ := acc["note"].(string); month["kind"] != "month" || month["start"] != "2026-10-01" || !strings.Contains(note, "2026-10") {
				t.Errorf("%s: %s's forecast accuracy is over %v with note %v; want October 2026's, named by the note",
					user, name, month, acc["note"])
			}
			if x, _ := acc["value"].(float64); name == "company" && (acc["basis"] != "requested" || math.Abs(x-companyScore["requested"]) > 1e-9) {
				t.Errorf("%s: the company's forecast accuracy is %v against %v; want %v, October's against requested quantities (against sales: %v)",
					user, acc["value"], acc["basis"], companyScore["requested"], companyScore["sales"])
			}
			// The company's outlets order on every weekday; a manager's routes on one or two of them, and
			// on the others its figure is over the cycle to the day.
			v := valueOf(t, row, "order_success_rate")
			period := v["period"].(map[string]any)
			day := period["kind"] == "day" && period["start"] == today && v["note"] == nil
			cycle := period["kind"] == "week" && period["start"] == "2026-11-12" && period["end"] == "2026-11-19" && v["note"] != nil
			if !day && !(cycle && name != "company") {
				t.Errorf("%s: %s's order success is over %v (note %v); want the day %s, or for a manager the cycle to it",
					user, name, period, v["note"], today)
			}
		}
	}

	// GET /indicators answers for the month asked: November is not scored.
	code, m, raw := anon.login("planner", demoPassword).do("GET", "/api/v1/indicators?period=month&date="+today+"&level=company", "")
	if code != http.StatusOK {
		t.Fatalf("GET /indicators?period=month = %d %.300s", code, raw)
	}
	if v := valueOf(t, rowsOf(t, m)[0], "forecast_accuracy"); v["value"] != nil || v["note"] != nil {
		t.Errorf("GET /indicators?period=month&date=%s: forecast accuracy %v, note %v; want no data for November", today, v["value"], v["note"])
	}

	// The command line shows the same day.
	out, stderr, err := run(append([]string{"bulletin", "-date", today, "-level", "company", "-json"}, stores...)...)
	var rep struct {
		Company map[string]any `json:"company"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Company == nil {
		t.Fatalf("bulletin -json = %v %s\n%.300s", err, stderr, out)
	}
	checkNonTrivial(t, "ordercast bulletin", rep.Company)
	out, stderr, err = run(append([]string{"bulletin", "-date", today, "-level", "company"}, stores...)...)
	if err != nil || !strings.Contains(out, "2026-10") || !strings.Contains(out, "\n[1] the latest scored month, 2026-10") ||
		!strings.Contains(out, "\nforecast_accuracy is measured against requested quantities") {
		t.Errorf("bulletin = %v %s\n%s; want October's forecast accuracy marked with its note, and its basis", err, stderr, out)
	}
}

// checkNonTrivial checks that every indicator of a bulletin row has a value, and that the rates are
// not all 0 or all 100%: some lie strictly between.
func checkNonTrivial(t *testing.T, name string, row map[string]any) {
	t.Helper()
	between, ratios := 0, 0
	for _, spec := range indicators.Specs {
		v := valueOf(t, row, string(spec.Indicator))
		x, ok := v["value"].(float64)
		if !ok {
			t.Errorf("%s: %s has no value: %v", name, spec.Indicator, v["no_data"])
			continue
		}
		if spec.Unit == "ratio" {
			ratios++
			if x > 0 && x < 1 {
				between++
			}
		}
		if spec.Unit != "ratio" && x <= 0 {
			t.Errorf("%s: %s = %v; want above 0", name, spec.Indicator, x)
		}
	}
	if between*2 < ratios {
		t.Errorf("%s: %d of %d rates strictly between 0 and 100%%; want most", name, between, ratios)
	}
}
