package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/forecast/allocation"
)

// openapi.json documents every clause code of an explanation with its parameters, and no other.
func TestExplanationCodesDocumented(t *testing.T) {
	checkCodesDocumented(t, "ExplanationClause", allocation.Clauses(), allocation.ClauseParams, "%s")
}

// openapi.json documents every warning code of an allocation with its parameters, and no other.
func TestWarningCodesDocumented(t *testing.T) {
	checkCodesDocumented(t, "AllocationWarning", allocation.Warnings(), allocation.WarningParams, "{%s}")
}

// checkCodesDocumented checks that the schema of openapi.json's components named schema has codes as
// the enum of its property code, and that its description has a line "- `code`" for each, naming each
// of its parameters (params) in the form param (a format of the parameter's name).
func checkCodesDocumented(t *testing.T, schema string, codes []string, params func(string) []string, param string) {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Description string
				Properties  struct {
					Code struct {
						Enum []string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	s, ok := doc.Components.Schemas[schema]
	if !ok {
		t.Fatalf("openapi.json has no schema %s", schema)
	}
	if got := s.Properties.Code.Enum; !slices.Equal(got, codes) {
		t.Errorf("%s codes = %v; want %v", schema, got, codes)
	}
	for _, code := range codes {
		line := ""
		for l := range strings.Lines(s.Description) {
			if strings.HasPrefix(l, "- `"+code+"`") {
				line = l
			}
		}
		if line == "" {
			t.Errorf("%s's description does not explain %q", schema, code)
		}
		for _, name := range params(code) {
			if !strings.Contains(line, strings.ReplaceAll(param, "%s", name)) {
				t.Errorf("%s's description of %q lacks its parameter %s: %q", schema, code, name, line)
			}
		}
	}
}
