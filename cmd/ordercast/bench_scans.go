package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/retailer"
	retailerch "github.com/ordercast/ordercast/retailer/clickhouse"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

// scansReport is what `bench scans` measured.
type scansReport struct {
	BatchRows int         `json:"batch_rows"`
	Batches   int         `json:"batches"` // per round
	Clients   int         `json:"clients"`
	Outlets   int         `json:"outlets"`
	Rounds    []scanRound `json:"rounds"`
	Median    float64     `json:"median_rows_per_s"` // the median round's, through HTTP
	// Medians of the rounds' server CPU and allocations per upload (0 if unknown).
	MedianServerCPU     float64 `json:"median_server_cpu_ms_per_batch"`
	MedianServerAllocMB float64 `json:"median_server_alloc_mb_per_batch"`
	// With -compare: the medians of the rounds' raw and in-process rates and of their ratios.
	MedianRaw           float64 `json:"median_raw_rows_per_s,omitempty"`
	MedianBulk          float64 `json:"median_bulk_rows_per_s,omitempty"`
	MedianStore         float64 `json:"median_store_rows_per_s,omitempty"`
	MedianStoreRatio    float64 `json:"median_store_to_raw,omitempty"`
	MedianHTTPRatio     float64 `json:"median_http_to_raw,omitempty"`
	MedianHTTPBulkRatio float64 `json:"median_http_to_bulk,omitempty"`
}

type scanRound struct {
	Batches    int         `json:"batches"`  // uploads acknowledged (201)
	Accepted   int         `json:"accepted"` // rows
	Rejected   int         `json:"rejected"` // rows
	Seconds    float64     `json:"seconds"`
	RowsPerSec float64     `json:"rows_per_s"`              // accepted and rejected rows stored per second
	Latency    percentiles `json:"latency_ms"`              // of one upload
	ServerCPU  float64     `json:"server_cpu_ms_per_batch"` // the server's CPU time (its /metrics) per upload; 0 if unknown
	// The server's heap allocations (its /metrics, go_memstats_alloc_bytes_total) per upload, in MB; 0 if
	// unknown.
	ServerAllocMB float64 `json:"server_alloc_mb_per_batch"`
	// With -compare, the same rows in the same batches from as many clients:
	Raw   *scanPathRound `json:"raw,omitempty"`   // a plain columnar INSERT per batch into a copy of scans
	Bulk  *scanPathRound `json:"bulk,omitempty"`  // one plain columnar INSERT of every batch of the round
	Store *scanPathRound `json:"store,omitempty"` // ordercast's path in this process: claim, validate, store
}

// scanPathRound is one round of the rows written another way than through the API.
type scanPathRound struct {
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_s"`
}

// benchScanRow is one row of an upload, as a terminal sends it.
type benchScanRow struct {
	Brand string  `json:"brand"`
	Kind  string  `json:"kind"`
	At    string  `json:"at"`
	Qty   float64 `json:"qty"`
}

// rawScansTable is the copy of scans that -compare writes the plain INSERTs into (and drops at the end).
const rawScansTable = "bench_scans_raw"

