package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/retailer"
)

// ScanStore keeps terminal uploads. Implementations are safe for concurrent use.
type ScanStore interface {
	// ScanOutcome returns the outcome stored for upload batchID of outlet (a licence number), with
	// Replay set; found is false when no complete upload with that id is stored.
	ScanOutcome(ctx context.Context, outlet, batchID string) (out retailer.ScanOutcome, found bool, err error)
	// RecentSellOut returns, per brand, the packs of sell-out stored for outlet on the UTC days from
	// from to to (both included), leaving out the rows of batch excludeBatch.
	RecentSellOut(ctx context.Context, outlet, excludeBatch string, from, to time.Time) (map[string]float64, error)
	// WriteScanBatch stores a validated upload that is not stored complete yet and returns its outcome
	// once every row is durable. Rows an interrupted earlier attempt stored keep their verdict and are
	// not written again. The caller never writes one batch twice at the same time.
	WriteScanBatch(ctx context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error)
}

// BrandChecker tells which brand codes the catalogue holds. Safe for concurrent use.
type BrandChecker interface {
	// KnownBrands returns the codes among codes that the catalogue holds (mapped to true).
	KnownBrands(ctx context.Context, codes []string) (map[string]bool, error)
}

// scanUploads is what the scan upload route needs besides the Handler's own dependencies.
type scanUploads struct {
	store  ScanStore
	brands BrandChecker
	rows   *prometheus.CounterVec // result, reason
	locks  batchLocks
}

// WithScans enables POST /api/v1/outlets/{id}/scans, storing uploads in store, checking brands with
// brands and counting rows in ordercast_retailer_scan_rows_total{result, reason} on reg. Call it
// before Register.
func (h *Handler) WithScans(store ScanStore, brands BrandChecker, reg prometheus.Registerer) error {
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ordercast", Subsystem: "retailer", Name: "scan_rows_total",
		Help: "Rows of terminal scan uploads, accepted or rejected (with the reason), counted once per batch (replays are not counted).",
	}, []string{"result", "reason"})
	if err := reg.Register(rows); err != nil {
		return fmt.Errorf("register scan metrics: %w", err)
	}
	rows.WithLabelValues("accepted", "")
	for _, r := range retailer.RejectReasons {
		rows.WithLabelValues("rejected", string(r))
	}
	h.scans = &scanUploads{store: store, brands: brands, rows: rows}
	return nil
}

// scanRequest is the body of an upload.
type scanRequest struct {
	BatchID string    `json:"batch_id"`
	Rows    []scanRow `json:"rows"`
}

// scanRow is one row of an upload. At is a string, and Qty a pointer, so that a malformed or missing
// value is a field error rather than malformed JSON.
type scanRow struct {
	Brand string   `json:"brand"`
	Kind  string   `json:"kind"`
	At    string   `json:"at"`
	Qty   *float64 `json:"qty"`
}

// scanResponse answers an upload, the first time (201) and on every replay (200) alike.
type scanResponse struct {
	BatchID  string       `json:"batch_id"`
	Accepted int          `json:"accepted"`
	Rejected int          `json:"rejected"`
	Rejects  []rejectJSON `json:"rejects"`
}

type rejectJSON struct {
	Row    int    `json:"row"` // 0-based index in the request's rows
	Reason string `json:"reason"`
	Detail string `json:"detail"`
}

// Bounds of an upload's fields.
const (
	maxBatchID       = 64
	maxBrandCode     = 64
	maxRowErrors     = 20 // field errors listed for rows; the rest are counted
	earliestScanYear = 2000
	latestScanYear   = 2099 // the history store's DateTime ends in 2106
)

// scans checks the shape of the request and returns its rows as scans of outlet, or a
// *retailer.ValidationError naming what is wrong (rows by 0-based index: rows[3].kind).
func (r *scanRequest) scans(outlet string) ([]retailer.Scan, error) {
	fields := map[string]string{}
	if !validBatchID(r.BatchID) {
		fields["batch_id"] = fmt.Sprintf("1 to %d characters: letters, digits and _ . : -", maxBatchID)
	}
	switch {
	case len(r.Rows) == 0:
		fields["rows"] = "at least 1 row"
	case len(r.Rows) > retailer.MaxScanRows:
		fields["rows"] = fmt.Sprintf("at most %d rows in one upload, got %d: split it into batches", retailer.MaxScanRows, len(r.Rows))
	}
	if len(fields) > 0 {
		return nil, &retailer.ValidationError{Fields: fields}
	}
	rows := make([]retailer.Scan, len(r.Rows))
	bad := 0
	for i, in := range r.Rows {
		row, errs := in.scan(outlet)
		rows[i] = row
		if len(errs) == 0 {
			continue
		}
		if bad++; bad > maxRowErrors {
			continue
		}
		for field, msg := range errs {
			fields[fmt.Sprintf("rows[%d].%s", i, field)] = msg
		}
	}
	if bad > maxRowErrors {
		fields["rows"] = fmt.Sprintf("%d rows have errors; the first %d are listed", bad, maxRowErrors)
	}
	if len(fields) > 0 {
		return nil, &retailer.ValidationError{Fields: fields}
	}
	return rows, nil
}

