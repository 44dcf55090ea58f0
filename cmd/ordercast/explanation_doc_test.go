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
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Clause struct {
					Description string
					Properties  struct {
						Code struct {
							Enum []string
						}
					}
				} `json:"ExplanationClause"`
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Components.Schemas.Clause
	if got, want := c.Properties.Code.Enum, allocation.Clauses(); !slices.Equal(got, want) {
		t.Errorf("ExplanationClause codes = %v; want %v", got, want)
	}
	for _, code := range allocation.Clauses() {
		line := ""
		for l := range strings.Lines(c.Description) {
			if strings.HasPrefix(l, "- `"+code+"`") {
				line = l
			}
		}
		if line == "" {
			t.Errorf("ExplanationClause's description does not explain %q", code)
		}
		for _, name := range allocation.ClauseParams(code) {
			if !strings.Contains(line, name) {
				t.Errorf("ExplanationClause's description of %q lacks its parameter %s: %q", code, name, line)
			}
		}
	}
}

// openapi.json documents every warning code of an allocation with its parameters, and no other.
func TestWarningCodesDocumented(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				Warning struct {
					Description string
					Properties  struct {
						Code struct {
							Enum []string
						}
					}
				} `json:"AllocationWarning"`
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	w := doc.Components.Schemas.Warning
	if got, want := w.Properties.Code.Enum, allocation.Warnings(); !slices.Equal(got, want) {
		t.Errorf("AllocationWarning codes = %v; want %v", got, want)
	}
	for _, code := range allocation.Warnings() {
		line := ""
		for l := range strings.Lines(w.Description) {
			if strings.HasPrefix(l, "- `"+code+"`") {
				line = l
			}
		}
		if line == "" {
			t.Errorf("AllocationWarning's description does not explain %q", code)
		}
		for _, name := range allocation.WarningParams(code) {
			if !strings.Contains(line, "{"+name+"}") {
				t.Errorf("AllocationWarning's description of %q lacks its parameter %s: %q", code, name, line)
			}
		}
	}
}
