package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/retailer"
)

// ScanStore keeps terminal uploads. Implementations are safe for concurrent use.
type ScanStore interface {
	// RecentSellOut returns, per brand, the packs of sell-out stored for outlet (a licence number) on
	// the UTC days from from to to (both included), leaving out the rows of batch excludeBatch.
	RecentSellOut(ctx context.Context, outlet, excludeBatch string, from, to time.Time) (map[string]float64, error)
	// WriteScanBatch stores a validated upload and returns its outcome once every row is durable. An
	// upload stored complete already (the same batch id for the same outlet) is not written again: its
	// stored outcome comes back with Replay set. Rows an interrupted earlier attempt stored keep their
	// verdict and are not written again. The caller never writes one batch twice at the same time.
	WriteScanBatch(ctx context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error)
	// WriteFirstScanBatch stores b as WriteScanBatch does, for the first attempt ever made at b
	// (BatchClaims said so), without looking for rows of an earlier attempt: there is none.
	WriteFirstScanBatch(ctx context.Context, b retailer.ScanBatch) (retailer.ScanOutcome, error)
}

// BatchClaims decides, across every instance of the server, which attempt at an upload writes it
// (retailer/postgres.Store), and keeps the outcome of those written. Safe for concurrent use; errors
// of an unreachable store match retailer.ErrUnavailable.
type BatchClaims interface {
	// ClaimScanBatch claims batch batchID of outlet for the attempt token until lease from now, or
	// renews token's claim. first is true when the claim is the first ever made for the batch (so no
	// attempt wrote any of it before). claimed is false when another attempt holds an unexpired claim,
	// or when the batch has an outcome: then stored is it, with Replay set. A claim whose lease passed
	// without an outcome is taken over.
	ClaimScanBatch(ctx context.Context, outlet, batchID, token string, lease time.Duration) (claimed, first bool, stored *retailer.ScanOutcome, err error)
	// FinishScanBatch records the outcome of a batch the ScanStore holds complete (the first one
	// recorded stays).
	FinishScanBatch(ctx context.Context, outlet string, out retailer.ScanOutcome) error
	// ReleaseScanBatch gives up token's claim on a batch without an outcome.
	ReleaseScanBatch(ctx context.Context, outlet, batchID, token string) error
}

// BrandChecker tells which brand codes the catalogue holds. Safe for concurrent use.
type BrandChecker interface {
	// KnownBrands returns the codes among codes that the catalogue holds (mapped to true).
	KnownBrands(ctx context.Context, codes []string) (map[string]bool, error)
}

// scanUploads is what the scan upload route needs besides the Handler's own dependencies.
type scanUploads struct {
	store  ScanStore
	claims BatchClaims
	brands *brandCache
	rows   *prometheus.CounterVec // result, reason
}

// brandCacheTTL is how long a brand code the catalogue was found to hold is taken as known without
// asking again. The catalogue keeps a brand for good once it is listed (retired brands stay known),
// so the cache only saves the upload a query; codes not found are asked every time, so a brand
// listed a moment ago is known at once.
const brandCacheTTL = time.Minute

// brandCache answers BrandChecker's question from the codes found known within brandCacheTTL, asking
// the catalogue only about the others. It holds known codes only, so it is no larger than the
// catalogue. Safe for concurrent use.
type brandCache struct {
	catalogue BrandChecker
	now       func() time.Time
	mu        sync.Mutex
	known     map[string]time.Time // code → when the catalogue last said it holds it
}

// KnownBrands returns the codes among codes that the catalogue holds (mapped to true).
func (c *brandCache) KnownBrands(ctx context.Context, codes []string) (map[string]bool, error) {
	now := c.now()
	out := make(map[string]bool, len(codes))
	var ask []string
	c.mu.Lock()
	for _, code := range codes {
		if at, ok := c.known[code]; ok && now.Sub(at) < brandCacheTTL {
			out[code] = true
		} else {
			ask = append(ask, code)
		}
	}
	c.mu.Unlock()
	if len(ask) == 0 {
		return out, nil
	}
	found, err := c.catalogue.KnownBrands(ctx, ask)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, code := range ask {
		if found[code] {
			c.known[code] = now
			out[code] = true
		}
	}
	return out, nil
}

// Claims on a batch being written: the lease that a crashed instance's claim outlives, renewed every
// claimLease/3 while the write goes on; and the longest pause between two looks at a batch another
// attempt is writing.
const (
	claimLease   = 15 * time.Second
	maxClaimWait = 250 * time.Millisecond
)