// scan converts one row, with what is wrong with its fields.
func (in scanRow) scan(outlet string) (retailer.Scan, map[string]string) {
	var errs map[string]string
	fail := func(field, msg string) {
		if errs == nil {
			errs = map[string]string{}
		}
		errs[field] = msg
	}
	row := retailer.Scan{Outlet: outlet, Brand: in.Brand, Kind: retailer.ScanKind(in.Kind)}
	if len(in.Brand) > maxBrandCode {
		fail("brand", fmt.Sprintf("at most %d bytes", maxBrandCode))
	}
	if row.Kind != retailer.SellOut && row.Kind != retailer.StockCount {
		fail("kind", `want "sellout" or "stock"`)
	}
	switch at, err := time.Parse(time.RFC3339, in.At); {
	case in.At == "":
		fail("at", "required: an RFC 3339 time, e.g. 2026-11-22T09:30:00+08:00")
	case err != nil:
		fail("at", "want an RFC 3339 time, e.g. 2026-11-22T09:30:00+08:00")
	case at.UTC().Year() < earliestScanYear || at.UTC().Year() > latestScanYear:
		fail("at", fmt.Sprintf("want a time from %d to %d: check the terminal's clock", earliestScanYear, latestScanYear))
	default:
		row.At = at
	}
	if in.Qty == nil {
		fail("qty", "required: packs")
	} else {
		row.Qty = *in.Qty
	}
	return row, errs
}

func validBatchID(s string) bool {
	if len(s) < 1 || len(s) > maxBatchID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// uploadScans serves POST /outlets/{id}/scans. The outlet is looked up with the caller's
// authorization first: one the caller may not see is 404, whatever the body; one it sees but may not
// upload for (an account manager's or planner's) is 403. A batch id already stored for the outlet is
// answered 200 with the stored outcome and writes nothing; otherwise the rows are checked, stored, and
// answered 201 once ClickHouse has them all.
func (h *Handler) uploadScans(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := retailer.PrincipalFrom(ctx)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return httpError(fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id")))
	}
	outlet, err := h.outlets.Outlet(ctx, p, id)
	if err != nil {
		return httpError(err)
	}
	if !p.MayUploadScans() {
		return httpError(fmt.Errorf("%w: role %s may not upload scans for outlet %d", retailer.ErrForbidden, p.Role, id))
	}
	var req scanRequest
	if err := c.Bind(&req); err != nil { // the server's binder: strict JSON, unknown fields refused
		return err
	}
	rows, err := req.scans(outlet.Licence)
	if err != nil {
		return httpError(err)
	}

	u := h.scans
	defer u.locks.lock(outlet.Licence + "\x00" + req.BatchID)()
	out, found, err := u.store.ScanOutcome(ctx, outlet.Licence, req.BatchID)
	if err != nil {
		return fmt.Errorf("scan upload: %w", err)
	}
	if found {
		return c.JSON(http.StatusOK, responseOf(out))
	}
	now := h.now()
	// The catalogue (PostgreSQL) and the recent sell-out (ClickHouse) are read at the same time; the
	// sell-out only matters to stock counts.
	var recent map[string]float64
	recentErr := make(chan error, 1)
	go func() {
		if !hasStockCounts(rows) {
			recentErr <- nil
			return
		}
		var err error
		recent, err = u.store.RecentSellOut(ctx, outlet.Licence, req.BatchID, retailer.SellOutWindowStart(now), now)
		recentErr <- err
	}()
	known, err := u.brands.KnownBrands(ctx, distinctBrands(rows))
	if rerr := <-recentErr; err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("scan upload: %w", err)
	}
	rejects := retailer.ValidateScans(rows, now, func(b string) bool { return known[b] }, recent)
	out, err = u.store.WriteScanBatch(ctx, retailer.ScanBatch{
		Outlet: outlet.Licence, ID: req.BatchID, Received: now, Rows: rows, Rejects: rejects,
	})
	if err != nil {
		return fmt.Errorf("scan upload: %w", err)
	}
	u.count(out)
	return c.JSON(http.StatusCreated, responseOf(out))
}

// count adds a newly stored batch's rows to the metrics.
func (u *scanUploads) count(out retailer.ScanOutcome) {
	u.rows.WithLabelValues("accepted", "").Add(float64(out.Accepted))
	byReason := map[retailer.RejectReason]int{}
	for _, r := range out.Rejects {
		byReason[r.Reason]++
	}
	for reason, n := range byReason {
		u.rows.WithLabelValues("rejected", string(reason)).Add(float64(n))
	}
}

func responseOf(out retailer.ScanOutcome) scanResponse {
	res := scanResponse{BatchID: out.BatchID, Accepted: out.Accepted, Rejected: len(out.Rejects),
		Rejects: make([]rejectJSON, len(out.Rejects))}
	for i, r := range out.Rejects {
		res.Rejects[i] = rejectJSON{Row: r.Row - 1, Reason: string(r.Reason), Detail: r.Detail}
	}
	return res
}

func hasStockCounts(rows []retailer.Scan) bool {
	for _, r := range rows {
		if r.Kind == retailer.StockCount {
			return true
		}
	}
	return false
}

// distinctBrands returns the brands rows name, each once, sorted.
func distinctBrands(rows []retailer.Scan) []string {
	seen := map[string]bool{}
	var brands []string
	for _, r := range rows {
		if !seen[r.Brand] {
			seen[r.Brand] = true
			brands = append(brands, r.Brand)
		}
	}
	sort.Strings(brands)
	return brands
}

// batchLocks serialises attempts at the same upload within the process, so that two concurrent
// requests with one batch id cannot both find it missing and both write it. The zero value is ready.
type batchLocks struct {
	mu   sync.Mutex
	held map[string]*batchLock
}

type batchLock struct {
	mu   sync.Mutex
	refs int
}

// lock takes the lock of key and returns its release.
func (l *batchLocks) lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.held == nil {
		l.held = map[string]*batchLock{}
	}
	bl := l.held[key]
	if bl == nil {
		bl = &batchLock{}
		l.held[key] = bl
	}
	bl.refs++
	l.mu.Unlock()
	bl.mu.Lock()
	return func() {
		bl.mu.Unlock()
		l.mu.Lock()
		if bl.refs--; bl.refs == 0 {
			delete(l.held, key)
		}
		l.mu.Unlock()
	}
}
