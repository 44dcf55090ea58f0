// Package forecasttest finds the real datasets that tests of the forecast domain read (the Walmart
// and M5 histories of design/BACKTEST.md), the same way from every package and checkout.
//
// The datasets live outside the repository. DataDir looks for them in this order:
//
//  1. the directory named by the environment variable ORDERCAST_DATA_DIR, when it is set;
//  2. otherwise shared/data beside the module root or beside one of the directories above it
//     (the first of ../shared/data, ../../shared/data, … seen from the directory holding go.mod),
//     which is /work/shared/data for a checkout or worktree at /work/<name>.
//
// When they cannot be found a test fails with a message naming ORDERCAST_DATA_DIR; only under
// `go test -short` does it skip instead.
package forecasttest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// DataEnv is the environment variable naming the directory of the real datasets.
const DataEnv = "ORDERCAST_DATA_DIR"

// DataDir returns the directory of the real datasets (see the package documentation). It fails tb,
// or skips it under -short, when there is none.
func DataDir(tb testing.TB) string {
	tb.Helper()
	dir, err := findDataDir(os.Getenv(DataEnv))
	if err != nil {
		missing(tb, err)
	}
	return dir
}

// DataFile returns the file at the path elem of the real datasets' directory, failing tb (or
// skipping it under -short) when the directory or the file is missing.
func DataFile(tb testing.TB, elem ...string) string {
	tb.Helper()
	file := filepath.Join(append([]string{DataDir(tb)}, elem...)...)
	if _, err := os.Stat(file); err != nil {
		missing(tb, fmt.Errorf("real dataset %s: %w", file, err))
	}
	return file
}

func missing(tb testing.TB, err error) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("%v (skipped under -short)", err)
	}
	tb.Fatalf("%v: set %s to the directory holding walmart/ and m5/, or put it at ../shared/data beside the "+
		"module root or a directory above it (go test -short skips the tests that need it)", err, DataEnv)
}

// findDataDir returns env when it is set, or the first shared/data beside the module root or one
// of its ancestors.
func findDataDir(env string) (string, error) {
	if env != "" {
		if fi, err := os.Stat(env); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("%s=%s is not a directory", DataEnv, env)
		}
		return env, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return "", err
	}
	for dir := root; ; {
		candidate := filepath.Join(filepath.Dir(dir), "shared", "data")
		if fi, err := os.Stat(candidate); err == nil && fi.IsDir() {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s is not set and no shared/data is beside %s or a directory above it", DataEnv, root)
		}
		dir = parent
	}
}

// moduleRoot returns the nearest directory from dir up that holds go.mod.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod in " + dir + " or above it: run the tests inside the module")
		}
		d = parent
	}
}