// WithScans enables POST /api/v1/outlets/{id}/scans, storing uploads in store, each batch once
// under a claim in claims, checking brands with brands (a code found known is not asked again for
// brandCacheTTL) and counting rows in ordercast_retailer_scan_rows_total{result, reason} on reg. Call
// it before Register.
func (h *Handler) WithScans(store ScanStore, claims BatchClaims, brands BrandChecker, reg prometheus.Registerer) error {
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
	h.scans = &scanUploads{store: store, claims: claims, rows: rows,
		brands: &brandCache{catalogue: brands, now: h.now, known: map[string]time.Time{}}}
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
	switch {
	case in.Qty == nil:
		fail("qty", "required: packs")
	case math.Abs(*in.Qty) > retailer.MaxScanPacks:
		fail("qty", fmt.Sprintf("want at most %d packs", retailer.MaxScanPacks))
	default:
		row.Qty = *in.Qty
	}
	return row, errs
}

// bindScans decodes the body of an upload. A body in the plain shape terminals send (the fields of
// scanRequest and scanRow exactly spelt, each once, strings without escapes, nothing after the object)
// is decoded here without reflection, which costs a fraction of encoding/json; any other body goes to
// the server's binder (c.Bind), so that what is accepted, and how anything else is refused (400, 413,
// 422 with the field), is the binder's. For the bodies decoded here the binder would give the same.
func bindScans(c echo.Context) (scanRequest, error) {
	var req scanRequest
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer bodyBuffers.Put(buf) // the request keeps no byte of it: strings are copied out
	buf.Reset()
	// Room for the declared length (up to maxPrealloc, in case nothing bounds it) and the final read
	// of nothing.
	buf.Grow(int(min(max(c.Request().ContentLength, 0), maxPrealloc)) + bytes.MinRead)
	_, err := buf.ReadFrom(c.Request().Body)
	body := buf.Bytes()
	if err == nil && decodeScanRequest(body, &req) {
		return req, nil
	}
	rest := io.Reader(bytes.NewReader(body))
	if err != nil { // the binder reports it (a body over the limit is 413)
		rest = io.MultiReader(rest, errReader{err})
	}
	c.Request().Body = io.NopCloser(rest)
	req = scanRequest{}
	err = c.Bind(&req)             // the server's binder: strict JSON, unknown fields refused
	c.Request().Body = http.NoBody // buf goes back to the pool
	return req, err
}

// maxPrealloc bounds the buffer allocated for a body before it is read.
const maxPrealloc = 8 << 20

// bodyBuffers keeps the buffers bodies are read into: an upload is a few hundred kilobytes, and
// allocating that anew for each one keeps the garbage collector and the scavenger busy.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// decodeScanRequest decodes data into r if it is valid JSON of the plain shape bindScans describes,
// and reports whether it did.
func decodeScanRequest(data []byte, r *scanRequest) bool {
	d := scanDecoder{data: data, interned: map[string]string{}}
	var req scanRequest
	var seenID, seenRows bool
	ok := d.object(func(key []byte) bool {
		switch {
		case string(key) == "batch_id" && !seenID:
			seenID = true
			s, ok := d.str()
			req.BatchID = string(s)
			return ok
		case string(key) == "rows" && !seenRows:
			seenRows = true
			return d.rows(&req.Rows)
		}
		return false
	})
	if !ok || d.skipSpace() != len(d.data) {
		return false
	}
	*r = req
	return true
}

// scanDecoder reads the plain shape of an upload. Each method reports false for anything outside that
// shape, and for anything that is not valid JSON.
type scanDecoder struct {
	data     []byte
	off      int
	interned map[string]string // brand codes and kinds, which repeat from row to row
	qty      []float64         // backing array of the rows' quantities
}

func (d *scanDecoder) skipSpace() int {
	for d.off < len(d.data) {
		switch d.data[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return d.off
		}
	}
	return d.off
}

// next consumes c, after white space, if it comes next.
func (d *scanDecoder) next(c byte) bool {
	if d.skipSpace() < len(d.data) && d.data[d.off] == c {
		d.off++
		return true
	}
	return false
}

