package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// defaultLang is the pages' language unless the browser chose another (the oc_lang cookie).
const defaultLang = "zh-CN"

// Lang is the language a page is rendered in; templates translate with {{.L.T "key" args...}}.
// Names of outlets, brands, areas and people come from the data and are never translated.
type Lang struct {
	Code string // zh-CN or en
	loc  *time.Location
}

// T returns the message key in the language, formatted with args (fmt verbs); a key missing from
// the catalogue shows as itself, and TestCatalogueComplete keeps every language's keys the same.
func (l Lang) T(key string, args ...any) string {
	msg, ok := catalogue[l.Code][key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// N is T for a message about n of something: the key's ".one" form when n is 1 and the catalogue
// has one ("1 week", not "1 weeks"), else the key's.
func (l Lang) N(key string, n int, args ...any) string {
	if _, ok := catalogue[l.Code][key+".one"]; ok && n == 1 {
		key += ".one"
	}
	return l.T(key, args...)
}

// List joins items as a list of the language ("a, b" or "a、b").
func (l Lang) List(items []string) string { return strings.Join(items, l.T("list.sep")) }

// Other is the language the switch offers.
func (l Lang) Other() Lang {
	if l.Code == "en" {
		return Lang{Code: "zh-CN"}
	}
	return Lang{Code: "en"}
}

// Until says how long from now to t, in days, hours and minutes ("2 天 3 小时 5 分").
func (l Lang) Until(now, t time.Time) string {
	left := max(0, t.Sub(now))
	d, h, m := int(left/(24*time.Hour)), int(left%(24*time.Hour)/time.Hour), int(left%time.Hour/time.Minute)
	s := ""
	if d > 0 {
		s = fmt.Sprintf("%d %s ", d, l.T("u.d"))
	}
	return s + fmt.Sprintf("%d %s %d %s", h, l.T("u.h"), m, l.T("u.m"))
}

// When formats a time in the region's time zone, where the outlets are (UTC for a Lang without one).
func (l Lang) When(t time.Time) string {
	if l.loc == nil {
		return t.UTC().Format("2006-01-02 15:04")
	}
	return t.In(l.loc).Format("2006-01-02 15:04")
}

func langOf(c echo.Context) Lang {
	if ck, err := c.Cookie(langCookie); err == nil {
		if _, ok := catalogue[ck.Value]; ok {
			return Lang{Code: ck.Value}
		}
	}
	return Lang{Code: defaultLang}
}

// catalogue holds every message of the pages by language.
var catalogue = map[string]map[string]string{
	"zh-CN": {
		"app.name":          "订货通",
		"lang.name":         "中文",
		"lang.switch":       "English",
		"nav.logout":        "退出登录",
		"nav.docs":          "接口文档",
		"nav.supply":        "货源与配送：",
		"nav.home":          "首页",
		"login.title":       "登录",
		"login.username":    "许可证号或用户名",
		"login.password":    "密码",
		"login.submit":      "登录",
		"login.missing":     "请填写许可证号（或用户名）和密码。",
		"login.invalid":     "许可证号、用户名或密码不正确。",
		"login.throttled":   "尝试次数过多，请 %s 秒后再试。",
		"login.busy":        "系统繁忙，请稍后再试。",
		"home.title":        "欢迎",
		"home.role":         "您以 %s 身份登录（角色：%s）。",
		"home.soon":         "该角色的页面正在建设中；可先使用接口。",
		"error.title":       "出错了",
		"error.csrf":        "页面已过期，请返回并刷新后重试。",
		"error.server":      "服务暂时不可用，请稍后再试。",
		"error.back":        "返回首页",
		"r.title":           "本周订货",
		"r.outlet":          "%s · 许可证 %s · 档位 %d",
		"r.cycle":           "订货周期：%s 当周",
		"r.closes":          "距截单还有",
		"r.closed":          "订货窗口已关闭",
		"r.opens":           "下次开放：%s",
		"r.closes_at":       "截单时间：%s",
		"r.balance":         "账户余额",
		"r.total":           "本单金额",
		"r.other":           "其他已提交订单",
		"r.available":       "可用余额",
		"r.shortfall":       "余额不足，还差 %s",
		"r.shortfall_label": "还差",
		"r.enough":          "余额充足",
		"r.take_all":        "全部采用建议量",
		"r.same_last":       "与上周相同",
		"r.clear":           "清空",
		"r.find":            "查找品牌",
		"r.find_hint":       "品牌名称或编码",
		"r.view":            "显示哪些品牌",
		"r.mine":            "我的品牌",
		"r.all":             "全部品牌",
		"r.shown":           "显示 {n} 个，共 {all} 个品牌",
		"r.none_found":      "没有找到，请换个名称或编码试试",
		"r.price":           "批发价 %s / 条",
		"r.limit":           "限量 %d 条",
		"r.limit.one":       "限量 %d 条",
		"r.no_limit":        "不限量",
		"r.awaiting":        "本周货源尚未发布，发布后即可订购",
		"r.awaiting_short":  "待发布货源",
		"r.stock":           "库存 %s 条",
		"r.stock_unknown":   "库存未知",
		"r.suggested":       "建议 %d 条",
		"r.take":            "采用建议 %d",
		"r.qty":             "订购数量（条）：%s",
		"r.last_week":       "上周 %d 条",
		"r.scarce":          "紧俏",
		"r.new":             "新品",
		"r.why":             "限量说明",
		"r.submit":          "提交订单",
		"r.update":          "修改订单",
		"r.cancel":          "撤销订单",
		"r.received":        "已确认收货。",
		"r.receipt_help":    "核对到货：如有短少，改为实收条数并说明。",
		"r.receipt_note":    "说明",
		"r.receipt_confirm": "确认收货",
		"r.placed":          "订单已提交。",
		"r.cancelled":       "订单已撤销。",
		"r.nothing":         "请至少订购一个品规。",
		"r.error":           "订单未能提交：%s",
		"r.err.balance":     "余额不足：%s",
		"r.err.window":      "订货窗口已关闭。",
		"r.err.limit":       "超过限量。",
		"r.err.stale":       "订单已在别处修改，请刷新后重试。",
		"r.track":           "订单 #%d · %s 当周",
		"r.history":         "历史订单",
		"r.no_history":      "暂无订单。",
		"r.order_line":      "订 %d，批 %d",
		"r.delivered_qty":   "，到货 %d",
		"r.limited.limit":   "（受限量）",
		"r.limited.supply":  "（货源不足）",
		"r.messages":        "提醒",
		"m.closing":         "订货窗口 %d 小时后截止，您本周还没有订货。",
		"m.failed":          "订单 #%d 失败：%s",
		"m.limit":           "%s 本周限量 %d 条：%s",
		"m.limit.one":       "%s 本周限量 %d 条：%s",
		"m.limit_plain":     "%s 本周限量 %d 条。",
		"m.limit_plain.one": "%s 本周限量 %d 条。",
		"m.new_product":     "新品上市：%s",
		"m.awaiting":        "%d 个紧俏品牌本周货源尚未发布，发布后即可订购：%s",
		"m.awaiting.one":    "%d 个紧俏品牌本周货源尚未发布，发布后即可订购：%s",
		"list.sep":          "、",
		"s.submitted":       "已提交",
		"s.confirmed":       "已确认",
		"s.paid":            "已扣款",
		"s.delivered":       "已送达",
		"s.cancelled":       "已撤销",
		"s.failed":          "失败",
		"docs.title":        "接口文档",
		"docs.intro":        "面向集成方的 JSON 接口，依据 OpenAPI 文档生成。",
		"docs.raw":          "下载 OpenAPI 文档（JSON）",
		"docs.params":       "参数",
		"docs.body":         "请求体",
		"docs.responses":    "响应",
		"docs.auth":         "需要登录（Bearer 令牌）",
		"docs.public":       "无需登录",
		"u.d":               "天",
		"u.h":               "小时",
		"u.m":               "分",
	},
	"en": {
		"app.name":          "ordercast",
		"lang.name":         "English",
		"lang.switch":       "中文",
		"nav.logout":        "Log out",
		"nav.docs":          "API docs",
		"nav.supply":        "Supply and delivery:",
		"nav.home":          "Home",
		"login.title":       "Log in",
		"login.username":    "Licence number or user name",
		"login.password":    "Password",
		"login.submit":      "Log in",
		"login.missing":     "Enter your licence number (or user name) and password.",
		"login.invalid":     "Wrong licence number, user name or password.",
		"login.throttled":   "Too many attempts: try again in %s seconds.",
		"login.busy":        "The service is busy: try again in a moment.",
		"home.title":        "Welcome",
		"home.role":         "You are logged in as %s (role: %s).",
		"home.soon":         "Pages for this role are being built; the API serves it meanwhile.",
		"error.title":       "Something went wrong",
		"error.csrf":        "This page has expired: go back, reload it and try again.",
		"error.server":      "The service is unavailable for now: try again later.",
		"error.back":        "Back to the start",
		"r.title":           "This week's order",
		"r.outlet":          "%s · licence %s · grade %d",
		"r.cycle":           "Cycle: week of %s",
		"r.closes":          "Ordering closes in",
		"r.closed":          "The order window is closed",
		"r.opens":           "Opens next: %s",
		"r.closes_at":       "Closes: %s",
		"r.balance":         "Balance",
		"r.total":           "This order",
		"r.other":           "Other submitted orders",
		"r.available":       "Available",
		"r.shortfall":       "Balance short by %s",
		"r.shortfall_label": "Short by",
		"r.enough":          "The balance covers it",
		"r.take_all":        "Take all suggestions",
		"r.same_last":       "Same as last week",
		"r.clear":           "Clear",
		"r.find":            "Find a brand",
		"r.find_hint":       "Brand name or code",
		"r.view":            "Which brands to show",
		"r.mine":            "My brands",
		"r.all":             "All brands",
		"r.shown":           "Showing {n} of {all} brands",
		"r.none_found":      "No brand found: try another name or code",
		"r.price":           "%s a carton",
		"r.limit":           "Limit %d cartons",
		"r.limit.one":       "Limit %d carton",
		"r.no_limit":        "No limit",
		"r.awaiting":        "This week's supply is not published yet: you can order it once it is",
		"r.awaiting_short":  "Supply not published",
		"r.stock":           "%s cartons in stock",
		"r.stock_unknown":   "Stock not known",
		"r.suggested":       "Suggested %d",
		"r.take":            "Take %d",
		"r.qty":             "Cartons to order: %s",
		"r.last_week":       "Last week %d",
		"r.scarce":          "Scarce",
		"r.new":             "New",
		"r.why":             "Why this limit",
		"r.submit":          "Place order",
		"r.update":          "Update order",
		"r.cancel":          "Cancel order",
		"r.received":        "Receipt confirmed.",
		"r.receipt_help":    "Check what arrived: if cartons are missing, change them to what you received and say why.",
		"r.receipt_note":    "Note",
		"r.receipt_confirm": "Confirm receipt",
		"r.placed":          "Your order is placed.",
		"r.cancelled":       "Your order is cancelled.",
		"r.nothing":         "Order at least one brand.",
		"r.error":           "The order was not placed: %s",
		"r.err.balance":     "Not enough balance: %s",
		"r.err.window":      "The order window is closed.",
		"r.err.limit":       "Above the limit.",
		"r.err.stale":       "The order was changed elsewhere: reload and try again.",
		"r.track":           "Order #%d · week of %s",
		"r.history":         "Order history",
		"r.no_history":      "No orders yet.",
		"r.order_line":      "asked %d, granted %d",
		"r.delivered_qty":   ", delivered %d",
		"r.limited.limit":   " (limited)",
		"r.limited.supply":  " (short supply)",
		"r.messages":        "Needs attention",
		"m.closing":         "Ordering closes in %d hours and nothing is ordered this week.",
		"m.failed":          "Order #%d failed: %s",
		"m.limit":           "%s is limited to %d cartons this week: %s",
		"m.limit.one":       "%s is limited to %d carton this week: %s",
		"m.limit_plain":     "%s is limited to %d cartons this week.",
		"m.limit_plain.one": "%s is limited to %d carton this week.",
		"m.new_product":     "New product: %s",
		"m.awaiting":        "%d scarce brands can be ordered once this week's supply is published: %s",
		"m.awaiting.one":    "%d scarce brand can be ordered once this week's supply is published: %s",
		"list.sep":          ", ",
		"s.submitted":       "Submitted",
		"s.confirmed":       "Confirmed",
		"s.paid":            "Paid",
		"s.delivered":       "Delivered",
		"s.cancelled":       "Cancelled",
		"s.failed":          "Failed",
		"docs.title":        "API documentation",
		"docs.intro":        "The JSON API for integrators, rendered from the OpenAPI document.",
		"docs.raw":          "Download the OpenAPI document (JSON)",
		"docs.params":       "Parameters",
		"docs.body":         "Request body",
		"docs.responses":    "Responses",
		"docs.auth":         "Needs a session (Bearer token)",
		"docs.public":       "No login needed",
		"u.d":               "d",
		"u.h":               "h",
		"u.m":               "min",
	},
}
