package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/schedule"
	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// Defaults match deploy/local/up.sh.
const (
	defaultPostgresDSN   = stores.DefaultPostgresDSN
	defaultClickHouseDSN = stores.DefaultClickHouseDSN
	defaultAddr          = "127.0.0.1:8080"
)

// storeConfig says where the two stores are. Every command that touches a store embeds it.
type storeConfig struct {
	PostgresDSN       string
	ClickHouseDSN     string
	ClickHouseCluster string // "" for one ClickHouse server
	// ReportDSN names a streaming replica of PostgreSQL for read-only reports, "" for none; with
	// ReportMaxLag, the staleness beyond which reports go to the primary. Only commands that call
	// registerReport have them.
	ReportDSN    string
	ReportMaxLag time.Duration
	fileErrs     []error // DSN files that could not be read, reported by validate
}

// registerCluster registers -ch-cluster, the ClickHouse cluster (remote_servers) whose shards hold
// the history behind Distributed tables, into dst.
func registerCluster(fs *flag.FlagSet, getenv func(string) string, dst *string) {
	fs.StringVar(dst, "ch-cluster", getenv("ORDERCAST_CH_CLUSTER"),
		"ClickHouse cluster of -ch-dsn's server whose shards hold the history behind Distributed tables, as named\n"+
			"in its remote_servers; empty for one server (env ORDERCAST_CH_CLUSTER; docs/SCALE.md)")
}

// registerTimeZone registers -timezone, the region's time zone, into dst; use says what the command
// takes from it.
func registerTimeZone(fs *flag.FlagSet, getenv func(string) string, dst *string, use string) {
	fs.StringVar(dst, "timezone", envOr(getenv, "ORDERCAST_TIMEZONE", "Asia/Shanghai"),
		"the region's time zone (IANA name), "+use+" (env ORDERCAST_TIMEZONE)")
}

// loadZone loads the time zone -timezone names. On an error it returns UTC too, so that a command
// gathering its usage errors can go on to the next check.
func loadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC, fmt.Errorf("-timezone %q: want an IANA time zone such as Asia/Shanghai", name)
	}
	return loc, nil
}

// clusterError checks a -ch-cluster value.
func clusterError(name string) error {
	for i, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return fmt.Errorf("-ch-cluster %q: use letters, digits and underscores", name)
		}
	}
	return nil
}

func (c *storeConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.PostgresDSN, "pg-dsn", envOr(getenv, "ORDERCAST_PG_DSN", defaultPostgresDSN),
		"PostgreSQL DSN, the system of record (env ORDERCAST_PG_DSN)")
	fs.StringVar(&c.ClickHouseDSN, "ch-dsn", envOr(getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN, native protocol, the history store (env ORDERCAST_CH_DSN)")
	registerCluster(fs, getenv, &c.ClickHouseCluster)
	// A DSN holds a password: in production it comes from a file (a systemd credential), not from the
	// command line, where every user of the machine can read it, nor from the unit's environment.
	c.dsnFile(fs, getenv, "pg-dsn-file", "ORDERCAST_PG_DSN_FILE", &c.PostgresDSN, "-pg-dsn")
	c.dsnFile(fs, getenv, "ch-dsn-file", "ORDERCAST_CH_DSN_FILE", &c.ClickHouseDSN, "-ch-dsn")
}

// registerReport adds the flags of a read-only report replica to a command that reads reports.
func (c *storeConfig) registerReport(fs *flag.FlagSet, getenv func(string) string) error {
	fs.StringVar(&c.ReportDSN, "pg-report-dsn", getenv("ORDERCAST_PG_REPORT_DSN"),
		"PostgreSQL DSN of a streaming replica that read-only reports query while it is within -pg-report-max-lag\n"+
			"of the primary, which serves them otherwise; empty: the primary serves them (env ORDERCAST_PG_REPORT_DSN)")
	c.dsnFile(fs, getenv, "pg-report-dsn-file", "ORDERCAST_PG_REPORT_DSN_FILE", &c.ReportDSN, "-pg-report-dsn")
	maxLag, err := envDuration(getenv, "ORDERCAST_PG_REPORT_MAX_LAG", 10*time.Second)
	fs.DurationVar(&c.ReportMaxLag, "pg-report-max-lag", maxLag,
		"how far the report replica may be behind the primary (measured from WAL positions) before reports\n"+
			"go to the primary (env ORDERCAST_PG_REPORT_MAX_LAG)")
	return err
}

// dsnFile registers the flag name, whose value is a file holding the DSN that dst takes; the
// environment variable env names such a file too. As everywhere, a flag beats an environment variable;
// given the same way, the file beats the DSN.
func (c *storeConfig) dsnFile(fs *flag.FlagSet, getenv func(string) string, name, env string, dst *string, dsnFlag string) {
	read := func(origin, path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			c.fileErrs = append(c.fileErrs, fmt.Errorf("%s: %w", origin, err))
			return
		}
		*dst = strings.TrimSpace(string(b))
	}
	if path := getenv(env); path != "" {
		read(env, path)
	}
	fs.Func(name, fmt.Sprintf("a file holding the DSN of %s, read at start, in place of it (env %s)", dsnFlag, env),
		func(path string) error { read("-"+name, path); return nil })
}

