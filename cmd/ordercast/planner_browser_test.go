package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A planner at a desk opens the cycle, previews an allocation of a scarce brand, confirms it (the
// confirmation names the limits it replaces) and publishes it; the affected retailer's page then
// shows the new limit and its explanation. The accuracy page of a scored month charts the weeks.
// Every planner page passes axe-core and is photographed at phone and desktop sizes.
func TestBrowserPlannerAllocates(t *testing.T) {
	s, _, chDSN := seededServerDSNs(t)
	anon := apiClient{t: t, base: s.url}
	r1, planner := anon.login("retailer1", demoPassword), anon.login("planner", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	licence := me["outlet"].(map[string]any)["licence"].(string)
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+jsonNumber(me["outlet"].(map[string]any)["id"])+"/catalogue", "")
	week := cat["cycle"].(string)
	var brand string
	names := map[string]string{}
	for _, x := range cat["lines"].([]any) {
		l := x.(map[string]any)
		names[l["brand"].(string)] = l["name"].(string)
		if l["scarce"] == true && brand == "" {
			brand = l["brand"].(string)
		}
	}
	if brand == "" {
		t.Fatalf("no scarce brand in the catalogue %v", cat["lines"])
	}
	// A limit in force before: the confirmation must name it as what the allocation replaces.
	supply := fmt.Sprintf(`{"plan":[{"brand":%q,"supply_cartons":50}],"limits":[{"outlet":%q,"brand":%q,"cartons":3,"explanation":"旧限量"}]}`,
		brand, licence, brand)
	if code, _, raw := planner.do("PUT", "/api/v1/cycles/"+week+"/supply", supply); code != http.StatusOK {
		t.Fatalf("PUT supply = %d %s", code, raw)
	}
	// A scored month for the accuracy page, and its weeks through the API.
	if _, stderr, err := run("forecast", "run", "-ch-dsn", chDSN, "-as-of", "2026-09-28", "-horizon", "6"); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	for _, against := range []string{"sales", "requested"} { // the API's default basis, the page's
		if _, stderr, err := run("score", "-month", "2026-10", "-against", against, "-ch-dsn", chDSN); err != nil {
			t.Fatalf("score -against %s: %v\n%s", against, err, stderr)
		}
	}
	code, weeks, raw := planner.do("GET", "/api/v1/scores/weeks?month=2026-10", "")
	ws, _ := weeks["weeks"].([]any)
	if code != http.StatusOK || len(ws) != 5 || ws[0].(map[string]any)["forecast"] == nil || ws[0].(map[string]any)["actual"] == 0.0 {
		t.Fatalf("GET /scores/weeks?month=2026-10 = %d %s; want the 5 weeks from 2026-09-28, forecast and sold", code, raw)
	}
	if code, _, raw := planner.do("GET", "/api/v1/scores/weeks?month=2026-10&brand="+brand, ""); code != http.StatusOK {
		t.Errorf("GET /scores/weeks of %s = %d %s", brand, code, raw)
	}

	// The planner logs in and lands on this week's cycle.
	ctx := browser(t) // after the setup: the browser's steps have a deadline of their own
	do(t, ctx, desktop(), chromedp.Navigate(s.url+"/planner"), chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "planner"),
		chromedp.SendKeys(chromedp.CSS(`#password`), demoPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#supply`)))
	if h1 := text(t, ctx, "h1"); !strings.HasPrefix(h1, "订货周期 ") {
		t.Errorf("planner's landing page heading = %q; want the cycle", h1)
	}
	photograph(t, ctx, "planner-cycle")

	// The allocation's cycle, with the limit in force before.
	do(t, ctx, chromedp.Navigate(s.url+"/planner/cycles/"+week), chromedp.WaitVisible(chromedp.CSS(`#supply`)))
	row := `#supply tr[data-brand="` + brand + `"]`
	if r := text(t, ctx, row); !strings.Contains(r, "50") {
		t.Errorf("supply row of %s = %q; want its supply of 50", brand, r)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#allocate`)), chromedp.WaitVisible(chromedp.CSS(`#alloc-form`)),
		chromedp.SendKeys(chromedp.CSS(`#brand`), brand),
		chromedp.SendKeys(chromedp.CSS(`#supply`), "60"),
		chromedp.SendKeys(chromedp.CSS(`#min_coverage`), "1"),
		chromedp.Click(chromedp.CSS(`#preview`)),
		chromedp.WaitVisible(chromedp.CSS(`#summary`)))
	if gini := text(t, ctx, "#gini"); !strings.HasPrefix(gini, "0.") {
		t.Errorf("fairness figure = %q", gini)
	}
	if allocated := text(t, ctx, "#allocated"); allocated != "60" {
		t.Errorf("allocated = %q; want the whole supply of 60", allocated)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#limits tr[data-outlet="`+licence+`"] td')).map(td => td.textContent)`))
	if err != nil || len(cells) != 5 {
		t.Fatalf("retailer1's row in the preview = %q, %v; want grade, demand, quota, limit, explanation", cells, err)
	}
	limit, explanation := cells[3], cells[4]
	if limit == "0" || explanation == "" {
		t.Fatalf("retailer1's limit in the preview = %s (%q); want a carton at least, with coverage 1", limit, explanation)
	}
	if want := "限量 " + limit + " 条：档位 "; !strings.HasPrefix(explanation, want) {
		t.Errorf("retailer1's explanation in the preview = %q; want it in Chinese, starting %q", explanation, want)
	}
	photograph(t, ctx, "planner-allocation-preview")

	do(t, ctx, chromedp.Click(chromedp.CSS(`#to-confirm`)), chromedp.WaitVisible(chromedp.CSS(`#confirm`)))
	if replaces := text(t, ctx, "#replaces"); !strings.Contains(replaces, "将替换当前的 1 户限量（合计 3 条）") {
		t.Errorf("confirmation = %q; want it to name the 1 limit of 3 cartons it replaces", replaces)
	}
	photograph(t, ctx, "planner-allocation-confirm")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#publish`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if notice := text(t, ctx, ".notice"); !strings.Contains(notice, brand) {
		t.Errorf("notice after publishing = %q; want it to name %s", notice, brand)
	}
	if row := text(t, ctx, `tr[data-brand="`+brand+`"] th`); !strings.Contains(row, brand) || !strings.Contains(row, names[brand]) {
		t.Errorf("the cycle page's row of %s is headed %q; want its code and its name %q", brand, row, names[brand])
	}
	_, cycle, _ := planner.do("GET", "/api/v1/cycles/"+week, "")
	for _, x := range cycle["supply"].([]any) {
		sp := x.(map[string]any)
		if sp["brand"] == brand && (sp["supply_cartons"] != 60.0 || sp["limit_cartons"] != 60.0) {
			t.Errorf("the cycle's plan of %s after publishing = %v; want 60 cartons, all in limits", brand, sp)
		}
		if code := sp["brand"].(string); names[code] == "" || sp["name"] != names[code] {
			t.Errorf("the cycle's plan of %s is named %v; want the catalogue's %q", code, sp["name"], names[code])
		}
	}

	// The accuracy report with its chart, of the latest month scored when none is named.
	do(t, ctx, chromedp.Navigate(s.url+"/planner/accuracy"), chromedp.WaitVisible(chromedp.CSS(`#chart[data-ready="true"]`)))
	if company := text(t, ctx, "#level-company tbody"); !strings.Contains(company, "%") {
		t.Errorf("company accuracy row = %q", company)
	}
	if h1 := text(t, ctx, "h1"); !strings.Contains(h1, "2026-10") {
		t.Errorf("the accuracy page without a month is headed %q; want 2026-10, the latest month scored", h1)
	}
	if basis := attr(t, ctx, `#against option[selected]`, "value"); basis != "requested" {
		t.Errorf("the accuracy page's basis is %q by default; want requested, the managers' indicator's", basis)
	}
	photograph(t, ctx, "planner-accuracy")

	// The retailer's page shows the new limit and its explanation.
	do(t, ctx, desktop(), chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "retailer1"),
		chromedp.SendKeys(chromedp.CSS(`#password`), demoPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#order`)), phone())
	line, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`li.line[data-brand="`+brand+`"]`)))
	if err != nil || !strings.Contains(line, "限量 "+limit+" 条") || !strings.Contains(line, explanation) {
		t.Errorf("retailer1's line of %s = %q (%v); want the new limit %s and %q", brand, line, err, limit, explanation)
	}
	// "Needs attention" states the limit once, then the explanation's reasons.
	_, reasons, _ := strings.Cut(explanation, "：")
	if msgs := text(t, ctx, ".messages"); !strings.Contains(msgs, "本周限量 "+limit+" 条："+reasons) || strings.Contains(msgs, "条：限量") {
		t.Errorf("retailer1's messages = %q; want the new limit once, with the reasons of %q", msgs, explanation)
	}
	do(t, ctx, screenshot("retailer-phone-new-limit"))
}

// photograph checks the page with axe-core and saves it at desktop and phone sizes, back at desktop.
func photograph(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	checkAxe(t, ctx, name)
	do(t, ctx, screenshot(name+"-desktop"), phone(), screenshot(name+"-phone"))
	checkAxe(t, ctx, name+" (phone)")
	do(t, ctx, desktop())
}
