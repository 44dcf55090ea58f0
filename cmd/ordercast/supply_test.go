package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/xuri/excelize/v2"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/ordering/supplyapi"
)

// The contract client validates responses by their media type: an Excel export is a file.
func init() { openapi3filter.RegisterBodyDecoder(supplyapi.XLSXType, openapi3filter.FileBodyDecoder) }

// pgQuery runs one query on the PostgreSQL of dsn and returns its rows as strings.
func pgQuery(t testing.TB, dsn, sql string, args ...any) [][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := stores.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// manufacturerBrands returns the brand codes of manufacturer1's manufacturer and of the others.
func manufacturerBrands(t testing.TB, pg string) (own, foreign []string) {
	t.Helper()
	for _, r := range pgQuery(t, pg, `SELECT b.code, b.manufacturer_id = u.manufacturer_id FROM brands b
		CROSS JOIN users u WHERE u.username = 'manufacturer1' ORDER BY b.code`) {
		if r[1] == "true" {
			own = append(own, r[0])
		} else {
			foreign = append(foreign, r[0])
		}
	}
	if len(own) == 0 || len(foreign) == 0 {
		t.Fatalf("seeded brands: %v of manufacturer1, %v of others; want some of each", own, foreign)
	}
	return own, foreign
}

// foreignBytes returns the other manufacturers' brand codes that raw names ("B003" quoted).
func foreignBytes(raw string, foreign []string) []string {
	var found []string
	for _, f := range foreign {
		if strings.Contains(raw, `"`+f+`"`) {
			found = append(found, f)
		}
	}
	return found
}

func weekList(b map[string]any) []map[string]any {
	var out []map[string]any
	for _, w := range b["weeks"].([]any) {
		out = append(out, w.(map[string]any))
	}
	return out
}

// Warehouse stock as movements, arrival plans, limits, warnings and the balance, through the API; a
// manufacturer reads and writes only its own brands.
func TestSupplyAPI(t *testing.T) {
	s, pg, _ := recentSeededServer(t) // the portal's sales are of weeks counted back from today
	emptyWarehouse(t, pg)
	anon := apiClient{t: t, base: s.url}
	planner, logistics, maker := anon.login("planner", demoPassword), anon.login("logistics", demoPassword), anon.login("manufacturer1", demoPassword)
	r1 := anon.login("retailer1", demoPassword)
	own, foreign := manufacturerBrands(t, pg)
	brand := own[0]
	today := time.Now().UTC()
	day := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }

	// Arrival plans: the manufacturer's own brands only, all or none.
	code, _, raw, _ := maker.post("/api/v1/arrival-plans", "plan-foreign", fmt.Sprintf(`{"cadence":"ten_days","lines":[{"brand":%q,"arrives_on":%q,"cartons":40},{"brand":%q,"arrives_on":%q,"cartons":9}]}`,
		brand, day(21), foreign[0], day(21)))
	if code != 422 || !strings.Contains(raw, `"field":"lines[1].brand"`) || len(foreignBytes(raw, foreign)) > 0 {
		t.Errorf("manufacturer planning another's brand = %d %s; want 422 on lines[1].brand, no foreign brand named", code, raw)
	}
	if n := pgQuery(t, pg, `SELECT count(*) FROM arrival_plans`); n[0][0] != "0" {
		t.Errorf("after a refused submission %s arrival plans; want none", n[0][0])
	}
	code, _, raw, _ = maker.post("/api/v1/arrival-plans", "plan", fmt.Sprintf(`{"cadence":"ten_days","lines":[{"brand":%q,"arrives_on":%q,"cartons":40}]}`, brand, day(21)))
	if code != http.StatusCreated {
		t.Fatalf("manufacturer's arrival plan = %d %s; want 201", code, raw)
	}
	code, _, raw, _ = planner.post("/api/v1/arrival-plans", "plan-foreign-planner", fmt.Sprintf(`{"lines":[{"brand":%q,"arrives_on":%q,"cartons":7}]}`, foreign[0], day(3)))
	if code != http.StatusCreated {
		t.Fatalf("planner's arrival plan = %d %s; want 201", code, raw)
	}
	code, _, raw, _ = planner.post("/api/v1/arrival-plans", "plan-past", fmt.Sprintf(`{"lines":[{"brand":%q,"arrives_on":%q,"cartons":7}]}`, brand, day(-3)))
	if code != 422 || !strings.Contains(raw, `"field":"lines[0].arrives_on"`) {
		t.Errorf("an arrival in the past = %d %s; want 422 on lines[0].arrives_on", code, raw)
	}
	_, plans, raw := maker.do("GET", "/api/v1/arrival-plans", "")
	if ps := plans["plans"].([]any); len(ps) != 1 || len(foreignBytes(raw, foreign)) > 0 {
		t.Errorf("manufacturer's arrival plans = %s; want its one plan only", raw)
	}
	_, plans, _ = planner.do("GET", "/api/v1/arrival-plans?brand="+brand, "")
	planID := jsonNumber(plans["plans"].([]any)[0].(map[string]any)["id"])

	// Movements: an arrival against the plan, an adjustment needs a reason.
	code, mv, raw, _ := logistics.post("/api/v1/warehouse/movements", "arrive", fmt.Sprintf(`{"brand":%q,"kind":"arrival","cartons":25,"arrival_plan":%s}`, brand, planID))
	if code != http.StatusCreated || mv["cartons"] != 25.0 {
		t.Fatalf("arrival = %d %s; want 201", code, raw)
	}
	code, _, raw, _ = planner.post("/api/v1/warehouse/movements", "adjust-bare", fmt.Sprintf(`{"brand":%q,"kind":"adjustment","cartons":-5}`, brand))
	if code != 422 || !strings.Contains(raw, `"field":"reason"`) {
		t.Errorf("an adjustment without a reason = %d %s; want 422 on reason", code, raw)
	}
	if code, _, raw, _ = planner.post("/api/v1/warehouse/movements", "adjust", fmt.Sprintf(`{"brand":%q,"kind":"adjustment","cartons":-24,"reason":"stock count"}`, brand)); code != http.StatusCreated {
		t.Fatalf("adjustment = %d %s", code, raw)
	}
	if code, _, raw, _ = maker.post("/api/v1/warehouse/movements", "maker-move", fmt.Sprintf(`{"brand":%q,"kind":"arrival","cartons":5}`, brand)); code != http.StatusForbidden {
		t.Errorf("a manufacturer recording a movement = %d %s; want 403", code, raw)
	}
	_, stock, raw := maker.do("GET", "/api/v1/warehouse/stock?brand="+brand, "")
	if st := stock["stock"].([]any); len(st) != 1 || st[0].(map[string]any)["cartons"] != 1.0 {
		t.Errorf("stock of %s = %s; want 1 carton (25 arrived, 24 adjusted away)", brand, raw)
	}
	_, moves, raw := maker.do("GET", "/api/v1/warehouse/stock/"+brand+"/movements", "")
	if ms := moves["movements"].([]any); len(ms) != 2 || ms[0].(map[string]any)["reason"] != "stock count" {
		t.Errorf("movements of %s = %s; want the adjustment, then the arrival", brand, raw)
	}
	if code, _, raw := maker.do("GET", "/api/v1/warehouse/stock/"+foreign[0]+"/movements", ""); code != 404 || len(foreignBytes(raw, foreign)) > 0 {
		t.Errorf("manufacturer reading another's movements = %d %s; want 404 naming nothing", code, raw)
	}

	// Limits: proposed, then set by the planner.
	if code, _, raw := planner.do("GET", "/api/v1/warehouse/limit-proposals?brand="+brand, ""); code != http.StatusOK || !strings.Contains(raw, `"proposed"`) {
		t.Errorf("limit proposals = %d %s", code, raw)
	}
	if code, _, raw := planner.do("PUT", "/api/v1/warehouse/stock/"+brand+"/limits", `{"lower":10,"upper":5}`); code != 422 || !strings.Contains(raw, `"field":"upper"`) {
		t.Errorf("limits upper below lower = %d %s; want 422 on upper", code, raw)
	}
	if code, lim, raw := planner.do("PUT", "/api/v1/warehouse/stock/"+brand+"/limits", `{"lower":5,"upper":30}`); code != http.StatusOK || lim["limits"].(map[string]any)["upper"] != 30.0 {
		t.Errorf("setting limits = %d %s", code, raw)
	}

	// An order of the brand in the retailer's cycle: the balance falls short in that week.
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	outlet := jsonNumber(me["outlet"].(map[string]any)["id"])
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+outlet+"/catalogue", "")
	cycle := cat["cycle"].(string)
	if code, _, raw, _ := r1.post("/api/v1/outlets/"+outlet+"/orders", "order", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":3}]}`, brand)); code != http.StatusCreated {
		t.Fatalf("order = %d %s", code, raw)
	}
	code, bal, raw := planner.do("GET", "/api/v1/balance?brand="+brand+"&weeks=4", "")
	if code != http.StatusOK {
		t.Fatalf("balance = %d %s", code, raw)
	}
	b := bal["brands"].([]any)[0].(map[string]any)
	p, _ := b["scarce_proposal"].(map[string]any)
	if b["stock"] != 1.0 || p == nil || p["cycle"] != cycle || p["supply"] != 1.0 || p["shortfall"] != 2.0 {
		t.Fatalf("balance of %s = %s; want stock 1 and a shortfall of 2 in the cycle of %s with 1 carton to allocate", brand, raw, cycle)
	}
	if name, _ := b["name"].(string); name == "" {
		t.Errorf("balance of %s = %s; want the brand's name", brand, raw)
	}
	if _, stock, raw := planner.do("GET", "/api/v1/warehouse/stock?brand="+brand, ""); stock["stock"].([]any)[0].(map[string]any)["name"] != b["name"] {
		t.Errorf("stock of %s = %s; want the brand's name, %v", brand, raw, b["name"])
	}
	arrivals := 0.0
	for _, w := range weekList(b) {
		arrivals += w["arrivals"].(float64)
	}
	if arrivals != 15 {
		t.Errorf("planned arrivals in the balance = %v; want the 15 cartons of the plan still to come", arrivals)
	}
	_, warn, raw := planner.do("GET", "/api/v1/warehouse/warnings?weeks=4", "")
	if !strings.Contains(raw, `"`+brand+`"`) || !strings.Contains(raw, `"shortfall"`) {
		t.Errorf("warnings = %s; want %s short", raw, brand)
	}
	_ = warn

	// The manufacturer sees its own brands' balance, warnings and stock, and nothing of the others'.
	for _, path := range []string{"/api/v1/balance?weeks=3", "/api/v1/warehouse/warnings", "/api/v1/warehouse/stock", "/api/v1/arrival-plans",
		"/api/v1/portal/sales?by=format&weeks=20", "/api/v1/portal/sales?weeks=20"} {
		code, _, raw := maker.do("GET", path, "")
		if code != http.StatusOK || !strings.Contains(raw, `"`+brand+`"`) || len(foreignBytes(raw, foreign)) > 0 {
			t.Errorf("manufacturer GET %s = %d, foreign brands %v; want 200, its own brand, no other", path, code, foreignBytes(raw, foreign))
		}
	}

	// The planner's one step from the shortfall to the allocation preview.
	code, prev, raw, _ := planner.post("/api/v1/balance/"+brand+"/allocation", "from-balance", `{"weeks":4}`)
	if code != http.StatusOK {
		t.Fatalf("allocation from the balance = %d %s", code, raw)
	}
	if a := prev["allocation"].(map[string]any); a["supply"] != 1.0 || a["allocated"] != 1.0 || a["cycle"] != cycle {
		t.Errorf("allocation preview = %s; want 1 carton allocated in the cycle of %s", raw, cycle)
	}
	if code, _, raw, _ := planner.post("/api/v1/balance/"+foreign[0]+"/allocation", "no-shortfall", `{"weeks":2}`); code != http.StatusConflict || !strings.Contains(raw, "no-shortfall") {
		t.Errorf("allocation without a shortfall = %d %s; want 409 no-shortfall", code, raw)
	}
}

