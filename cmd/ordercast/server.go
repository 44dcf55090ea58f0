package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/cmd/ordercast/web"
	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// pinger is what readiness needs of a store: *pgxpool.Pool and clickhouse's driver.Conn fit it.
// Ping must honour ctx's deadline and be safe for concurrent use.
type pinger interface {
	Ping(ctx context.Context) error
}

// storeCheck names a store for /readyz and the ordercast_store_up metric.
type storeCheck struct {
	name  string
	store pinger
}

// apiRoutes is what a domain's HTTP adapter offers the server: its routes, some public (logging in),
// the rest behind authentication, and how its errors answer.
type apiRoutes interface {
	Register(public, authed *echo.Group)
	Problems() problem.Table
}

// serverDeps is what the HTTP server is built from.
type serverDeps struct {
	log          *slog.Logger
	registerer   prometheus.Registerer
	gatherer     prometheus.Gatherer
	checks       []storeCheck
	readyTimeout time.Duration
	maxBody      int64               // request bodies above this many bytes get 413
	bodyTimeout  time.Duration       // request bodies slower than this get 408
	authenticate echo.MiddlewareFunc // admits requests with a live session; nil: no API routes
	api          []apiRoutes
	pages        bool           // serve the web pages (cmd/ordercast/web), which call the API routes in-process
	region       *time.Location // the pages' time zone: serve's -timezone
}

// newServer builds the echo instance with the operational routes, middleware and error handling that
// every domain's routes share, and the probe that keeps ordercast_store_up fresh between /readyz calls
// (run it until the server stops).
func newServer(d serverDeps) (*echo.Echo, func(context.Context), error) {
	m, err := newHTTPMetrics(d.registerer)
	if err != nil {
		return nil, nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	tables := make([]problem.Table, len(d.api))
	for i, r := range d.api {
		tables[i] = r.Problems()
	}
	// A lost store connection that no adapter classified answers 503, not 500, wherever it came from.
	e.HTTPErrorHandler = problem.NewRenderer(tables...).WhenStoreLost(stores.ConnectionLost).Handler(d.log)
	e.Binder = strictBinder{}
	e.Use(
		middleware.RequestID(),
		instrument(m, d.log),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableErrorHandler: true, // the panic becomes an error, rendered by instrument's c.Error
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				d.log.Error("panic in handler", "route", c.Path(), "err", err, "stack", string(stack))
				return err
			},
		}),
	)
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "alive"})
	})
	r := &readiness{checks: d.checks, timeout: d.readyTimeout, up: m.storeUp, log: d.log}
	e.GET("/readyz", r.handle)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(d.gatherer, promhttp.HandlerOpts{})))
	if d.authenticate != nil {
		public := e.Group("/api/v1", limitBody(d.maxBody, d.bodyTimeout), refuseNUL)
		public.GET("/openapi.json", serveOpenAPI, problem.Query())
		authed := public.Group("", d.authenticate)
		for _, r := range d.api {
			scope := problem.Scope(r.Problems())
			r.Register(public.Group("", scope), authed.Group("", scope))
		}
	}
	if d.pages {
		pages, err := web.New(e, openAPIDocument, d.log, time.Now, d.region)
		if err != nil {
			return nil, nil, err
		}
		pages.Register(e)
	}
	return e, func(ctx context.Context) { r.probe(ctx, storeProbeInterval) }, nil
}

// limitBody answers 413 to a request whose declared length is over max, and caps the body of the
// others at max bytes (reading past it fails with *http.MaxBytesError, rendered as 413). The body must
// arrive within timeout: reading it later fails with os.ErrDeadlineExceeded, rendered as 408, so that a
// client trickling its body cannot hold a connection and a handler for ever.
func limitBody(max int64, timeout time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > max {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
					fmt.Sprintf("request body over %d bytes", max))
			}
			if timeout > 0 {
				// The deadline belongs to this request: the server sets the next one's afresh.
				if err := http.NewResponseController(c.Response().Writer).SetReadDeadline(time.Now().Add(timeout)); err != nil &&
					!errors.Is(err, http.ErrNotSupported) {
					return err
				}
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, max)
			return next(c)
		}
	}
}

