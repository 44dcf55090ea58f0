package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/webhook"
)

// notifyConfig says where serve sends retailers' notices and when it reminds them. The webhook's
// secret never comes from a flag's value (it would show in the process list): it is read from a file
// (-notify-secret-file) or from the environment (ORDERCAST_NOTIFY_SECRET).
type notifyConfig struct {
	NotifyWebhook    string        // URL; empty: notices are logged
	NotifySecretFile string        // a file holding the shared secret
	NotifyTimeout    time.Duration // one delivery attempt's deadline
	NotifyAttempts   int           // attempts before a notice is dead-lettered
	NotifyEvery      time.Duration // how often the sender looks for due notices
	NotifyWorkers    int           // deliveries in flight at once
	ReminderLead     time.Duration // remind outlets that have ordered nothing this long before their window closes
	notifySecretEnv  string        // ORDERCAST_NOTIFY_SECRET
}

func (c *notifyConfig) register(fs *flag.FlagSet, getenv func(string) string) error {
	var errs []error
	fs.StringVar(&c.NotifyWebhook, "notify-webhook", envOr(getenv, "ORDERCAST_NOTIFY_WEBHOOK", ""),
		"URL (http or https) that retailers' notices are POSTed to, signed, for an SMS or WeChat gateway; empty: notices are only logged (env ORDERCAST_NOTIFY_WEBHOOK)")
	fs.StringVar(&c.NotifySecretFile, "notify-secret-file", envOr(getenv, "ORDERCAST_NOTIFY_SECRET_FILE", ""),
		"file holding the webhook's shared HMAC secret (at least 16 bytes; surrounding white space is dropped); or set env ORDERCAST_NOTIFY_SECRET (env ORDERCAST_NOTIFY_SECRET_FILE)")
	c.notifySecretEnv = getenv("ORDERCAST_NOTIFY_SECRET")
	timeout, err := envDuration(getenv, "ORDERCAST_NOTIFY_TIMEOUT", ordering.DefaultNoticeTimeout)
	errs = append(errs, err)
	fs.DurationVar(&c.NotifyTimeout, "notify-timeout", timeout,
		"how long one delivery of a notice may take; a slower one is retried (env ORDERCAST_NOTIFY_TIMEOUT)")
	attempts, err := envInt(getenv, "ORDERCAST_NOTIFY_ATTEMPTS", int64(ordering.DefaultRetryPolicy.MaxAttempts))
	errs = append(errs, err)
	fs.IntVar(&c.NotifyAttempts, "notify-attempts", int(attempts),
		"deliveries of a notice tried, with exponential backoff from 30s to 1h, before it is dead-lettered (env ORDERCAST_NOTIFY_ATTEMPTS)")
	every, err := envDuration(getenv, "ORDERCAST_NOTIFY_INTERVAL", 5*time.Second)
	errs = append(errs, err)
	fs.DurationVar(&c.NotifyEvery, "notify-interval", every,
		"how often due notices are sent (env ORDERCAST_NOTIFY_INTERVAL)")
	workers, err := envInt(getenv, "ORDERCAST_NOTIFY_WORKERS", 8)
	errs = append(errs, err)
	fs.IntVar(&c.NotifyWorkers, "notify-workers", int(workers),
		"deliveries of notices in flight at once, per instance (env ORDERCAST_NOTIFY_WORKERS)")
	lead, err := envDuration(getenv, "ORDERCAST_REMINDER_LEAD", ordering.DefaultReminderLead)
	errs = append(errs, err)
	fs.DurationVar(&c.ReminderLead, "reminder-lead", lead,
		"remind an outlet that has ordered nothing this long before its order window closes (env ORDERCAST_REMINDER_LEAD)")
	return errors.Join(errs...)
}

