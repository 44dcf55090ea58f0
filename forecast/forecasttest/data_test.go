package forecasttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindDataDir(t *testing.T) {
	// A module at base/repo/mod (go.mod there), with shared/data beside repo.
	base := t.TempDir()
	mod := filepath.Join(base, "repo", "mod")
	pkg := filepath.Join(mod, "forecast")
	data := filepath.Join(base, "shared", "data")
	for _, d := range []string{pkg, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(pkg)

	got, err := findDataDir("")
	if err != nil || !sameDir(t, got, data) {
		t.Errorf("findDataDir(\"\") from %s = %q, %v; want %s", pkg, got, err, data)
	}
	other := t.TempDir()
	if got, err := findDataDir(other); err != nil || got != other {
		t.Errorf("findDataDir(%q) = %q, %v; want it as set", other, got, err)
	}
	if _, err := findDataDir(filepath.Join(other, "absent")); err == nil || !strings.Contains(err.Error(), DataEnv) {
		t.Errorf("findDataDir(absent) = %v; want an error naming %s", err, DataEnv)
	}
	if err := os.RemoveAll(filepath.Join(base, "shared")); err != nil {
		t.Fatal(err)
	}
	if _, err := findDataDir(""); err == nil || !strings.Contains(err.Error(), DataEnv) {
		t.Errorf("findDataDir(\"\") without shared/data = %v; want an error naming %s", err, DataEnv)
	}
}

func sameDir(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
