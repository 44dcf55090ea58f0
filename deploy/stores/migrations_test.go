package stores

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		want    []int
		wantErr string
	}{
		{"sorted by version, not by listing", []string{"0002_b.sql", "0010_c.sql", "0001_a.sql", "0003_d.sql", "0004_e.sql",
			"0005_f.sql", "0006_g.sql", "0007_h.sql", "0008_i.sql", "0009_j.sql"}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, ""},
		{"other files ignored", []string{"0001_a.sql", "README.md"}, []int{1}, ""},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, nil, "has version 3; want 2"},
		{"duplicate", []string{"0001_a.sql", "0001_b.sql"}, nil, "want 2"},
		{"starts above one", []string{"0002_a.sql"}, nil, "want 1"},
		{"no underscore", []string{"0001.sql"}, nil, "must be NNNN_description.sql"},
		{"not a number", []string{"init_a.sql"}, nil, "must be NNNN_description.sql"},
		{"zero", []string{"0000_a.sql"}, nil, "must be NNNN_description.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;\n")}
			}
			got, err := LoadMigrations(fsys, "m")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadMigrations(%v) error = %v; want one containing %q", tt.files, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadMigrations(%v) error = %v", tt.files, err)
			}
			var versions []int
			for _, m := range got {
				versions = append(versions, m.Version)
			}
			if !equalInts(versions, tt.want) {
				t.Errorf("LoadMigrations(%v) versions = %v; want %v", tt.files, versions, tt.want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestStatements(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"one", "CREATE TABLE a (x UInt8);\n", []string{"CREATE TABLE a (x UInt8)"}},
		{"multi-line with comments", "-- header; with a semicolon\nCREATE TABLE a (\n    x UInt8 -- inline\n);\n\n-- next\nCREATE TABLE b AS a;\n",
			[]string{"CREATE TABLE a (\n    x UInt8 -- inline\n)", "CREATE TABLE b AS a"}},
		{"last without semicolon", "SELECT 1;\nSELECT 2\n", []string{"SELECT 1", "SELECT 2"}},
		{"only comments", "-- nothing\n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Migration{SQL: tt.sql}.Statements()
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("Statements(%q) = %q; want %q", tt.sql, got, tt.want)
			}
		})
	}
}

// The embedded migrations must load, and ClickHouse's must split into statements that each create
// something idempotently, since ClickHouse has no transactional DDL.
func TestEmbeddedMigrations(t *testing.T) {
	pg, err := PostgresMigrations()
	if err != nil || len(pg) == 0 {
		t.Fatalf("PostgresMigrations() = %d migrations, %v", len(pg), err)
	}
	ch, err := ClickHouseMigrations()
	if err != nil || len(ch) == 0 {
		t.Fatalf("ClickHouseMigrations() = %d migrations, %v", len(ch), err)
	}
	for _, m := range ch {
		for i, s := range m.Statements() {
			if strings.Contains(s, "LowCardinality") || strings.Contains(s, "DateTime64") || strings.Contains(s, "Map(") {
				t.Errorf("%s statement %d uses a type ClickHouse 18.16 lacks:\n%s", m.Name, i+1, s)
			}
			if strings.HasPrefix(s, "CREATE TABLE") && !strings.HasPrefix(s, "CREATE TABLE IF NOT EXISTS") {
				t.Errorf("%s statement %d: CREATE TABLE without IF NOT EXISTS", m.Name, i+1)
			}
		}
	}
}

func TestAddressAndStoreErrorHidePassword(t *testing.T) {
	dsn := "postgres://ordercast:s3cret@db.example:5432/ordercast?sslmode=disable"
	if got, want := Address(dsn), "db.example:5432/ordercast"; got != want {
		t.Errorf("Address(%q) = %q; want %q", dsn, got, want)
	}
	cause := errors.New("connect to postgres://ordercast:s3cret@db.example:5432 failed")
	err := storeError("postgresql", dsn, cause)
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("storeError message %q contains the password", err)
	}
	if !strings.Contains(err.Error(), "postgresql at db.example:5432/ordercast") {
		t.Errorf("storeError message %q does not name the store and address", err)
	}
	if !errors.Is(err, cause) {
		t.Errorf("errors.Is(storeError(...), cause) = false; want the cause kept in the chain")
	}
	if got := Address("::not a url"); got != "(unparsable DSN)" {
		t.Errorf("Address(bad) = %q; want (unparsable DSN)", got)
	}
}