func (c notifyConfig) validate() error {
	var errs []error
	if c.NotifyWebhook != "" {
		if err := webhook.ValidateURL(c.NotifyWebhook); err != nil {
			errs = append(errs, fmt.Errorf("-notify-webhook %q: want an http(s) URL", c.NotifyWebhook))
		}
		if c.NotifySecretFile == "" && c.notifySecretEnv == "" {
			errs = append(errs, errors.New("-notify-webhook: needs a secret to sign with: -notify-secret-file FILE or env ORDERCAST_NOTIFY_SECRET"))
		}
	}
	if c.NotifyTimeout <= 0 {
		errs = append(errs, errors.New("-notify-timeout: must be positive"))
	}
	if c.NotifyAttempts < 1 {
		errs = append(errs, errors.New("-notify-attempts: want at least 1"))
	}
	if c.NotifyWorkers < 1 || c.NotifyWorkers > 256 {
		errs = append(errs, errors.New("-notify-workers: want 1 to 256"))
	}
	if c.NotifyEvery <= 0 {
		errs = append(errs, errors.New("-notify-interval: must be positive"))
	}
	if c.ReminderLead <= 0 {
		errs = append(errs, errors.New("-reminder-lead: must be positive"))
	}
	return errors.Join(errs...)
}

// notifier is the notifier the configuration names: the signed webhook, or a log when there is none.
func (c notifyConfig) notifier(log *slog.Logger) (ordering.Notifier, error) {
	if c.NotifyWebhook == "" {
		log.Info("no -notify-webhook: retailers' notices are logged, not sent")
		return ordering.LogNotifier{Log: log}, nil
	}
	secret := []byte(c.notifySecretEnv)
	if c.NotifySecretFile != "" {
		b, err := os.ReadFile(c.NotifySecretFile)
		if err != nil {
			return nil, fmt.Errorf("-notify-secret-file: %w", err)
		}
		secret = bytes.TrimSpace(b)
	}
	n, err := webhook.New(c.NotifyWebhook, secret, c.NotifyTimeout)
	if err != nil {
		return nil, fmt.Errorf("-notify-webhook: %w", err)
	}
	return n, nil
}

// noticeSender is the sender of retailers' notices the configuration names.
func (c notifyConfig) noticeSender(q ordering.NoticeQueue, n ordering.Notifier, obs ordering.NoticeObserver,
	loc *time.Location, log *slog.Logger) *ordering.NoticeSender {
	retry := ordering.DefaultRetryPolicy
	retry.MaxAttempts = c.NotifyAttempts
	return &ordering.NoticeSender{Queue: q, Notifier: n, Retry: retry, Timeout: c.NotifyTimeout,
		Workers: c.NotifyWorkers, Location: loc, Observer: obs, Log: log}
}

// noticeMetrics is the notice sender's ordering.NoticeObserver on Prometheus.
type noticeMetrics struct {
	sent    *prometheus.CounterVec // kind, outcome
	backlog prometheus.Gauge
	age     prometheus.Gauge
	dead    prometheus.Gauge
}

func newNoticeMetrics(reg prometheus.Registerer) (*noticeMetrics, error) {
	m := &noticeMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ordercast_notifications_sent_total",
			Help: "Delivery attempts of retailers' notices by kind and outcome: delivered, retry (failed, tried again later), rejected (refused for good, dead-lettered), exhausted (out of attempts, dead-lettered).",
		}, []string{"kind", "outcome"}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_notifications_backlog",
			Help: "Retailers' notices waiting to be delivered.",
		}),
		age: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_notifications_oldest_age_seconds",
			Help: "How long the oldest notice waiting to be delivered has waited (0 when none waits).",
		}),
		dead: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ordercast_notifications_dead",
			Help: "Notices dead-lettered (refused by the receiver or out of attempts), kept for inspection.",
		}),
	}
	for _, kind := range ordering.NoticeKinds { // every series from the start, at 0
		for _, o := range []string{ordering.OutcomeDelivered, ordering.OutcomeRetry, ordering.OutcomeRejected, ordering.OutcomeExhausted} {
			m.sent.WithLabelValues(string(kind), o)
		}
	}
	for _, c := range []prometheus.Collector{m.sent, m.backlog, m.age, m.dead} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *noticeMetrics) Attempted(kind ordering.NoticeKind, outcome string) {
	m.sent.WithLabelValues(string(kind), outcome).Inc()
}

func (m *noticeMetrics) Backlog(pending int, oldestAge time.Duration, dead int) {
	m.backlog.Set(float64(pending))
	m.age.Set(oldestAge.Seconds())
	m.dead.Set(float64(dead))
}
