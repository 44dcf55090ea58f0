package ordering

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Notices: what needs a retailer's attention, sent to the outlet through an outside gateway (an SMS or
// WeChat webhook) and shown on its page. A notice is recorded in PostgreSQL in the transaction of the
// fact that causes it (a cut-off that fails an order, limits published), or by the reminder scan (an
// order window about to close with nothing ordered), and a sender delivers it at least once; its ID
// never changes, so a receiver that deduplicates on it sees each notice once.

// NoticeKind says what a notice is about.
type NoticeKind string

// Notice kinds.
const (
	// WindowClosing: the outlet's order window closes within the reminder's lead time and the outlet
	// has ordered nothing in it. Data: cycle, order_day, closes_at.
	WindowClosing NoticeKind = "window_closing"
	// OrderFailed: the outlet's order failed at cut-off. Data: order_id, cycle, reason, and for an
	// insufficient balance total_cents and balance_cents.
	OrderFailed NoticeKind = "order_failed"
	// NewLimit: the outlet's limit of a brand in a cycle was set or changed (an allocation or the
	// planner's supply plan published). Data: cycle, brand, brand_name, cartons, explanation; from a
	// supply plan previous (when it had one), from an allocation allocation (its id).
	NewLimit NoticeKind = "new_limit"
	// NewProduct: a new product is on sale in the outlet's open cycle. Data: brand, brand_name,
	// launch_date, price_cents, cycle.
	NewProduct NoticeKind = "new_product"
)

// NoticeKinds lists every kind, for metrics and validation.
var NoticeKinds = []NoticeKind{WindowClosing, OrderFailed, NewLimit, NewProduct}

// Notice is one event for one outlet.
type Notice struct {
	ID        string // stable across every delivery attempt: the receiver's idempotency key
	Outlet    string // licence number
	Kind      NoticeKind
	Data      map[string]string // the facts the message is made from; keys per kind
	CreatedAt time.Time
}

// Message is a notice's text for a person, in each language the service speaks.
type Message struct {
	ZH string // zh-CN, the default
	EN string
}

// Compose writes the notice's message from its kind and data, with times in loc (the region's time
// zone; UTC when nil). It is deterministic: every attempt of a notice carries the same text.
func Compose(n Notice, loc *time.Location) Message {
	if loc == nil {
		loc = time.UTC
	}
	d := n.Data
	switch n.Kind {
	case WindowClosing:
		closes, err := time.Parse(time.RFC3339, d["closes_at"])
		if err != nil {
			return Message{
				ZH: "订货提醒：本期订货即将截止，您还没有订货。",
				EN: "Reminder: this cycle's ordering closes soon and you have not ordered yet.",
			}
		}
		t := closes.In(loc)
		return Message{
			ZH: fmt.Sprintf("订货提醒：本期订货将于%d月%d日 %s截止，您还没有订货。", t.Month(), t.Day(), t.Format("15:04")),
			EN: fmt.Sprintf("Reminder: this cycle's ordering closes at %s, and you have not ordered yet.", t.Format("15:04 on Mon 2 Jan")),
		}
	case OrderFailed:
		order := d["order_id"]
		total, errT := strconv.ParseInt(d["total_cents"], 10, 64)
		balance, errB := strconv.ParseInt(d["balance_cents"], 10, 64)
		if errT == nil && errB == nil && strings.HasPrefix(d["reason"], "insufficient balance") {
			return Message{
				ZH: fmt.Sprintf("订单未成功：订单 %s 金额 %s 元，账户余额 %s 元，余额不足，扣款失败。请充值后联系客户经理。",
					order, Money(total), Money(balance)),
				EN: fmt.Sprintf("Your order %s failed: the order is %s, the balance %s, which does not cover it. Pay in and call your account manager.",
					order, Money(total), Money(balance)),
			}
		}
		return Message{
			ZH: fmt.Sprintf("订单未成功：订单 %s 失败，原因：%s。", order, d["reason"]),
			EN: fmt.Sprintf("Your order %s failed: %s.", order, d["reason"]),
		}
	case NewLimit:
		cycle := cycleDay(d["cycle"])
		return Message{
			ZH: fmt.Sprintf("限量通知：%s起的订货周期，「%s」(%s) 您的限量为 %s 条。", zhDate(cycle), d["brand_name"], d["brand"], d["cartons"]),
			EN: fmt.Sprintf("New limit: up to %s cartons of %s (%s) in the cycle of %s.", d["cartons"], d["brand_name"], d["brand"], enDate(cycle)),
		}
	case NewProduct:
		price := ""
		if c, err := strconv.ParseInt(d["price_cents"], 10, 64); err == nil {
			price = Money(c)
		}
		return Message{
			ZH: fmt.Sprintf("新品上市：「%s」(%s) 已上架，批发价每条 %s 元。", d["brand_name"], d["brand"], price),
			EN: fmt.Sprintf("New product on sale: %s (%s), %s a carton wholesale.", d["brand_name"], d["brand"], price),
		}
	}
	return Message{ZH: "您有一条新通知。", EN: "You have a new notice."}
}

func cycleDay(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s) // a zero time prints as such; the data comes from the store
	return t
}

func zhDate(t time.Time) string { return fmt.Sprintf("%d月%d日", t.Month(), t.Day()) }
func enDate(t time.Time) string { return t.Format("2 Jan 2006") }

// Notice ids: one place that says what makes two notices the same event.

// WindowClosingID is the id of the reminder for an outlet (by id) in the window of order day day
// (ISO, 1 = Monday) of the cycle of weekStart: one reminder per outlet and window.
func WindowClosingID(weekStart time.Time, day int, outletID int64) string {
	return fmt.Sprintf("window_closing:%s:%d:%d", weekStart.Format(time.DateOnly), day, outletID)
}

// OrderFailedID is the id of the notice that order orderID failed (an order fails once).
func OrderFailedID(orderID int64) string { return fmt.Sprintf("order_failed:%d", orderID) }

// OrderFailedData is the data of the notice that a due order failed at cut-off in the cycle of
// weekStart.
func OrderFailedData(o FailedOrder, weekStart time.Time) map[string]string {
	return map[string]string{
		"order_id":      strconv.FormatInt(o.ID, 10),
		"cycle":         weekStart.Format(time.DateOnly),
		"reason":        o.Reason,
		"total_cents":   strconv.FormatInt(o.TotalCents, 10),
		"balance_cents": strconv.FormatInt(o.BalanceCents, 10),
	}
}
