package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// browserLogin logs in through the login page and waits for the page at next.
func browserLogin(t *testing.T, ctx context.Context, base, username, next, ready string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(base+"/login?next="+next),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), username),
		chromedp.SendKeys(chromedp.CSS(`#password`), demoPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(ready)),
	)
	waitLoaded(t, ctx, next)
}

// waitLoaded waits for the page to finish loading. A page is visible before it has finished loading;
// an action on a node of a document still loading can lose it ("No node with given id found").
func waitLoaded(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState`))
		if err == nil && state == "complete" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: document %q, %v", page, state, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logout leaves the session through the layout's button.
func logout(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`#username`)))
}

// media emulates a CSS media type ("print"; "" for the screen again).
func media(kind string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: kind})
		return err
	})
}

// brandCodes returns the brand codes (B0001 …) a page's HTML names.
func brandCodes(html string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range regexp.MustCompile(`\bB\d{4}\b`).FindAllString(html, -1) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// The upstream pages in a browser: a manufacturer submits an arrival plan on its portal and sees it,
// and no other manufacturer's brand; the planner opens the balance and follows the shortfall the
// arrival leaves to the allocation preview; logistics opens the day's round, records a delivery and
// a return of damaged goods. Every page passes axe-core and is photographed at phone and desktop size.
func TestBrowserSupplyPages(t *testing.T) {
	ctx := browser(t)
	s, pg, ch := recentSeededServer(t)
	emptyWarehouse(t, pg)
	anon := apiClient{t: t, base: s.url}
	planner, maker, r1 := anon.login("planner", demoPassword), anon.login("manufacturer1", demoPassword), anon.login("retailer1", demoPassword)
	own, _ := manufacturerBrands(t, pg)

	// A forecast run covering this week and the next ones.
	now := time.Now().UTC()
	monday := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	monday = monday.AddDate(0, 0, -((int(monday.Weekday()) + 6) % 7))
	if out, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", monday.Format(time.DateOnly), "-horizon", "4"); err != nil {
		t.Fatalf("forecast run = %v\n%s%s", err, out, stderr)
	}
	// manufacturer1's brand with the most forecast demand this week.
	balanceOf := func(c apiClient, brand string) map[string]any {
		t.Helper()
		code, bal, raw := c.do("GET", "/api/v1/balance?brand="+brand+"&weeks=2", "")
		if code != http.StatusOK {
			t.Fatalf("balance of %s = %d %s", brand, code, raw)
		}
		return bal["brands"].([]any)[0].(map[string]any)
	}
	brand, demand := "", 0.0
	for _, b := range own {
		if f, ok := weekList(balanceOf(maker, b))[0]["forecast"].(map[string]any); ok && f["point"].(float64) > demand {
			brand, demand = b, f["point"].(float64)
		}
	}
	if demand < 4 {
		t.Fatalf("the largest forecast of manufacturer1's brands %v this week is %v cartons; want at least 4", own, demand)
	}
	planned := int(math.Floor(demand * 0.6))

	// 1. The manufacturer submits an arrival of 60% of the week's demand on its portal, arriving
	// today: the day the page offers, which is the earliest it accepts (a day the test worked out
	// itself would fall before it when Shanghai's midnight passes between the two).
	do(t, ctx, phone())
	browserLogin(t, ctx, s.url, "manufacturer1", "/maker", "#arrival-form")
	today, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#a-day').min`))
	if err != nil || today == "" {
		t.Fatalf("the arrival form's earliest day = %q, %v", today, err)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#a-brand`), brand),
		chromedp.SetValue(chromedp.CSS(`#a-day`), today),
		chromedp.SetValue(chromedp.CSS(`#a-cartons`), strconv.Itoa(planned)),
		chromedp.Click(chromedp.CSS(`#submit-arrival`)),
		chromedp.WaitVisible(chromedp.CSS(`#maker-notice`)),
		screenshot("maker-phone"),
	)
	if notice := text(t, ctx, "#maker-notice"); notice != "到货计划已提交。" {
		t.Errorf("notice after submitting = %q; want 到货计划已提交。", notice)
	}
	if plans := text(t, ctx, "#plan-list"); !strings.Contains(plans, brand) || !strings.Contains(plans, today) || !strings.Contains(plans, strconv.Itoa(planned)) {
		t.Errorf("arrival plans on the page = %q; want %s arriving %s with %d cartons", plans, brand, today, planned)
	}
	if _, plans, raw := planner.do("GET", "/api/v1/arrival-plans?brand="+brand, ""); len(plans["plans"].([]any)) != 1 {
		t.Errorf("arrival plans of %s through the API = %s; want the one submitted on the page", brand, raw)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range brandCodes(html) {
		if !slices.Contains(own, c) {
			t.Errorf("the manufacturer's page names %s, not one of its brands %v", c, own)
		}
	}
	if !strings.Contains(html, `id="sales-chart"`) || !strings.Contains(html, "echarts") {
		t.Error("the manufacturer's page has no sales chart")
	}
	checkAxe(t, ctx, "maker")
	do(t, ctx, desktop(), screenshot("maker-desktop"))
	logout(t, ctx)

	// 2. The planner sees the shortfall first and goes from it to the allocation preview.
	browserLogin(t, ctx, s.url, "planner", "/supply/balance", "#warnings")
	do(t, ctx, chromedp.Navigate(s.url+"/supply/balance?weeks=2&brand="+brand), chromedp.WaitVisible(chromedp.CSS(`#to-allocation`)), phone(), screenshot("balance-phone"))
	proposal, _ := balanceOf(planner, brand)["scarce_proposal"].(map[string]any)
	if proposal == nil || proposal["supply"] != float64(planned) {
		t.Fatalf("scarce proposal of %s = %v; want %d cartons", brand, proposal, planned)
	}
	if first := text(t, ctx, "#warning-list tbody tr"); !strings.Contains(first, "缺货") {
		t.Errorf("first warning = %q; want a shortfall first", first)
	}
	if pos, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("warnings").compareDocumentPosition(document.getElementById("brands")) === Node.DOCUMENT_POSITION_FOLLOWING`)); err != nil || !pos {
		t.Errorf("warnings before the brands = %v (%v); want the warnings listed first", pos, err)
	}
	if b := text(t, ctx, "#to-allocation"); !strings.Contains(b, strconv.Itoa(planned)) {
		t.Errorf("allocation button = %q; want the %d cartons of supply", b, planned)
	}
	checkAxe(t, ctx, "balance")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#to-allocation`)), chromedp.WaitVisible(chromedp.CSS(`#allocation-preview`)), screenshot("balance-preview-phone"))
	if got := text(t, ctx, "#preview-allocated"); got != strconv.Itoa(planned) {
		t.Errorf("allocated in the preview = %q; want %d", got, planned)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#allocation-preview tbody tr").length`)); err != nil || n == 0 {
		t.Errorf("limits in the preview = %d (%v); want some", n, err)
	}
	// On the phone the limits read without scrolling sideways: each explanation below its figures.
	if wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const box = document.querySelector("#allocation-preview .scroll");
		const why = document.querySelector("#allocation-preview td.why"), cartons = document.querySelector("#allocation-preview td.num");
		return box.scrollWidth > box.clientWidth || document.documentElement.scrollWidth > window.innerWidth ||
			why.getBoundingClientRect().top < cartons.getBoundingClientRect().bottom;
	})()`)); err != nil || wide {
		t.Errorf("the preview's limits on a phone scroll sideways or keep the explanation beside the figures (%v)", err)
	}
	checkAxe(t, ctx, "balance preview")
	do(t, ctx, desktop(), screenshot("balance-preview-desktop"))
	if drawn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("#stock-chart canvas")`)); err != nil || !drawn {
		t.Errorf("stock chart drawn = %v (%v); want a canvas", drawn, err)
	}
	logout(t, ctx)

	// 3. retailer1 orders; cut-off pays it; logistics finds it on its day's round and delivers it.
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	outlet := me["outlet"].(map[string]any)
	id := jsonNumber(outlet["id"])
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+id+"/catalogue", "")
	cycle := cat["cycle"].(string)
	var item string
	for _, x := range cat["lines"].([]any) {
		if l := x.(map[string]any); l["limit"] == nil && l["brand"] != brand {
			item = l["brand"].(string)
			break
		}
	}
	code, order, raw, _ := r1.post("/api/v1/outlets/"+id+"/orders", "browser-round", fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":2}]}`, item))
	if code != http.StatusCreated {
		t.Fatalf("order = %d %s", code, raw)
	}
	orderID := jsonNumber(order["id"])
	orderDay := outlet["order_day"].(string)
	if out, stderr, err := run("cycle", "close", "-pg-dsn", pg, "-week", cycle, "-day", orderDay, "-early"); err != nil || !strings.Contains(out, "paid") {
		t.Fatalf("cycle close = %v\n%s%s", err, out, stderr)
	}
	week, _ := time.Parse(time.DateOnly, cycle)
	day := ""
	for d := week; d.Before(week.AddDate(0, 0, 7)); d = d.AddDate(0, 0, 1) {
		if strings.EqualFold(d.Weekday().String(), orderDay) {
			day = d.Format(time.DateOnly)
		}
	}
	stop := "#stop-" + orderID
	browserLogin(t, ctx, s.url, "logistics", "/rounds/"+day, "#title")
	do(t, ctx, phone(), chromedp.WaitVisible(chromedp.CSS(stop)), screenshot("round-phone"))
	if st := text(t, ctx, stop); !strings.Contains(st, outlet["name"].(string)) || !strings.Contains(st, item) {
		t.Errorf("stop of order %s = %q; want %v and %s", orderID, st, outlet["name"], item)
	}
	if addr := text(t, ctx, stop+" .address"); strings.TrimSpace(addr) == "" {
		t.Errorf("stop of order %s has no address", orderID)
	}
	checkAxe(t, ctx, "round")
	do(t, ctx, desktop(), screenshot("round-desktop"))
	// Printed, the round is the pick list: no header, no buttons.
	do(t, ctx, media("print"), screenshot("round-print"))
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`[".top", "button.deliver", "td.box"].map(s => document.querySelector(s).checkVisibility())`)); err != nil ||
		!slices.Equal(shown, []bool{false, false, true}) {
		t.Errorf("printed round: the header, a delivery button, a check box shown = %v (%v); want false, false, true", shown, err)
	}
	do(t, ctx, media(""))
	do(t, ctx, chromedp.Click(chromedp.CSS(stop+" button.deliver")), chromedp.WaitVisible(chromedp.CSS(`#return-form`)), screenshot("round-delivered-desktop"))
	if n := text(t, ctx, "#round-notice"); !strings.Contains(n, "#"+orderID) {
		t.Errorf("notice after delivering = %q; want order #%s delivered", n, orderID)
	}
	// The round's progress counts the delivery.
	if p := text(t, ctx, "#round-progress"); !regexp.MustCompile(`已送达 [1-9]\d* / \d+ 单`).MatchString(p) {
		t.Errorf("the round's progress after a delivery = %q; want 已送达 n / m 单, n at least 1", p)
	}
	if _, o, raw := r1.do("GET", "/api/v1/outlets/"+id+"/orders/"+orderID, ""); o["status"] != "delivered" {
		t.Errorf("order after the delivery on the page = %s; want delivered", raw)
	}
	checkAxe(t, ctx, "round after a delivery")
	// A carton came back damaged: refunded.
	_, me, _ = r1.do("GET", "/api/v1/me", "")
	before := me["outlet"].(map[string]any)["balance_cents"].(float64)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#r-reason`), "包装破损"),
		chromedp.Click(chromedp.CSS(`#record-return`)),
	)
	// The return answers with the round again: a notice (redirected) or the form with an error.
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#round-notice[data-done="returned"], #round-error`)), screenshot("round-returned-desktop"))
	price := lineOf(order["lines"], item)["price_cents"].(float64)
	if n := text(t, ctx, "main p[role]"); !strings.Contains(n, "#"+orderID) {
		t.Errorf("notice after the return = %q; want order #%s's return", n, orderID)
	}
	_, me, _ = r1.do("GET", "/api/v1/me", "")
	if after := me["outlet"].(map[string]any)["balance_cents"].(float64); after != before+price {
		t.Errorf("balance after the return on the page = %v; want %v + %v", after, before, price)
	}

	// 4. The retailer checks what arrived on its page: one carton short, said why.
	logout(t, ctx)
	browserLogin(t, ctx, s.url, "retailer1", "/retailer", "#hist")
	form := `form.receipt:has(input[name="order"][value="` + orderID + `"])`
	do(t, ctx, phone(),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelectorAll("details").forEach(d => d.open = true) || true`)(ctx, t)
			return err
		}),
		chromedp.WaitVisible(chromedp.CSS(form+` input[name="rcv_`+item+`"]`)),
		chromedp.SetValue(chromedp.CSS(form+` input[name="rcv_`+item+`"]`), "1"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name="note"]`), "少一条"),
		screenshot("retailer-receipt-phone"),
		chromedp.Click(chromedp.CSS(form+` button`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
	)
	if n := text(t, ctx, ".notice"); n != "已确认收货。" {
		t.Errorf("notice after the receipt = %q; want 已确认收货。", n)
	}
	checkAxe(t, ctx, "retailer page with a receipt")
	var receipt, note string
	if err := storestest.OpenPostgres(t, pg).QueryRow(context.Background(),
		`SELECT receipt, receipt_note FROM orders WHERE id = $1`, orderID).Scan(&receipt, &note); err != nil {
		t.Fatal(err)
	}
	if receipt != "short" || note != "少一条" {
		t.Errorf("order %s's receipt after the page = %q %q; want short, 少一条", orderID, receipt, note)
	}
}
