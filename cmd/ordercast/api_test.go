package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/forecast"
)

// apiClient calls the JSON API of a running server.
type apiClient struct {
	t       testing.TB
	base    string
	token   string
	invalid bool // requests deliberately outside openapi.json (see badRequest)
}

// badRequest returns a copy of a whose requests break the contract on purpose, to test how the server
// refuses them: their responses are validated against openapi.json, the requests are not.
func (a apiClient) badRequest() apiClient {
	a.invalid = true
	return a
}

func (a apiClient) do(method, path, body string) (int, map[string]any, string) {
	a.t.Helper()
	code, m, raw, _ := a.doWith(method, path, body, nil)
	return code, m, raw
}

// doWith sends a request with extra headers and returns the status, the body as a JSON object (nil if
// it is none), the raw body and the response headers.
func (a apiClient) doWith(method, path, body string, header map[string]string) (int, map[string]any, string, http.Header) {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if a.invalid {
		req = deliberatelyInvalid(req)
	}
	res, err := contractClient(a.t).Do(req) // validates the exchange against openapi.json
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(raw, &m) //nolint:errcheck // a non-object body leaves m nil; raw is returned too
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		a.t.Errorf("%s %s = %d with Content-Type %q; want application/problem+json", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res.StatusCode, m, string(raw), res.Header
}

func (a apiClient) login(username, password string) apiClient {
	a.t.Helper()
	code, m, raw := a.do("POST", "/api/v1/sessions", `{"username":"`+username+`","password":"`+password+`"}`)
	if code != http.StatusCreated {
		a.t.Fatalf("login %s = %d %s; want 201", username, code, raw)
	}
	a.token = m["token"].(string)
	return a
}

// seededServer seeds a small region into new databases and serves it; it returns the PostgreSQL DSN.
func seededServer(t testing.TB, extra ...string) (*served, string) {
	t.Helper()
	s, pg, _ := seededServerDSNs(t, extra...)
	return s, pg
}

// seededServerDSNs is seededServer that returns the ClickHouse DSN as well.
func seededServerDSNs(t testing.TB, extra ...string) (s *served, pgDSN, chDSN string) {
	t.Helper()
	return seededServerAsOf(t, "2026-11-22", extra...)
}

// recentSeededServer is seededServerDSNs with the region seeded as of recentSeedDay: for the tests
// that read weeks counted back from today (the managers' benchmarks, the suggestions without a
// forecast, the portal's sales), which a fixed day would leave empty some weeks later.
func recentSeededServer(t testing.TB, extra ...string) (s *served, pgDSN, chDSN string) {
	t.Helper()
	return seededServerAsOf(t, recentSeedDay(time.Now().In(shanghai(t))), extra...)
}

// recentSeedDay is the Sunday before last, in the region, as of now: a region seeded as of it is as
// far behind today as the tests' fixed day, 2026-11-22, was when they were written (8 to 14 days),
// whatever today is. Its week under way is over and the current cycle, serve's, is empty.
func recentSeedDay(now time.Time) string {
	return forecast.Monday(now).AddDate(0, 0, -8).Format(time.DateOnly)
}

func seededServerAsOf(t testing.TB, asOf string, extra ...string) (s *served, pgDSN, chDSN string) {
	t.Helper()
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	out, stderr, err := run("seed", "-pg-dsn", pg, "-ch-dsn", ch, "-outlets", "40", "-brands", "8", "-weeks", "12", "-as-of", asOf)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "retailer1") || !strings.Contains(out, "manager2") {
		t.Fatalf("seed summary lacks the demo logins:\n%s", out)
	}
	return startServe(t, append([]string{"-pg-dsn", pg, "-ch-dsn", ch}, extra...)...), pg, ch
}