// object reads an object, calling field for each key with the decoder on its value.
func (d *scanDecoder) object(field func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		key, ok := d.str()
		if !ok || !d.next(':') || !field(key) {
			return false
		}
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// str reads a string without escapes that is valid UTF-8 (as encoding/json would decode it to the
// same bytes), returning its bytes.
func (d *scanDecoder) str() ([]byte, bool) {
	if !d.next('"') {
		return nil, false
	}
	start := d.off
	for d.off < len(d.data) {
		switch c := d.data[d.off]; {
		case c == '"':
			s := d.data[start:d.off]
			d.off++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		d.off++
	}
	return nil, false
}

func (d *scanDecoder) internedStr() (string, bool) {
	b, ok := d.str()
	if !ok {
		return "", false
	}
	s, found := d.interned[string(b)]
	if !found {
		s = string(b)
		d.interned[s] = s
	}
	return s, true
}

// number reads a number as encoding/json does into a float64: strconv.ParseFloat, refusing what is
// out of range; a whole number of up to 15 digits is converted directly, which is exact.
func (d *scanDecoder) number() (float64, bool) {
	d.skipSpace()
	start := d.off
	digits := func() int {
		n := 0
		for d.off < len(d.data) && d.data[d.off] >= '0' && d.data[d.off] <= '9' {
			d.off++
			n++
		}
		return n
	}
	d.next('-')
	switch n := digits(); {
	case n == 0, n > 1 && d.data[d.off-n] == '0': // JSON: no leading zeros
		return 0, false
	}
	whole := d.off-start <= 15 && d.data[start] != '-'
	if d.off < len(d.data) && d.data[d.off] == '.' {
		d.off++
		whole = false
		if digits() == 0 {
			return 0, false
		}
	}
	if d.off < len(d.data) && (d.data[d.off] == 'e' || d.data[d.off] == 'E') {
		d.off++
		whole = false
		if d.off < len(d.data) && (d.data[d.off] == '+' || d.data[d.off] == '-') {
			d.off++
		}
		if digits() == 0 {
			return 0, false
		}
	}
	b := d.data[start:d.off]
	if whole {
		var n int64
		for _, c := range b {
			n = n*10 + int64(c-'0')
		}
		return float64(n), true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// rows reads the array of rows.
func (d *scanDecoder) rows(out *[]scanRow) bool {
	if !d.next('[') {
		return false
	}
	rows := make([]scanRow, 0, bytes.Count(d.data[d.off:], []byte{'{'}))
	d.qty = make([]float64, 0, cap(rows))
	if d.next(']') {
		*out = rows
		return true
	}
	for {
		var row scanRow
		var seen [4]bool
		ok := d.object(func(key []byte) bool {
			var ok bool
			switch k := string(key); {
			case k == "brand" && !seen[0]:
				seen[0] = true
				row.Brand, ok = d.internedStr()
			case k == "kind" && !seen[1]:
				seen[1] = true
				row.Kind, ok = d.internedStr()
			case k == "at" && !seen[2]:
				seen[2] = true
				var s []byte
				s, ok = d.str()
				row.At = string(s)
			case k == "qty" && !seen[3]:
				seen[3] = true
				var q float64
				if q, ok = d.number(); ok {
					d.qty = append(d.qty, q)
					row.Qty = &d.qty[len(d.qty)-1]
				}
			}
			return ok
		})
		if !ok {
			return false
		}
		rows = append(rows, row)
		if d.next(']') {
			*out = rows
			return true
		}
		if !d.next(',') {
			return false
		}
	}
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
// upload for (an account manager's or planner's) is 403. The batch is then claimed (BatchClaims), so
// that one attempt writes it across every instance: a batch with an outcome is answered 200 with it
// and writes nothing; one another attempt is writing is waited for. The claimed batch's rows are
// checked, stored, and answered 201 once ClickHouse has them all; the outcome is recorded with the
// claim once the answer is sent. A store that cannot be reached fails the upload with
// retailer.ErrUnavailable (503), the claim released, nothing counted as stored.
func (h *Handler) uploadScans(c echo.Context) error {
	ctx := c.Request().Context()
	p, _ := retailer.PrincipalFrom(ctx)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id"))
	}
	outlet, err := h.outlets.Outlet(ctx, p, id)
	if err != nil {
		return err
	}
	if !p.MayUploadScans() {
		return retailer.Forbidden("scans are uploaded by the outlet's retailer")
	}
	req, err := bindScans(c)
	if err != nil {
		return err
	}
	rows, err := req.scans(outlet.Licence)
	if err != nil {
		return err
	}

	u := h.scans
	token, first, stored, err := u.claim(ctx, outlet.Licence, req.BatchID)
	if err != nil {
		return fmt.Errorf("scan upload: %w", err)
	}
	if stored != nil {
		return c.JSON(http.StatusOK, responseOf(*stored))
	}
	stop := u.keepClaim(ctx, outlet.Licence, req.BatchID, token)
	out, err := u.write(ctx, h.now(), outlet.Licence, req.BatchID, rows, first)
	stop()
	if err != nil {
		u.release(ctx, outlet.Licence, req.BatchID, token)
		return fmt.Errorf("scan upload: %w", err)
	}
	// ClickHouse holds the batch complete, which is what the answer says: it is sent now, and the
	// outcome recorded for replays after. An attempt that comes meanwhile waits for the claim; if the
	// outcome cannot be recorded, the next attempt finds the batch in ClickHouse (a replay) and records
	// it.
	if err := u.answer(c, out); err != nil {
		return err
	}
	http.NewResponseController(c.Response().Writer).Flush() //nolint:errcheck // without flushing, the answer goes at the end
	// The client may hang up once answered, which cancels ctx.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := u.claims.FinishScanBatch(fctx, outlet.Licence, out); err != nil {
		u.release(ctx, outlet.Licence, req.BatchID, token)
	}
	return nil
}

// finishTimeout bounds recording a stored batch's outcome, after the answer.
const finishTimeout = 5 * time.Second

// release gives up token's claim so that a retry need not wait for the lease to pass. It is best
// effort: when PostgreSQL cannot be reached, the lease frees the claim.
func (u *scanUploads) release(ctx context.Context, outlet, batchID, token string) {
	// A fresh context: the request's may be what ended the write.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	u.claims.ReleaseScanBatch(ctx, outlet, batchID, token) //nolint:errcheck
}

// answer sends the outcome of a write: 201 when this write stored the batch, 200 for a replay.
func (u *scanUploads) answer(c echo.Context, out retailer.ScanOutcome) error {
	if out.Replay {
		return c.JSON(http.StatusOK, responseOf(out))
	}
	u.count(out)
	return c.JSON(http.StatusCreated, responseOf(out))
}

// claim claims batch batchID of outlet for a new attempt, waiting while another attempt holds it. It
// returns the attempt's token and whether it is the batch's first, or the batch's stored outcome when
// it has one.
func (u *scanUploads) claim(ctx context.Context, outlet, batchID string) (token string, first bool, stored *retailer.ScanOutcome, err error) {
	token = rand.Text()
	wait := 5 * time.Millisecond
	for {
		claimed, first, stored, err := u.claims.ClaimScanBatch(ctx, outlet, batchID, token, claimLease)
		switch {
		case err != nil:
			return "", false, nil, err
		case claimed:
			return token, first, nil, nil
		case stored != nil:
			return "", false, stored, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", false, nil, context.Cause(ctx)
		case <-t.C:
		}
		wait = min(2*wait, maxClaimWait)
	}
}

// keepClaim renews token's claim every claimLease/3 until the returned stop is called.
func (u *scanUploads) keepClaim(ctx context.Context, outlet, batchID, token string) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(claimLease / 3)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				// A failed renewal leaves the lease to run out; the write goes on.
				u.claims.ClaimScanBatch(ctx, outlet, batchID, token, claimLease) //nolint:errcheck
			}
		}
	}()
	return func() { cancel(); <-done }
}