// The brand evaluation of a seeded month, ranked, as JSON, CSV and Excel; a manufacturer's of its own
// brands only.
func TestBrandEvaluations(t *testing.T) {
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	planner, maker := anon.login("planner", demoPassword), anon.login("manufacturer1", demoPassword)
	own, foreign := manufacturerBrands(t, pg)
	const path = "/api/v1/brand-evaluations?month=2026-10"
	code, ev, raw := planner.do("GET", path, "")
	if code != http.StatusOK {
		t.Fatalf("evaluations = %d %s", code, raw)
	}
	brands := ev["brands"].([]any)
	if len(brands) != len(own)+len(foreign) {
		t.Fatalf("evaluations of %d brands; want %d", len(brands), len(own)+len(foreign))
	}
	for i, b := range brands {
		b := b.(map[string]any)
		if b["rank"] != float64(i+1) || b["sales"].(float64) <= 0 || b["listing_rate"].(float64) <= 0 || b["listing_rate"].(float64) > 1 {
			t.Errorf("evaluation %d = %v; want rank %d, sales, a listing rate in (0, 1]", i, b, i+1)
		}
		if i > 0 && b["score"].(float64) > brands[i-1].(map[string]any)["score"].(float64) {
			t.Errorf("evaluation %d scores %v above the one before it", i, b["score"])
		}
	}
	code, _, raw, h := planner.doWith("GET", path+"&format=csv", "", nil)
	lines := strings.Split(strings.TrimSpace(raw), "\n")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || len(lines) != len(brands)+1 ||
		!strings.HasPrefix(lines[0], "rank,brand,name,manufacturer,stage,sales,growth") {
		t.Errorf("CSV export = %d %q %q; want a header and %d rows", code, h.Get("Content-Type"), raw, len(brands))
	}
	code, _, raw, h = planner.doWith("GET", path+"&format=xlsx", "", nil)
	if code != http.StatusOK || h.Get("Content-Type") != supplyapi.XLSXType {
		t.Fatalf("Excel export = %d %q", code, h.Get("Content-Type"))
	}
	book, err := excelize.OpenReader(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("Excel export does not open: %v", err)
	}
	rows, err := book.GetRows("Brands")
	if err != nil || len(rows) != len(brands)+1 || rows[0][1] != "brand" || rows[1][1] != brands[0].(map[string]any)["brand"] {
		t.Errorf("Excel rows = %v, %v; want the header and the ranking", rows, err)
	}
	code, mine, raw := maker.do("GET", path, "")
	if code != http.StatusOK || len(mine["brands"].([]any)) != len(own) || len(foreignBytes(raw, foreign)) > 0 {
		t.Errorf("manufacturer's evaluations = %d %s; want its %d brands only", code, raw, len(own))
	}
	if code, _, raw := planner.do("GET", "/api/v1/brand-evaluations?month=2026-13", ""); code != 422 || !strings.Contains(raw, `"field":"month"`) {
		t.Errorf("month 2026-13 = %d %s; want 422 on month", code, raw)
	}
}

