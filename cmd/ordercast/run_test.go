package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

func run(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = Run(context.Background(), args, &out, &errb, getenvFrom(nil))
	return out.String(), errb.String(), err
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantErr    error
		wantStdout string
		wantStderr string
	}{
		{"no command", nil, ErrUsage, "", "Commands:"},
		{"unknown command", []string{"frobnicate"}, ErrUsage, "", `unknown command "frobnicate"`},
		{"help", []string{"help"}, nil, "serve", ""},
		{"help for a command", []string{"help", "migrate"}, flag.ErrHelp, "-pg-dsn", ""},
		{"-h on serve lists every flag", []string{"serve", "-h"}, flag.ErrHelp, "ORDERCAST_SHUTDOWN_TIMEOUT", ""},
		{"unknown flag", []string{"serve", "-nope"}, ErrUsage, "", "flag provided but not defined: -nope"},
		{"stray argument", []string{"migrate", "now"}, ErrUsage, "", `unexpected argument "now"`},
		{"bad flag value", []string{"serve", "-shutdown-timeout", "x"}, ErrUsage, "", "invalid value"},
		{"version", []string{"version"}, nil, "ordercast dev", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := run(tt.args...)
			if !errors.Is(err, tt.wantErr) && !(err == nil && tt.wantErr == nil) {
				t.Errorf("Run(%q) error = %v; want %v", tt.args, err, tt.wantErr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("Run(%q) stdout = %q; want it to contain %q", tt.args, stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("Run(%q) stderr = %q; want it to contain %q", tt.args, stderr, tt.wantStderr)
			}
		})
	}
}

// Every command explains its flags.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			stdout, _, err := run(c.name, "-h")
			if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stdout, "Usage: ordercast "+c.name) {
				t.Errorf("Run(%s -h) = %v, %q; want flag.ErrHelp and a usage text", c.name, err, stdout)
			}
		})
	}
}
