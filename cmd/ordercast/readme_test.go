package main

import (
	"bufio"
	"errors"
	"flag"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README's command lines name real commands and flags, so that the examples cannot drift from
// the binary silently: every `bin/ordercast …` example (with its continuation lines) and every line of
// the command list (`    ordercast cycle close [-week MONDAY …]`, alternatives as `user add|passwd`)
// is checked against the flags its command's -h lists.
func TestReadmeCommands(t *testing.T) {
	lines := readmeCommands(t, "../../README.md")
	if len(lines) < 20 {
		t.Fatalf("found %d command lines in README.md; want its examples and command list (at least 20)", len(lines))
	}
	flagLine := regexp.MustCompile(`(?m)^  -([A-Za-z0-9][\w-]*)`)
	for _, line := range lines {
		words := strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(line))[1:] // after "ordercast"
		var cmd []string
		for len(words) > 0 && !strings.HasPrefix(words[0], "-") {
			cmd, words = append(cmd, words[0]), words[1:]
		}
		if len(cmd) == 1 && cmd[0] == "help" {
			continue
		}
		for _, cmd := range alternatives(cmd) {
			t.Run(strings.Join(cmd, " "), func(t *testing.T) {
				stdout, _, err := run(append(slices.Clone(cmd), "-h")...)
				if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stdout, "Usage: ordercast "+strings.Join(cmd, " ")+" [flags]") {
					t.Fatalf("README: `%s`: ordercast %s -h = %v %q; want the usage of a command", line, strings.Join(cmd, " "), err, stdout)
				}
				known := map[string]bool{}
				for _, m := range flagLine.FindAllStringSubmatch(stdout, -1) {
					known[m[1]] = true
				}
				for _, w := range words {
					if !strings.HasPrefix(w, "-") {
						continue
					}
					name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
					if !known[name] {
						t.Errorf("README: `%s` uses %s, which `ordercast %s` has no flag for", line, w, strings.Join(cmd, " "))
					}
				}
			})
		}
	}
}

// readmeCommands returns the command lines of the README as "ordercast …": the examples that start
// with bin/ordercast (joined with their continuation lines, without a trailing # comment) and the
// lines of the command list that start with ordercast (up to the description after two spaces).
func readmeCommands(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var cur string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if cur == "" && strings.HasPrefix(raw, "    ordercast ") {
			cmd, _, _ := strings.Cut(line, "  ")
			lines = append(lines, cmd)
			continue
		}
		if cur == "" && !strings.HasPrefix(line, "bin/ordercast ") {
			continue
		}
		cur += " " + strings.TrimSuffix(line, `\`)
		if !strings.HasSuffix(line, `\`) {
			if i := strings.Index(cur, " #"); i >= 0 {
				cur = cur[:i]
			}
			lines = append(lines, strings.TrimPrefix(strings.TrimSpace(cur), "bin/"))
			cur = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// alternatives expands command words such as [user add|passwd] into [user add] and [user passwd].
func alternatives(words []string) [][]string {
	out := [][]string{nil}
	for _, w := range words {
		var next [][]string
		for _, alt := range strings.Split(w, "|") {
			for _, prefix := range out {
				next = append(next, append(slices.Clone(prefix), alt))
			}
		}
		out = next
	}
	return out
}
