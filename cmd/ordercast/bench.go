package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

const benchSummary = "Load tests a running server over HTTP, bounded by a count or a time:\n" +
	"  ordercast bench orders [-rate R] [-duration D | -count N] [-lines 20] [-outlets N] [-cpuprofile FILE] [-url URL]\n" +
	"  ordercast bench scans [-batch 5000] [-batches N] [-clients C] [-rounds R] [-compare] [-url URL]\n" +
	"Both prepare a retailer user bench-<licence> for each outlet they use (in the PostgreSQL of -pg-dsn,\n" +
	"with one random password hashed once) and open its sessions in the store, revoked at the end: run\n" +
	"them against a benchmark database, never production. Run `ordercast bench <what> -h` for the flags."

func runBench(ctx context.Context, e env, args []string) error {
	return subcommands{
		group:   "bench",
		missing: "say what to load: orders or scans",
		unknown: "unknown benchmark",
		subs: []command{
			{"orders", "order submission at a fixed arrival rate", runBenchOrders},
			{"scans", "scan uploads in batches, rows/s", runBenchScans},
		},
		usage: func(w io.Writer) { fmt.Fprintf(w, "Usage: ordercast bench orders|scans [flags]\n\n%s\n", benchSummary) },
	}.run(ctx, e, args)
}

// benchConfig is what both benchmarks share: where the server and its PostgreSQL are, how many
// outlets (retailers) to use.
type benchConfig struct {
	URL         string
	PostgresDSN string
	Outlets     int
	Timeout     time.Duration // of one request
	JSON        bool          // print the report as JSON
}

func (c *benchConfig) register(fs *flag.FlagSet, getenv func(string) string, outlets int) {
	fs.StringVar(&c.URL, "url", "http://"+envOr(getenv, "ORDERCAST_ADDR", defaultAddr),
		"base URL of the server under load (default from env ORDERCAST_ADDR)")
	fs.StringVar(&c.PostgresDSN, "pg-dsn", envOr(getenv, "ORDERCAST_PG_DSN", defaultPostgresDSN),
		"PostgreSQL DSN of the server's database, to prepare the retailers (env ORDERCAST_PG_DSN)")
	fs.IntVar(&c.Outlets, "outlets", outlets, "how many outlets (the first active ones by id) to spread the load over")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "timeout of one request")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
}

func (c benchConfig) validate() error {
	var errs []error
	if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		errs = append(errs, fmt.Errorf("-url %q: want http://host:port", c.URL))
	}
	if !strings.HasPrefix(c.PostgresDSN, "postgres://") && !strings.HasPrefix(c.PostgresDSN, "postgresql://") {
		errs = append(errs, errors.New("-pg-dsn: want postgres://user:password@host:port/database"))
	}
	if c.Outlets < 1 {
		errs = append(errs, errors.New("-outlets: want at least 1"))
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("-timeout: must be positive"))
	}
	return errors.Join(errs...)
}

// benchRetailer is one outlet's retailer with an open session.
type benchRetailer struct {
	outletID int64
	token    string
	brands   []string // on sale in the outlet's cycle, with a limit left (or none) in the catalogue read, not awaiting supply
}

// benchRetailers is the retailers a benchmark runs as, and how to end their sessions.
type benchRetailers struct {
	list    []benchRetailer
	skipped map[string]int // outlets left out, by why
	revoke  func(context.Context) error
}

