package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An account manager logs in on a laptop and opens the bulletin: every figure, target, rank and list
// total on the page equals GET /api/v1/bulletin as that manager; the trend charts and one outlet's
// drill-down chart are drawn (canvas); axe finds no serious or critical violation on either page; the
// export link passes the API's CSV on; a planner sees the company's bulletin at the same address.
func TestBrowserManagerBulletin(t *testing.T) {
	ctx := browser(t)
	s, _, ch := recentSeededServer(t)
	// A forecast run, for the drill-down's forecast and interval.
	if _, stderr, err := run("forecast", "run", "-ch-dsn", ch, "-as-of", recentSeedDay(time.Now().In(shanghai(t)))); err != nil {
		t.Fatalf("forecast run: %v\n%s", err, stderr)
	}
	anon := apiClient{t: t, base: s.url}
	manager := anon.login("manager1", demoPassword)

	do(t, ctx, desktop())
	browserLogin(t, ctx, s.url, "manager1", "/", `#figures`)
	code, b, raw := manager.do("GET", "/api/v1/bulletin?limit=20", "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/bulletin as manager1 = %d %s", code, raw)
	}
	figures := b["figures"].(map[string]any)
	values := figures["values"].([]any)
	if len(values) == 0 {
		t.Fatalf("the API's bulletin has no figures: %s", raw)
	}
	shown := 0
	for _, x := range values {
		v := x.(map[string]any)
		row := `#figures tr[data-indicator="` + v["indicator"].(string) + `"]`
		if got, want := text(t, ctx, row+" td.value"), zhFigure(v["unit"].(string), v["value"]); got != want {
			t.Errorf("%s on the page = %q; the API's is %v, shown as %q", v["indicator"], got, v["value"], want)
		}
		if v["value"] != nil {
			shown++
		}
		wantTarget := zhFigure(v["unit"].(string), v["target"])
		if v["target"] == nil {
			wantTarget = "—"
		}
		if got := text(t, ctx, row+" td.target"); got != wantTarget {
			t.Errorf("%s's target on the page = %q; the API's is %v", v["indicator"], got, v["target"])
		}
		wantRank := "—"
		if v["rank"] != nil {
			wantRank = fmt.Sprintf("第 %v / %v", v["rank"], v["peers"])
		}
		if got := text(t, ctx, row+" td.rank"); got != wantRank {
			t.Errorf("%s's rank on the page = %q; want %q from the API", v["indicator"], got, wantRank)
		}
	}
	if shown == 0 {
		t.Errorf("every figure of manager1's bulletin is without data: %s", raw)
	}
	lists := b["lists"].(map[string]any)
	for _, name := range []string{"not_ordered", "not_uploading", "failed", "low_balance"} {
		lst := lists[name].(map[string]any)
		if got, want := text(t, ctx, "#list-"+name+" .count"), fmt.Sprintf("共 %v 条", lst["total"]); got != want {
			t.Errorf("list %s's count on the page = %q; want %q from the API", name, got, want)
		}
		items := lst["items"].([]any)
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#list-`+name+` tbody tr").length`))
		if err != nil || rows != len(items) {
			t.Errorf("list %s shows %d rows (%v); the API's page holds %d", name, rows, err, len(items))
		}
	}
	// On a laptop the figures are a table: each column's heading above its cells.
	if off, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => {
		const head = document.querySelectorAll("#figures thead th")[4], rank = document.querySelector("#figures tbody td.rank");
		return Math.abs(head.getBoundingClientRect().left - rank.getBoundingClientRect().left);
	})()`)); err != nil || off > 1 {
		t.Errorf("the rank's heading is %.0f px off its column on a laptop (%v)", off, err)
	}
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`#trend-order_success_rate canvas`)), screenshot("manager-desktop"))
	checkAxe(t, ctx, "manager")
	do(t, ctx, phone(), chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`#trend-order_success_rate canvas`)), screenshot("manager-phone"))
	checkAxe(t, ctx, "manager on a phone")
	// On the phone the figures and the lists read without scrolling sideways: every cell of them is
	// inside the window, and a figure's rank sits below its indicator's name.
	if bad, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		for (const box of document.querySelectorAll(".scroll")) {
			if (box.querySelector("table.cards") && box.scrollWidth > box.clientWidth) return "a table scrolls: " + box.getAttribute("aria-labelledby");
		}
		for (const cell of document.querySelectorAll("table.cards td, table.cards th")) {
			if (cell.getBoundingClientRect().right > window.innerWidth) return "a cell past the window: " + cell.textContent;
		}
		const name = document.querySelector("#figures tbody th"), rank = document.querySelector("#figures tbody td.rank");
		if (rank.getBoundingClientRect().top < name.getBoundingClientRect().bottom) return "the rank beside the indicator";
		return "";
	})()`)); err != nil || bad != "" {
		t.Errorf("the bulletin on a phone: %s (%v)", bad, err)
	}

	// One outlet drilled down: from a list's link when the bulletin names one, else the first outlet.
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".list td a") || {}).getAttribute ? document.querySelector(".list td a").getAttribute("href") : ""`))
	if err != nil {
		t.Fatal(err)
	}
	if link == "" {
		_, page, _ := manager.do("GET", "/api/v1/outlets?limit=1", "")
		link = "/manager/outlets/" + jsonNumber(page["outlets"].([]any)[0].(map[string]any)["id"])
	}
	// A list links its outlet by licence: the link leads to the outlet's page by its id.
	do(t, ctx, chromedp.Navigate(s.url+link), chromedp.WaitReady(chromedp.CSS(`#outlet-chart canvas`)), screenshot("manager-outlet-phone"))
	at, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(at, "/manager/outlets/")
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		t.Fatalf("the link %s led to %s; want an outlet's page", link, at)
	}
	_, outlet, _ := manager.do("GET", "/api/v1/outlets/"+id, "")
	if h1 := text(t, ctx, "h1"); h1 != outlet["name"] {
		t.Errorf("outlet page heading = %q; want the outlet's name %q", h1, outlet["name"])
	}
	checkAxe(t, ctx, "manager outlet")
	if wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll("#outlet-brands td, #outlet-brands th")).some(c => c.getBoundingClientRect().right > window.innerWidth)`)); err != nil || wide {
		t.Errorf("the outlet's brands on a phone run past the window (%v)", err)
	}
	// The weeks on the page are the API's, with the forecast of the run.
	code, ws, raw := manager.do("GET", "/api/v1/outlets/"+id+"/weeks?weeks=12", "")
	if code != http.StatusOK {
		t.Fatalf("GET /outlets/%s/weeks = %d %s", id, code, raw)
	}
	weeks := ws["weeks"].([]any)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#outlet-weeks tbody tr")).map(r => r.textContent)`))
	if err != nil || len(rows) != len(weeks) {
		t.Fatalf("the outlet's table has %d weeks (%v); the API gives %d", len(rows), err, len(weeks))
	}
	forecasts := 0
	for i, x := range weeks {
		w := x.(map[string]any)
		want := w["week"].(string) + tenthText(w["requested"]) + tenthText(w["granted"]) + tenthText(w["delivered"])
		if f, ok := w["forecast"].(map[string]any); ok {
			forecasts++
			want += tenthText(f["point"]) + tenthText(f["lo80"]) + " – " + tenthText(f["hi80"])
		} else {
			want += "——"
		}
		if !strings.HasPrefix(rows[i], want) {
			t.Errorf("week %d on the page = %q; want it to start %q from the API", i, rows[i], want)
		}
	}
	if forecasts == 0 || ws["forecast_run"] == nil {
		t.Errorf("the outlet's weeks have no forecast after a forecast run: %s", raw)
	}
	do(t, ctx, desktop(), chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`#outlet-chart canvas`)), screenshot("manager-outlet-desktop"))

	// The CSV link gives the API's export.
	browserless := pageClient(t, s.url, "manager1")
	res, err := browserless.Get(s.url + "/manager/export?filter=not_ordered&format=csv")
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(res.Body)
	res.Body.Close()
	_, _, apiCSV, _ := manager.doWith("GET", "/api/v1/bulletin?filter=not_ordered&format=csv", "", nil)
	if res.StatusCode != http.StatusOK || string(csv) != apiCSV || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("the page's CSV = %d %s %q; want the API's %q", res.StatusCode, res.Header.Get("Content-Type"), csv, apiCSV)
	}

	// A planner sees the company's bulletin, with its order success rate as the API's.
	planner := anon.login("planner", demoPassword)
	_, pb, praw := planner.do("GET", "/api/v1/bulletin?limit=20", "")
	res, err = pageClient(t, s.url, "planner").Get(s.url + "/manager")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), "全公司 · ") {
		t.Fatalf("/manager as a planner = %d; want the company's bulletin\n%s", res.StatusCode, page)
	}
	for _, x := range pb["figures"].(map[string]any)["values"].([]any) {
		v := x.(map[string]any)
		if v["indicator"] != "order_success_rate" {
			continue
		}
		m := regexp.MustCompile(`data-indicator="order_success_rate"[^>]*>\s*<th[^>]*>.*?</th>\s*<td class="value"[^>]*>([^<]*)<`).FindStringSubmatch(string(page))
		if want := zhFigure(v["unit"].(string), v["value"]); m == nil || m[1] != want {
			t.Errorf("the company's order success rate on the page = %v; the API's is %q (%s)", m, want, praw)
		}
	}
}

// tenthText is how the pages show cartons: rounded to a tenth.
func tenthText(v any) string {
	return strconv.FormatFloat(math.Round(v.(float64)*10)/10, 'f', -1, 64)
}

// zhFigure is how the pages show a figure of the API in Chinese.
func zhFigure(unit string, v any) string {
	f, ok := v.(float64)
	if !ok {
		return "无数据"
	}
	switch unit {
	case "ratio":
		return fmt.Sprintf("%.1f%%", f*100)
	case "weeks":
		return fmt.Sprintf("%.1f 周", f)
	}
	return fmt.Sprintf("%.2f", f)
}

// pageClient logs a user in through the login page, without a browser, and returns its client.
func pageClient(t *testing.T, base, username string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="_csrf" value="([^"]*)"`).FindStringSubmatch(string(b))[1]
	res, err = c.PostForm(base+"/login", url.Values{"_csrf": {token}, "username": {username}, "password": {demoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return c
}
