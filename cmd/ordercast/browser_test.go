package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// Browser tests drive Debian's Chromium (apt-get install chromium; deploy/local/test.sh installs it)
// through chromedp, inject axe-core (deploy/local/browser, npm ci) into every page, and save
// screenshots at phone and desktop sizes under testdata/artefacts/screenshots (git-ignored).
const (
	axePath        = "../../deploy/local/browser/node_modules/axe-core/axe.min.js"
	screenshotsDir = "testdata/artefacts/screenshots"
)

// browser starts a headless Chromium for the test and returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	storestest.SkipShort(t)
	path := os.Getenv("CHROME_PATH")
	if path == "" {
		var err error
		if path, err = exec.LookPath("chromium"); err != nil {
			t.Fatal("Chromium not found: apt-get install -y chromium (deploy/local/test.sh installs it), or set CHROME_PATH")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, on a context without a deadline
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTime)
	return ctx
}

// do runs browser steps and stops the test at the first that fails.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// text returns the text of the first element matching the CSS selector.
func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

// attr returns an attribute of the first element matching the CSS selector.
func attr(t *testing.T, ctx context.Context, css, name string) string {
	t.Helper()
	a, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	if err != nil {
		t.Fatalf("attribute %s of %s: %v", name, css, err)
	}
	return a.Value
}

// phone and desktop are the sizes pages are checked and photographed at.
func phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
}

func desktop() chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(1280, 900) }

// screenshot saves the whole page as testdata/artefacts/screenshots/<name>.png.
func screenshot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		png, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(screenshotsDir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(screenshotsDir, name+".png"), png, 0o644)
	})
}

// checkAxe runs axe-core in the page and fails the test for every serious or critical violation,
// and for a value that a template's format verb could not print (Go's "%!").
func checkAxe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if bad, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.body.innerText.match(/.{0,40}%!.{0,40}/) || [""])[0]`)); err != nil {
		t.Fatalf("read %s: %v", page, err)
	} else if bad != "" {
		t.Errorf("%s shows a value its format verb could not print: %q", page, bad)
	}
	src, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("axe-core: %v (install it: cd deploy/local/browser && npm ci, as deploy/local/test.sh does)", err)
	}
	run := `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[*runtime.RemoteObject](string(src))); err != nil {
		t.Fatalf("inject axe-core into %s: %v", page, err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", page, err)
	}
	for _, v := range violations {
		t.Errorf("axe on %s: %s", page, v)
	}
}

