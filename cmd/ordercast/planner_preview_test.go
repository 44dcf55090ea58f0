package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// A preview is kept: its pages come from the kept copy (the same id, summary and limits as the dry
// run listed), its publication publishes exactly it, and once an outlet's grade changed a preview
// made before is refused as stale and nothing is published. An unknown id is 404.
func TestAllocationPreviewKept(t *testing.T) {
	s, pg := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	planner, r1 := anon.login("planner", demoPassword), anon.login("retailer1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+jsonNumber(me["outlet"].(map[string]any)["id"])+"/catalogue", "")
	week := cat["cycle"].(string)
	brand := seededBrands(t, pg, 1)[0]
	base := "/api/v1/cycles/" + week + "/allocations"
	body := fmt.Sprintf(`{"brand":%q,"supply":25,"mode":"grade","dry_run":true}`, brand)

	code, preview, raw, _ := planner.post(base+"?limits=40", "kept-1", body)
	if code != http.StatusOK || preview["expires_at"] == nil {
		t.Fatalf("POST dry_run = %d %s; want 200 with expires_at", code, raw)
	}
	id := preview["id"].(string)
	first := preview["limits"].([]any)
	code, page, raw := planner.do("GET", base+"/"+id+"?offset=10&limits=5", "")
	if code != http.StatusOK {
		t.Fatalf("GET kept preview = %d %s", code, raw)
	}
	if page["id"] != id || page["limits_offset"] != 10.0 || len(page["limits"].([]any)) != 5 ||
		fmt.Sprint(page["summary"]) != fmt.Sprint(preview["summary"]) {
		t.Fatalf("GET kept preview = %s; want preview %s's summary and 5 limits from the 11th", raw, id)
	}
	for i, l := range page["limits"].([]any) {
		if fmt.Sprint(l) != fmt.Sprint(first[10+i]) {
			t.Errorf("kept limit %d = %v; the dry run listed %v", 10+i, l, first[10+i])
		}
	}
	if code, _, raw := planner.do("GET", base+"/no-such-preview", ""); code != http.StatusNotFound {
		t.Errorf("GET an unknown preview = %d %s; want 404", code, raw)
	}

	code, pub, raw, _ := planner.post(base+"/"+id+"/publication?limits=0", "kept-publish-1", "")
	if code != http.StatusCreated || pub["id"] != id || pub["published"] != true {
		t.Fatalf("POST publication = %d %s; want 201 publishing %s", code, raw, id)
	}
	pool := storestest.OpenPostgres(t, pg)
	var n, cartons int
	if err := pool.QueryRow(context.Background(), `SELECT count(*), coalesce(sum(limit_cartons), 0) FROM outlet_limits
		WHERE allocation_id = $1`, id).Scan(&n, &cartons); err != nil {
		t.Fatal(err)
	}
	sum := preview["summary"].(map[string]any)
	if n != int(preview["limits_total"].(float64)) || cartons != int(sum["allocated"].(float64)) {
		t.Errorf("published %d limits of %d cartons under %s; want the preview's %v limits of %v", n, cartons, id,
			preview["limits_total"], sum["allocated"])
	}

	// A change after the preview: the publication is refused and the previous limits stand.
	code, stale, raw, _ := planner.post(base+"?limits=0", "kept-2", fmt.Sprintf(`{"brand":%q,"supply":30,"mode":"grade","dry_run":true}`, brand))
	if code != http.StatusOK {
		t.Fatalf("second dry run = %d %s", code, raw)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE outlets SET grade = CASE WHEN grade < 30 THEN grade + 1 ELSE 1 END
		WHERE id = (SELECT min(id) FROM outlets WHERE status = 'active')`); err != nil {
		t.Fatal(err)
	}
	code, prob, raw, _ := planner.post(base+"/"+stale["id"].(string)+"/publication", "kept-publish-2", "")
	if code != http.StatusConflict || prob["type"] != "/problems/stale-preview" {
		t.Fatalf("publishing a preview made before a grade changed = %d %s; want 409 stale-preview", code, raw)
	}
	var still int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM outlet_limits WHERE allocation_id = $1`, id).Scan(&still); err != nil || still != n {
		t.Errorf("after the refusal %d limits of %s stand (%v); want all %d", still, id, err, n)
	}

	// Two planners preview the brand as it stands now. The first to publish replaces id; the other
	// would replace what it never saw, and is told so; previewed again, it publishes.
	admin := anon.login("admin", demoPassword)
	preview2 := func(c apiClient, key string, supply int) string {
		t.Helper()
		code, p, raw, _ := c.post(base+"?limits=0", key, fmt.Sprintf(`{"brand":%q,"supply":%d,"mode":"grade","dry_run":true}`, brand, supply))
		if code != http.StatusOK {
			t.Fatalf("dry run of %d = %d %s", supply, code, raw)
		}
		return p["id"].(string)
	}
	mine, theirs := preview2(planner, "kept-3", 20), preview2(admin, "kept-4", 22)
	if code, _, raw, _ := planner.post(base+"/"+mine+"/publication?limits=0", "kept-publish-3", ""); code != http.StatusCreated {
		t.Fatalf("publishing the first of two previews = %d %s; want 201", code, raw)
	}
	code, prob, raw, _ = admin.post(base+"/"+theirs+"/publication?limits=0", "kept-publish-4", "")
	if code != http.StatusConflict || prob["type"] != "/problems/published-meanwhile" ||
		!strings.Contains(fmt.Sprint(prob["detail"]), "by planner") || !strings.Contains(fmt.Sprint(prob["detail"]), mine) {
		t.Fatalf("publishing the second of two previews = %d %s; want 409 published-meanwhile naming the planner and %s", code, raw, mine)
	}
	if code, _, raw, _ := planner.post(base+"/"+mine+"/publication?limits=0", "kept-publish-5", ""); code != http.StatusCreated {
		t.Errorf("publishing the first preview again (a new key) = %d %s; want 201, the same allocation", code, raw)
	}
	again := preview2(admin, "kept-5", 22)
	if code, _, raw, _ := admin.post(base+"/"+again+"/publication?limits=0", "kept-publish-6", ""); code != http.StatusCreated {
		t.Errorf("publishing a preview of the brand as it is now = %d %s; want 201", code, raw)
	}
	var from string
	if err := pool.QueryRow(context.Background(), `SELECT sp.allocation_id FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
		JOIN cycles c ON c.id = sp.cycle_id WHERE b.code = $1 AND c.week_start = $2`, brand, week).Scan(&from); err != nil || from != again {
		t.Errorf("the brand's line names allocation %s (%v); want %s, the last published", from, err, again)
	}
}

// Two instances on the same stores, as behind a load balancer: a preview answered by one is paged and
// published through the other (the kept copy comes from PostgreSQL, not the first one's memory), and
// two planners who previewed the same brand from the same state publish at once, one through each
// instance: one allocation is published, the other refused as published meanwhile, never both.
func TestAllocationPreviewsAcrossInstances(t *testing.T) {
	a, pg, ch := seededServerDSNs(t)
	b := startServe(t, "-pg-dsn", pg, "-ch-dsn", ch)
	plannerA := apiClient{t: t, base: a.url}.login("planner", demoPassword)
	plannerB := apiClient{t: t, base: b.url, token: plannerA.token}
	adminB := apiClient{t: t, base: b.url}.login("admin", demoPassword)
	r1 := apiClient{t: t, base: a.url}.login("retailer1", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+jsonNumber(me["outlet"].(map[string]any)["id"])+"/catalogue", "")
	week := cat["cycle"].(string)
	brand := seededBrands(t, pg, 1)[0]
	base := "/api/v1/cycles/" + week + "/allocations"
	preview := func(c apiClient, key string, supply, show int) map[string]any {
		t.Helper()
		code, p, raw, _ := c.post(fmt.Sprintf("%s?limits=%d", base, show), key,
			fmt.Sprintf(`{"brand":%q,"supply":%d,"mode":"grade","dry_run":true}`, brand, supply))
		if code != http.StatusOK {
			t.Fatalf("dry run of %d = %d %s", supply, code, raw)
		}
		return p
	}

	// Previewed on A, paged and published on B.
	first := preview(plannerA, "across-1", 25, 20)
	id := first["id"].(string)
	code, page, raw := plannerB.do("GET", base+"/"+id+"?offset=5&limits=5", "")
	if code != http.StatusOK || fmt.Sprint(page["summary"]) != fmt.Sprint(first["summary"]) {
		t.Fatalf("instance B's page of A's preview = %d %s; want A's summary", code, raw)
	}
	for i, l := range page["limits"].([]any) {
		if want := first["limits"].([]any)[5+i]; fmt.Sprint(l) != fmt.Sprint(want) {
			t.Errorf("instance B's limit %d = %v; A answered %v", 5+i, l, want)
		}
	}
	if code, pub, raw, _ := plannerB.post(base+"/"+id+"/publication?limits=0", "across-publish-1", ""); code != http.StatusCreated || pub["id"] != id {
		t.Fatalf("publishing A's preview on B = %d %s; want 201", code, raw)
	}

	// Two planners, one preview each of the brand as it stands, published at once through A and B.
	mine, theirs := preview(plannerA, "across-2", 20, 0)["id"].(string), preview(adminB, "across-3", 22, 0)["id"].(string)
	type answer struct {
		code int
		prob map[string]any
	}
	answers := make([]answer, 2)
	var wg sync.WaitGroup
	for i, p := range []struct {
		c  apiClient
		id string
	}{{plannerA, mine}, {adminB, theirs}} {
		wg.Go(func() {
			code, body, _, _ := p.c.post(base+"/"+p.id+"/publication?limits=0", "across-publish-"+p.id, "")
			answers[i] = answer{code, body}
		})
	}
	wg.Wait()
	won := -1
	for i, ans := range answers {
		switch {
		case ans.code == http.StatusCreated && won < 0:
			won = i
		case ans.code == http.StatusCreated:
			t.Fatalf("both previews were published: %v", answers)
		case ans.code != http.StatusConflict || ans.prob["type"] != "/problems/published-meanwhile":
			t.Fatalf("publication %d = %d %v; want 201, or 409 published-meanwhile", i, ans.code, ans.prob)
		}
	}
	if won < 0 {
		t.Fatalf("neither preview was published: %v", answers)
	}
	pool := storestest.OpenPostgres(t, pg)
	var from string
	if err := pool.QueryRow(context.Background(), `SELECT sp.allocation_id FROM supply_plans sp JOIN brands b ON b.id = sp.brand_id
		JOIN cycles c ON c.id = sp.cycle_id WHERE b.code = $1 AND c.week_start = $2`, brand, week).Scan(&from); err != nil {
		t.Fatal(err)
	}
	var limitsFrom int
	if err := pool.QueryRow(context.Background(), `SELECT count(DISTINCT allocation_id) FROM outlet_limits l JOIN brands b ON b.id = l.brand_id
		JOIN cycles c ON c.id = l.cycle_id WHERE b.code = $1 AND c.week_start = $2`, brand, week).Scan(&limitsFrom); err != nil {
		t.Fatal(err)
	}
	if want := []string{mine, theirs}[won]; from != want || limitsFrom != 1 {
		t.Errorf("the brand's line names %s and its limits come from %d allocations; want %s's alone", from, limitsFrom, want)
	}
}