func TestAPISessions(t *testing.T) {
	s, _ := seededServer(t, "-max-body", "2048")
	anon := apiClient{t: t, base: s.url}

	retailer := anon.login("retailer1", demoPassword)
	code, me, raw := retailer.do("GET", "/api/v1/me", "")
	outlet, _ := me["outlet"].(map[string]any)
	if code != http.StatusOK || outlet == nil || outlet["grade"] == nil || outlet["order_day"] == nil || outlet["balance_cents"] == nil {
		t.Errorf("GET /me as a retailer = %d %s; want the outlet's profile with grade, order day and balance", code, raw)
	}

	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
		wantType, wantField             string
		badRequest                      bool // outside openapi.json on purpose
	}{
		{"wrong password", "POST", "/api/v1/sessions", "", `{"username":"retailer1","password":"nope-nope"}`, 401, "/problems/invalid-credentials", "", false},
		{"unknown user", "POST", "/api/v1/sessions", "", `{"username":"ghost","password":"nope-nope"}`, 401, "/problems/invalid-credentials", "", false},
		{"missing password", "POST", "/api/v1/sessions", "", `{"username":"retailer1"}`, 422, "/problems/invalid-fields", "password", true},
		{"protected field", "POST", "/api/v1/sessions", "", `{"username":"retailer1","password":"x","role":"admin"}`, 422, "/problems/invalid-fields", "role", true},
		{"malformed JSON", "POST", "/api/v1/sessions", "", `{"username":`, 400, "/problems/invalid-request", "", true},
		{"wrong type", "POST", "/api/v1/sessions", "", `{"username":7,"password":"x"}`, 422, "/problems/invalid-fields", "username", true},
		{"body too large", "POST", "/api/v1/sessions", "", `{"username":"` + strings.Repeat("x", 4000) + `"}`, 413, "/problems/body-too-large", "", true},
		{"no token", "GET", "/api/v1/me", "", "", 401, "/problems/unauthenticated", "", true},
		{"malformed token", "GET", "/api/v1/me", "not-a-token", "", 401, "/problems/unauthenticated", "", false},
		{"unknown token", "GET", "/api/v1/me", "oc_" + strings.Repeat("A", 43), "", 401, "/problems/unauthenticated", "", false},
		{"unknown API route", "GET", "/api/v1/nothing-here", retailer.token, "", 404, "/problems/not-found", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := apiClient{t: t, base: s.url, token: tt.token, invalid: tt.badRequest}
			code, m, raw := c.do(tt.method, tt.path, tt.body)
			if code != tt.wantStatus || m["type"] != tt.wantType {
				t.Fatalf("%s %s = %d %s; want %d %s", tt.method, tt.path, code, raw, tt.wantStatus, tt.wantType)
			}
			if tt.wantField != "" && !strings.Contains(raw, `"field":"`+tt.wantField+`"`) {
				t.Errorf("%s %s = %s; want a field error for %q", tt.method, tt.path, raw, tt.wantField)
			}
		})
	}

	t.Run("logout revokes the token", func(t *testing.T) {
		c := anon.login("planner", demoPassword)
		if code, _, raw := c.do("DELETE", "/api/v1/sessions/current", ""); code != http.StatusNoContent {
			t.Fatalf("DELETE /sessions/current = %d %s; want 204", code, raw)
		}
		if code, _, _ := c.do("GET", "/api/v1/me", ""); code != http.StatusUnauthorized {
			t.Errorf("GET /me after logout = %d; want 401", code)
		}
	})

	t.Run("more than 10 failed logins a minute get 429", func(t *testing.T) {
		for i := 0; i < 10; i++ {
			if code, _, raw := anon.do("POST", "/api/v1/sessions", `{"username":"manager2","password":"wrong-wrong"}`); code != http.StatusUnauthorized {
				t.Fatalf("failed login %d = %d %s; want 401", i+1, code, raw)
			}
		}
		code, m, raw := anon.do("POST", "/api/v1/sessions", `{"username":"manager2","password":"`+demoPassword+`"}`)
		if code != http.StatusTooManyRequests || m["type"] != "/problems/too-many-logins" {
			t.Errorf("11th login = %d %s; want 429", code, raw)
		}
		anon.login("manager1", demoPassword) // another account is not affected
	})
}