func (c storeConfig) validate() error {
	errs := slices.Clone(c.fileErrs)
	if !strings.HasPrefix(c.PostgresDSN, "postgres://") && !strings.HasPrefix(c.PostgresDSN, "postgresql://") {
		errs = append(errs, errors.New("-pg-dsn: want postgres://user:password@host:port/database"))
	}
	if !strings.HasPrefix(c.ClickHouseDSN, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
	}
	if c.ReportDSN != "" && !strings.HasPrefix(c.ReportDSN, "postgres://") && !strings.HasPrefix(c.ReportDSN, "postgresql://") {
		errs = append(errs, errors.New("-pg-report-dsn: want postgres://user:password@host:port/database"))
	}
	if c.ReportDSN != "" && c.ReportMaxLag <= 0 {
		errs = append(errs, errors.New("-pg-report-max-lag: must be positive"))
	}
	errs = append(errs, clusterError(c.ClickHouseCluster))
	return errors.Join(errs...)
}

// logConfig says how the process logs.
type logConfig struct {
	Level  slog.Level
	Format string // json or text
}

func (c *logConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.Level = slog.LevelInfo
	c.Format = "json"
	fs.Func("log-level", "debug, info, warn or error (env ORDERCAST_LOG_LEVEL, default info)", c.setLevel)
	fs.StringVar(&c.Format, "log-format", envOr(getenv, "ORDERCAST_LOG_FORMAT", "json"),
		"json or text (env ORDERCAST_LOG_FORMAT)")
	if v := getenv("ORDERCAST_LOG_LEVEL"); v != "" {
		if err := c.setLevel(v); err != nil {
			c.Level = slog.Level(99) // reported by validate
		}
	}
}

func (c *logConfig) setLevel(s string) error {
	return c.Level.UnmarshalText([]byte(s))
}

func (c logConfig) validate() error {
	var errs []error
	if c.Level > slog.LevelError {
		errs = append(errs, errors.New("-log-level / ORDERCAST_LOG_LEVEL: want debug, info, warn or error"))
	}
	if c.Format != "json" && c.Format != "text" {
		errs = append(errs, fmt.Errorf("-log-format: %q; want json or text", c.Format))
	}
	return errors.Join(errs...)
}

func (c logConfig) logger(e env) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

// serveConfig is the configuration of `ordercast serve`.
type serveConfig struct {
	storeConfig
	logConfig
	Addr            string
	ShutdownTimeout time.Duration
	ReadyTimeout    time.Duration
	MaxBody         int64
	BodyTimeout     time.Duration // a request body must arrive within this time of its headers
	WindowCloseHour int           // order windows close at this hour on the evening before the order day
	TimeZone        string        // the region's time zone: order windows, schedules, today
	RelayEvery      time.Duration
	LoginHashers    int    // argon2id hashes at once; 0: 2×GOMAXPROCS
	TrustedProxies  string // comma-separated CIDRs whose X-Forwarded-For is believed
	AllowCredit     bool   // accept orders above the balance, with a warning
	ForecastAt      string // the weekly forecast run: "mon 02:00" in -timezone, or "off"
	ScoreAt         string // the monthly scoring of the month before: "2 04:00" in -timezone, or "off"
	notifyConfig
}