// A retailer logs in on a phone, takes the suggestions, is warned of a shortfall, orders within a
// limit the planner published and sees the order; the order is the API's; a double tap orders once.
func TestBrowserRetailerOrders(t *testing.T) {
	ctx := browser(t)
	s, pgDSN, _ := recentSeededServer(t)
	anon := apiClient{t: t, base: s.url}
	r1, planner := anon.login("retailer1", demoPassword), anon.login("planner", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	outlet := me["outlet"].(map[string]any)
	id, licence := jsonNumber(outlet["id"]), outlet["licence"].(string)
	base := "/api/v1/outlets/" + id
	_, cat, _ := r1.do("GET", base+"/catalogue", "")
	week := cat["cycle"].(string)
	var limited, other map[string]any
	for _, x := range cat["lines"].([]any) {
		l := x.(map[string]any)
		switch {
		case limited == nil && l["scarce"] == true:
			limited = l
		case other == nil && l["scarce"] != true:
			other = l
		}
	}
	if limited == nil || other == nil {
		t.Fatalf("catalogue lines = %v; want a scarce brand and another", cat["lines"])
	}
	scarce, plenty := limited["brand"].(string), other["brand"].(string)
	// The planner limits the scarce brand to 3 cartons for this outlet.
	supply := fmt.Sprintf(`{"plan":[{"brand":%q,"supply_cartons":100}],"limits":[{"outlet":%q,"brand":%q,"cartons":3,"explanation":"档位限量 3 条"}]}`,
		scarce, licence, scarce)
	if code, _, raw := planner.do("PUT", "/api/v1/cycles/"+week+"/supply", supply); code != http.StatusOK {
		t.Fatalf("PUT supply = %d %s", code, raw)
	}
	// A balance of ¥500 does not cover the suggestions.
	setBalance(t, pgDSN, licence, 50000)

	do(t, ctx, phone(), chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`#username`)), screenshot("login-phone"))
	checkAxe(t, ctx, "login")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#username`), "retailer1"),
		chromedp.SendKeys(chromedp.CSS(`#password`), demoPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#order`)),
	)
	waitLoaded(t, ctx, "the retailer's page after login")
	if h1 := text(t, ctx, "h1"); h1 != "本周订货" {
		t.Errorf("retailer page heading = %q; want 本周订货 (zh-CN by default)", h1)
	}
	line := `li.line[data-brand="` + scarce + `"]`
	if l, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(line))); err != nil || !strings.Contains(l, "限量 3 条") || !strings.Contains(l, "档位限量 3 条") {
		t.Errorf("scarce line = %q; want its limit of 3 and the planner's explanation", l)
	}
	if first := attr(t, ctx, "li.line", "data-brand"); first != scarce {
		t.Errorf("first line = %s; want the scarce, limited %s first", first, scarce)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-fill="suggested"]`)), screenshot("retailer-phone-shortfall"))
	if class, short := attr(t, ctx, "#shortfall", "class"), text(t, ctx, "#shortfall"); class != "warn" || !strings.Contains(short, "还差") {
		t.Errorf("after taking the suggestions, shortfall = %q (class %q); want a warning of the shortfall", short, class)
	}
	checkAxe(t, ctx, "retailer")

	// Within the limit and the balance: the scarce brand's suggestion (its limit) and one of another.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`button[data-fill="clear"]`)),
		chromedp.Click(chromedp.CSS(line+` button.take`)),
		chromedp.SetValue(chromedp.CSS(`#q_`+plenty), "1"),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.getElementById("order").dispatchEvent(new Event("input"))`)(ctx, t)
			return err
		}),
	)
	if class := attr(t, ctx, "#shortfall", "class"); class != "ok" {
		t.Errorf("shortfall class within the balance = %q; want ok", class)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#submit`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)), screenshot("retailer-phone-ordered"))
	if notice := text(t, ctx, ".notice"); notice != "订单已提交。" {
		t.Errorf("notice after ordering = %q; want 订单已提交。", notice)
	}
	_, page, raw := r1.do("GET", base+"/orders", "")
	var orders []any // the seed's past cycles hold delivered and failed orders: the submitted one is new
	all, _ := page["orders"].([]any)
	for _, o := range all {
		if o.(map[string]any)["status"] == "submitted" {
			orders = append(orders, o)
		}
	}
	if len(orders) != 1 {
		t.Fatalf("orders after ordering on the page = %s; want one submitted", raw)
	}
	order := orders[0].(map[string]any)
	orderID := jsonNumber(order["id"])
	if l := lineOf(order["lines"], scarce); l == nil || l["requested"] != 3.0 || l["granted"] != 3.0 {
		t.Errorf("scarce line of the order = %v; want 3 requested and granted (%s)", l, raw)
	}
	current, history := text(t, ctx, "#current"), text(t, ctx, ".history")
	if !strings.Contains(current, "#"+orderID) || !strings.Contains(history, "#"+orderID) || !strings.Contains(history, "已提交") {
		t.Errorf("page after ordering: current %q, history %q; want order #%s submitted", current, history, orderID)
	}

	// The switch to English translates the interface, not the names.
	name := limited["name"].(string)
	if zh := text(t, ctx, line+" h3"); !strings.Contains(zh, name) {
		t.Errorf("brand heading in Chinese = %q; want %q", zh, name)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/lang"] button`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #order`)))
	if h1 := text(t, ctx, "h1"); h1 != "This week's order" {
		t.Errorf("heading in English = %q", h1)
	}
	if en := text(t, ctx, line+" h3"); !strings.Contains(en, name) {
		t.Errorf("brand heading in English = %q; want the name %q untranslated", en, name)
	}
	do(t, ctx, desktop(), screenshot("retailer-desktop-en"))
	do(t, ctx, chromedp.Navigate(s.url+"/docs/api"), chromedp.WaitVisible(chromedp.CSS(`#op-placeOrder`)), screenshot("docs-desktop"))
	checkAxe(t, ctx, "docs")

	// A double tap sends the form twice with one Idempotency-Key: the order changes once.
	doubleTap(t, s.url, licence, scarce, 2)
	loginThrottled(t, s.url)

	_, o, raw := r1.do("GET", base+"/orders/"+orderID, "")
	if o["version"] != 2.0 || lineOf(o["lines"], scarce)["requested"] != 2.0 {
		t.Errorf("order after a double tap = %s; want version 2 with 2 cartons of %s", raw, scarce)
	}

	// Cut-off pays the order and logistics delivers it: the page follows it to the end.
	orderDay := outlet["order_day"].(string)
	if out, stderr, err := run("cycle", "close", "-pg-dsn", pgDSN, "-week", week, "-day", orderDay, "-early"); err != nil || !strings.Contains(out, "1 paid") {
		t.Fatalf("cycle close = %v\n%s%s; want the order paid", err, out, stderr)
	}
	logistics := anon.login("logistics", demoPassword)
	if code, _, raw, _ := logistics.post("/api/v1/orders/"+orderID+"/delivery", "deliver-1", ""); code != http.StatusOK {
		t.Fatalf("POST delivery = %d %s", code, raw)
	}
	do(t, ctx, phone(), chromedp.Navigate(s.url+"/retailer"), chromedp.WaitVisible(chromedp.CSS(`#current`)), screenshot("retailer-phone-delivered"))
	if step := text(t, ctx, `.steps [aria-current="step"]`); step != "Delivered" {
		t.Errorf("current step of the delivered order = %q; want Delivered", step)
	}
	if history := text(t, ctx, ".history"); !strings.Contains(history, "Delivered") {
		t.Errorf("history after delivery = %q; want the order delivered", history)
	}
}

// doubleTap logs in with retailer1's licence number, without a browser, and posts the order form twice
// with the same key.
func doubleTap(t *testing.T, base, licence, brand string, qty int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	field := func(html, name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("no field %s in the page", name)
		}
		return m[1]
	}
	login := get("/login")
	res, err := c.PostForm(base+"/login", url.Values{"_csrf": {field(login, "_csrf")}, "username": {licence},
		"password": {demoPassword}, "next": {"/retailer"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	page := get("/retailer")
	form := url.Values{"_csrf": {field(page, "_csrf")}, "key": {field(page, "key")}, "q_" + brand: {fmt.Sprint(qty)}}
	for i := range 2 {
		res, err := c.PostForm(base+"/retailer/order", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Query().Get("done") != "placed" {
			t.Errorf("tap %d ended at %s (%d); want /retailer?done=placed", i+1, res.Request.URL, res.StatusCode)
		}
	}
	// Without the CSRF token the form is refused.
	delete(form, "_csrf")
	if res, err = c.PostForm(base+"/retailer/order", form); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("order form without its CSRF token = %d; want 403", res.StatusCode)
	}
}

// loginThrottled tries a wrong password on the login page until the API's throttle answers: the page
// says when to try again, and lets the right password in no sooner.
func loginThrottled(t *testing.T, base string) {
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
	try := func(password string) (int, string) {
		res, err := c.PostForm(base+"/login", url.Values{"_csrf": {token}, "username": {"manager2"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for i := range 10 {
		if code, _ := try("wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d on the login page = %d; want 401", i+1, code)
		}
	}
	if code, page := try(demoPassword); code != http.StatusTooManyRequests || !strings.Contains(page, "尝试次数过多") {
		t.Errorf("login page after 10 wrong passwords = %d; want 429 saying to wait", code)
	}
}

// setBalance sets an outlet's settlement balance, as a payment in would.
func setBalance(t *testing.T, pgDSN, licence string, cents int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := stores.OpenPostgres(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "UPDATE outlets SET balance_cents = $2 WHERE licence_no = $1", licence, cents); err != nil {
		t.Fatal(err)
	}
}