// Every route that takes an outlet id, for two retailers and two managers: their own outlets answer,
// others' are 404 with no byte of the other's data.
func TestAPIOutletAuthorization(t *testing.T) {
	s, _ := seededServer(t)
	anon := apiClient{t: t, base: s.url}
	users := map[string]apiClient{}
	for _, u := range []string{"retailer1", "retailer2", "manager1", "manager2", "planner"} {
		users[u] = anon.login(u, demoPassword)
	}
	outletOf := map[string]map[string]any{}
	for _, u := range []string{"retailer1", "retailer2"} {
		_, me, _ := users[u].do("GET", "/api/v1/me", "")
		outletOf[u] = me["outlet"].(map[string]any)
	}
	id := func(u string) string { return jsonNumber(outletOf[u]["id"]) }
	licence := func(u string) string { return outletOf[u]["licence"].(string) }

	allowed := map[string][]string{ // who may see the outlet of retailer1 / retailer2
		"retailer1": {"retailer1", "manager1", "planner"},
		"retailer2": {"retailer2", "manager2", "planner"},
	}
	for owner, who := range allowed {
		for caller, c := range users {
			want := http.StatusNotFound
			for _, w := range who {
				if w == caller {
					want = http.StatusOK
				}
			}
			t.Run(caller+" reads the outlet of "+owner, func(t *testing.T) {
				code, _, raw := c.do("GET", "/api/v1/outlets/"+id(owner), "")
				if code != want {
					t.Fatalf("GET /outlets/%s as %s = %d %s; want %d", id(owner), caller, code, raw, want)
				}
				if want == http.StatusNotFound && strings.Contains(raw, licence(owner)) {
					t.Errorf("404 body for another's outlet contains its licence: %s", raw)
				}
			})
		}
	}
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUserCommand(t *testing.T) {
	s, pg := seededServer(t)
	dir := t.TempDir()
	pw := func(p string) string {
		f := filepath.Join(dir, "pw")
		if err := os.WriteFile(f, []byte(p+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	if out, stderr, err := run("user", "add", "-pg-dsn", pg, "-username", "ops", "-role", "planner", "-password-file", pw("first password")); err != nil {
		t.Fatalf("user add: %v %s", err, stderr)
	} else if !strings.Contains(out, "added user ops") {
		t.Errorf("user add printed %q", out)
	}
	if _, _, err := run("user", "add", "-pg-dsn", pg, "-username", "OPS", "-role", "planner", "-password-file", pw("first password")); err == nil ||
		!strings.Contains(err.Error(), "username taken") {
		t.Errorf("user add of a taken name (other case) = %v; want username taken", err)
	}
	if _, stderr, err := run("user", "add", "-pg-dsn", pg, "-username", "shop", "-role", "retailer", "-outlet", "NOPE", "-password-file", pw("first password")); err != ErrUsage ||
		stderr != `ordercast user add: -outlet: "NOPE": no such outlet`+"\n" {
		t.Errorf("user add with an unknown outlet = %v %q; want a usage error: -outlet: \"NOPE\": no such outlet", err, stderr)
	}
	anon := apiClient{t: t, base: s.url}
	c := anon.login("ops", "first password")
	if _, _, err := run("user", "passwd", "-pg-dsn", pg, "-username", "ops", "-password-file", pw("second password")); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := c.do("GET", "/api/v1/me", ""); code != http.StatusUnauthorized {
		t.Errorf("old session after passwd = %d; want 401 (revoked)", code)
	}
	c = anon.login("ops", "second password")
	if _, _, err := run("user", "disable", "-pg-dsn", pg, "-username", "ops"); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := c.do("GET", "/api/v1/me", ""); code != http.StatusUnauthorized {
		t.Errorf("session after disable = %d; want 401", code)
	}
	if code, _, _ := anon.do("POST", "/api/v1/sessions", `{"username":"ops","password":"second password"}`); code != http.StatusUnauthorized {
		t.Errorf("login of a disabled user = %d; want 401", code)
	}
	if _, _, err := run("user", "passwd", "-pg-dsn", pg, "-username", "ghost", "-password-file", pw("whatever pw")); err == nil {
		t.Error("passwd of an unknown user succeeded")
	}
}
