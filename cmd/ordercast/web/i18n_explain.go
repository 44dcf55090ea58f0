package web

import (
	"fmt"
	"strconv"
	"strings"
)

// ExplanationPart is one clause of a limit's explanation as the API gives it (explanation_parts):
// a stable code and its parameters, numbers as float64 and names as strings.
type ExplanationPart struct {
	Code   string         `json:"code"`
	Params map[string]any `json:"params"`
}

// Explain renders an explanation from its parts in the language: each part's message "ex.<code>"
// with its parameters filled in, joined as the language joins clauses. It returns text (the API's
// English sentence) when there are no parts or a part's code, or a parameter one names, is not in
// the catalogue: a newer server's explanation still reads, in English.
//
// A message names a parameter as {name}; {name:u} is the number with the unit of cartons (the
// English "1 carton", "2 cartons"), {name:%} the number as a percentage; a dimension is named by
// "ex.dim.<code>", a status by "ex.status.<status>", and an empty group by "ex.none".
func (l Lang) Explain(text string, parts []ExplanationPart) string {
	return l.explain(text, parts, "ex.sep.first")
}

// explain is Explain with the separator after the first clause named by the key first: the limit
// and its reasons ("ex.sep.first", a colon), or one reason and the next ("ex.sep").
func (l Lang) explain(text string, parts []ExplanationPart, first string) string {
	msgs := catalogue[l.Code]
	var b strings.Builder
	for k, p := range parts {
		msg, ok := msgs["ex."+p.Code]
		if !ok {
			return text
		}
		if k == 1 {
			b.WriteString(msgs[first])
		} else if k > 1 {
			b.WriteString(msgs["ex.sep"])
		}
		if msg, ok = l.fill(msg, p.Params); !ok {
			return text
		}
		b.WriteString(msg)
	}
	if b.Len() == 0 {
		return text
	}
	return b.String()
}

// Reasons is Explain without the explanation's leading limit clause ("limit 3 cartons"): what a
// message that states the limit already adds to it. It is "" when the explanation states the limit
// and nothing else, or is empty.
func (l Lang) Reasons(text string, parts []ExplanationPart) string {
	rest := text
	if strings.HasPrefix(text, "limit ") {
		_, rest, _ = strings.Cut(text, ": ")
	}
	if len(parts) > 0 && parts[0].Code == "limit" {
		if len(parts) == 1 {
			return ""
		}
		return l.explain(rest, parts[1:], "ex.sep") // the reasons after the limit, each after a ";"
	}
	if len(parts) > 0 {
		return l.Explain(text, parts)
	}
	return rest
}

// Warnings renders an allocation's warnings in the language: each warning's message "aw.<code>"
// with its parameters filled in (as Explain fills a clause's). A warning without its part, or whose
// code or a parameter its message names is not known here, is shown as the API's English text.
func (l Lang) Warnings(texts []string, parts []ExplanationPart) []string {
	msgs := catalogue[l.Code]
	out := make([]string, len(texts))
	for k, text := range texts {
		out[k] = text
		if k >= len(parts) {
			continue
		}
		if msg, ok := msgs["aw."+parts[k].Code]; ok {
			if msg, ok = l.fill(msg, parts[k].Params); ok {
				out[k] = msg
			}
		}
	}
	return out
}

// fill puts params into msg's {name}, {name:u} and {name:%}; ok is false when msg names a
// parameter params lacks or a name the catalogue has no message for.
func (l Lang) fill(msg string, params map[string]any) (string, bool) {
	msgs := catalogue[l.Code]
	var b strings.Builder
	for {
		open := strings.IndexByte(msg, '{')
		if open < 0 {
			b.WriteString(msg)
			return b.String(), true
		}
		end := strings.IndexByte(msg[open:], '}')
		if end < 0 {
			return "", false
		}
		b.WriteString(msg[:open])
		name, format, _ := strings.Cut(msg[open+1:open+end], ":")
		v, ok := params[name]
		if !ok {
			return "", false
		}
		switch v := v.(type) {
		case float64:
			s := strconv.FormatFloat(v, 'f', -1, 64)
			switch format {
			case "u":
				unit := msgs["ex.cartons"]
				if v == 1 {
					unit = msgs["ex.carton"]
				}
				s += unit
			case "%":
				s += "%"
			}
			b.WriteString(s)
		case string:
			key := ""
			switch {
			case name == "dimension":
				key = "ex.dim." + v
			case name == "status":
				key = "ex.status." + v
			case v == "":
				key = "ex.none"
			}
			if key != "" {
				if v, ok = msgs[key]; !ok {
					return "", false
				}
			}
			b.WriteString(v)
		default:
			b.WriteString(fmt.Sprint(v))
		}
		msg = msg[open+end+1:]
	}
}

