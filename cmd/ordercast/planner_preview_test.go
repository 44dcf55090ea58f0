package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
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