// ordercast import arrivals: all or nothing, errors naming line and column; ordercast balance.
func TestImportArrivalsAndBalanceCommands(t *testing.T) {
	_, pg, ch := seededServerDSNs(t)
	emptyWarehouse(t, pg)
	own, _ := manufacturerBrands(t, pg)
	dir := t.TempDir()
	next := time.Now().UTC().AddDate(0, 0, 7).Format(time.DateOnly)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.csv", fmt.Sprintf("brand,arrives_on,cartons\n%s,%s,12\n%s,%s,twelve\nNOPE,%s,3\n", own[0], next, own[0], next, next))
	_, _, err := run("import", "arrivals", "-pg-dsn", pg, "-ch-dsn", ch, "-csv", bad)
	if err == nil || !strings.Contains(err.Error(), `bad.csv:3: column "cartons": "twelve" is not a whole number of cartons`) {
		t.Errorf("import of a bad line = %v; want the line and column named", err)
	}
	unknown := write("unknown.csv", fmt.Sprintf("brand,arrives_on,cartons\n%s,%s,12\nNOPE,%s,3\n", own[0], next, next))
	_, _, err = run("import", "arrivals", "-pg-dsn", pg, "-ch-dsn", ch, "-csv", unknown)
	if err == nil || !strings.Contains(err.Error(), `unknown.csv:3: column "brand": "NOPE": no such brand`) {
		t.Errorf("import of an unknown brand = %v; want its line and column named", err)
	}
	if n := pgQuery(t, pg, `SELECT count(*) FROM arrival_plans`); n[0][0] != "0" {
		t.Fatalf("after refused imports %s arrival plans; want none", n[0][0])
	}
	good := write("good.csv", fmt.Sprintf("brand,arrives_on,cartons,cadence\n%s,%s,12,weekly\n", own[0], next))
	for range 2 { // the same file twice: the same plans
		if out, stderr, err := run("import", "arrivals", "-pg-dsn", pg, "-ch-dsn", ch, "-csv", good); err != nil || !strings.Contains(out, "imported 1 planned arrivals") {
			t.Fatalf("import = %v %q %q", err, out, stderr)
		}
	}
	if n := pgQuery(t, pg, `SELECT count(*), sum(cartons) FROM arrival_plans`); n[0][0] != "1" || n[0][1] != "12" {
		t.Errorf("after importing twice: %v plans; want 1 of 12 cartons", n)
	}

	out, _, err := run("balance", "-pg-dsn", pg, "-ch-dsn", ch, "-brand", own[0], "-weeks", "3", "-json")
	if err != nil || !strings.Contains(out, `"arrivals":12`) || !strings.Contains(out, `"brand":"`+own[0]+`"`) {
		t.Errorf("balance -json = %v %s; want %s with the 12 cartons arriving", err, out, own[0])
	}
	out, _, err = run("balance", "-pg-dsn", pg, "-ch-dsn", ch, "-weeks", "2")
	if err != nil || !regexp.MustCompile(own[0]+` \S+: stock 0 cartons`).MatchString(out) || !strings.Contains(out, "projected") {
		t.Errorf("balance = %v %s; want every brand's table, named", err, out)
	}
	if _, stderr, err := run("balance", "-pg-dsn", pg, "-ch-dsn", ch, "-brand", "NOPE"); err != ErrUsage || !strings.Contains(stderr, `-brand: "NOPE": no such brand`) {
		t.Errorf("balance of an unknown brand = %v %q; want a usage error naming it", err, stderr)
	}
	if _, stderr, err := run("balance", "-timezone", "Mars/Olympus"); err != ErrUsage || !strings.Contains(stderr, `-timezone "Mars/Olympus"`) {
		t.Errorf("balance -timezone Mars/Olympus = %v (%s); want a usage error naming -timezone", err, stderr)
	}
	if _, stderr, err := run("balance", "-weeks", "0"); err != ErrUsage || !strings.Contains(stderr, "-weeks") {
		t.Errorf("balance -weeks 0 = %v %q; want a usage error", err, stderr)
	}
}

// emptyWarehouse deletes the warehouse the seed leaves (stock and its movements, arrival plans, stock
// limits), for a test that follows supply from nothing.
func emptyWarehouse(t *testing.T, pgDSN string) {
	t.Helper()
	if _, err := storestest.OpenPostgres(t, pgDSN).Exec(context.Background(),
		`TRUNCATE stock_movements, warehouse_stock, arrival_plans, arrival_plan_imports, stock_limits`); err != nil {
		t.Fatalf("empty the warehouse: %v", err)
	}
}
