package stores

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reasons for which reports leave the replica for the primary (ReportObserver.Fallback).
const (
	FallbackUnreachable = "unreachable" // the replica did not answer its check
	FallbackLag         = "lag"         // the replica is further behind the primary than the bound
	FallbackNotStandby  = "not_standby" // the report DSN names a server that is not a standby
	FallbackConnect     = "connect"     // a new report connection could not reach the replica
)

// ErrReportDatabase is returned (wrapped) by OpenReports when the report DSN names another database
// than the primary's: a streaming replica holds every database of its primary, and reports must read
// the one the service writes.
var ErrReportDatabase = errors.New("stores: the report replica's database is not the primary's")

// ReportObserver learns how the reports' replica fares. Calls come from the monitor's goroutine and
// from the pool's connection hooks, possibly at once: implementations must be safe for concurrent use.
type ReportObserver interface {
	// Lag is called after every check that reached both servers, with how stale the replica may be: it
	// has applied everything the primary had committed that long ago.
	Lag(lag time.Duration)
	// Serving is called when reports move to the replica (true) or to the primary (false).
	Serving(onReplica bool)
	// Fallback is called each time reports leave the replica for the primary, with one of the
	// Fallback* reasons.
	Fallback(reason string)
}

// Primary is what the reports' router needs of the primary: a query for its WAL position. A
// *pgxpool.Pool fits.
type Primary interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ReportPool is a connection pool for read-only reports that a streaming replica serves while it
// answers and is at most MaxLag behind the primary, and the primary serves otherwise. Its Pool is an
// ordinary *pgxpool.Pool, so every store package takes it as it takes the primary's; it decides where
// each new connection goes and drops connections to the server that is no longer chosen:
//   - a new connection goes to the replica while it is chosen, with the primary as pgconn's fallback
//     host, so that a replica that stopped since the last check costs no failed query (the first
//     connection that lands on the primary moves the reports there at once);
//   - a connection to the replica is pinged before every use (within 2 s), so a stopped replica's
//     dead connections are dropped rather than handed to a query; a query running on the replica
//     when it stops fails, and one sent to a frozen replica waits for it (untested);
//   - Run checks the replica every CheckEvery: it must be a standby (in_hot_standby), reachable, and
//     have replayed the WAL position the primary had at most MaxLag ago.
//
// Only read-only queries whose callers accept data up to MaxLag (plus one check interval) old may use
// it: writes, and reads that must see the caller's own writes, belong on the primary's pool.
// The replica must be PostgreSQL 14 or later (it reports in_hot_standby); the report DSN's user logs
// in to the primary too when the reports fall back.
type ReportPool struct {
	pool       *pgxpool.Pool // routed: what the report stores use
	check      *pgxpool.Pool // to the replica only, for the monitor
	primary    Primary
	primaryCfg *pgx.ConnConfig
	replica    string // host:port of the replica, to tell a connection's target
	maxLag     time.Duration
	every      time.Duration
	obs        ReportObserver
	log        *slog.Logger

	mu        sync.Mutex
	onReplica bool
	samples   []walSample // the primary's WAL positions, oldest first
}

// walSample is the primary's WAL position read just after at.
type walSample struct {
	at  time.Time
	lsn int64
}

// ReportOptions tunes OpenReports.
type ReportOptions struct {
	MaxLag     time.Duration  // the staleness beyond which reports go to the primary; must be positive
	CheckEvery time.Duration  // how often Run checks the replica; 0: MaxLag/4, at most one second
	Observer   ReportObserver // nil: none
	Log        *slog.Logger   // nil: discard
}

// reportPingTimeout bounds the ping before each use of a replica connection: a frozen replica's
// connection is dropped after it rather than holding the report.
const reportPingTimeout = 2 * time.Second

// ReportApplicationName is the application_name of report connections unless the DSN sets one: it
// shows in pg_stat_activity on whichever server serves them.
const ReportApplicationName = "ordercast-reports"

