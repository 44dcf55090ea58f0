package monitoring

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v4"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// promtool runs Debian's promtool (package prometheus; deploy/local/test.sh installs it).
func promtool(t *testing.T, args ...string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: apt-get install prometheus (deploy/local/test.sh installs it)")
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestPrometheusConfigurationIsValid(t *testing.T) {
	promtool(t, "check", "config", "prometheus.yml")
	promtool(t, "check", "rules", "alerts.yml")
}

func TestAlertRulesUnitTests(t *testing.T) {
	promtool(t, "test", "rules", "alerts_test.yml")
}

// Every alert of alerts.yml has a unit test that expects it to fire.
func TestEveryAlertIsTestedFiring(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert string } `yaml:"rules"`
		} `yaml:"groups"`
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, "alerts.yml", &rules)
	readYAML(t, "alerts_test.yml", &tests)
	firing := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			}
		}
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if !firing[r.Alert] {
				t.Errorf("alert %s has no test in alerts_test.yml that expects it to fire", r.Alert)
			}
		}
	}
}

// Every metric a rule or a panel queries is exported by a running ordercast serve, or is Prometheus's
// own "up".
func TestQueriesNameExportedMetrics(t *testing.T) {
	storestest.SkipShort(t)
	exported := scrapeServe(t)
	queries := map[string][]string{} // file → expressions
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string } `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, "alerts.yml", &rules)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			queries["alerts.yml "+r.Alert] = append(queries["alerts.yml "+r.Alert], r.Expr)
		}
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	raw, err := os.ReadFile("dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries["dashboard.json "+p.Title] = append(queries["dashboard.json "+p.Title], tg.Expr)
		}
	}
	checked := 0
	for where, exprs := range queries {
		for _, e := range exprs {
			names := metricNames(e)
			if len(names) == 0 {
				t.Errorf("%s: no metric in %q", where, e)
			}
			for _, n := range names {
				checked++
				if n != "up" && !exported[n] {
					t.Errorf("%s: %s is not exported by ordercast serve (query %q)", where, n, e)
				}
			}
		}
	}
	t.Logf("%d metric references in %d rules and panels, against %d exported series names", checked, len(queries), len(exported))
}

func TestMetricNamesOfAQuery(t *testing.T) {
	got := metricNames(`sum by (le) (rate(ordercast_http_request_duration_seconds_bucket{code=~"5..", route="/x"}[5m]))
		/ on() group_left sum(rate(ordercast_http_requests_total[5m])) > 0.02 and absent(up{job="ordercast"} == 1)
		and time() - max(ordercast_job_last_success_timestamp_seconds{job="cutoff"}) > 8 * 86400`)
	want := []string{"ordercast_http_request_duration_seconds_bucket", "ordercast_http_requests_total", "ordercast_job_last_success_timestamp_seconds", "up"}
	if !slices.Equal(got, want) {
		t.Errorf("metricNames = %v; want %v", got, want)
	}
}

var (
	quoted    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	braces    = regexp.MustCompile(`\{[^}]*\}`)
	brackets  = regexp.MustCompile(`\[[^\]]*\]`)
	grouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	ident     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	operators = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
)

// metricNames returns the sorted metric names a PromQL expression selects: identifiers that are not
// functions, keywords, label names or values, or durations.
func metricNames(expr string) []string {
	s := quoted.ReplaceAllString(expr, " ")
	s = braces.ReplaceAllString(s, " ")
	s = brackets.ReplaceAllString(s, " ")
	s = grouping.ReplaceAllString(s, " ")
	seen := map[string]bool{}
	for _, loc := range ident.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if operators[strings.ToLower(name)] || strings.HasPrefix(rest, "(") {
			continue
		}
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.') {
			continue // the exponent or unit of a number
		}
		seen[name] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// scrapeServe builds ordercast, serves it on new test stores, makes one request and returns the names
// of the series /metrics exports (with a histogram's _bucket, _sum and _count).
func scrapeServe(t *testing.T) map[string]bool {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ordercast")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ordercast").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "-addr", "127.0.0.1:0", "-pg-dsn", pg, "-ch-dsn", ch)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()         //nolint:errcheck // killed by cancel
	defer cmd.Process.Kill() //nolint:errcheck
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "ordercast: serving on ")
	if err != nil || !ok {
		t.Fatalf("first line %q, %v; want the serving address", line, err)
	}
	get := func(path string) []byte {
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	get("/healthz")
	// The scheduled jobs try at start; their last success comes from the record after a try.
	deadline := time.Now().Add(30 * time.Second)
	var families map[string]*dto.MetricFamily
	for {
		p := expfmt.NewTextParser(model.LegacyValidation)
		families, err = p.TextToMetricFamilies(strings.NewReader(string(get("/metrics"))))
		if err != nil {
			t.Fatalf("parse /metrics: %v", err)
		}
		if families["ordercast_job_last_success_timestamp_seconds"] != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	names := map[string]bool{}
	for name, f := range families {
		names[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY {
			names[name+"_sum"], names[name+"_count"] = true, true
			if f.GetType() == dto.MetricType_HISTOGRAM {
				names[name+"_bucket"] = true
			}
		}
	}
	return names
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
