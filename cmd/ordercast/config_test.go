package main

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestServeConfig(t *testing.T) {
	dir := t.TempDir()
	pgFile, chFile := filepath.Join(dir, "pg-dsn"), filepath.Join(dir, "ch-dsn")
	for path, dsn := range map[string]string{pgFile: "postgres://secret@db:5432/ordercast\n", chFile: "clickhouse://ch:9000/ordercast"} {
		if err := os.WriteFile(path, []byte(dsn), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(serveConfig) bool
		wantErr string
	}{
		{"defaults match deploy/local", nil, nil, func(c serveConfig) bool {
			return c.Addr == "127.0.0.1:8080" && strings.Contains(c.PostgresDSN, "127.0.0.1:55432") &&
				strings.Contains(c.ClickHouseDSN, "127.0.0.1:59000") && c.ShutdownTimeout == 30*time.Second &&
				c.Level == slog.LevelInfo && c.Format == "json"
		}, ""},
		{"environment over defaults", map[string]string{"ORDERCAST_ADDR": ":9090", "ORDERCAST_SHUTDOWN_TIMEOUT": "5s",
			"ORDERCAST_LOG_LEVEL": "debug", "ORDERCAST_CH_DSN": "clickhouse://ch:9000/x"}, nil, func(c serveConfig) bool {
			return c.Addr == ":9090" && c.ShutdownTimeout == 5*time.Second && c.Level == slog.LevelDebug &&
				c.ClickHouseDSN == "clickhouse://ch:9000/x"
		}, ""},
		{"flags over environment", map[string]string{"ORDERCAST_ADDR": ":9090", "ORDERCAST_LOG_LEVEL": "debug"},
			[]string{"-addr", "127.0.0.1:0", "-log-level", "warn"}, func(c serveConfig) bool {
				return c.Addr == "127.0.0.1:0" && c.Level == slog.LevelWarn
			}, ""},
		{"bad duration in environment", map[string]string{"ORDERCAST_SHUTDOWN_TIMEOUT": "soon"}, nil, nil,
			`ORDERCAST_SHUTDOWN_TIMEOUT="soon"`},
		{"bad log level in environment", map[string]string{"ORDERCAST_LOG_LEVEL": "loud"}, nil, nil, "ORDERCAST_LOG_LEVEL"},
		{"bad addr", nil, []string{"-addr", "8080"}, nil, `-addr "8080"`},
		{"http clickhouse refused", nil, []string{"-ch-dsn", "http://127.0.0.1:8123"}, nil, "native protocol"},
		{"bad postgres DSN", nil, []string{"-pg-dsn", "mysql://x"}, nil, "-pg-dsn"},
		{"non-positive shutdown", nil, []string{"-shutdown-timeout", "0s"}, nil, "-shutdown-timeout"},
		{"bad log format", nil, []string{"-log-format", "xml"}, nil, "-log-format"},
		{"bad time zone", nil, []string{"-timezone", "Mars/Olympus"}, nil, "-timezone"},
		{"bad close hour", map[string]string{"ORDERCAST_WINDOW_CLOSE_HOUR": "25"}, nil, nil, "-window-close-hour"},
		{"DSNs from files named in the environment", map[string]string{"ORDERCAST_PG_DSN_FILE": pgFile,
			"ORDERCAST_PG_DSN": "postgres://env/x", "ORDERCAST_CH_DSN_FILE": chFile}, nil, func(c serveConfig) bool {
			return c.PostgresDSN == "postgres://secret@db:5432/ordercast" && c.ClickHouseDSN == "clickhouse://ch:9000/ordercast"
		}, ""},
		{"a DSN file flag over the DSN flag", nil, []string{"-pg-dsn", "postgres://flag/x", "-pg-dsn-file", pgFile},
			func(c serveConfig) bool { return c.PostgresDSN == "postgres://secret@db:5432/ordercast" }, ""},
		{"a DSN flag over a file in the environment", map[string]string{"ORDERCAST_PG_DSN_FILE": pgFile},
			[]string{"-pg-dsn", "postgres://flag/x"}, func(c serveConfig) bool { return c.PostgresDSN == "postgres://flag/x" }, ""},
		{"a missing DSN file", map[string]string{"ORDERCAST_PG_DSN_FILE": "/nonexistent/pg-dsn"}, nil, nil,
			"ORDERCAST_PG_DSN_FILE: open /nonexistent/pg-dsn"},
		{"no report replica by default", nil, nil, func(c serveConfig) bool {
			return c.ReportDSN == "" && c.ReportMaxLag == 10*time.Second
		}, ""},
		{"a report replica from the environment", map[string]string{"ORDERCAST_PG_REPORT_DSN": "postgres://replica:5433/x",
			"ORDERCAST_PG_REPORT_MAX_LAG": "3s"}, nil, func(c serveConfig) bool {
			return c.ReportDSN == "postgres://replica:5433/x" && c.ReportMaxLag == 3*time.Second
		}, ""},
		{"a report DSN from a file over the environment's DSN", map[string]string{"ORDERCAST_PG_REPORT_DSN_FILE": pgFile,
			"ORDERCAST_PG_REPORT_DSN": "postgres://env/x"}, nil, func(c serveConfig) bool {
			return c.ReportDSN == "postgres://secret@db:5432/ordercast"
		}, ""},
		{"a report DSN flag over a file in the environment", map[string]string{"ORDERCAST_PG_REPORT_DSN_FILE": pgFile},
			[]string{"-pg-report-dsn", "postgres://flag/x", "-pg-report-max-lag", "1m"}, func(c serveConfig) bool {
				return c.ReportDSN == "postgres://flag/x" && c.ReportMaxLag == time.Minute
			}, ""},
		{"a bad report DSN", nil, []string{"-pg-report-dsn", "mysql://x"}, nil, "-pg-report-dsn"},
		{"a missing report DSN file", nil, []string{"-pg-report-dsn-file", "/nonexistent/replica"}, nil,
			"-pg-report-dsn-file: open /nonexistent/replica"},
		{"a bad lag bound in the environment", map[string]string{"ORDERCAST_PG_REPORT_MAX_LAG": "soon"}, nil, nil,
			"ORDERCAST_PG_REPORT_MAX_LAG"},
		{"a non-positive lag bound", nil, []string{"-pg-report-dsn", "postgres://r/x", "-pg-report-max-lag", "0s"}, nil,
			"-pg-report-max-lag"},
		{"a bad forecast schedule", nil, []string{"-forecast-at", "monday"}, nil, "-forecast-at"},
		{"a bad scoring schedule", map[string]string{"ORDERCAST_SCORE_AT": "31 04:00"}, nil, nil, "-score-at"},
		{"schedules off", nil, []string{"-forecast-at", "off", "-score-at", "off"}, func(c serveConfig) bool {
			f, s, err := c.schedules()
			return f == nil && s == nil && err == nil
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var cfg serveConfig
			envErr := cfg.register(fs, getenvFrom(tt.env))
			err := fs.Parse(tt.args)
			if err == nil {
				err = errors.Join(envErr, cfg.validate())
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("config(%v, %v) error = %v; want one containing %q", tt.env, tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("config(%v, %v) error = %v", tt.env, tt.args, err)
			}
			if !tt.want(cfg) {
				t.Errorf("config(%v, %v) = %+v; not what the test wants", tt.env, tt.args, cfg)
			}
		})
	}
}