// refuseNUL answers 400 to a request whose path or query holds a NUL character: no parameter has a
// use for one, and PostgreSQL cannot take it in text.
func refuseNUL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.ContainsRune(c.Request().URL.Path, 0) {
			return echo.NewHTTPError(http.StatusBadRequest, "a NUL character is not allowed in the path")
		}
		for name, values := range c.QueryParams() {
			if strings.ContainsRune(name+strings.Join(values, ""), 0) {
				return problem.Invalid(map[string]string{name: "a NUL character is not allowed"})
			}
		}
		return next(c)
	}
}

// newRegistry returns a registry with the Go and process collectors and ordercast_build_info.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace:   "ordercast",
			Name:        "build_info",
			Help:        "A metric with a constant 1 value labelled by the version and revision ordercast was built from.",
			ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
	)
	return reg
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	storeUp  *prometheus.GaugeVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "ordercast", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "ordercast", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "ordercast", Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
		storeUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "ordercast", Name: "store_up",
			Help: "1 if the store answered the last readiness check, 0 if not.",
		}, []string{"store"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight, m.storeUp} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register HTTP metrics: %w", err)
		}
	}
	return m, nil
}

// instrument counts, times and logs every request by its route template (never its raw path, so the
// label stays bounded), after the error handler has written the response.
func instrument(m *httpMetrics, log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			m.inFlight.Inc()
			defer m.inFlight.Dec()
			if err := next(c); err != nil {
				c.Error(err)
			}
			route := c.Path()
			if c.Get("unmatched") != nil || route == "" {
				route = "unmatched"
			}
			req, res := c.Request(), c.Response()
			elapsed := time.Since(start)
			m.requests.WithLabelValues(route, req.Method, strconv.Itoa(res.Status)).Inc()
			m.duration.WithLabelValues(route, req.Method).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			switch route {
			case "/healthz", "/readyz", "/metrics":
				level = slog.LevelDebug
			}
			log.Log(req.Context(), level, "request",
				"method", req.Method, "route", route, "status", res.Status,
				"duration_ms", float64(elapsed.Microseconds())/1000, "bytes", res.Size,
				"request_id", res.Header().Get(echo.HeaderXRequestID))
			return nil
		}
	}
}

// readiness answers /readyz: 200 when every store answers within timeout, 503 naming those that don't.
type readiness struct {
	checks  []storeCheck
	timeout time.Duration
	up      *prometheus.GaugeVec
	log     *slog.Logger
}

// storeProbeInterval is how often serve checks the stores between /readyz calls, so that
// ordercast_store_up stays fresh for Prometheus whoever calls /readyz.
const storeProbeInterval = 15 * time.Second

// probe checks the stores at once and then every interval until ctx is done.
func (r *readiness) probe(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *readiness) handle(c echo.Context) error {
	status, down := r.check(c.Request().Context())
	if len(down) == 0 {
		return c.JSON(http.StatusOK, map[string]any{"status": "ready", "stores": status})
	}
	p := problem.New(http.StatusServiceUnavailable, fmt.Sprintf("not ready: %s not answering", joinNames(down)))
	p.Stores = status
	return problem.Write(c, p)
}

// check pings every store at once, each within the timeout, sets ordercast_store_up, and returns
// each store's status and the names of those down.
func (r *readiness) check(ctx context.Context) (status map[string]string, down []string) {
	failed := make([]bool, len(r.checks))
	var wg sync.WaitGroup
	for i, chk := range r.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, r.timeout)
			defer cancel()
			if err := chk.store.Ping(cctx); err != nil {
				failed[i] = true
				r.up.WithLabelValues(chk.name).Set(0)
				r.log.Warn("store not ready", "store", chk.name, "err", err)
				return
			}
			r.up.WithLabelValues(chk.name).Set(1)
		}()
	}
	wg.Wait()
	status = map[string]string{}
	for i, chk := range r.checks {
		status[chk.name] = "ok"
		if failed[i] {
			status[chk.name] = "unavailable"
			down = append(down, chk.name)
		}
	}
	return status, down
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1:] {
		s += " and " + n
	}
	return s
}

// serveHTTP serves h on ln until ctx is done, then stops accepting connections and lets in-flight
// requests finish within timeout. A clean shutdown returns nil.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, timeout time.Duration, log *slog.Logger) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: letting in-flight requests finish", "timeout", timeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("shut down cleanly")
	return nil
}
