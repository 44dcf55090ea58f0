package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer/indicators"
)

func rowsOf(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	list, _ := m["rows"].([]any)
	out := []map[string]any{}
	for _, r := range list {
		out = append(out, r.(map[string]any))
	}
	return out
}

// valueOf returns a row's value of an indicator.
func valueOf(t *testing.T, row map[string]any, indicator string) map[string]any {
	t.Helper()
	for _, v := range row["values"].([]any) {
		if v := v.(map[string]any); v["indicator"] == indicator {
			return v
		}
	}
	t.Fatalf("row %v has no %s", row["key"], indicator)
	return nil
}

func sheetRows(t *testing.T, raw string, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader([]byte(raw)))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %q: %v (sheets %v)", sheet, err, f.GetSheetList())
	}
	return rows
}

func TestIndicatorsAPI(t *testing.T) {
	s, pg, ch := seededServerDSNs(t)
	// ordercast seed creates the outlets now, with two years of history behind them; the indicators
	// count an outlet from the day it was created, so date them back to the start of the history.
	if _, err := storestest.OpenPostgres(t, pg).Exec(context.Background(), `UPDATE outlets SET created_at = '2024-11-01'`); err != nil {
		t.Fatal(err)
	}
	anon := apiClient{t: t, base: s.url}
	manager, planner := anon.login("manager1", demoPassword), anon.login("planner", demoPassword)

	code, m, raw := manager.do("GET", "/api/v1/indicators?period=month&date=2026-11-16&level=manager", "")
	rows := rowsOf(t, m)
	if code != http.StatusOK || len(rows) != 1 || m["company"] == nil {
		t.Fatalf("GET /indicators?level=manager as manager1 = %d %.300s; want its own row and the company's", code, raw)
	}
	own := rows[0]["key"].(string)
	if v := valueOf(t, rows[0], "scarce_coverage"); v["value"] == nil || v["rank"] == nil {
		t.Errorf("manager1's scarce-brand coverage has no value or no rank among its peers: %v", v)
	}
	code, m, raw = manager.do("GET", "/api/v1/indicators?period=week&date=2026-11-16&level=outlet", "")
	if code != http.StatusOK || len(rowsOf(t, m)) == 0 {
		t.Fatalf("GET /indicators?level=outlet as manager1 = %d %.300s", code, raw)
	}
	for _, r := range rowsOf(t, m) {
		if r["manager"] != own {
			t.Errorf("manager1 (%s) sees outlet %v of manager %v", own, r["key"], r["manager"])
		}
	}
	if code, _, raw := manager.do("GET", "/api/v1/indicators?level=area", ""); code != http.StatusForbidden {
		t.Errorf("GET /indicators?level=area as a manager = %d %s; want 403", code, raw)
	}
	if code, m, raw := manager.do("GET", "/api/v1/indicators?level=company&date=2026-11-16", ""); code != http.StatusOK || len(rowsOf(t, m)) != 1 {
		t.Errorf("GET /indicators?level=company as a manager = %d %.300s; want the company's row", code, raw)
	}
	code, m, raw = planner.do("GET", "/api/v1/indicators?level=area&period=week&date=2026-11-16&ordered=false&bogus=1", "")
	if fields := fmt.Sprint(m["errors"]); code != http.StatusBadRequest || !strings.Contains(fields, "field:ordered") || !strings.Contains(fields, "field:bogus") {
		t.Errorf("GET /indicators with unknown parameters = %d %s; want 400 naming ordered and bogus", code, raw)
	}
	code, m, raw = planner.do("GET", "/api/v1/indicators?level=area&period=week&date=2026-11-16", "")
	if code != http.StatusOK || len(rowsOf(t, m)) == 0 {
		t.Errorf("GET /indicators?level=area as a planner = %d %.300s", code, raw)
	}
	code, _, raw, h := planner.doWith("GET", "/api/v1/indicators?level=manager&period=month&date=2026-11-16&format=csv", "", nil)
	if code != http.StatusOK || h.Get("Content-Type") != "text/csv" || !strings.HasPrefix(raw, "level,key,name,indicator") {
		t.Errorf("GET /indicators?format=csv = %d %s %.200s", code, h.Get("Content-Type"), raw)
	}
	code, _, raw, _ = planner.doWith("GET", "/api/v1/indicators?level=manager&period=month&date=2026-11-16", "",
		map[string]string{"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
	if code != http.StatusOK || len(sheetRows(t, raw, "indicators")) < 2 {
		t.Errorf("GET /indicators as an Excel workbook = %d", code)
	}
	if code, _, raw := planner.badRequest().do("GET", "/api/v1/indicators?period=year", ""); code != http.StatusUnprocessableEntity {
		t.Errorf("GET /indicators?period=year = %d %s; want 422", code, raw)
	}

	// Targets: planners set them, every figure shows the one that applies. The seed set the company's
	// (seedTargets); a company target replaces the seeded one, a manager's is added.
	seeded := len(seedTargets())
	body := `{"targets":[{"indicator":"order_success_rate","scope":"company","value":0.9},` +
		`{"indicator":"upload_rate","scope":"manager","key":"` + own + `","value":0.8}]}`
	if code, m, raw := planner.do("PUT", "/api/v1/indicators/targets", body); code != http.StatusOK || len(m["targets"].([]any)) != seeded+1 {
		t.Fatalf("PUT /indicators/targets = %d %s", code, raw)
	}
	if code, _, raw := manager.do("PUT", "/api/v1/indicators/targets", body); code != http.StatusForbidden {
		t.Errorf("PUT /indicators/targets as a manager = %d %s; want 403", code, raw)
	}
	code, _, raw = planner.do("PUT", "/api/v1/indicators/targets", `{"targets":[{"indicator":"upload_rate","scope":"company","value":2}]}`)
	if code != http.StatusUnprocessableEntity || !strings.Contains(raw, "targets[0]") {
		t.Errorf("PUT a target of 2 for a rate = %d %s; want 422 naming targets[0]", code, raw)
	}
	_, m, _ = manager.do("GET", "/api/v1/indicators?period=month&date=2026-11-16&level=manager", "")
	row := rowsOf(t, m)[0]
	if v := valueOf(t, row, "order_success_rate"); v["target"] != 0.9 {
		t.Errorf("manager1's order success target = %v; want the company's 0.9", v["target"])
	}
	if v := valueOf(t, row, "upload_rate"); v["target"] != 0.8 || (v["value"] != nil && v["gap"] == nil) {
		t.Errorf("manager1's upload target, gap = %v, %v; want its own 0.8 and the gap", v["target"], v["gap"])
	}
	if code, m, raw := manager.do("GET", "/api/v1/indicators/targets", ""); code != http.StatusOK || len(m["targets"].([]any)) != seeded+1 {
		t.Errorf("GET /indicators/targets as manager1 = %d %s; want the company's and its own", code, raw)
	}
	body = `{"targets":[{"indicator":"upload_rate","scope":"manager","key":"` + own + `","value":null}]}`
	if code, m, raw := planner.do("PUT", "/api/v1/indicators/targets", body); code != http.StatusOK || len(m["targets"].([]any)) != seeded {
		t.Errorf("PUT a null target (remove) = %d %s; want the company's %d left", code, raw, seeded)
	}

	// The bulletin: a manager's day, a planner's company view, lists paged, filtered and exported.
	code, m, raw = manager.do("GET", "/api/v1/bulletin?date=2026-11-20", "")
	if code != http.StatusOK || m["manager"] != own || m["figures"].(map[string]any)["key"] != own || len(m["lists"].(map[string]any)) != 4 {
		t.Fatalf("GET /bulletin as manager1 = %d %.400s", code, raw)
	}
	if code, _, raw := manager.do("GET", "/api/v1/bulletin?date=2026-11-20&manager=someone-else", ""); code != http.StatusForbidden {
		t.Errorf("GET /bulletin of another manager as manager1 = %d %s; want 403", code, raw)
	}
	code, m, raw = planner.do("GET", "/api/v1/bulletin?date=2026-11-20&filter=not_uploading&limit=2", "")
	lists, _ := m["lists"].(map[string]any)
	if code != http.StatusOK || len(m["managers"].([]any)) == 0 || len(lists) != 1 {
		t.Fatalf("GET /bulletin?filter=not_uploading as a planner = %d %.400s", code, raw)
	}
	gaps := lists["not_uploading"].(map[string]any)
	if n := len(gaps["items"].([]any)); n > 2 || (gaps["total"].(float64) > 2 && gaps["next_offset"] == nil) {
		t.Errorf("a page of 2 upload gaps = %d items, total %v, next %v", n, gaps["total"], gaps["next_offset"])
	}
	code, _, raw, h = planner.doWith("GET", "/api/v1/bulletin?date=2026-11-20&filter=not_uploading&format=csv", "", nil)
	if code != http.StatusOK || !strings.HasPrefix(raw, "outlet,name,manager,last_upload\n") ||
		strings.Count(raw, "\n") != int(gaps["total"].(float64))+1 {
		t.Errorf("GET /bulletin?filter=not_uploading&format=csv = %d %q; want a header and %v lines", code, raw, gaps["total"])
	}
	if ct, cd := h.Get("Content-Type"), h.Get("Content-Disposition"); ct != "text/csv" || !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".csv") {
		t.Errorf("the CSV's Content-Type, Content-Disposition = %q, %q; want text/csv, an attachment named .csv", ct, cd)
	}
	code, _, raw, _ = planner.doWith("GET", "/api/v1/bulletin?date=2026-11-20&format=xlsx", "", nil)
	if code != http.StatusOK || len(sheetRows(t, raw, "figures")) < 2 || len(sheetRows(t, raw, "not_ordered")) < 1 {
		t.Errorf("GET /bulletin?format=xlsx = %d", code)
	}
	if code, _, raw := planner.do("GET", "/api/v1/bulletin?date=2026-11-20&ordered=false", ""); code != http.StatusBadRequest || !strings.Contains(raw, "ordered") {
		t.Errorf("GET /bulletin?ordered=false = %d %s; want 400 naming it", code, raw)
	}

	// The command line prints the same figures.
	out, stderr, err := run("bulletin", "-pg-dsn", pg, "-ch-dsn", ch, "-date", "2026-11-20")
	if err != nil || !strings.Contains(out, "order_success_rate") || !strings.Contains(out, own) || strings.Contains(out, "so far") {
		t.Errorf("bulletin = %v %s\n%s; want the figures of a past day, none so far", err, stderr, out)
	}
	out, stderr, err = run("bulletin", "-pg-dsn", pg, "-ch-dsn", ch, "-date", "2026-11-20", "-level", "area", "-json")
	var rep struct {
		Level string           `json:"level"`
		Rows  []map[string]any `json:"rows"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Level != "area" || len(rep.Rows) == 0 {
		t.Errorf("bulletin -level area -json = %v %s\n%.300s", err, stderr, out)
	}
	if _, stderr, err := run("bulletin", "-pg-dsn", pg, "-ch-dsn", ch, "-date", "20-11-2026", "-level", "shop", "-timezone", "Mars/Olympus"); !errors.Is(err, ErrUsage) ||
		!strings.Contains(stderr, "-date") || !strings.Contains(stderr, "-level") || !strings.Contains(stderr, "-timezone") {
		t.Errorf("bulletin with a bad date, level and time zone = %v %s; want a usage error naming all three", err, stderr)
	}
}

// The bulletin's table marks a period that holds the region's today "so far": its figure is not
// final. A past day, and the month before, are printed as they are.
func TestPrintBulletinMarksPeriodsUnderWay(t *testing.T) {
	day, _ := indicators.PeriodOf(indicators.Day, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	week, _ := indicators.PeriodOf(indicators.Week, day.Start)
	month, _ := indicators.PeriodOf(indicators.Month, day.Start.AddDate(0, -1, 0))
	x := 0.5
	rep := indicators.Report{Period: day, Level: indicators.AtCompany, Company: indicators.Row{Level: indicators.AtCompany,
		Values: []indicators.Value{{Indicator: indicators.OrderSuccess, Period: day, Value: &x},
			{Indicator: indicators.ScarceCoverage, Period: week, Value: &x},
			{Indicator: indicators.ForecastAccuracy, Period: month, Value: &x}}}}
	shanghai := time.FixedZone("CST", 8*3600)
	for _, tt := range []struct {
		today            time.Time
		day, week, month bool // which lines say "so far"
	}{
		{time.Date(2026, 12, 7, 5, 0, 0, 0, shanghai), true, true, false},
		{time.Date(2026, 12, 8, 9, 0, 0, 0, shanghai), false, true, false},
		{time.Date(2026, 12, 14, 9, 0, 0, 0, shanghai), false, false, false},
	} {
		var b strings.Builder
		printBulletin(&b, rep, tt.today)
		seen := 0
		for _, line := range strings.Split(b.String(), "\n") {
			for ind, want := range map[indicators.Indicator]bool{indicators.OrderSuccess: tt.day,
				indicators.ScarceCoverage: tt.week, indicators.ForecastAccuracy: tt.month} {
				if !strings.Contains(line, " "+string(ind)+" ") {
					continue
				}
				seen++
				if strings.Contains(line, "so far") != want {
					t.Errorf("bulletin printed on %s: %q; want so far: %v", tt.today, line, want)
				}
			}
		}
		if seen != 3 {
			t.Errorf("bulletin printed on %s has %d lines of the three figures; want 3\n%s", tt.today, seen, b.String())
		}
	}
}

// The managers' forecast accuracy indicator and brand evaluation read the scores against one basis,
// one that `ordercast score` stores.
func TestAccuracyBasisAgrees(t *testing.T) {
	for name, basis := range map[string]string{"ordering.AccuracyBasis": ordering.AccuracyBasis,
		"forecast.AgainstRequested": string(forecast.AgainstRequested)} {
		if basis != indicators.AccuracyBasis {
			t.Errorf("%s is %q, indicators.AccuracyBasis %q; want them the same", name, basis, indicators.AccuracyBasis)
		}
	}
}
