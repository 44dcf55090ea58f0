package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/forecast/allocation"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

func TestProblems(t *testing.T) {
	fs := flag.NewFlagSet("allocate", flag.ContinueOnError)
	fs.String("brand", "", "")
	fs.String("outlet", "", "")
	tests := []struct {
		name string
		errs []error
		want []string
	}{
		{"none", nil, nil},
		{"only nils", []error{nil, nil}, nil},
		{"one", []error{errors.New("-week is required")}, []string{"-week is required"}},
		{"joined and nils", []error{nil, errors.Join(errors.New("-a: bad"), nil, errors.New("-b: worse")), errors.New("-c: worst")},
			[]string{"-a: bad", "-b: worse", "-c: worst"}},
		{"joined inside joined", []error{errors.Join(errors.Join(errors.New("one"), errors.New("two")), errors.New("three"))},
			[]string{"one", "two", "three"}},
		{"wrapped join keeps its text", []error{fmt.Errorf("-dataset: %w", errors.New("bad name"))}, []string{"-dataset: bad name"}},
		{"field errors sorted, flags with a dash", []error{&ordering.ValidationError{Fields: map[string]string{
			"limits": "unknown outlets 1, 2", "brand": `"X": no such brand`}}},
			[]string{`-brand: "X": no such brand`, "limits: unknown outlets 1, 2"}},
		{"wrapped field errors", []error{fmt.Errorf("add user: %w", &retailer.ValidationError{Fields: map[string]string{
			"outlet": `"9": no such outlet`, "username": "3 to 64 characters"}})},
			[]string{`-outlet: "9": no such outlet`, "username: 3 to 64 characters"}},
		{"multi-line text, blank lines dropped", []error{errors.New("first\n\n  second  \n")}, []string{"first", "second"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(fs, tt.errs...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems(%v) = %q; want %q", tt.errs, got, tt.want)
			}
		})
	}
}

func TestUsageErrorPrintsOneProblemALine(t *testing.T) {
	var stderr strings.Builder
	fs := flag.NewFlagSet("cycle deliver", flag.ContinueOnError)
	err := usageError(env{stderr: &stderr}, fs, errors.Join(errors.New("-week is required"), errors.New("-pg-dsn: want postgres://…")))
	want := "ordercast cycle deliver: -week is required\nordercast cycle deliver: -pg-dsn: want postgres://…\n"
	if err != ErrUsage || stderr.String() != want {
		t.Errorf("usageError = %v, %q; want ErrUsage, %q", err, stderr.String(), want)
	}
	stderr.Reset()
	if err := usageError(env{stderr: &stderr}, fs, nil, errors.Join()); err != nil || stderr.Len() > 0 {
		t.Errorf("usageError(no problem) = %v, %q; want nil and nothing printed", err, stderr.String())
	}
}

func TestAllocationProblem(t *testing.T) {
	tests := []struct {
		in   allocation.ValidationError
		want string
	}{
		{allocation.ValidationError{Field: "mode", Value: `"x"`, Err: allocation.ErrMode}, `-mode "x": unknown mode`},
		{allocation.ValidationError{Field: "options.min_coverage", Value: "2", Err: allocation.ErrCoverage},
			"-min-coverage 2: minimum coverage outside 0 … 1"},
		{allocation.ValidationError{Field: "week", Value: "0001-01-01", Err: allocation.ErrWeek}, "-cycle 0001-01-01: " +
			strings.TrimPrefix(allocation.ErrWeek.Error(), "allocation: ")},
		{allocation.ValidationError{Field: "price_class", Value: "0", Err: allocation.ErrPriceClass},
			"-price-class 0: price class outside 1 … 5"},
	}
	for _, tt := range tests {
		if got := allocationProblem(&tt.in).Error(); got != tt.want {
			t.Errorf("allocationProblem(%v) = %q; want %q", &tt.in, got, tt.want)
		}
	}
}