// OpenReports opens the report pool on the replica named by dsn, beside primary (the primary's pool,
// whose configuration gives the fallback's address), and checks the replica once. An unreachable or
// lagging replica is no error: reports go to the primary until Run finds it fit. A malformed DSN is.
// The caller runs Run until it stops and then closes the pool.
func OpenReports(ctx context.Context, primary *pgxpool.Pool, dsn string, o ReportOptions) (*ReportPool, error) {
	if o.MaxLag <= 0 {
		return nil, errors.New("report pool: the lag bound must be positive")
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = min(o.MaxLag/4, time.Second)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, storeError("postgresql replica", dsn, fmt.Errorf("parse DSN: %w", err))
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(ConnsPerCPU * runtime.GOMAXPROCS(0))
	}
	cfg.ConnConfig.ConnectTimeout = OpenTimeout
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = ReportApplicationName
	}
	if db, primaryDB := cfg.ConnConfig.Database, primary.Config().ConnConfig.Database; db != primaryDB {
		return nil, storeError("postgresql replica", dsn,
			fmt.Errorf("%w: the report DSN names database %q, the primary's is %q", ErrReportDatabase, db, primaryDB))
	}
	checkCfg := cfg.Copy()
	checkCfg.MaxConns = 1
	r := &ReportPool{
		primary:    primary,
		primaryCfg: primary.Config().ConnConfig,
		replica:    hostPort(cfg.ConnConfig.Host, cfg.ConnConfig.Port),
		maxLag:     o.MaxLag,
		every:      o.CheckEvery,
		obs:        o.Observer,
		log:        o.Log,
	}
	appName := cfg.ConnConfig.RuntimeParams["application_name"]
	r.primaryCfg.RuntimeParams["application_name"] = appName
	r.primaryCfg.ConnectTimeout = OpenTimeout
	cfg.BeforeConnect = r.beforeConnect
	cfg.AfterConnect = r.afterConnect
	cfg.PrepareConn = r.prepareConn
	cfg.ShouldPing = func(_ context.Context, p pgxpool.ShouldPingParams) bool {
		return p.IdleDuration >= time.Second || isStandby(p.Conn)
	}
	cfg.PingTimeout = reportPingTimeout
	if r.check, err = pgxpool.NewWithConfig(ctx, checkCfg); err != nil {
		return nil, storeError("postgresql replica", dsn, err)
	}
	if r.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		r.check.Close()
		return nil, storeError("postgresql replica", dsn, err)
	}
	r.obs.Serving(false)
	r.Check(ctx)
	return r, nil
}

// Pool is the pool report stores query.
func (r *ReportPool) Pool() *pgxpool.Pool { return r.pool }

// OnReplica reports whether new report queries go to the replica.
func (r *ReportPool) OnReplica() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.onReplica
}

// Close closes the pool's connections.
func (r *ReportPool) Close() {
	r.pool.Close()
	r.check.Close()
}

// Run checks the replica every CheckEvery until ctx is done.
func (r *ReportPool) Run(ctx context.Context) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.Check(ctx)
		}
	}
}

// Check checks the replica once and moves the reports accordingly.
func (r *ReportPool) Check(parent context.Context) {
	// Generous: a check that times out moves the reports for nothing (a stopped replica refuses at once).
	ctx, cancel := context.WithTimeout(parent, max(r.every, min(r.maxLag, 5*time.Second)))
	defer cancel()
	at := time.Now()
	var primaryLSN int64
	if err := r.primary.QueryRow(ctx, "SELECT (pg_current_wal_lsn() - '0/0')::bigint").Scan(&primaryLSN); err != nil {
		// Without the primary's position the lag is unknown; the primary's own troubles show elsewhere.
		r.log.Debug("report replica check: primary WAL position", "err", err)
		return
	}
	var standby bool
	var replayed *int64
	var sinceReplay *float64
	err := r.check.QueryRow(ctx, `SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0')::bigint,
		EXTRACT(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8`).Scan(&standby, &replayed, &sinceReplay)
	now := time.Now()
	r.mu.Lock()
	r.samples = append(r.samples, walSample{at: at, lsn: primaryLSN})
	r.samples = pruneSamples(r.samples, now.Add(-r.maxLag-2*r.every))
	lag, known := staleness(r.samples, replayed, seconds(sinceReplay), now)
	r.mu.Unlock()
	switch {
	case err != nil:
		if parent.Err() == nil { // not a check cut short by shutting down
			r.setReplica(false, FallbackUnreachable, err)
		}
	case !standby || replayed == nil:
		r.setReplica(false, FallbackNotStandby, nil)
	default:
		r.obs.Lag(lag)
		if !known || lag > r.maxLag {
			r.setReplica(false, FallbackLag, fmt.Errorf("%s behind, over the bound of %s", lag.Round(time.Millisecond), r.maxLag))
			return
		}
		r.setReplica(true, "", nil)
	}
}

