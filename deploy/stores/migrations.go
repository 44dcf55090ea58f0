package stores

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var embedded embed.FS

// ErrMigrationChanged is returned when a migration recorded as applied no longer matches the file
// embedded in the binary: an applied migration must never be edited, only followed by a new one.
var ErrMigrationChanged = errors.New("stores: applied migration was changed")

// Migration is one versioned schema change for one store.
type Migration struct {
	Version  int    // from the file name's leading digits, 1, 2, ...
	Name     string // the file name, e.g. 0001_init.sql
	SQL      string
	Checksum string // hex SHA-256 of SQL
}

// Statements splits the migration into single statements: a statement ends at a line whose last
// character is ';'. Lines that are only a "--" comment are dropped. ClickHouse takes one statement per
// query, so its migrations are written in this shape.
func (m Migration) Statements() []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(m.SQL, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// PostgresMigrations returns the PostgreSQL migrations embedded in the binary, in version order.
func PostgresMigrations() ([]Migration, error) {
	return LoadMigrations(embedded, "migrations/postgres")
}

// ClickHouseMigrations returns the ClickHouse migrations embedded in the binary, in version order.
func ClickHouseMigrations() ([]Migration, error) {
	return LoadMigrations(embedded, "migrations/clickhouse")
}

// LoadMigrations reads every NNNN_name.sql file in dir, in version order. Versions must start at 1 and
// have no gaps or duplicates, so that a store's version alone says which migrations it has.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, err := migrationVersion(e.Name())
		if err != nil {
			return nil, err
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b), Checksum: checksum(string(b))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations in %s: %s has version %d; want %d (versions start at 1 with no gaps or duplicates)", dir, m.Name, m.Version, i+1)
		}
	}
	return out, nil
}

func checksum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func migrationVersion(name string) (int, error) {
	digits, _, ok := strings.Cut(name, "_")
	v, err := strconv.Atoi(digits)
	if !ok || err != nil || v <= 0 {
		return 0, fmt.Errorf("migration %s: name must be NNNN_description.sql with NNNN >= 1", name)
	}
	return v, nil
}

// Report says what a migration run did to one store.
type Report struct {
	Store   string
	Applied []Migration // applied by this run, in order; empty when the store was current
	Version int         // the store's version after the run
}

func (r Report) String() string {
	if len(r.Applied) == 0 {
		return fmt.Sprintf("%s: schema at version %d, nothing to do", r.Store, r.Version)
	}
	names := make([]string, len(r.Applied))
	for i, m := range r.Applied {
		names[i] = m.Name
	}
	return fmt.Sprintf("%s: applied %s; schema at version %d", r.Store, strings.Join(names, ", "), r.Version)
}

// ErrSchemaBehind is returned by CheckVersion when a store has not been migrated to what the binary needs.
var ErrSchemaBehind = errors.New("stores: schema is behind this binary; run `ordercast migrate`")