func (c *serveConfig) register(fs *flag.FlagSet, getenv func(string) string) error {
	c.storeConfig.register(fs, getenv)
	reportErr := c.storeConfig.registerReport(fs, getenv)
	c.logConfig.register(fs, getenv)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "ORDERCAST_ADDR", defaultAddr),
		"host:port to listen on; port 0 picks a free one (env ORDERCAST_ADDR)")
	errs := []error{reportErr}
	shutdown, err := envDuration(getenv, "ORDERCAST_SHUTDOWN_TIMEOUT", 30*time.Second)
	errs = append(errs, err)
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", shutdown,
		"how long in-flight requests may run after SIGTERM (env ORDERCAST_SHUTDOWN_TIMEOUT)")
	ready, err := envDuration(getenv, "ORDERCAST_READY_TIMEOUT", 2*time.Second)
	errs = append(errs, err)
	fs.DurationVar(&c.ReadyTimeout, "ready-timeout", ready,
		"how long /readyz waits for each store (env ORDERCAST_READY_TIMEOUT)")
	maxBody, err := envInt(getenv, "ORDERCAST_MAX_BODY_BYTES", 4<<20)
	errs = append(errs, err)
	fs.Int64Var(&c.MaxBody, "max-body", maxBody,
		"largest request body in bytes; larger ones get 413 (env ORDERCAST_MAX_BODY_BYTES)")
	bodyTimeout, err := envDuration(getenv, "ORDERCAST_BODY_TIMEOUT", 30*time.Second)
	errs = append(errs, err)
	fs.DurationVar(&c.BodyTimeout, "body-timeout", bodyTimeout,
		"how long a request body may take to arrive after its headers; a slower one gets 408 (env ORDERCAST_BODY_TIMEOUT)")
	closeHour, err := envInt(getenv, "ORDERCAST_WINDOW_CLOSE_HOUR", 18)
	errs = append(errs, err)
	fs.IntVar(&c.WindowCloseHour, "window-close-hour", int(closeHour),
		"order windows close at this hour (0-23) on the evening before the outlet's order day (env ORDERCAST_WINDOW_CLOSE_HOUR)")
	relayEvery, err := envDuration(getenv, "ORDERCAST_RELAY_INTERVAL", 2*time.Second)
	errs = append(errs, err)
	fs.DurationVar(&c.RelayEvery, "relay-interval", relayEvery,
		"how often delivered lines are relayed from the outbox to ClickHouse (env ORDERCAST_RELAY_INTERVAL)")
	hashers, err := envInt(getenv, "ORDERCAST_LOGIN_HASHERS", 0)
	errs = append(errs, err)
	fs.IntVar(&c.LoginHashers, "login-hashers", int(hashers),
		"password hashes (argon2id, ~19 MiB each) run at once; a login that waits over 250ms for one gets 503; 0: 2×GOMAXPROCS (env ORDERCAST_LOGIN_HASHERS)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", envOr(getenv, "ORDERCAST_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs of reverse proxies; only when the peer is one is the right-most untrusted address of X-Forwarded-For taken as a login's client, for the per-client login limits; empty: the peer's address (env ORDERCAST_TRUSTED_PROXIES)")
	allowCredit, err := envBool(getenv, "ORDERCAST_ALLOW_CREDIT")
	errs = append(errs, err)
	fs.BoolVar(&c.AllowCredit, "allow-credit", allowCredit,
		"accept an order above the outlet's balance less its other orders, with a warning, instead of refusing it with 422 (env ORDERCAST_ALLOW_CREDIT)")
	fs.StringVar(&c.ForecastAt, "forecast-at", envOr(getenv, "ORDERCAST_FORECAST_AT", "mon 02:00"),
		"when serve runs the weekly forecast of the live dataset: a weekday and a time in -timezone; off: never\n"+
			"(one instance runs it, once a week, at start if this week's is due) (env ORDERCAST_FORECAST_AT)")
	fs.StringVar(&c.ScoreAt, "score-at", envOr(getenv, "ORDERCAST_SCORE_AT", "2 04:00"),
		"when serve scores the month just ended against sales and requested quantities: a day of the month (1-28)\n"+
			"and a time in -timezone; off: never (env ORDERCAST_SCORE_AT)")
	registerTimeZone(fs, getenv, &c.TimeZone, "for order windows, schedules, and the day, week and month\n"+
		"the API and the pages take as today's; the pages show times in it")
	errs = append(errs, c.notifyConfig.register(fs, getenv))
	return errors.Join(errs...)
}