// staleness is how old the replica's data may be at most, the smaller of two bounds:
//   - now less the time of the newest sample of the primary's WAL position that the replica has
//     replayed: everything committed before that time is visible there;
//   - sinceReplay, the time since the last transaction the replica replayed committed on the primary
//     (pg_last_xact_replay_timestamp; nil when it has replayed none): transactions commit in WAL order,
//     so every earlier one is visible. This bound is the sharper one while the primary writes without
//     pause, the WAL moving on between the two reads of a check; it assumes the two servers' clocks agree.
//
// known is false when neither bound exists (lag is then now less the oldest sample, the least it is).
func staleness(samples []walSample, replayed *int64, sinceReplay *time.Duration, now time.Time) (lag time.Duration, known bool) {
	if len(samples) == 0 || replayed == nil {
		return 0, false
	}
	for i := len(samples) - 1; i >= 0; i-- {
		if samples[i].lsn <= *replayed {
			lag, known = now.Sub(samples[i].at), true
			break
		}
	}
	if sinceReplay != nil && (!known || *sinceReplay < lag) {
		return max(*sinceReplay, 0), true
	}
	if !known {
		return now.Sub(samples[0].at), false
	}
	return lag, true
}

// seconds converts a number of seconds from PostgreSQL into a duration; nil stays nil.
func seconds(s *float64) *time.Duration {
	if s == nil {
		return nil
	}
	d := time.Duration(*s * float64(time.Second))
	return &d
}

// pruneSamples drops the samples taken before cutoff, keeping the newest one whatever its age.
func pruneSamples(samples []walSample, cutoff time.Time) []walSample {
	i := 0
	for i < len(samples)-1 && samples[i].at.Before(cutoff) {
		i++
	}
	return append(samples[:0], samples[i:]...)
}

// setReplica moves the reports to the replica or the primary, telling the observer and the log.
func (r *ReportPool) setReplica(on bool, reason string, cause error) {
	r.mu.Lock()
	was := r.onReplica
	r.onReplica = on
	r.mu.Unlock()
	if was == on {
		return
	}
	r.obs.Serving(on)
	if on {
		r.log.Info("reports served by the PostgreSQL replica", "replica", r.replica)
		return
	}
	r.obs.Fallback(reason)
	attrs := []any{"replica", r.replica, "reason", reason}
	if cause != nil {
		attrs = append(attrs, "err", cause)
	}
	r.log.Warn("reports fall back to the PostgreSQL primary", attrs...)
}

// beforeConnect points a new connection at the server chosen now: the replica with the primary as its
// fallback host, or the primary.
func (r *ReportPool) beforeConnect(_ context.Context, cc *pgx.ConnConfig) error {
	if !r.OnReplica() {
		*cc = *r.primaryCfg.Copy()
		return nil
	}
	cc.Fallbacks = append(cc.Fallbacks, &pgconn.FallbackConfig{
		Host: r.primaryCfg.Host, Port: r.primaryCfg.Port, TLSConfig: r.primaryCfg.TLSConfig,
	})
	for _, f := range r.primaryCfg.Fallbacks {
		c := *f
		cc.Fallbacks = append(cc.Fallbacks, &c)
	}
	return nil
}

// afterConnect notices a connection meant for the replica that landed elsewhere (the replica refused
// it, or is no standby) and moves the reports to the primary at once.
func (r *ReportPool) afterConnect(_ context.Context, c *pgx.Conn) error {
	meant := hostPort(c.Config().Host, c.Config().Port) == r.replica
	if meant && !isStandby(c) {
		r.setReplica(false, FallbackConnect, nil)
	}
	return nil
}

// prepareConn lets a connection serve only while its server is the one chosen: the pool drops the
// others and connects anew.
func (r *ReportPool) prepareConn(_ context.Context, c *pgx.Conn) (bool, error) {
	return isStandby(c) == r.OnReplica(), nil
}

// isStandby reports whether c's server is a hot standby, as it said when c connected and since.
func isStandby(c *pgx.Conn) bool { return c.PgConn().ParameterStatus("in_hot_standby") == "on" }

func hostPort(host string, port uint16) string { return fmt.Sprintf("%s:%d", host, port) }

type nopObserver struct{}

func (nopObserver) Lag(time.Duration) {}
func (nopObserver) Serving(bool)      {}
func (nopObserver) Fallback(string)   {}