// explainCatalogue holds the messages of the allocation's explanations (the codes of
// allocation.Clauses, "ex.") and warnings (allocation.Warnings, "aw."), merged into catalogue when
// the package loads.
var explainCatalogue = map[string]map[string]string{
	"zh-CN": {
		"ex.sep.first":              "：",
		"ex.sep":                    "；",
		"ex.carton":                 " 条",
		"ex.cartons":                " 条",
		"ex.none":                   "（未填）",
		"ex.dim.district":           "区县",
		"ex.dim.market_type":        "市场类型",
		"ex.dim.locality":           "城乡",
		"ex.dim.format":             "业态",
		"ex.dim.credit_level":       "信用等级",
		"ex.status.active":          "正常",
		"ex.status.suspended":       "暂停营业",
		"ex.status.closed":          "已歇业",
		"ex.inactive":               "终端状态为{status}：本周期不分配",
		"ex.not_selected":           "不在指定投放的终端之列：本周期不分配",
		"ex.no_demand":              "按需求投放而本终端没有预测需求：本周期不分配",
		"ex.not_in_allocation":      "本周期的分配发布时本终端尚未列入：本周期不分配",
		"ex.limit":                  "限量 {cartons:u}",
		"ex.no_supply":              "本周期没有货源",
		"ex.grade":                  "档位 {grade}",
		"ex.forecast":               "预测需求 {forecast:u}",
		"ex.even_share":             "指定终端都没有预测，货源平均分配",
		"ex.imputed":                "没有预测，按指定终端的平均需求 {imputed:u} 计",
		"ex.no_forecast":            "没有预测",
		"ex.group_demand":           "{dimension}“{group}”按预测需求分得 {group_supply} 条（共 {supply:u}）",
		"ex.group_outlets":          "{dimension}“{group}”按终端数分得 {group_supply} 条（共 {supply:u}）",
		"ex.price_band":             "价类 {band} 内任一品规通用的额度",
		"ex.cover_all":              "货源满足全部预测需求",
		"ex.cover":                  "货源满足预测需求的 {cover_pct:%}",
		"ex.served_first_shared":    "标杆终端优先，按可供量分配：配额 {quota}，取整为 {cartons:u}",
		"ex.served_first_full":      "标杆终端优先，足额供应",
		"ex.grade_limit":            "{grade} 档限量 {limit:u}",
		"ex.grade_limit_weightless": "{grade} 档限量 {limit:u}（该档在档位表中权重为 0）",
		"ex.grade_limit_covered":    "{grade} 档限量 {limit:u}（货源足够所有终端）",
		"ex.grade_limit_up":         "{grade} 档限量 {limit:u}（配额 {quota} 按最大余数法进位）",
		"ex.grade_limit_down":       "{grade} 档限量 {limit:u}（配额 {quota} 舍去尾数）",
		"ex.remainder":              "另加档位表分配后剩余的 1 条（按最大余数，其次按预测需求最高）",
		"ex.quota":                  "配额 {quota:u}",
		"ex.rounded_up":             "配额 {quota} 按最大余数法进位为 {cartons:u}",
		"ex.rounded_down":           "配额 {quota} 按最大余数法舍为 {cartons:u}",
		"ex.capped":                 "以单户上限 {cap:u}为限",
		"ex.demand_capped":          "以预测需求（取整到条）为限",
		"ex.coverage_floor":         "按最低覆盖要求提高到 1 条",
		"aw.no_forecast_run":        "没有覆盖 {week} 当周的预测批次：各终端需求按 0 计",
		"aw.no_brand_demand":        "预测批次 {run} 没有 {brand} 在 {week} 当周的预测：各终端需求按 0 计",
		"aw.unallocated":            "尚有 {cartons:u}未能分配：符合条件的终端已无法再承接",
	},
	"en": {
		"ex.sep.first":              ": ",
		"ex.sep":                    "; ",
		"ex.carton":                 " carton",
		"ex.cartons":                " cartons",
		"ex.none":                   "(none)",
		"ex.dim.district":           "district",
		"ex.dim.market_type":        "market type",
		"ex.dim.locality":           "locality",
		"ex.dim.format":             "business format",
		"ex.dim.credit_level":       "credit level",
		"ex.status.active":          "active",
		"ex.status.suspended":       "suspended",
		"ex.status.closed":          "closed",
		"ex.inactive":               "outlet {status}: no allocation",
		"ex.not_selected":           "not one of the selected outlets: no allocation",
		"ex.no_demand":              "no forecast demand in demand mode: no allocation",
		"ex.not_in_allocation":      "not in the cycle's allocation, published before the outlet was listed: no allocation",
		"ex.limit":                  "limit {cartons:u}",
		"ex.no_supply":              "no supply this cycle",
		"ex.grade":                  "grade {grade}",
		"ex.forecast":               "forecast {forecast:u}",
		"ex.even_share":             "no selected outlet has a forecast: supply shared evenly",
		"ex.imputed":                "no forecast: counted as {imputed:u}, the average selected outlet",
		"ex.no_forecast":            "no forecast",
		"ex.group_demand":           "{dimension} {group} receives {group_supply} of {supply:u} by its forecast demand",
		"ex.group_outlets":          "{dimension} {group} receives {group_supply} of {supply:u} by its number of outlets",
		"ex.price_band":             "a budget for any brand of price band {band}",
		"ex.cover_all":              "supply covers all forecast demand",
		"ex.cover":                  "supply covers {cover_pct:%} of demand",
		"ex.served_first_shared":    "benchmark outlets are served first and share what they can be given: quota {quota}, rounded to {cartons:u}",
		"ex.served_first_full":      "benchmark outlet served first, in full",
		"ex.grade_limit":            "grade {grade} limit {limit:u}",
		"ex.grade_limit_weightless": "grade {grade} limit {limit:u} (the grade weighs 0 in the grade table)",
		"ex.grade_limit_covered":    "grade {grade} limit {limit:u} (supply covers every outlet)",
		"ex.grade_limit_up":         "grade {grade} limit {limit:u} (quota {quota} rounded up by largest remainder)",
		"ex.grade_limit_down":       "grade {grade} limit {limit:u} (quota {quota} rounded down)",
		"ex.remainder":              "plus 1 carton left over after the grade table (largest remainder, then highest forecast)",
		"ex.quota":                  "quota {quota:u}",
		"ex.rounded_up":             "{quota} rounded up to {cartons} by largest remainder",
		"ex.rounded_down":           "{quota} rounded down to {cartons} by largest remainder",
		"ex.capped":                 "held at the outlet cap of {cap:u}",
		"ex.demand_capped":          "held at the forecast rounded up to whole cartons",
		"ex.coverage_floor":         "raised to 1 carton by the minimum coverage",
		"aw.no_forecast_run":        "no forecast run covers the week of {week}: demand taken as 0",
		"aw.no_brand_demand":        "forecast run {run} has no demand for {brand} in the week of {week}: demand taken as 0",
		"aw.unallocated":            "{cartons:u} left unallocated: the eligible outlets cannot take them",
	},
}

func init() {
	for lang, msgs := range explainCatalogue {
		for key, msg := range msgs {
			if _, dup := catalogue[lang][key]; dup {
				panic(fmt.Sprintf("web: explanation message %q already in the %s catalogue", key, lang))
			}
			catalogue[lang][key] = msg
		}
	}
}
