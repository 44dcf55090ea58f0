package ordering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// NoticeRecorder records the notices that no single transaction causes (ordering/postgres.Store).
// Each method is idempotent and safe to call from several processes at once: a notice's id makes it
// once per outlet and window (a reminder) or per outlet and product (a new product).
type NoticeRecorder interface {
	// RecordReminders records a WindowClosing notice for every active outlet whose order window is
	// open at now and closes by now+lead, and which has no live order in the window's cycle. It
	// returns how many it recorded.
	RecordReminders(ctx context.Context, now time.Time, lead time.Duration) (int, error)
	// RecordNewProducts records a NewProduct notice for every active outlet whose window is open at
	// now and every new product launched after launchedAfter and by now that is on sale in the
	// window's cycle. It returns how many it recorded.
	RecordNewProducts(ctx context.Context, now, launchedAfter time.Time) (int, error)
	// ExpandLimitNotices records the NewLimit notices of the allocations published since the last
	// call (an allocation's transaction records only that its outlets are to be told). It returns
	// how many it recorded.
	ExpandLimitNotices(ctx context.Context, now time.Time) (int, error)
}

// NoticePruner deletes delivered notices (ordering/postgres.Store).
type NoticePruner interface {
	// DeleteSentNotices deletes notices delivered before before and returns how many.
	DeleteSentNotices(ctx context.Context, before time.Time) (int64, error)
}

// DefaultReminderLead is how long before a window closes an outlet that has ordered nothing is
// reminded.
const DefaultReminderLead = 6 * time.Hour

// NewProductWeeks is how long after its launch a new product is announced to outlets.
const NewProductWeeks = 4

// NoticeRetention is how long delivered notices are kept, for the retailer's page and inspection.
const NoticeRetention = 30 * 24 * time.Hour

// NoticeScan is the scheduled scan that records reminders, new-product notices and the notices of
// published allocations, and deletes delivered notices past NoticeRetention.
type NoticeScan struct {
	Store NoticeRecorder
	Prune NoticePruner  // may be nil: nothing is deleted
	Lead  time.Duration // DefaultReminderLead when 0
	Log   *slog.Logger
}

// Pass scans at now, logging what it recorded, and returns what failed (the next pass retries).
func (j *NoticeScan) Pass(ctx context.Context, now time.Time) error {
	lead := j.Lead
	if lead <= 0 {
		lead = DefaultReminderLead
	}
	var errs []error
	step := func(what string, n int64, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("record %s: %w", what, err))
		} else if n > 0 {
			j.Log.Info("recorded "+what, "notices", n)
		}
	}
	n, err := j.Store.RecordReminders(ctx, now, lead)
	step("order-window reminders", int64(n), err)
	n, err = j.Store.RecordNewProducts(ctx, now, now.AddDate(0, 0, -7*NewProductWeeks))
	step("new-product notices", int64(n), err)
	n, err = j.Store.ExpandLimitNotices(ctx, now)
	step("the notices of published allocations", int64(n), err)
	if j.Prune != nil {
		if n, err := j.Prune.DeleteSentNotices(ctx, now.Add(-NoticeRetention)); err != nil {
			errs = append(errs, fmt.Errorf("delete delivered notices: %w", err))
		} else if n > 0 {
			j.Log.Info("deleted delivered notices", "notices", n)
		}
	}
	return errors.Join(errs...)
}

// LogNotifier "delivers" notices to a log: the demo's notifier when no gateway is configured.
type LogNotifier struct {
	Log *slog.Logger
}

// Notify logs the notice and its message; it never fails.
func (l LogNotifier) Notify(_ context.Context, n Notice, m Message) error {
	l.Log.Info("notice", "notice", n.ID, "outlet", n.Outlet, "kind", string(n.Kind), "zh", m.ZH, "en", m.EN)
	return nil
}