// prepareRetailers makes sure the first cfg.Outlets active outlets have a bench-<licence> retailer,
// opens a session for each in the store (what a login does once the password is checked: the users'
// password is random and never used), and reads through the API each outlet's order day and, for one
// outlet of each order day, the catalogue (whether the window is open, the brands on sale), keeping
// the outlets whose order window is open when openWindow is set.
func prepareRetailers(ctx context.Context, cfg benchConfig, hc *http.Client, openWindow bool) (benchRetailers, error) {
	var out benchRetailers
	pool, err := stores.OpenPostgres(ctx, cfg.PostgresDSN)
	if err != nil {
		return out, err
	}
	users := retailerpg.New(pool)
	secret := make([]byte, 24)
	rand.Read(secret)
	hash, err := retailer.HashPassword(hex.EncodeToString(secret))
	if err != nil {
		pool.Close()
		return out, err
	}
	principals, err := users.EnsureRetailers(ctx, "bench-", cfg.Outlets, hash)
	if err != nil {
		pool.Close()
		return out, err
	}
	if len(principals) == 0 {
		pool.Close()
		return out, errors.New("no active outlet to load: seed a region first (ordercast seed)")
	}

	out.list = make([]benchRetailer, len(principals))
	hashes := make([][]byte, len(principals))
	now := time.Now()
	err = forEach(ctx, len(principals), 8, func(i int) error {
		token, tokenHash, err := retailer.NewToken()
		if err != nil {
			return err
		}
		if err := users.CreateSession(ctx, principals[i].UserID, tokenHash, now.Add(retailer.SessionTTL)); err != nil {
			return err
		}
		out.list[i] = benchRetailer{outletID: principals[i].OutletID, token: token}
		hashes[i] = tokenHash
		return nil
	})
	out.revoke = func(ctx context.Context) error {
		defer pool.Close()
		return forEach(ctx, len(hashes), 8, func(i int) error {
			if hashes[i] == nil {
				return nil
			}
			return users.RevokeSession(ctx, hashes[i], time.Now())
		})
	}
	if err != nil {
		out.revoke(context.WithoutCancel(ctx)) //nolint:errcheck // the first error is the one to report
		return out, err
	}

	// The order window and the brands on sale follow the outlet's order day (its cycle): one catalogue
	// per order day tells them.
	days := make([]string, len(out.list))
	err = forEach(ctx, len(out.list), 8, func(i int) error {
		r := &out.list[i]
		status, body, err := benchDo(ctx, hc, "GET", cfg.URL+"/api/v1/me", r.token, nil, "")
		if err != nil {
			return err
		}
		var me struct {
			Outlet struct {
				OrderDay string `json:"order_day"`
			} `json:"outlet"`
		}
		if status != http.StatusOK || json.Unmarshal(body, &me) != nil || me.Outlet.OrderDay == "" {
			return fmt.Errorf("GET /me as the retailer of outlet %d = %d %.300s", r.outletID, status, body)
		}
		days[i] = me.Outlet.OrderDay
		return nil
	})
	type dayCatalogue struct {
		open   bool
		brands []string // on sale, with a limit left or none, not awaiting their supply
	}
	byDay := map[string]*dayCatalogue{}
	for i := 0; err == nil && i < len(out.list); i++ {
		if byDay[days[i]] != nil {
			continue
		}
		r := out.list[i]
		status, body, derr := benchDo(ctx, hc, "GET", fmt.Sprintf("%s/api/v1/outlets/%d/catalogue", cfg.URL, r.outletID), r.token, nil, "")
		var c struct {
			Window struct {
				Open bool `json:"open"`
			} `json:"window"`
			Lines []struct {
				Brand          string `json:"brand"`
				Remaining      *int   `json:"remaining"`
				AwaitingSupply bool   `json:"awaiting_supply"`
			} `json:"lines"`
		}
		switch {
		case derr != nil:
			err = derr
		case status == http.StatusConflict: // no cycle for the outlet
			byDay[days[i]] = &dayCatalogue{}
		case status != http.StatusOK || json.Unmarshal(body, &c) != nil:
			err = fmt.Errorf("GET catalogue of outlet %d = %d %.300s", r.outletID, status, body)
		default:
			d := &dayCatalogue{open: c.Window.Open}
			for _, l := range c.Lines {
				if !l.AwaitingSupply && (l.Remaining == nil || *l.Remaining > 0) {
					d.brands = append(d.brands, l.Brand)
				}
			}
			byDay[days[i]] = d
		}
	}
	if err != nil {
		out.revoke(context.WithoutCancel(ctx)) //nolint:errcheck // the first error is the one to report
		return out, err
	}
	open := make([]bool, len(out.list))
	for i := range out.list {
		d := byDay[days[i]]
		out.list[i].brands, open[i] = d.brands, d.open || !openWindow
	}
	out.skipped = map[string]int{}
	kept := out.list[:0]
	for i, r := range out.list {
		if !open[i] {
			out.skipped["order window closed"]++
			continue
		}
		kept = append(kept, r)
	}
	out.list = kept
	if missing := cfg.Outlets - len(principals); missing > 0 {
		out.skipped["no such active outlet"] = missing
	}
	return out, nil
}

