package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// The planner publishes every scarce brand of a cycle awaiting its supply from one page: each brand
// has a proposed supply and a kept preview, and one press publishes each preview with a key of its
// own. A press after the inputs changed publishes nothing and says so on every row, with fresh
// previews; a brand that another allocation was published for since the preview is left as it is,
// and named; pressing again publishes nothing twice. A supply that is not a number is marked on its
// row and leaves that brand out.
func TestCycleSupplyPage(t *testing.T) {
	s, pg, planner, week := scarceCycle(t)
	awaiting := func() []string {
		t.Helper()
		_, cycle, raw := planner.do("GET", "/api/v1/cycles/"+week, "")
		var out []string
		for _, x := range cycle["supply"].([]any) {
			if l := x.(map[string]any); l["awaiting_supply"] == true {
				out = append(out, l["brand"].(string))
			}
		}
		if cycle["supply"] == nil {
			t.Fatalf("GET cycle %s = %s", week, raw)
		}
		return out
	}
	pool := storestest.OpenPostgres(t, pg)
	brands := awaiting()
	// The supply lines alone say the same (the page reads them in-process, which the contract check
	// does not count).
	code, lines, raw := planner.do("GET", "/api/v1/cycles/"+week+"/supply", "")
	var listed []string
	for _, x := range lines["supply"].([]any) {
		if l := x.(map[string]any); l["awaiting_supply"] == true {
			listed = append(listed, l["brand"].(string))
		}
	}
	if code != http.StatusOK || !slices.Equal(listed, brands) {
		t.Errorf("GET supply lines = %d, awaiting %v; want 200 and %v (%s)", code, listed, brands, raw)
	}
	if len(brands) < 3 {
		t.Fatalf("serve's cycle %s has %d brands awaiting their supply (%v); the test wants 3", week, len(brands), brands)
	}
	page := s.url + "/planner/cycles/" + week + "/supply"
	web := pageSession(t, s.url, "planner")

	// A supply that is not a number: named on its row, no preview, left out of the publication.
	body := string(pageBody(t, web, page+"?"+url.Values{"supply." + brands[0]: {"-3"}}.Encode()))
	form := publishForm(t, body)
	if form.Has("preview."+brands[0]) || len(form["brand"]) != len(brands)-1 || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("with a supply of -3 for %s the page publishes %v; want the %d others, and the row marked invalid",
			brands[0], form["brand"], len(brands)-1)
	}

	body = string(pageBody(t, web, page, `id="publish-all"`))
	form = publishForm(t, body)
	if got := form["brand"]; !slices.Equal(got, brands) {
		t.Fatalf("the page publishes %v; want every brand awaiting its supply, %v", got, brands)
	}
	for _, b := range brands {
		if form.Get("preview."+b) == "" || form.Get("supply."+b) == "" {
			t.Errorf("brand %s has no preview or no supply on the page: %v", b, form)
		}
	}

	// An outlet's grade changes after the preview: nothing is published, every row says why, and the
	// page comes back with fresh previews.
	if _, err := pool.Exec(context.Background(), `UPDATE outlets SET grade = CASE WHEN grade < 30 THEN grade + 1 ELSE grade - 1 END
		WHERE id = (SELECT min(id) FROM outlets WHERE status = 'active')`); err != nil {
		t.Fatal(err)
	}
	status, body := postForm(t, web, page, form)
	if status != http.StatusConflict || strings.Count(body, "预览之后终端、预测或供应已有变化") != len(brands) {
		t.Fatalf("press after a grade changed = %d; want 409 with every brand refused as changed:\n%.800s", status, textOf(body))
	}
	if left := awaiting(); len(left) != len(brands) {
		t.Fatalf("a refused press published %v", brands[:len(brands)-len(left)])
	}
	stale := form
	if form = publishForm(t, body); len(form["brand"]) != len(brands) || form.Get("preview."+brands[0]) == stale.Get("preview."+brands[0]) {
		t.Fatalf("after the refusal the page publishes %v; want fresh previews of every brand", form)
	}

	// Meanwhile another allocation of the last brand is published.
	last := brands[len(brands)-1]
	code, other, raw, _ := planner.post("/api/v1/cycles/"+week+"/allocations?limits=0", "supply-page-other",
		fmt.Sprintf(`{"brand":%q,"supply":3,"mode":"grade"}`, last))
	if code != http.StatusCreated {
		t.Fatalf("publish %s = %d %s", last, code, raw)
	}
	for press := 1; press <= 2; press++ {
		status, body := postForm(t, web, page, form)
		link := `href="/planner/cycles/` + week + `/allocation?brand=` + last + `"`
		if status != http.StatusConflict || !strings.Contains(body, `id="meanwhile"`) || !strings.Contains(body, link) {
			t.Fatalf("press %d = %d; want 409 naming %s, published by another allocation, with a link to its allocation page:\n%.800s",
				press, status, last, textOf(body))
		}
		if left := awaiting(); len(left) != 0 {
			t.Errorf("press %d left %v awaiting their supply", press, left)
		}
		_, cycle, _ := planner.do("GET", "/api/v1/cycles/"+week, "")
		for _, x := range cycle["supply"].([]any) {
			l := x.(map[string]any)
			want := form.Get("preview." + l["brand"].(string))
			if l["brand"] == last {
				want = other["id"].(string)
			}
			if slices.Contains(brands, l["brand"].(string)) && l["allocation"] != want {
				t.Errorf("press %d: %s has the limits of allocation %v; want %s", press, l["brand"], l["allocation"], want)
			}
		}
	}
	// Each allocation was published once: one fan-out of its notices each.
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM notice_fanouts f
		JOIN cycles c ON c.id = f.cycle_id WHERE c.week_start = $1`, week).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(brands) {
		t.Errorf("%d allocations published in the cycle; want %d, each once", n, len(brands))
	}
	pageBody(t, web, page, `id="none"`)
}

// scarceCycle is a seeded server whose current cycle (serve's, retailer1's) has three scarce brands
// awaiting their supply: the small region has one, and two more are flagged scarce. It returns the
// server, its PostgreSQL DSN, a planner's API client and the cycle's week.
func scarceCycle(t *testing.T) (*served, string, apiClient, string) {
	t.Helper()
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	planner, r1 := anon.login("planner", demoPassword), anon.login("retailer1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+jsonNumber(me["outlet"].(map[string]any)["id"])+"/catalogue", "")
	if _, err := storestest.OpenPostgres(t, pg).Exec(context.Background(), `UPDATE brands SET scarce = true WHERE code IN (
		SELECT code FROM brands WHERE NOT scarce ORDER BY code LIMIT 2)`); err != nil {
		t.Fatal(err)
	}
	return s, pg, planner, cat["cycle"].(string)
}

// publishForm is the fields of the supply page's publish form.
func publishForm(t testing.TB, body string) url.Values {
	t.Helper()
	i := strings.Index(body, `id="publish-form"`)
	if i < 0 {
		t.Fatalf("the page has no publish form:\n%.800s", textOf(body))
	}
	f := body[i:]
	f = f[:strings.Index(f, "</form>")]
	out := url.Values{}
	for _, m := range regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(f, -1) {
		out.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return out
}

// postForm posts a page's form with the session's CSRF cookie value (the form's own _csrf field) and
// returns the status (a redirect is followed) and the body.
func postForm(t testing.TB, c *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	res, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther {
		res.Body.Close()
		base, _ := url.Parse(u)
		to, _ := base.Parse(loc)
		if res, err = c.Get(to.String()); err != nil {
			t.Fatal(err)
		}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// textOf is a page's text without its tags, for a failure's message.
func textOf(page string) string {
	return strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(page, " "))), " ")
}

// In a browser: the cycle page names the brands awaiting their supply and leads to the page that
// publishes them together; on a phone its rows are cards that do not scroll sideways; a supply typed
// is previewed again, and the press publishes every brand with the supply it showed. The cycle
// page's supply plan is cards on a phone too.
func TestBrowserPlannerPublishesTheCycle(t *testing.T) {
	s, _, planner, week := scarceCycle(t)

	ctx := browser(t)
	do(t, ctx, desktop(), chromedp.Navigate(s.url+"/planner/cycles/"+week), chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "planner"),
		chromedp.SendKeys(chromedp.CSS(`#password`), demoPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#awaiting`)))
	do(t, ctx, chromedp.Navigate(s.url+"/planner/cycles/"+week), chromedp.WaitVisible(chromedp.CSS(`#publish-awaiting`)),
		chromedp.Click(chromedp.CSS(`#publish-awaiting`)), chromedp.WaitVisible(chromedp.CSS(`#supply-rows`)))
	brands, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#supply-rows tbody tr")).map(tr => tr.dataset.brand)`))
	if err != nil || len(brands) != 3 {
		t.Fatalf("the supply page lists %v (%v); want the 3 scarce brands awaiting their supply", brands, err)
	}
	if label := text(t, ctx, "#publish-all"); !strings.Contains(label, "3") {
		t.Errorf("the publish button reads %q; want it to count the 3 brands", label)
	}
	photograph(t, ctx, "planner-cycle-supply")
	do(t, ctx, phone())
	if wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
		t.Errorf("the supply page scrolls sideways on a phone (%v)", err)
	}

	// A supply typed for the first brand is previewed again, then published with the others.
	input := `#supply-rows input[name="supply.` + brands[0] + `"]`
	// Typed, it is not published before it is previewed: the button waits, and says why. (The
	// attribute, unlike the property typing sets, is 7 only on the page previewed again.)
	do(t, ctx, desktop(), chromedp.Clear(chromedp.CSS(input)), chromedp.SendKeys(chromedp.CSS(input), "7"),
		chromedp.WaitVisible(chromedp.CSS(`#publish-hint`)))
	if waits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#publish-all").disabled`)); err != nil || !waits {
		t.Errorf("after a supply was typed the publish button is enabled (%v); want it to wait for the preview", err)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#preview-all`)),
		chromedp.WaitVisible(chromedp.CSS(input+`[value="7"]`)), chromedp.WaitVisible(chromedp.CSS(`#publish-all`)))
	if row := text(t, ctx, `#supply-rows tr[data-brand="`+brands[0]+`"]`); attr(t, ctx, input, "value") != "7" || !strings.Contains(row, "7") {
		t.Errorf("after previewing a supply of 7 the row of %s reads %q", brands[0], row)
	}
	want := map[string]string{}
	for _, b := range brands {
		want[b] = attr(t, ctx, `#publish-form input[name="supply.`+b+`"]`, "value")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#publish-all`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if notice := text(t, ctx, ".notice"); !strings.Contains(notice, brands[0]) || !strings.Contains(notice, brands[2]) {
		t.Errorf("the notice after publishing = %q; want it to name the brands", notice)
	}
	// The script published brand by brand, each request answered with the cycle, then sent the
	// whole form: four presses of the page's route, each a redirect.
	res, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := regexp.MustCompile(`ordercast_http_requests_total\{code="303",method="POST",route="/planner/cycles/:week/supply"\} (\d+)`).
		FindSubmatch(metrics); m == nil || string(m[1]) != "4" {
		t.Errorf("publishing answered %q POSTs of the supply page with a redirect; want 4: one per brand, then the whole form", m)
	}
	_, cycle, _ := planner.do("GET", "/api/v1/cycles/"+week, "")
	for _, x := range cycle["supply"].([]any) {
		l := x.(map[string]any)
		if supply, ok := want[l["brand"].(string)]; ok && (l["awaiting_supply"] != false || fmt.Sprint(l["supply_cartons"]) != supply) {
			t.Errorf("after publishing, the cycle's line of %s = %v; want published with a supply of %s", l["brand"], l, supply)
		}
	}
	// The cycle page's supply plan, on a phone: cards, not a table to scroll sideways.
	do(t, ctx, phone())
	if wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const box = document.querySelector("#supply").closest(".scroll");
		return box.scrollWidth > box.clientWidth || document.documentElement.scrollWidth > window.innerWidth;
	})()`)); err != nil || wide {
		t.Errorf("the cycle page's supply plan scrolls sideways on a phone (%v)", err)
	}
	do(t, ctx, desktop())
	if want[brands[0]] != "7" {
		t.Errorf("the page published a supply of %s for %s; want the 7 typed", want[brands[0]], brands[0])
	}
}
