package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAPISatisfaction: an account manager records its outlet's monthly score with a comment (PUT:
// 201, then 200 replacing it), planners read every outlet's scores, another manager gets 404, and
// bad input is refused field by field.
func TestAPISatisfaction(t *testing.T) {
	s, _ := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	manager1, manager2, planner := anon.login("manager1", demoPassword), anon.login("manager2", demoPassword), anon.login("planner", demoPassword)
	_, me, _ := anon.login("retailer1", demoPassword).do("GET", "/api/v1/me", "")
	id := jsonNumber(me["outlet"].(map[string]any)["id"])
	month := time.Now().UTC().Format("2006-01")
	path := "/api/v1/outlets/" + id + "/satisfaction/" + month

	code, got, raw := manager1.do("PUT", path, `{"score":91.5,"comment":"asks for more scarce brands"}`)
	if code != http.StatusCreated || got["score"] != 91.5 || got["recorded_by"] != "manager1" || got["month"] != month {
		t.Fatalf("PUT %s as manager1 = %d %s; want 201 with the score recorded by manager1", path, code, raw)
	}
	code, got, raw = manager1.do("PUT", path, `{"score":72,"comment":"late delivery"}`)
	if code != http.StatusOK || got["score"] != 72.0 || got["comment"] != "late delivery" {
		t.Fatalf("PUT again = %d %s; want 200 with the score replaced", code, raw)
	}
	code, got, raw = planner.do("GET", "/api/v1/satisfaction?outlet="+id+"&month="+month, "")
	scores, _ := got["scores"].([]any)
	if code != http.StatusOK || len(scores) != 1 || scores[0].(map[string]any)["comment"] != "late delivery" {
		t.Fatalf("GET /satisfaction as planner = %d %s; want the one replaced score", code, raw)
	}

	// The seed's scores: every outlet of the region may have some, a manager reads its own only.
	_, all, _ := planner.do("GET", "/api/v1/satisfaction?limit=200", "")
	_, own, _ := manager2.do("GET", "/api/v1/satisfaction?limit=200", "")
	nAll, nOwn := len(all["scores"].([]any)), len(own["scores"].([]any))
	if nAll <= 1 || nOwn == 0 || nOwn >= nAll {
		t.Errorf("planner reads %d scores, manager2 %d; want seeded scores, manager2 some of them", nAll, nOwn)
	}
	for _, sc := range own["scores"].([]any) {
		if jsonNumber(sc.(map[string]any)["outlet"]) == id {
			t.Errorf("manager2 reads a score of manager1's outlet %s", id)
		}
	}
	// Paging: two pages of one follow each other.
	_, p1, _ := planner.do("GET", "/api/v1/satisfaction?limit=1", "")
	next, _ := p1["next"].(string)
	_, p2, raw := planner.do("GET", "/api/v1/satisfaction"+next, "")
	if next == "" || len(p2["scores"].([]any)) != 1 || fmt.Sprint(p2["scores"]) == fmt.Sprint(p1["scores"]) {
		t.Errorf("page 2 (%q) = %s; want the next score", next, raw)
	}

	tests := []struct {
		name       string
		c          apiClient
		path, body string
		wantStatus int
		wantField  string
		outside    bool // outside openapi.json on purpose
	}{
		{"another manager's outlet", manager2, path, `{"score":50}`, http.StatusNotFound, "", false},
		{"planners only read", planner, path, `{"score":50}`, http.StatusForbidden, "", false},
		{"no score", manager1, path, `{"comment":"x"}`, http.StatusUnprocessableEntity, "score", true},
		{"score above 100", manager1, path, `{"score":101}`, http.StatusUnprocessableEntity, "score", true},
		{"two decimals", manager1, path, `{"score":80.25}`, http.StatusUnprocessableEntity, "score", false},
		{"a month not begun", manager1, "/api/v1/outlets/" + id + "/satisfaction/" + time.Now().UTC().AddDate(0, 2, 0).Format("2006-01"), `{"score":50}`, http.StatusUnprocessableEntity, "month", false},
		{"not a month", manager1, "/api/v1/outlets/" + id + "/satisfaction/2026-13", `{"score":50}`, http.StatusUnprocessableEntity, "month", false},
		{"a field not in the request", manager1, path, `{"score":50,"recorded_by":"planner"}`, http.StatusUnprocessableEntity, "recorded_by", true},
		{"bad month filter", planner, "/api/v1/satisfaction?month=11-2026", "", http.StatusUnprocessableEntity, "month", true},
		{"unknown filter", planner, "/api/v1/satisfaction?score=90", "", http.StatusBadRequest, "score", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "PUT"
			if tt.body == "" {
				method = "GET"
			}
			c := tt.c
			if tt.outside {
				c = c.badRequest()
			}
			code, got, raw := c.do(method, tt.path, tt.body)
			if code != tt.wantStatus {
				t.Fatalf("%s %s = %d %s; want %d", method, tt.path, code, raw, tt.wantStatus)
			}
			if tt.wantField != "" && !strings.Contains(fmt.Sprint(got["errors"]), "field:"+tt.wantField) {
				t.Errorf("%s %s = %s; want a field error on %s", method, tt.path, raw, tt.wantField)
			}
		})
	}
}
