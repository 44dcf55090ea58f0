package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// listState is what the retailer's page shows of its brands: how many lines, how many of the
// outlet's own (a suggestion, last week's order, a quantity, a limit or a new product), how many
// show, and which show against what they are.
type listState struct {
	All, Mine, Visible       int
	MineHidden, OtherShown   int
	ToggleShown, MinePressed bool
	Shown                    string // the count line
	FirstHidden              string // the code of the first hidden brand, "" if none
}

func readList(t *testing.T, ctx context.Context) listState {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[listState](`(() => {
		const lines = [...document.querySelectorAll("li.line")];
		const mine = l => l.hasAttribute("data-mine") || +l.dataset.suggested > 0 || +l.dataset.last > 0 || +(l.querySelector("input")?.value ?? 0) > 0;
		const shown = l => l.offsetParent !== null;
		const hidden = lines.find(l => !shown(l));
		return {
			All: lines.length, Mine: lines.filter(mine).length, Visible: lines.filter(shown).length,
			MineHidden: lines.filter(l => mine(l) && !shown(l)).length, OtherShown: lines.filter(l => !mine(l) && shown(l)).length,
			ToggleShown: document.querySelector("#find .view").offsetParent !== null,
			MinePressed: document.querySelector('[data-view="mine"]').getAttribute("aria-pressed") === "true",
			Shown: document.getElementById("shown").textContent,
			FirstHidden: hidden ? hidden.dataset.brand : "",
		};
	})()`))
	if err != nil {
		t.Fatalf("read the brand list: %v", err)
	}
	return s
}

// A retailer of a region of 40 brands, some of which the outlet does not sell, opens the order page
// on a phone: the short list of its own brands, the search through all, every brand at a tap.
func TestBrowserRetailerShortList(t *testing.T) {
	ctx := browser(t)
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "30", "-brands", "40", "-weeks", "12", "-as-of", "2026-11-22"); err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	s := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	do(t, ctx, phone())
	browserLogin(t, ctx, s.url, "retailer1", "/retailer", `#order`)
	checkShortList(t, ctx)
	checkAxe(t, ctx, "retailer short list")
	// serve made the cycle the outlet orders in (the seed's ended weeks ago), and no planner has
	// published its supply.
	checkAwaitingSupply(t, ctx)
}

// checkAwaitingSupply checks the page of a cycle whose scarce brands await their supply: they show
// without a quantity to type, what needs attention names them, and the page's tools bear them ("take
// every suggestion" fills the other lines and the total follows).
func checkAwaitingSupply(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-fill="suggested"]`)))
	type state struct {
		Awaiting, WithInput int
		Named               bool
		Typed               int // cartons typed on the other lines
		Total               string
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[state](`(() => {
		const awaiting = Array.from(document.querySelectorAll(".line")).filter(l => l.querySelector(".awaiting"));
		const msgs = document.getElementById("msgs")?.nextElementSibling?.textContent ?? "";
		let typed = 0;
		document.querySelectorAll(".line input").forEach(i => typed += +i.value);
		return {
			Awaiting: awaiting.length, WithInput: awaiting.filter(l => l.querySelector("input")).length,
			Named: awaiting.length > 0 && awaiting.every(l => msgs.includes(l.querySelector("h3").firstChild.textContent.trim())),
			Typed: typed, Total: document.getElementById("total").textContent,
		};
	})()`))
	if err != nil {
		t.Fatalf("read the lines awaiting their supply: %v", err)
	}
	if s.Awaiting == 0 || s.WithInput != 0 || !s.Named || s.Typed == 0 || s.Total == "¥0.00" {
		t.Errorf("the page of a cycle not published = %+v; want scarce brands awaiting their supply, without a quantity, "+
			"named in what needs attention, and the suggestions of the others taken into the total", s)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-fill="clear"]`)))
}

// checkShortList checks the retailer's short list on the page as it is after login: the outlet's own
// brands first, a search through every brand by code, Enter in the search box not placing the order,
// and every brand at a tap. It leaves every brand shown.
func checkShortList(t *testing.T, ctx context.Context) {
	t.Helper()
	s := readList(t, ctx)
	if s.All < 2 {
		t.Fatalf("the page lists %d brands; want several", s.All)
	}
	if s.Mine == 0 || s.Mine == s.All {
		t.Fatalf("the page after login = %+v; want some of the brands the outlet's own, not all", s)
	}
	if !s.ToggleShown || !s.MinePressed || s.Visible != s.Mine || s.MineHidden != 0 || s.OtherShown != 0 ||
		!strings.Contains(s.Shown, strconv.Itoa(s.Mine)) || !strings.Contains(s.Shown, strconv.Itoa(s.All)) {
		t.Errorf("the page after login = %+v; want the outlet's %d brands of %d shown, the others hidden, the count said", s, s.Mine, s.All)
	}

	// A search looks through every brand: a hidden one is found by its code.
	code := s.FirstHidden
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`#find-q`), strings.ToLower(code)))
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("li.line")].filter(l => l.offsetParent !== null).map(l => l.dataset.brand)`))
	if err != nil || len(found) != 1 || found[0] != code {
		t.Errorf("after searching %q the page shows %v (%v); want that brand alone", strings.ToLower(code), found, err)
	}
	// Enter looks; it does not submit the order form (which would load another page).
	do(t, ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`window.stayed = true`)(ctx, tg)
			return err
		}),
		chromedp.SendKeys(chromedp.CSS(`#find-q`), "\r"),
		chromedp.Sleep(300*time.Millisecond),
	)
	if stayed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.stayed) + " " + document.getElementById("find-q").value + " " + location.href`)); err != nil || !strings.HasPrefix(stayed, "true "+strings.ToLower(code)) {
		t.Errorf("Enter in the search box: %q (%v); want the page to stay with the search", stayed, err)
	}
	do(t, ctx, screenshot("retailer-phone-find"))

	// Nothing found says so; an empty search and "All brands" show every brand.
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`#find-q`), "zzzz-no-such"))
	if none := readList(t, ctx); none.Visible != 0 || none.Shown == "" {
		t.Errorf("a search that finds nothing = %+v; want no line and a message", none)
	}
	do(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`(() => { const q = document.getElementById("find-q"); q.value = ""; q.dispatchEvent(new Event("input", {bubbles: true})); return true })()`)(ctx, tg)
		return err
	}))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-view="all"]`)))
	if all := readList(t, ctx); all.Visible != all.All || all.MinePressed {
		t.Errorf("after \"All brands\" = %+v; want every brand shown", all)
	}
}
