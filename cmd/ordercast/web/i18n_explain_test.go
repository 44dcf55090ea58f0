package web

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ordercast/ordercast/forecast/allocation"
)

// Every clause the allocation writes has a message in every language that names exactly the
// clause's parameters (served_first_shared may leave out which way it rounded), and renders them.
func TestEveryClauseExplained(t *testing.T) {
	placeholder := regexp.MustCompile(`\{([a-z_]+)(?::[u%])?\}`)
	sample := map[string]any{"status": "suspended", "dimension": "market_type", "group": "城区", "band": "B3",
		"rounding": "up"}
	for _, code := range allocation.Clauses() {
		want := allocation.ClauseParams(code)
		for lang := range catalogue {
			l := Lang{Code: lang}
			msg, ok := catalogue[lang]["ex."+code]
			if !ok {
				t.Errorf("%s has no message for clause %q", lang, code)
				continue
			}
			var names []string
			for _, m := range placeholder.FindAllStringSubmatch(msg, -1) {
				names = append(names, m[1])
			}
			slices.Sort(names)
			names = slices.Compact(names)
			if code == allocation.ClauseServedShared {
				names = append(names, "rounding")
				slices.Sort(names)
			}
			if !slices.Equal(names, want) {
				t.Errorf("%s %q = %q names %v; the clause has %v", lang, "ex."+code, msg, names, want)
			}
			params := map[string]any{}
			for k, name := range want {
				params[name] = sample[name]
				if params[name] == nil {
					params[name] = float64(11 + k)
				}
			}
			got := l.Explain("FALLBACK", []ExplanationPart{{Code: code, Params: params}})
			if got == "FALLBACK" || strings.ContainsAny(got, "{}") {
				t.Errorf("%s: clause %s %v renders as %q", lang, code, params, got)
			}
			for _, m := range placeholder.FindAllStringSubmatch(msg, -1) {
				shown := catalogue[lang]["ex."+map[string]string{"status": "status.suspended",
					"dimension": "dim.market_type"}[m[1]]]
				if v, ok := params[m[1]].(float64); ok {
					shown = strconv.FormatFloat(v, 'f', -1, 64)
				} else if shown == "" || m[1] == "group" || m[1] == "band" {
					shown = params[m[1]].(string)
				}
				if !strings.Contains(got, shown) {
					t.Errorf("%s: clause %s renders as %q, without its %s (%q)", lang, code, got, m[1], shown)
				}
			}
		}
	}
}

// Every warning the allocation writes has a message in every language that names exactly its
// parameters and renders them; a warning without parts, or of a code the pages do not know, shows
// the API's English text.
func TestEveryWarningTranslated(t *testing.T) {
	placeholder := regexp.MustCompile(`\{([a-z_]+)(?::[u%])?\}`)
	sample := map[string]any{"week": "2026-11-16", "run": "20261203T104648Z-live-eab992d1", "brand": "B0007", "cartons": float64(22)}
	for _, code := range allocation.Warnings() {
		want := allocation.WarningParams(code)
		for lang := range catalogue {
			msg, ok := catalogue[lang]["aw."+code]
			if !ok {
				t.Errorf("%s has no message for warning %q", lang, code)
				continue
			}
			var names []string
			for _, m := range placeholder.FindAllStringSubmatch(msg, -1) {
				names = append(names, m[1])
			}
			slices.Sort(names)
			if !slices.Equal(names, want) {
				t.Errorf("%s %q = %q names %v; the warning has %v", lang, "aw."+code, msg, names, want)
			}
			params := map[string]any{}
			for _, name := range want {
				params[name] = sample[name]
			}
			got := Lang{Code: lang}.Warnings([]string{"FALLBACK"}, []ExplanationPart{{Code: code, Params: params}})
			if len(got) != 1 || got[0] == "FALLBACK" || strings.ContainsAny(got[0], "{}") {
				t.Errorf("%s: warning %s %v renders as %q", lang, code, params, got)
				continue
			}
			for _, name := range want {
				if shown := fmt.Sprint(params[name]); !strings.Contains(got[0], shown) {
					t.Errorf("%s: warning %s renders as %q, without its %s (%s)", lang, code, got[0], name, shown)
				}
			}
		}
	}
	zh := Lang{Code: "zh-CN"}
	for _, tt := range []struct {
		name  string
		texts []string
		parts []ExplanationPart
		want  []string
	}{
		{"zh-CN", []string{"no forecast run covers the week of 2026-11-16: demand taken as 0"},
			[]ExplanationPart{{Code: "no_forecast_run", Params: map[string]any{"week": "2026-11-16"}}},
			[]string{"没有覆盖 2026-11-16 当周的预测批次：各终端需求按 0 计"}},
		{"cartons", []string{"22 cartons left unallocated: the eligible outlets cannot take them"},
			[]ExplanationPart{{Code: "unallocated", Params: map[string]any{"cartons": float64(22)}}},
			[]string{"尚有 22 条未能分配：符合条件的终端已无法再承接"}},
		{"no parts", []string{"a warning"}, nil, []string{"a warning"}},
		{"unknown code", []string{"a warning"}, []ExplanationPart{{Code: "from_the_future"}}, []string{"a warning"}},
		{"missing parameter", []string{"a warning"}, []ExplanationPart{{Code: "no_forecast_run", Params: map[string]any{}}}, []string{"a warning"}},
	} {
		if got := zh.Warnings(tt.texts, tt.parts); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Warnings(%q, %v) = %q; want %q", tt.name, tt.texts, tt.parts, got, tt.want)
		}
	}
	if got := (Lang{Code: "en"}).Warnings([]string{"x"}, []ExplanationPart{{Code: "unallocated", Params: map[string]any{"cartons": float64(1)}}}); got[0] != "1 carton left unallocated: the eligible outlets cannot take them" {
		t.Errorf("en: one carton unallocated = %q", got[0])
	}
}