// write validates the rows of a claimed batch against the catalogue and the outlet's recent
// sell-out, and stores them; first: the claim is the batch's first (nothing of it can be stored).
func (u *scanUploads) write(ctx context.Context, now time.Time, outlet, batchID string, rows []retailer.Scan, first bool) (retailer.ScanOutcome, error) {
	// The catalogue (PostgreSQL) and the recent sell-out (ClickHouse) are read at the same time; the
	// sell-out only matters to stock counts above the floor.
	var recent map[string]float64
	recentErr := make(chan error, 1)
	go func() {
		if !retailer.SellOutNeeded(rows) {
			recentErr <- nil
			return
		}
		var err error
		recent, err = u.store.RecentSellOut(ctx, outlet, batchID, retailer.SellOutWindowStart(now), now)
		recentErr <- err
	}()
	known, err := u.brands.KnownBrands(ctx, distinctBrands(rows))
	if rerr := <-recentErr; err == nil {
		err = rerr
	}
	if err != nil {
		return retailer.ScanOutcome{}, err
	}
	rejects := retailer.ValidateScans(rows, now, func(b string) bool { return known[b] }, recent)
	b := retailer.ScanBatch{Outlet: outlet, ID: batchID, Received: now, Rows: rows, Rejects: rejects}
	if first {
		return u.store.WriteFirstScanBatch(ctx, b)
	}
	return u.store.WriteScanBatch(ctx, b)
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
