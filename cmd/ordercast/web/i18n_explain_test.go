package web

import (
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
