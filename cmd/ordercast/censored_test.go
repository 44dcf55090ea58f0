package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// On a small seeded region, a corrected backtest learns the demand lost to empty shelves from the
// collection points' scans, and its forecasts sit much closer to the true demand than those learnt
// from sell-in as recorded, which fall short of it.
func TestForecastBacktestLearnsCensoredDemand(t *testing.T) {
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	if _, stderr, err := runCmd(t, "seed", "--outlets", "300", "--brands", "12", "--weeks", "60", "--as-of", "2026-11-22",
		"--pg-dsn", pg, "--ch-dsn", ch); err != nil {
		t.Fatalf("seed: %v (%s)", err, stderr)
	}
	bias := func(args ...string) float64 {
		t.Helper()
		args = append([]string{"forecast", "backtest", "--ch-dsn", ch, "--against", "demand", "--json"}, args...)
		stdout, stderr, err := runCmd(t, args...)
		if err != nil {
			t.Fatalf("%q: %v (%s)", args, err, stderr)
		}
		var res struct {
			Corrected bool               `json:"corrected"`
			Engine    map[string]float64 `json:"engine"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("%q printed %q: %v", args, stdout, err)
		}
		return res.Engine["bias"]
	}
	raw, learnt := bias("--correct=false"), bias()
	t.Logf("engine bias against the true demand: %+.4f from sell-in, %+.4f learnt from the scans", raw, learnt)
	if raw > -0.05 {
		t.Fatalf("bias learnt from sell-in as recorded %+.4f; want it well below the demand, or the region tests nothing", raw)
	}
	// A region this small has few collection points (about 35) to learn from: the bound is loose
	// here; docs/BENCHMARKS.md measures the correction on larger regions.
	if math.Abs(learnt) > 0.08 || math.Abs(learnt) > math.Abs(raw)/2 {
		t.Errorf("bias learnt from the scans %+.4f (sell-in: %+.4f); want within ±8%% and less than half", learnt, raw)
	}
	stdout, stderr, err := runCmd(t, "forecast", "backtest", "--ch-dsn", ch, "--against", "demand", "--origins", "1")
	if err != nil {
		t.Fatalf("forecast backtest: %v (%s)", err, stderr)
	}
	for _, want := range []string{"scanned collection-point weeks", "per unit of expected sell-in (of expected unmet request)",
		"of the week's unmet request", "the corrected level uncertain by"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("forecast backtest does not say what it learnt from the scans (%q):\n%s", want, stdout)
		}
	}
}
