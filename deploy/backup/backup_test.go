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
	after := snapshot(t, pg, ch)
	for _, k := range keys(before) {
		if after[k] != before[k] {
			t.Errorf("%s after restore = %s; before the backup %s", k, after[k], before[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("tables after restore %v; before %v", keys(after), keys(before))
	}
	// The restored stores are at the binary's schema version: migrate finds nothing to do.
	if out := mustRun(t, nil, bin, append([]string{"migrate"}, stores...)...); strings.Contains(out, "applied") {
		t.Errorf("migrate after restore applied migrations:\n%s", out)
	}
}

// snapshot returns, per table of both stores, its row count and a hash of its sorted rows.
func snapshot(t *testing.T, pg, ch string) map[string]string {
	t.Helper()
	out := map[string]string{}
	tables := mustRun(t, nil, "psql", pg, "-XAtc", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
	for _, table := range strings.Fields(tables) {
		rows := mustRun(t, nil, "psql", pg, "-XAtc", fmt.Sprintf(`SELECT x::text FROM public.%q x`, table))
		out["postgresql "+table] = digest(rows)
	}
	args, db := clickhouseArgs(t, ch), database(t, ch)
	exists := mustRun(t, nil, "clickhouse-client", append(args, "--query", fmt.Sprintf("SELECT count() FROM system.databases WHERE name = '%s'", db))...)
	if strings.TrimSpace(exists) == "0" {
		return out
	}
	tables = mustRun(t, nil, "clickhouse-client", append(args, "--query", fmt.Sprintf("SELECT name FROM system.tables WHERE database = '%s'", db))...)
	for _, table := range strings.Fields(tables) {
		rows := mustRun(t, nil, "clickhouse-client", append(args, "--query", fmt.Sprintf("SELECT * FROM `%s`.`%s` FORMAT TSV", db, table))...)
		out["clickhouse "+table] = digest(rows)
	}
	return out
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
