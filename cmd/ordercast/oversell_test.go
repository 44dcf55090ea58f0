package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// A brand's supply in a cycle is never oversold when many outlets order it at once through two serve
// instances on one PostgreSQL: the cartons granted add up to the supply exactly, every line cut by it
// says so, and what PostgreSQL holds is what the retailers were told.
func TestSupplyNeverOversoldAcrossInstances(t *testing.T) {
	two := startTwoInstances(t, 200, 120)
	ctx, a, b, pg, hc, rs := two.ctx, two.a, two.b, two.pg, two.hc, two.retailers
	// The retailers of the cycle most of them order in, and a brand on sale to all of them.
	byCycle := map[string][]benchRetailer{}
	for _, r := range rs.list {
		c := apiClient{t: t, base: a.url, token: r.token}
		_, cat, raw := c.do("GET", "/api/v1/outlets/"+strconv.FormatInt(r.outletID, 10)+"/catalogue", "")
		week, ok := cat["cycle"].(string)
		if !ok {
			t.Fatalf("catalogue without its cycle: %s", raw)
		}
		byCycle[week] = append(byCycle[week], r)
	}
	var week string
	for w, list := range byCycle {
		if len(list) > len(byCycle[week]) {
			week = w
		}
	}
	ordering := byCycle[week]
	brand := ordering[0].brands[0]
	for _, r := range ordering {
		if !contains(r.brands, brand) {
			t.Fatalf("brand %s not on sale to outlet %d", brand, r.outletID)
		}
	}
	if len(ordering) < 40 {
		t.Fatalf("%d outlets order in cycle %s; want at least 40", len(ordering), week)
	}
	supply := len(ordering) // each asks for 3: three times the supply is asked for
	planner := apiClient{t: t, base: b.url}.login("planner", demoPassword)
	if code, _, raw, _ := planner.doWith("PUT", "/api/v1/cycles/"+week+"/supply",
		fmt.Sprintf(`{"plan":[{"brand":%q,"on_sale":true,"supply_cartons":%d}]}`, brand, supply), nil); code >= 300 {
		t.Fatalf("publish a supply of %d = %d %s", supply, code, raw)
	}

	var told, cut atomic.Int64
	err := forEach(ctx, len(ordering), 32, func(i int) error {
		r := ordering[i]
		base := a.url
		if i%2 == 1 {
			base = b.url
		}
		ans, err := postKeyed(ctx, hc, base, r.token, r.outletID, fmt.Sprintf("oversell-%d", i),
			fmt.Sprintf(`{"lines":[{"brand":%q,"quantity":3}]}`, brand))
		if err != nil {
			return err
		}
		if ans.status != http.StatusCreated {
			return fmt.Errorf("outlet %d = %d %.300s; want 201", r.outletID, ans.status, ans.body)
		}
		var o struct {
			Lines []struct {
				Brand   string `json:"brand"`
				Granted int64  `json:"granted"`
				Limited string `json:"limited"`
			} `json:"lines"`
		}
		if err := json.Unmarshal([]byte(ans.body), &o); err != nil {
			return err
		}
		for _, l := range o.Lines {
			told.Add(l.Granted)
			if l.Granted < 3 {
				if l.Limited != "supply" {
					return fmt.Errorf("outlet %d granted %d of 3 with limited %q; want supply", r.outletID, l.Granted, l.Limited)
				}
				cut.Add(1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var held int64
	pool := storestest.OpenPostgres(t, pg)
	if err := pool.QueryRow(ctx, `SELECT coalesce(sum(l.granted_cartons), 0) FROM order_lines l
		JOIN orders o ON o.id = l.order_id JOIN cycles c ON c.id = o.cycle_id JOIN brands b ON b.id = l.brand_id
		WHERE c.week_start = $1::date AND b.code = $2 AND o.status NOT IN ('cancelled', 'failed')`, week, brand).Scan(&held); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d outlets asked for %d cartons of %s through two instances against a supply of %d: %d granted, %d lines cut",
		len(ordering), 3*len(ordering), brand, supply, told.Load(), cut.Load())
	if told.Load() != int64(supply) || held != int64(supply) {
		t.Errorf("granted %d (told), %d (in PostgreSQL); want exactly the supply, %d", told.Load(), held, supply)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
