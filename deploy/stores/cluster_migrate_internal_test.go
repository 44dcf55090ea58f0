package stores

import (
	"errors"
	"strings"
	"testing"
)

func TestClusterStatementsInsertSelect(t *testing.T) {
	got, err := clusterStatements("ordercast", "db", "INSERT INTO forecasts_by_brand (run_id, outlet, point)\n"+
		"SELECT run_id, outlet, point FROM forecasts WHERE level = 'outlet'")
	if err != nil {
		t.Fatal(err)
	}
	want := "INSERT INTO forecasts_by_brand_local (run_id, outlet, point) SELECT run_id, outlet, point FROM forecasts_local WHERE level = 'outlet'"
	if len(got) != 1 || strings.Join(strings.Fields(got[0]), " ") != want {
		t.Fatalf("got %q\nwant [%q]", got, want)
	}
	for _, stmt := range []string{
		"INSERT INTO forecasts_by_brand (run_id) SELECT run_id FROM forecast_runs",         // other shard key
		"INSERT INTO forecasts_by_brand (run_id) SELECT run_id FROM nowhere",               // no shard key
		"INSERT INTO forecasts_by_brand (run_id) SELECT run_id FROM (SELECT * FROM sales)", // subquery
		"INSERT INTO forecasts_by_brand SELECT * FROM forecasts",                           // no columns named
	} {
		if _, err := clusterStatements("ordercast", "db", stmt); !errors.Is(err, ErrClusterStatement) {
			t.Errorf("%s: got %v, want ErrClusterStatement", stmt, err)
		}
	}
}