// Every command's usage errors read as lines "ordercast <command>: <problem>", never a Go slice or
// map, and the exact lines of the commonest mistakes are what a person should read.
func TestCommandUsageErrors(t *testing.T) {
	shortPassword := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(shortPassword, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string // the whole of stderr, line by line
	}{
		{[]string{"cycle", "deliver"}, []string{"ordercast cycle deliver: -week is required"}},
		{[]string{"cycle", "close", "-week", "2024-01-02", "-day", "2"}, []string{
			`ordercast cycle close: -week "2024-01-02": want the Monday of the cycle's week as YYYY-MM-DD`}},
		{[]string{"cycle", "close", "-day", "9"}, []string{`ordercast cycle close: -day "9": want 1 (Monday) to 7 (Sunday)`}},
		{[]string{"cycle", "relay", "-pg-dsn", "x"}, []string{
			"ordercast cycle relay: -pg-dsn: want postgres://user:password@host:port/database"}},
		{[]string{"allocate", "-cycle", "2026-11-24"}, []string{
			`ordercast allocate: -cycle "2026-11-24": want the Monday of the cycle's week as YYYY-MM-DD`,
			"ordercast allocate: -brand is required",
			"ordercast allocate: -supply is required: cartons, 0 or more"}},
		{[]string{"serve", "-addr", "x", "-log-format", "y"}, []string{
			`ordercast serve: -log-format: "y"; want json or text`,
			`ordercast serve: -addr "x": want host:port`}},
		{[]string{"migrate", "-ch-dsn", "http://x"}, []string{
			"ordercast migrate: -ch-dsn: want clickhouse://host:port/database (native protocol)"}},
		{[]string{"migrate", "-ch-cluster", "two-shards"}, []string{
			`ordercast migrate: -ch-cluster "two-shards": use letters, digits and underscores`}},
		{[]string{"forecast", "run", "-ch-cluster", "a b"}, []string{
			`ordercast forecast run: -ch-cluster "a b": use letters, digits and underscores`}},
		{[]string{"seed", "-outlets", "0", "-brands", "1"}, []string{
			"ordercast seed: -outlets 0: want at least 1",
			"ordercast seed: -brands 1: want at least 5"}},
		{[]string{"import", "history", "-csv", "f.csv", "-outlet", "o", "-brand", "b", "-date", "d", "-period", "month"}, []string{
			"ordercast import history: -qty is required",
			"ordercast import history: -dataset is required",
			`ordercast import history: -period "month": want day or week`}},
		{[]string{"score", "-month", "May"}, []string{`ordercast score: -month "May": want YYYY-MM`}},
		{[]string{"forecast", "run", "-horizon", "0"}, []string{"ordercast forecast run: -horizon 0: want 1 to 104"}},
		{[]string{"bench", "orders", "-url", "localhost", "-rate", "0"}, []string{
			`ordercast bench orders: -url "localhost": want http://host:port`,
			"ordercast bench orders: -rate: must be positive"}},
		{[]string{"user", "add"}, []string{
			"ordercast user add: -username is required",
			"ordercast user add: -password-file is required"}},
		{[]string{"user", "disable"}, []string{"ordercast user disable: -username is required"}},
		{[]string{"user", "add", "-username", "x", "-role", "boss", "-password-file", shortPassword}, []string{
			"ordercast user add: password: 8 to 256 characters",
			`ordercast user add: -role: "boss": want one of retailer, manager, planner, admin, manufacturer`,
			"ordercast user add: -username: 3 to 64 characters"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, err := run(tt.args...)
			got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if err != ErrUsage || !slices.Equal(got, tt.want) {
				t.Errorf("Run(%q) = %v, stderr:\n%s\nwant ErrUsage, stderr:\n%s", tt.args, err, stderr, strings.Join(tt.want, "\n"))
			}
			if strings.ContainsAny(stderr, "[]") {
				t.Errorf("Run(%q) stderr %q looks like a Go slice or map", tt.args, stderr)
			}
		})
	}
}

func TestJSONKind(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{0, "an integer"}, {int64(0), "an integer"}, {uint8(0), "an integer"}, {0.5, "a number"}, {"", "a string"},
		{true, "true or false"}, {[]string{}, "a list"}, {map[string]int{}, "an object"}, {struct{}{}, "an object"},
		{new(int), "an integer"},
	}
	for _, tt := range tests {
		if got := jsonKind(reflect.TypeOf(tt.v)); got != tt.want {
			t.Errorf("jsonKind(%T) = %q; want %q", tt.v, got, tt.want)
		}
	}
}

// A request body with a value of the wrong type says what it wants in words.
func TestStrictBinderTypeError(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"supply":"many"}`))
	c := echo.New().NewContext(req, httptest.NewRecorder())
	var body struct {
		Supply int `json:"supply"`
	}
	err := strictBinder{}.Bind(&body, c)
	var fields interface{ FieldErrors() map[string]string }
	if !errors.As(err, &fields) || fields.FieldErrors()["supply"] != "want an integer" {
		t.Errorf("Bind({\"supply\":\"many\"}) = %v; want the field supply: want an integer", err)
	}
}