// forEach calls f(0) … f(n-1) from workers goroutines and returns the first error.
func forEach(ctx context.Context, n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// benchDo sends one request and returns its status and body. A transport error is an error.
func benchDo(ctx context.Context, hc *http.Client, method, url, token string, body []byte, key string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

func benchClient(maxConns int, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{
		MaxIdleConns: maxConns, MaxIdleConnsPerHost: maxConns, IdleConnTimeout: time.Minute,
	}}
}

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ordersReport is what `bench orders` measured.
type ordersReport struct {
	Rate        float64           `json:"rate"`                    // arrivals per second asked for
	Lines       int               `json:"lines"`                   // per order
	Outlets     int               `json:"outlets"`                 // outlets ordering
	Skipped     map[string]int    `json:"skipped"`                 // outlets left out, by why
	Scheduled   int               `json:"scheduled"`               // arrivals in the schedule
	Sent        int               `json:"sent"`                    // requests sent
	Dropped     int               `json:"dropped"`                 // arrivals not sent: the in-flight cap was reached
	OfferedRate float64           `json:"offered_rate"`            // requests sent per second of the schedule
	Placed      int               `json:"placed"`                  // 201 (new order) and 200 (an outlet's order replaced)
	ByStatus    map[string]int    `json:"by_status"`               // responses by status code; "transport" for no response
	FirstErrors map[string]string `json:"first_errors,omitempty"`  // the first body of each failing status
	Seconds     float64           `json:"seconds"`                 // first arrival to last response
	Throughput  float64           `json:"throughput"`              // placed orders per second
	Latency     percentiles       `json:"latency_ms"`              // of placed orders, from the scheduled arrival to the response
	Service     percentiles       `json:"service_ms"`              // of placed orders, from the request's actual send to the response
	MaxSendLag  float64           `json:"max_send_lag_ms"`         // how late the client sent, at worst
	ServerCPU   float64           `json:"server_cpu_ms_per_order"` // the server's CPU time (its /metrics) per order placed; 0 if unknown
	ClientCPU   float64           `json:"client_cpu_ms_per_order"` // this load client's CPU time per order placed, while it sent and awaited them
	Start       time.Time         `json:"start"`                   // the first arrival's time, for matching seconds against the stores' logs
	PerSecond   []secondReport    `json:"per_second"`              // the placed orders by the second of their scheduled arrival
	SlowSeconds int               `json:"slow_seconds"`            // seconds of PerSecond whose p99 is over slowSecond
}

// slowSecond is the p99 over which a second of arrivals counts as slow (a stall): the aim's bound.
const slowSecond = 50.0 // ms

// secondReport is the latency of the orders placed that were scheduled to arrive in one second of the run.
type secondReport struct {
	Second int     `json:"s"`      // from the first arrival
	Placed int     `json:"placed"` // orders placed of those arrivals
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

// perSecond groups latencies (ms) by the second of their scheduled arrival (at, s from the start).
func perSecond(at []int, latency []float64) []secondReport {
	var by [][]float64
	for i, s := range at {
		for len(by) <= s {
			by = append(by, nil)
		}
		by[s] = append(by[s], latency[i])
	}
	out := make([]secondReport, len(by))
	for s, ms := range by {
		p := percentilesOf(ms)
		out[s] = secondReport{Second: s, Placed: len(ms), P99: p.P99, Max: p.Max}
	}
	return out
}

// processCPU returns the CPU time (user and system) this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPUProfile starts a CPU profile into file (none when file is "") and returns what stops it.
func startCPUProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// serverCounters are counters of a server's /metrics.
type serverCounters struct {
	cpuSeconds float64 // process_cpu_seconds_total
	allocBytes float64 // go_memstats_alloc_bytes_total
}

// serverMetrics reads the server's CPU time and heap allocations so far from its /metrics; ok is
// false when it does not give both.
func serverMetrics(ctx context.Context, hc *http.Client, base string) (m serverCounters, ok bool) {
	status, body, err := benchDo(ctx, hc, "GET", base+"/metrics", "", nil, "")
	if err != nil || status != http.StatusOK {
		return m, false
	}
	found := 0
	for _, line := range strings.Split(string(body), "\n") {
		for _, c := range []struct {
			name string
			v    *float64
		}{{"process_cpu_seconds_total ", &m.cpuSeconds}, {"go_memstats_alloc_bytes_total ", &m.allocBytes}} {
			if v, cut := strings.CutPrefix(line, c.name); cut {
				if _, err := fmt.Sscan(v, c.v); err != nil {
					return m, false
				}
				found++
			}
		}
	}
	return m, found == 2
}

type percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentilesOf(ms []float64) percentiles {
	if len(ms) == 0 {
		return percentiles{}
	}
	slices.Sort(ms)
	at := func(q float64) float64 { return ms[min(len(ms)-1, int(math.Ceil(q*float64(len(ms))))-1)] }
	return percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms[len(ms)-1]}
}

func runBenchOrders(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("bench orders", flag.ContinueOnError)
	var cfg benchConfig
	cfg.register(fs, e.getenv, 1000)
	rate := fs.Float64("rate", 100, "arrivals per second, whatever the server's pace (open loop)")
	duration := fs.Duration("duration", 0, "how long arrivals go on (default 10s unless -count is set)")
	count := fs.Int("count", 0, "how many arrivals (instead of -duration)")
	lines := fs.Int("lines", 20, "lines per order, each a distinct brand on sale")
	maxInFlight := fs.Int("max-in-flight", 5000, "requests outstanding at most; an arrival beyond it is dropped and counted")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) of the load client, from the first arrival to the last response, to this file")
	summary := "Places orders through POST /api/v1/outlets/{id}/orders at a fixed arrival rate (open loop: a slow\n" +
		"server does not lower the offered rate; arrivals past -max-in-flight are counted as dropped), one\n" +
		"outlet after the other, each as its own retailer, and reports latency percentiles from each\n" +
		"arrival's scheduled time, throughput and errors by status. An outlet ordering again replaces its\n" +
		"order. Seed enough brands for -lines (ordercast seed -brands 40).\n\n" + benchSummary
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	errs := []error{cfg.validate()}
	if *rate <= 0 {
		errs = append(errs, errors.New("-rate: must be positive"))
	}
	if *duration != 0 && *count != 0 {
		errs = append(errs, errors.New("-duration and -count: give one of them"))
	}
	if *duration < 0 || *count < 0 || *lines < 1 || *maxInFlight < 1 {
		errs = append(errs, errors.New("-duration, -count, -lines and -max-in-flight: must be positive"))
	}
	if err := usageError(e, fs, errs...); err != nil {
		return err
	}
	n := *count
	if n == 0 {
		if *duration == 0 {
			*duration = 10 * time.Second
		}
		n = int(math.Round(*rate * duration.Seconds()))
	}
	if n < 1 {
		fmt.Fprintln(e.stderr, "ordercast bench orders: -rate × -duration is less than one order")
		return ErrUsage
	}

	hc := benchClient(min(*maxInFlight, 2048), cfg.Timeout)
	defer hc.CloseIdleConnections()
	rs, err := prepareRetailers(ctx, cfg, hc, true)
	if err != nil {
		return fmt.Errorf("bench orders: prepare: %w", err)
	}
	defer rs.revoke(context.WithoutCancel(ctx)) //nolint:errcheck // sessions expire anyway
	if len(rs.list) == 0 {
		return fmt.Errorf("bench orders: no outlet with an open order window among the first %d (%v)", cfg.Outlets, rs.skipped)
	}
	for _, r := range rs.list {
		if len(r.brands) < *lines {
			return fmt.Errorf("bench orders: outlet %d has %d brands on sale; want %d for -lines (seed with more -brands)",
				r.outletID, len(r.brands), *lines)
		}
	}

	// Bodies are made before the clock starts, so that the client spends its time sending.
	run := newRunID()
	type arrival struct {
		r    *benchRetailer
		url  string
		key  string
		body []byte
	}
	arrivals := make([]arrival, n)
	for i := range arrivals {
		r := &rs.list[i%len(rs.list)]
		var b strings.Builder
		b.WriteString(`{"lines":[`)
		start := (i / len(rs.list) * 7) % len(r.brands) // an outlet's next order changes its brands
		for j := range *lines {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"brand":%q,"quantity":%d}`, r.brands[(start+j)%len(r.brands)], 1+(i+j)%5)
		}
		b.WriteString(`]}`)
		arrivals[i] = arrival{r: r, url: fmt.Sprintf("%s/api/v1/outlets/%d/orders", cfg.URL, r.outletID),
			key: fmt.Sprintf("bench-%s-%d", run, i), body: []byte(b.String())}
	}

	rep := ordersReport{Rate: *rate, Lines: *lines, Outlets: len(rs.list), Skipped: rs.skipped, Scheduled: n,
		ByStatus: map[string]int{}, FirstErrors: map[string]string{}}
	fmt.Fprintf(e.stderr, "bench orders: %d outlets ready; sending %d orders at %g/s\n", len(rs.list), n, *rate)
	m0, cpuOK := serverMetrics(ctx, hc, cfg.URL)
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return fmt.Errorf("bench orders: %w", err)
	}
	client0 := processCPU()
	latency, service := make([]float64, 0, n), make([]float64, 0, n)
	arrivedAt := make([]int, 0, n) // the second of each placed order's scheduled arrival
	var mu sync.Mutex
	var inFlight atomic.Int64
	var lastDone time.Time
	type send struct {
		a        arrival
		at, sent time.Time
	}
	var start time.Time // of the first arrival, set before any is sent
	do := func(s send) {
		defer inFlight.Add(-1)
		status, body, err := benchDo(ctx, hc, "POST", s.a.url, s.a.r.token, s.a.body, s.a.key)
		done := time.Now()
		key := strconv.Itoa(status)
		if err != nil {
			key, body = "transport", []byte(err.Error())
		}
		mu.Lock()
		defer mu.Unlock()
		if done.After(lastDone) {
			lastDone = done
		}
		rep.ByStatus[key]++
		if status == http.StatusCreated || status == http.StatusOK {
			rep.Placed++
			latency = append(latency, ms(done.Sub(s.at)))
			arrivedAt = append(arrivedAt, int(s.at.Sub(start).Seconds()))
			service = append(service, ms(done.Sub(s.sent)))
		} else if _, ok := rep.FirstErrors[key]; !ok {
			rep.FirstErrors[key] = fmt.Sprintf("%.300s", body)
		}
	}
	// Each arrival goes to a sender that is idle, or to a new one when none is: the open loop never
	// waits for a sender, and senders live for the whole run (a goroutine per request would grow a
	// new stack for each).
	sends := make(chan send)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / *rate)
	start = time.Now()
	var lastSend time.Time
	for i := range arrivals {
		if ctx.Err() != nil {
			break
		}
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		sent := time.Now()
		lastSend = sent
		rep.MaxSendLag = max(rep.MaxSendLag, ms(sent.Sub(at)))
		if inFlight.Load() >= int64(*maxInFlight) {
			rep.Dropped++
			continue
		}
		rep.Sent++
		inFlight.Add(1)
		s := send{a: arrivals[i], at: at, sent: sent}
		select {
		case sends <- s:
		default:
			wg.Go(func() {
				do(s)
				for s := range sends {
					do(s)
				}
			})
		}
	}
	close(sends)
	wg.Wait()
	client1 := processCPU()
	stopProfile()
	fmt.Fprintf(e.stderr, "bench orders: done in %.1f s\n", time.Since(start).Seconds())
	if rep.Placed > 0 {
		rep.ClientCPU = float64((client1 - client0).Microseconds()) / 1000 / float64(rep.Placed)
	}
	if span := lastSend.Sub(start).Seconds(); rep.Sent > 1 && span > 0 {
		rep.OfferedRate = float64(rep.Sent-1) / span // arrivals per second between the first and the last
	}
	if rep.Seconds = lastDone.Sub(start).Seconds(); rep.Seconds > 0 {
		rep.Throughput = float64(rep.Placed) / rep.Seconds
	}
	rep.Start, rep.PerSecond = start.UTC(), perSecond(arrivedAt, latency) // before percentilesOf sorts latency
	for _, sec := range rep.PerSecond {
		if sec.P99 > slowSecond {
			rep.SlowSeconds++
		}
	}
	rep.Latency, rep.Service = percentilesOf(latency), percentilesOf(service)
	if m1, ok := serverMetrics(ctx, hc, cfg.URL); ok && cpuOK && rep.Placed > 0 {
		rep.ServerCPU = (m1.cpuSeconds - m0.cpuSeconds) * 1000 / float64(rep.Placed)
	}
	if cfg.JSON {
		return json.NewEncoder(e.stdout).Encode(rep)
	}
	printOrdersReport(e.stdout, rep)
	return ctx.Err()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func printOrdersReport(w io.Writer, r ordersReport) {
	fmt.Fprintf(w, "orders of %d lines over %d outlets", r.Lines, r.Outlets)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, " (left out: %v)", r.Skipped)
	}
	fmt.Fprintf(w, "\noffered:    %.1f/s asked, %.1f/s sent: %d of %d arrivals sent, %d dropped at the in-flight cap, client lag at most %.1f ms\n",
		r.Rate, r.OfferedRate, r.Sent, r.Scheduled, r.Dropped, r.MaxSendLag)
	fmt.Fprintf(w, "placed:     %d in %.2f s: %.1f orders/s\n", r.Placed, r.Seconds, r.Throughput)
	statuses := make([]string, 0, len(r.ByStatus))
	for s := range r.ByStatus {
		statuses = append(statuses, s)
	}
	sort.Strings(statuses)
	fmt.Fprint(w, "responses: ")
	for _, s := range statuses {
		fmt.Fprintf(w, " %s × %d", s, r.ByStatus[s])
	}
	fmt.Fprintln(w)
	for _, s := range statuses {
		if e, ok := r.FirstErrors[s]; ok {
			fmt.Fprintf(w, "  first %s: %s\n", s, e)
		}
	}
	fmt.Fprintf(w, "latency:    p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (placed orders, from the scheduled arrival)\n",
		r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	fmt.Fprintf(w, "service:    p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (placed orders, from the actual send)\n",
		r.Service.P50, r.Service.P90, r.Service.P99, r.Service.Max)
	fmt.Fprintf(w, "seconds:    %d of %d with p99 over %g ms (by scheduled arrival, from %s):", r.SlowSeconds, len(r.PerSecond),
		slowSecond, r.Start.Format("15:04:05Z"))
	for _, sec := range r.PerSecond {
		if sec.P99 > slowSecond {
			fmt.Fprintf(w, " %d (p99 %.0f ms, max %.0f)", sec.Second, sec.P99, sec.Max)
		}
	}
	fmt.Fprintln(w)
	if r.ServerCPU > 0 {
		fmt.Fprintf(w, "server CPU: %.2f ms per order placed (its process_cpu_seconds_total)\n", r.ServerCPU)
	}
	if r.ClientCPU > 0 {
		fmt.Fprintf(w, "client CPU: %.2f ms per order placed (this load client, while it sent and awaited them)\n", r.ClientCPU)
	}
}