func (c serveConfig) validate() error {
	errs := []error{c.storeConfig.validate(), c.logConfig.validate()}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("-addr %q: want host:port", c.Addr))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("-shutdown-timeout: must be positive"))
	}
	if _, err := c.windowPolicy(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxBody <= 0 {
		errs = append(errs, errors.New("-max-body: must be positive"))
	}
	if c.BodyTimeout <= 0 {
		errs = append(errs, errors.New("-body-timeout: must be positive"))
	}
	if c.RelayEvery <= 0 {
		errs = append(errs, errors.New("-relay-interval: must be positive"))
	}
	if c.ReadyTimeout <= 0 {
		errs = append(errs, errors.New("-ready-timeout: must be positive"))
	}
	if c.LoginHashers < 0 {
		errs = append(errs, errors.New("-login-hashers: must not be negative"))
	}
	if _, err := c.trustedProxies(); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := c.schedules(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.notifyConfig.validate())
	return errors.Join(errs...)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func envBool(getenv func(string) string, key string) (bool, error) {
	v := getenv(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", key, v)
	}
	return b, nil
}

func envInt(getenv func(string) string, key string, def int64) (int64, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return def, fmt.Errorf("%s=%q: want a whole number", key, v)
	}
	return n, nil
}

func envDuration(getenv func(string) string, key string, def time.Duration) (time.Duration, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def, fmt.Errorf("%s=%q: want a duration such as 30s", key, v)
	}
	return d, nil
}

// windowPolicy is the order-window policy the configuration names.
func (c serveConfig) windowPolicy() (ordering.WindowPolicy, error) {
	loc, err := loadZone(c.TimeZone)
	if err != nil {
		return ordering.WindowPolicy{}, err
	}
	p := ordering.WindowPolicy{CloseHour: c.WindowCloseHour, Location: loc}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("-window-close-hour: %w", err)
	}
	return p, nil
}

// schedules parses -forecast-at and -score-at into slot functions; nil for "off".
func (c serveConfig) schedules() (forecastSlot, scoreSlot func(time.Time) string, err error) {
	loc, lerr := time.LoadLocation(c.TimeZone)
	if lerr != nil {
		return nil, nil, nil // reported by windowPolicy
	}
	var errs []error
	if c.ForecastAt != "off" {
		if forecastSlot, err = schedule.Weekly(c.ForecastAt, loc); err != nil {
			errs = append(errs, fmt.Errorf("-forecast-at %w, or off", err))
		}
	}
	if c.ScoreAt != "off" {
		if scoreSlot, err = schedule.Monthly(c.ScoreAt, loc); err != nil {
			errs = append(errs, fmt.Errorf("-score-at %w, or off", err))
		}
	}
	return forecastSlot, scoreSlot, errors.Join(errs...)
}

// trustedProxies parses -trusted-proxies.
func (c serveConfig) trustedProxies() ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("-trusted-proxies %q: want CIDRs such as 10.0.0.0/8,192.168.1.5/32", s)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// loginPolicy is the login policy the configuration names.
func (c serveConfig) loginPolicy() retailer.LoginPolicy {
	p := retailer.DefaultLoginPolicy()
	if c.LoginHashers > 0 {
		p.Hashers = c.LoginHashers
	}
	return p
}

// clientIP is how a login's client address is found: the peer's, or behind trusted proxies the
// right-most address of X-Forwarded-For that is not one of them (echo's defaults that trust
// loopback and private networks are turned off: only the configured ranges are trusted).
func (c serveConfig) clientIP() (echo.IPExtractor, error) {
	nets, err := c.trustedProxies()
	if err != nil || len(nets) == 0 {
		return echo.ExtractIPDirect(), err
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range nets {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...), nil
}
