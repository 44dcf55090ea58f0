package backup

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

func TestBackupDropRestoreReadsTheSame(t *testing.T) {
	storestest.SkipShort(t)
	pg, ch := storestest.MigratedPostgresDSN(t), storestest.MigratedClickHouseDSN(t)
	bin := filepath.Join(t.TempDir(), "ordercast")
	mustRun(t, nil, "go", "build", "-o", bin, "../../cmd/ordercast")
	stores := []string{"-pg-dsn", pg, "-ch-dsn", ch}
	mustRun(t, nil, bin, append([]string{"seed", "-outlets", "30", "-brands", "6", "-weeks", "12", "-as-of", "2026-11-22"}, stores...)...)
	mustRun(t, nil, bin, "forecast", "run", "-ch-dsn", ch)
	before := snapshot(t, pg, ch)
	if before["postgresql orders"] == "" || before["clickhouse sales"] == "" || before["clickhouse forecasts"] == "" {
		t.Fatalf("the seeded stores lack tables: %v", keys(before))
	}

	dir := t.TempDir()
	env := []string{"ORDERCAST_PG_DSN=" + pg, "ORDERCAST_CH_DSN=" + ch}
	mustRun(t, env, "./backup.sh", "-o", dir)

	// Both stores lost.
	mustRun(t, nil, "psql", pg, "-Xqc", "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
	chArgs := clickhouseArgs(t, ch)
	mustRun(t, nil, "clickhouse-client", append(chArgs, "--query", "DROP DATABASE "+database(t, ch))...)
	if after := snapshot(t, pg, ch); len(after) != 0 {
		t.Fatalf("tables left after the drop: %v", keys(after))
	}

	mustRun(t, env, "./restore.sh", "-f", dir)
	compareSnapshots(t, "one server", before, snapshot(t, pg, ch))
	// The restored stores are at the binary's schema version: migrate finds nothing to do.
	if out := mustRun(t, nil, bin, append([]string{"migrate"}, stores...)...); strings.Contains(out, "applied") {
		t.Errorf("migrate after restore applied migrations:\n%s", out)
	}
}

// A replicated cluster (two shards of two replicas) backed up shard by shard from one replica each,
// both stores dropped (the database on every server), and restored through the Replicated tables
// into one replica a shard: every server's every table reads as before, the Distributed tables too,
// so the second replicas filled themselves.
func TestClusterBackupDropRestoreReadsTheSame(t *testing.T) {
	storestest.SkipShort(t)
	cluster := storestest.StartClickHouseReplicas(t, 2, 2)
	pg, ch := storestest.MigratedPostgresDSN(t), cluster.DSN()
	bin := filepath.Join(t.TempDir(), "ordercast")
	mustRun(t, nil, "go", "build", "-o", bin, "../../cmd/ordercast")
	chStore := []string{"-ch-dsn", ch, "-ch-cluster", storestest.ClusterName}
	stores := append([]string{"-pg-dsn", pg}, chStore...)
	mustRun(t, nil, bin, append([]string{"migrate"}, stores...)...)
	mustRun(t, nil, bin, append([]string{"seed", "-outlets", "30", "-brands", "6", "-weeks", "12", "-as-of", "2026-11-22"}, stores...)...)
	mustRun(t, nil, bin, append([]string{"forecast", "run"}, chStore...)...)
	serverSnapshots := func() []map[string]string {
		var out []map[string]string
		for _, s := range cluster.Servers {
			out = append(out, chSnapshot(t, s.DatabaseDSN(ch)))
		}
		return out
	}
	before, beforeServers := snapshot(t, pg, ch), serverSnapshots()
	if before["clickhouse sales"] == "" || before["clickhouse sales_local"] == "" || before["clickhouse forecasts"] == "" {
		t.Fatalf("the seeded cluster lacks tables: %v", keys(before))
	}

	dir := t.TempDir()
	env := []string{"ORDERCAST_PG_DSN=" + pg, "ORDERCAST_CH_DSN=" + ch, "ORDERCAST_CH_CLUSTER=" + storestest.ClusterName}
	mustRun(t, env, "./backup.sh", "-o", dir)

	mustRun(t, nil, "psql", pg, "-Xqc", "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
	for _, s := range cluster.Servers {
		mustRun(t, nil, "clickhouse-client", append(clickhouseArgs(t, s.DSN()), "--query", "DROP DATABASE "+database(t, ch))...)
	}
	if after := snapshot(t, pg, ch); len(after) != 0 {
		t.Fatalf("tables left after the drop: %v", keys(after))
	}

	mustRun(t, env, "./restore.sh", "-f", dir)
	compareSnapshots(t, "the cluster through its entry server", before, snapshot(t, pg, ch))
	for i, after := range serverSnapshots() {
		compareSnapshots(t, fmt.Sprintf("server %d (shard %d, replica %d)", i+1, i%2+1, i/2+1), beforeServers[i], after)
	}
	if out := mustRun(t, nil, bin, append([]string{"migrate"}, stores...)...); strings.Contains(out, "applied") {
		t.Errorf("migrate after restore applied migrations:\n%s", out)
	}
}

// snapshot returns, per table of both stores, its row count and a hash of its sorted rows.
func snapshot(t *testing.T, pg, ch string) map[string]string {
	t.Helper()
	out := chSnapshot(t, ch)
	tables := mustRun(t, nil, "psql", pg, "-XAtc", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
	for _, table := range strings.Fields(tables) {
		rows := mustRun(t, nil, "psql", pg, "-XAtc", fmt.Sprintf(`SELECT x::text FROM public.%q x`, table))
		out["postgresql "+table] = digest(rows)
	}
	return out
}

// chSnapshot returns, per table of the ClickHouse database of ch, "clickhouse TABLE" → its row count
// and a hash of its sorted rows; nothing when the database does not exist.
func chSnapshot(t *testing.T, ch string) map[string]string {
	t.Helper()
	out := map[string]string{}
	args, db := clickhouseArgs(t, ch), database(t, ch)
	exists := mustRun(t, nil, "clickhouse-client", append(args, "--query", fmt.Sprintf("SELECT count() FROM system.databases WHERE name = '%s'", db))...)
	if strings.TrimSpace(exists) == "0" {
		return out
	}
	tables := mustRun(t, nil, "clickhouse-client", append(args, "--query", fmt.Sprintf("SELECT name FROM system.tables WHERE database = '%s'", db))...)
	for _, table := range strings.Fields(tables) {
		rows := mustRun(t, nil, "clickhouse-client", append(args, "--query", fmt.Sprintf("SELECT * FROM `%s`.`%s` FORMAT TSV", db, table))...)
		out["clickhouse "+table] = digest(rows)
	}
	return out
}

// compareSnapshots fails the test for every table whose snapshot after differs from before's.
func compareSnapshots(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for _, k := range keys(before) {
		if after[k] != before[k] {
			t.Errorf("%s: %s after restore = %s; before the backup %s", what, k, after[k], before[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("%s: tables after restore %v; before %v", what, keys(after), keys(before))
	}
}

// digest is "N rows, sha256 of the sorted rows".
func digest(rows string) string {
	lines := strings.Split(strings.TrimRight(rows, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	slices.Sort(lines)
	return fmt.Sprintf("%d rows %x", len(lines), sha256.Sum256([]byte(strings.Join(lines, "\n"))))
}

func clickhouseArgs(t *testing.T, dsn string) []string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--host", u.Hostname(), "--port", u.Port()}
	if u.User != nil {
		args = append(args, "--user", u.User.Username())
		if p, ok := u.User.Password(); ok {
			args = append(args, "--password", p)
		}
	}
	return args
}

func database(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func mustRun(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

func keys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