func runBenchScans(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("bench scans", flag.ContinueOnError)
	var cfg benchConfig
	cfg.register(fs, e.getenv, 40)
	batchRows := fs.Int("batch", 5000, "rows per upload (at most 10,000)")
	batches := fs.Int("batches", 60, "uploads per round")
	clients := fs.Int("clients", 4, "clients uploading at once, each waiting for its answer before the next upload")
	rounds := fs.Int("rounds", 3, "rounds; the median round's rows/s is the result")
	compare := fs.Bool("compare", false, "in each round, also write the same rows with a plain columnar INSERT per batch and with one for all "+
		"(clickhouse-go, into a copy of scans made for the run) and through ordercast's store in this process, and report the ratios")
	chDSN := fs.String("ch-dsn", envOr(e.getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN of the server's database, for -compare (env ORDERCAST_CH_DSN)")
	summary := "Uploads terminal scans through POST /api/v1/outlets/{id}/scans, each outlet's batches as its own\n" +
		"retailer, from -clients clients at once, and reports the rows stored per second of each round and\n" +
		"their median. Every upload is a new batch, valid throughout. Bodies are encoded before the clock\n" +
		"starts. With -compare, each round also writes the same rows batch by batch from as many clients\n" +
		"with a plain clickhouse-go columnar INSERT (the floor of what storing them costs), all of them with\n" +
		"one such INSERT (what the rows cost once the cost of each INSERT is out of the way), and through\n" +
		"ordercast's own path in this process (claim in PostgreSQL, catalogue check, validation, the\n" +
		"exactly-once store); the four take turns at going first from round to round. It prints each rate\n" +
		"beside the plain INSERTs' (HTTP ÷ plain).\n\n" + benchSummary
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	errs := []error{cfg.validate()}
	if *batchRows < 1 || *batchRows > retailer.MaxScanRows {
		errs = append(errs, fmt.Errorf("-batch: want 1 to %d rows", retailer.MaxScanRows))
	}
	if *batches < 1 || *clients < 1 || *rounds < 1 {
		errs = append(errs, errors.New("-batches, -clients and -rounds: must be positive"))
	}
	if *compare && !strings.HasPrefix(*chDSN, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
	}
	if err := usageError(e, fs, errs...); err != nil {
		return err
	}
	hc := benchClient(*clients, cfg.Timeout)
	defer hc.CloseIdleConnections()
	rs, err := prepareRetailers(ctx, cfg, hc, false)
	if err != nil {
		return fmt.Errorf("bench scans: prepare: %w", err)
	}
	defer rs.revoke(context.WithoutCancel(ctx)) //nolint:errcheck // sessions expire anyway
	var brands []string
	for _, r := range rs.list {
		if len(r.brands) > len(brands) {
			brands = r.brands
		}
	}
	if len(brands) == 0 {
		return errors.New("bench scans: no brand on sale in the outlets' catalogues (ordercast seed makes some)")
	}
	var paths *scanPaths
	if *compare {
		if paths, err = openScanPaths(ctx, cfg.PostgresDSN, *chDSN, rs.list); err != nil {
			return fmt.Errorf("bench scans: -compare: %w", err)
		}
		defer paths.close(context.WithoutCancel(ctx))
	}

	fmt.Fprintf(e.stderr, "bench scans: %d outlets ready; sending %d rounds of %d uploads of %d rows\n",
		len(rs.list), *rounds, *batches, *batchRows)
	run := newRunID()
	rep := scansReport{BatchRows: *batchRows, Batches: *batches, Clients: *clients, Outlets: len(rs.list)}
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var cpus, allocs []float64
	var rates, raws, bulks, storeRates, storeRatios, httpRatios, httpBulkRatios []float64
	for round := range *rounds {
		bodies := make([][]byte, *batches)
		scans := make([][]retailer.Scan, *batches)
		rows := make([]benchScanRow, *batchRows)
		for b := range bodies {
			scans[b] = make([]retailer.Scan, *batchRows)
			for i := range rows {
				// Distinct (brand, kind, second) within the batch; stock counts small enough to pass.
				kind := []retailer.ScanKind{retailer.SellOut, retailer.StockCount}[(i/len(brands))%2]
				at := base.Add(-time.Duration(i/(2*len(brands))) * time.Second)
				rows[i] = benchScanRow{brands[(i+b)%len(brands)], string(kind), at.Format(time.RFC3339), float64(1 + i%20)}
				scans[b][i] = retailer.Scan{Brand: rows[i].Brand, Kind: kind, At: at, Qty: rows[i].Qty}
			}
			if bodies[b], err = json.Marshal(map[string]any{"batch_id": fmt.Sprintf("bench-%s-r%d-b%d", run, round, b), "rows": rows}); err != nil {
				return err
			}
		}
		var res scanRound
		var latency []float64
		steps := []func() error{func() error { // through the API
			var mu sync.Mutex
			m0, m0OK := serverMetrics(ctx, hc, cfg.URL)
			start := time.Now()
			err := forEach(ctx, len(bodies), *clients, func(b int) error {
				r := rs.list[b%len(rs.list)]
				sent := time.Now()
				status, body, err := benchDo(ctx, hc, "POST", fmt.Sprintf("%s/api/v1/outlets/%d/scans", cfg.URL, r.outletID), r.token, bodies[b], "")
				if err != nil {
					return err
				}
				var out struct{ Accepted, Rejected int }
				if status != http.StatusCreated || json.Unmarshal(body, &out) != nil {
					return fmt.Errorf("upload %d for outlet %d = %d %.300s", b, r.outletID, status, body)
				}
				mu.Lock()
				defer mu.Unlock()
				res.Batches++
				res.Accepted += out.Accepted
				res.Rejected += out.Rejected
				latency = append(latency, ms(time.Since(sent)))
				return nil
			})
			if err != nil {
				return err
			}
			res.Seconds = time.Since(start).Seconds()
			if m1, ok := serverMetrics(ctx, hc, cfg.URL); ok && m0OK && res.Batches > 0 {
				res.ServerCPU = (m1.cpuSeconds - m0.cpuSeconds) * 1000 / float64(res.Batches)
				res.ServerAllocMB = (m1.allocBytes - m0.allocBytes) / 1e6 / float64(res.Batches)
			}
			return nil
		}}
		if paths != nil {
			// The ways of writing take turns at going first, so that none always pays for the merges
			// the one before left ClickHouse to do.
			steps = append(steps, func() (err error) {
				res.Raw, err = paths.timed(ctx, len(scans), *batchRows, *clients, func(b int) error {
					return paths.insertRaw(ctx, fmt.Sprintf("raw-%s-r%d", run, round), b, scans[b:b+1])
				})
				return wrapErr("plain INSERT", err)
			}, func() (err error) {
				res.Bulk, err = paths.timed(ctx, 1, len(scans)**batchRows, 1, func(int) error {
					return paths.insertRaw(ctx, fmt.Sprintf("bulk-%s-r%d", run, round), 0, scans)
				})
				return wrapErr("one plain INSERT", err)
			}, func() (err error) {
				res.Store, err = paths.timed(ctx, len(scans), *batchRows, *clients, func(b int) error {
					return paths.store(ctx, fmt.Sprintf("bench-%s-r%d-b%d-store", run, round, b), b, scans[b])
				})
				return wrapErr("in-process store", err)
			})
		}
		for k := range steps {
			if err := steps[(k+round)%len(steps)](); err != nil {
				return fmt.Errorf("bench scans: round %d: %w", round+1, err)
			}
		}
		res.RowsPerSec = float64(res.Accepted+res.Rejected) / res.Seconds
		res.Latency = percentilesOf(latency)
		rep.Rounds = append(rep.Rounds, res)
		rates = append(rates, res.RowsPerSec)
		cpus, allocs = append(cpus, res.ServerCPU), append(allocs, res.ServerAllocMB)
		if res.Raw != nil {
			raws, bulks, storeRates = append(raws, res.Raw.RowsPerSec), append(bulks, res.Bulk.RowsPerSec), append(storeRates, res.Store.RowsPerSec)
			storeRatios = append(storeRatios, res.Store.RowsPerSec/res.Raw.RowsPerSec)
			httpRatios = append(httpRatios, res.RowsPerSec/res.Raw.RowsPerSec)
			httpBulkRatios = append(httpBulkRatios, res.RowsPerSec/res.Bulk.RowsPerSec)
		}
		if !cfg.JSON {
			fmt.Fprintf(e.stdout, "round %d: %d uploads of %d rows from %d clients in %.2f s: %.0f rows/s (%d rejected), "+
				"upload p50 %.0f ms, p99 %.0f ms, server CPU %.1f ms and %.2f MB allocated per upload\n", round+1, res.Batches, *batchRows, *clients,
				res.Seconds, res.RowsPerSec, res.Rejected, res.Latency.P50, res.Latency.P99, res.ServerCPU, res.ServerAllocMB)
			if res.Raw != nil {
				fmt.Fprintf(e.stdout, "         same rows: plain INSERT per batch %.0f rows/s, one plain INSERT %.0f rows/s; "+
					"in-process store %.0f rows/s (%.2f × per batch); HTTP %.2f × per batch, %.2f × one INSERT\n",
					res.Raw.RowsPerSec, res.Bulk.RowsPerSec, res.Store.RowsPerSec, storeRatios[len(storeRatios)-1],
					httpRatios[len(httpRatios)-1], httpBulkRatios[len(httpBulkRatios)-1])
			}
		}
	}
	rep.Median = median(rates)
	rep.MedianServerCPU, rep.MedianServerAllocMB = median(cpus), median(allocs)
	if paths != nil {
		rep.MedianRaw, rep.MedianBulk, rep.MedianStore = median(raws), median(bulks), median(storeRates)
		rep.MedianStoreRatio, rep.MedianHTTPRatio, rep.MedianHTTPBulkRatio = median(storeRatios), median(httpRatios), median(httpBulkRatios)
	}
	if cfg.JSON {
		return json.NewEncoder(e.stdout).Encode(rep)
	}
	fmt.Fprintf(e.stdout, "median of %d rounds: %.0f rows/s; server CPU %.1f ms and %.2f MB allocated per upload\n",
		len(rates), rep.Median, rep.MedianServerCPU, rep.MedianServerAllocMB)
	if paths != nil {
		fmt.Fprintf(e.stdout, "medians of the same rows: plain INSERT per batch %.0f rows/s, one plain INSERT %.0f rows/s; "+
			"in-process store %.0f rows/s, %.2f × per batch; HTTP %.2f × per batch, %.2f × one INSERT\n",
			rep.MedianRaw, rep.MedianBulk, rep.MedianStore, rep.MedianStoreRatio, rep.MedianHTTPRatio, rep.MedianHTTPBulkRatio)
	}
	return nil
}

// wrapErr prefixes a non-nil err with what failed.
func wrapErr(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// median sorts xs and returns its middle value (the upper one of an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// scanPaths writes the rows of -compare: with plain INSERTs, and through ordercast's store in this
// process, for the outlets of the HTTP load (batch b goes to outlet b mod their count, as there).
type scanPaths struct {
	conn     driver.Conn
	pool     *pgxpool.Pool
	scans    *retailerch.Store
	claims   *retailerpg.Store
	licences []string
}

func openScanPaths(ctx context.Context, pgDSN, chDSN string, outlets []benchRetailer) (*scanPaths, error) {
	pool, err := stores.OpenPostgres(ctx, pgDSN)
	if err != nil {
		return nil, err
	}
	p := &scanPaths{pool: pool, claims: retailerpg.New(pool)}
	admin := retailer.Principal{Role: retailer.RoleAdmin}
	for _, o := range outlets {
		profile, err := p.claims.Outlet(ctx, admin, o.outletID)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("outlet %d: %w", o.outletID, err)
		}
		p.licences = append(p.licences, profile.Licence)
	}
	if p.conn, err = stores.OpenClickHouse(ctx, chDSN); err != nil {
		pool.Close()
		return nil, err
	}
	p.scans = retailerch.New(p.conn)
	if err := p.conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+rawScansTable+" AS scans"); err != nil {
		p.conn.Close()
		pool.Close()
		return nil, fmt.Errorf("create %s: %w", rawScansTable, err)
	}
	return p, nil
}

func (p *scanPaths) close(ctx context.Context) {
	p.conn.Exec(ctx, "DROP TABLE IF EXISTS "+rawScansTable) //nolint:errcheck // a table left over is used, then dropped, by the next run
	p.conn.Close()
	p.pool.Close()
}

// timed runs write for batches 0 to n-1 of rows rows each from clients goroutines and returns the
// rate.
func (p *scanPaths) timed(ctx context.Context, n, rows, clients int, write func(b int) error) (*scanPathRound, error) {
	start := time.Now()
	if err := forEach(ctx, n, clients, write); err != nil {
		return nil, err
	}
	s := time.Since(start).Seconds()
	return &scanPathRound{Seconds: s, RowsPerSec: float64(n*rows) / s}, nil
}

// insertRaw writes the rows of batches first, first+1, … (rows[k] the rows of batch first+k) as a
// caller of clickhouse-go with nothing to check would: one INSERT of their columns into the copy of
// scans.
func (p *scanPaths) insertRaw(ctx context.Context, prefix string, first int, rows [][]retailer.Scan) error {
	n := 0
	for _, rs := range rows {
		n += len(rs)
	}
	outlet, brand, kind, id := make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	at, day, received := make([]time.Time, 0, n), make([]time.Time, 0, n), make([]time.Time, 0, n)
	qty, rowNo := make([]float64, 0, n), make([]uint32, 0, n)
	now := time.Now().UTC().Truncate(time.Second)
	for k, rs := range rows {
		b := first + k
		licence, batchID := p.licences[b%len(p.licences)], fmt.Sprintf("%s-b%d", prefix, b)
		for i, r := range rs {
			t := r.At.UTC()
			outlet, brand, kind, id = append(outlet, licence), append(brand, r.Brand), append(kind, string(r.Kind)), append(id, batchID)
			at, day, received = append(at, t), append(day, t.Truncate(24*time.Hour)), append(received, now)
			qty, rowNo = append(qty, r.Qty), append(rowNo, uint32(i+1))
		}
	}
	return stores.InsertColumns(ctx, p.conn, "INSERT INTO "+rawScansTable+
		" (outlet, brand, kind, scanned_at, day, qty, batch_id, row_no, received_at)",
		outlet, brand, kind, at, day, qty, id, rowNo, received)
}

// store writes batch b's rows as the upload route does once the body is decoded: claim the batch,
// check its brands against the catalogue, validate, store it exactly once, record the outcome.
func (p *scanPaths) store(ctx context.Context, batchID string, b int, rows []retailer.Scan) error {
	licence := p.licences[b%len(p.licences)]
	claimed, first, _, err := p.claims.ClaimScanBatch(ctx, licence, batchID, newRunID(), time.Minute)
	if err != nil || !claimed {
		return fmt.Errorf("claim %s: claimed %v, %w", batchID, claimed, err)
	}
	seen := map[string]bool{}
	var codes []string
	for i := range rows {
		rows[i].Outlet = licence
		if !seen[rows[i].Brand] {
			seen[rows[i].Brand] = true
			codes = append(codes, rows[i].Brand)
		}
	}
	now := time.Now()
	var recent map[string]float64
	if retailer.SellOutNeeded(rows) {
		if recent, err = p.scans.RecentSellOut(ctx, licence, batchID, retailer.SellOutWindowStart(now), now); err != nil {
			return err
		}
	}
	known, err := p.claims.KnownBrands(ctx, codes)
	if err != nil {
		return err
	}
	batch := retailer.ScanBatch{Outlet: licence, ID: batchID, Received: now, Rows: rows,
		Rejects: retailer.ValidateScans(rows, now, func(b string) bool { return known[b] }, recent)}
	write := p.scans.WriteScanBatch
	if first {
		write = p.scans.WriteFirstScanBatch
	}
	out, err := write(ctx, batch)
	if err != nil {
		return err
	}
	return p.claims.FinishScanBatch(ctx, licence, out)
}
