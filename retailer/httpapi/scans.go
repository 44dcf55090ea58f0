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
	store    ScanStore
	claims   BatchClaims
	brands   *brandCache
	rowCount *prometheus.CounterVec // result, reason
	rowPool  sync.Pool              // of *[]retailer.Scan: uploads' rows, decoded into again once written
}

// rows returns an empty slice of rows to decode an upload into, from the pool.
func (u *scanUploads) rows() []retailer.Scan {
	if p, ok := u.rowPool.Get().(*[]retailer.Scan); ok {
		return *p
	}
	return nil
}

// putRows gives the array of rows back to the pool once nothing uses them, without their strings.
func (u *scanUploads) putRows(rows []retailer.Scan) {
	if rows == nil || cap(rows) > retailer.MaxScanRows {
		return
	}
	clear(rows)
	rows = rows[:0]
	u.rowPool.Put(&rows)
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
	h.scans = &scanUploads{store: store, claims: claims, rowCount: rows,
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
	if err := checkShape(r.BatchID, len(r.Rows)); err != nil {
		return nil, err
	}
	rows := make([]retailer.Scan, len(r.Rows))
	var bad rowErrors
	for i, in := range r.Rows {
		var qty float64
		if in.Qty != nil {
			qty = *in.Qty
		}
		var errs map[string]string
		rows[i], errs = checkRow(outlet, in.Brand, in.Kind, in.At, qty, in.Qty != nil)
		bad.add(i, errs)
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	return rows, nil
}

// checkShape checks an upload's batch id and its number of rows, n: what is checked before its rows.
func checkShape(batchID string, n int) error {
	fields := map[string]string{}
	if !validBatchID(batchID) {
		fields["batch_id"] = fmt.Sprintf("1 to %d characters: letters, digits and _ . : -", maxBatchID)
	}
	switch {
	case n == 0:
		fields["rows"] = "at least 1 row"
	case n > retailer.MaxScanRows:
		fields["rows"] = fmt.Sprintf("at most %d rows in one upload, got %d: split it into batches", retailer.MaxScanRows, n)
	}
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	return nil
}

// rowErrors collects the field errors of an upload's rows: those of the first maxRowErrors rows that
// have any, and how many have any.
type rowErrors struct {
	fields map[string]string
	bad    int
}

// add records errs, the errors of row i (0-based), if any.
func (e *rowErrors) add(i int, errs map[string]string) {
	if len(errs) == 0 {
		return
	}
	if e.bad++; e.bad > maxRowErrors {
		return
	}
	if e.fields == nil {
		e.fields = map[string]string{}
	}
	for field, msg := range errs {
		e.fields[fmt.Sprintf("rows[%d].%s", i, field)] = msg
	}
}

// err returns the errors as a *retailer.ValidationError, nil if there are none.
func (e *rowErrors) err() error {
	if e.bad == 0 {
		return nil
	}
	if e.bad > maxRowErrors {
		e.fields["rows"] = fmt.Sprintf("%d rows have errors; the first %d are listed", e.bad, maxRowErrors)
	}
	return &retailer.ValidationError{Fields: e.fields}
}

// checkRow converts one row, with what is wrong with its fields (nil when nothing is). hasQty tells
// whether the row has a quantity, qty.
func checkRow[S string | []byte](outlet, brand, kind string, at S, qty float64, hasQty bool) (retailer.Scan, map[string]string) {
	var errs map[string]string
	fail := func(field, msg string) {
		if errs == nil {
			errs = map[string]string{}
		}
		errs[field] = msg
	}
	row := retailer.Scan{Outlet: outlet, Brand: brand, Kind: retailer.ScanKind(kind)}
	if len(brand) > maxBrandCode {
		fail("brand", fmt.Sprintf("at most %d bytes", maxBrandCode))
	}
	if row.Kind != retailer.SellOut && row.Kind != retailer.StockCount {
		fail("kind", `want "sellout" or "stock"`)
	}
	switch t, err := parseTime(at); {
	case len(at) == 0:
		fail("at", "required: an RFC 3339 time, e.g. 2026-11-22T09:30:00+08:00")
	case err != nil:
		fail("at", "want an RFC 3339 time, e.g. 2026-11-22T09:30:00+08:00")
	case t.UTC().Year() < earliestScanYear || t.UTC().Year() > latestScanYear:
		fail("at", fmt.Sprintf("want a time from %d to %d: check the terminal's clock", earliestScanYear, latestScanYear))
	default:
		row.At = t
	}
	switch {
	case !hasQty:
		fail("qty", "required: packs")
	case math.Abs(qty) > retailer.MaxScanPacks:
		fail("qty", fmt.Sprintf("want at most %d packs", retailer.MaxScanPacks))
	default:
		row.Qty = qty
	}
	return row, errs
}

// parseTime parses s as time.Parse(time.RFC3339, s) does, to the same instant. The form terminals send
// (2026-11-22T09:30:00Z, or with an offset, or with a fraction of a second) is read here without
// allocating, to a time in UTC; anything else is left to time.Parse.
func parseTime[S string | []byte](s S) (time.Time, error) {
	if t, ok := parsePlainTime(s); ok {
		return t, nil
	}
	return time.Parse(time.RFC3339, string(s))
}

// parsePlainTime reads YYYY-MM-DDTHH:MM:SS[.F](Z|±HH:MM), with 1 to 9 digits of fraction, each field
// in its range (the day in its month's), and reports false for anything else.
func parsePlainTime[S string | []byte](s S) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	ok := true
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				ok = false
				return 0
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	if !ok || month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i, nsec := 19, 0
	if s[i] == '.' {
		start := i + 1
		for i = start; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		}
		if i == start || i-start > 9 {
			return time.Time{}, false
		}
		nsec = num(start, i)
		for range 9 - (i - start) {
			nsec *= 10
		}
	}
	offset := 0
	switch rest := len(s) - i; {
	case rest == 1 && s[i] == 'Z':
	case rest == 6 && (s[i] == '+' || s[i] == '-') && s[i+3] == ':':
		hh, mm := num(i+1, i+3), num(i+4, i+6)
		if !ok || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		if offset = hh*3600 + mm*60; s[i] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// daysIn returns the number of days of month m of year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// readUpload reads the body of an upload and returns its batch id and its rows as scans of no outlet
// yet (Outlet is left empty), or a *retailer.ValidationError naming what is wrong with them (rows by
// 0-based index: rows[3].kind), or the binder's error. rows gives the slice to decode into when it is
// large enough.
//
// A body in the plain shape terminals send (the fields of scanRequest and scanRow exactly spelt, each
// once, strings without escapes, nothing after the object) is decoded here without reflection, each
// row checked as it is read, which costs a fraction of encoding/json; any other body goes to the
// server's binder (c.Bind) and then to scanRequest.scans, so that what is accepted, and how anything
// else is refused (400, 413, 422 with the field), is the binder's. For the bodies decoded here the
// binder and scans would give the same.
func readUpload(c echo.Context, rows []retailer.Scan) (batchID string, _ []retailer.Scan, err error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer bodyBuffers.Put(buf) // nothing decoded keeps a byte of it: strings are copied out
	buf.Reset()
	// Room for the declared length (up to maxPrealloc, in case nothing bounds it) and the final read
	// of nothing.
	buf.Grow(int(min(max(c.Request().ContentLength, 0), maxPrealloc)) + bytes.MinRead)
	_, err = buf.ReadFrom(c.Request().Body)
	body := buf.Bytes()
	if err == nil {
		if batchID, rows, ok, err := decodeUpload(body, rows); ok {
			return batchID, rows, err
		}
	}
	rest := io.Reader(bytes.NewReader(body))
	if err != nil { // the binder reports it (a body over the limit is 413)
		rest = io.MultiReader(rest, errReader{err})
	}
	c.Request().Body = io.NopCloser(rest)
	var req scanRequest
	err = c.Bind(&req)             // the server's binder: strict JSON, unknown fields refused
	c.Request().Body = http.NoBody // buf goes back to the pool
	if err != nil {
		return "", nil, err
	}
	rows, err = req.scans("")
	return req.BatchID, rows, err
}

// maxPrealloc bounds the buffer allocated for a body before it is read.
const maxPrealloc = 8 << 20

// bodyBuffers keeps the buffers bodies are read into: an upload is a few hundred kilobytes, and
// allocating that anew for each one keeps the garbage collector and the scavenger busy.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// decodeUpload decodes data, if it is valid JSON of the plain shape readUpload describes, into rows
// (reused when large enough), and reports whether it did; then batchID, scans and err are what
// decoding data into a scanRequest r and calling r.scans("") gives.
func decodeUpload(data []byte, rows []retailer.Scan) (batchID string, scans []retailer.Scan, ok bool, err error) {
	d := scanDecoder{data: data, interned: map[string]string{}}
	var seenID, seenRows bool
	n := 0
	var bad rowErrors
	ok = d.object(func(key []byte) bool {
		switch {
		case string(key) == "batch_id" && !seenID:
			seenID = true
			s, ok := d.str()
			batchID = string(s)
			return ok
		case string(key) == "rows" && !seenRows:
			seenRows = true
			rows, n, ok = d.rows(rows, &bad)
			return ok
		}
		return false
	})
	if !ok || d.skipSpace() != len(d.data) {
		return "", nil, false, nil
	}
	if err := checkShape(batchID, n); err != nil {
		return batchID, nil, true, err
	}
	if err := bad.err(); err != nil {
		return batchID, nil, true, err
	}
	return batchID, rows, true, nil
}

// scanDecoder reads the plain shape of an upload. Each method reports false for anything outside that
// shape, and for anything that is not valid JSON.
type scanDecoder struct {
	data     []byte
	off      int
	interned map[string]string // brand codes and kinds, which repeat from row to row
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
	ascii := true // ASCII is valid UTF-8: only a string with other bytes is checked
	for d.off < len(d.data) {
		switch c := d.data[d.off]; {
		case c == '"':
			s := d.data[start:d.off]
			d.off++
			return s, ascii || utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
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

// rows reads the array of rows into scans (reused when large enough), checking each, and returns them
// with their number, n; the errors of bad rows go to bad. Rows past
// retailer.MaxScanRows are read but not kept: the upload is refused for their number.
func (d *scanDecoder) rows(scans []retailer.Scan, bad *rowErrors) (_ []retailer.Scan, n int, ok bool) {
	if !d.next('[') {
		return nil, 0, false
	}
	scans = room(scans, min(bytes.Count(d.data[d.off:], []byte{'{'}), retailer.MaxScanRows))
	if d.next(']') {
		return scans, 0, true
	}
	for {
		var brand, kind string
		var at []byte
		var qty float64
		var seen [4]bool
		ok := d.object(func(key []byte) bool {
			var ok bool
			switch k := string(key); {
			case k == "brand" && !seen[0]:
				seen[0] = true
				brand, ok = d.internedStr()
			case k == "kind" && !seen[1]:
				seen[1] = true
				kind, ok = d.internedStr()
			case k == "at" && !seen[2]:
				seen[2] = true
				at, ok = d.str()
			case k == "qty" && !seen[3]:
				seen[3] = true
				qty, ok = d.number()
			}
			return ok
		})
		if !ok {
			return nil, 0, false
		}
		row, errs := checkRow("", brand, kind, at, qty, seen[3])
		bad.add(n, errs)
		if n < retailer.MaxScanRows {
			scans = append(scans, row)
		}
		n++
		if d.next(']') {
			return scans, n, true
		}
		if !d.next(',') {
			return nil, 0, false
		}
	}
}

// room returns xs emptied, with room for n elements (the same array when it has it).
func room[T any](xs []T, n int) []T {
	if cap(xs) < n {
		return make([]T, 0, n)
	}
	return xs[:0]
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
// authorization (while the body is read) and answers first: one the caller may not see is 404,
// whatever the body; one it sees but may not
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
	// The outlet is looked up while the body is read and decoded; what it says comes first.
	type lookup struct {
		outlet retailer.Profile
		err    error
	}
	found := make(chan lookup, 1)
	go func() {
		outlet, err := h.outlets.Outlet(ctx, p, id)
		found <- lookup{outlet, err}
	}()
	u := h.scans
	batchID, rows, bodyErr := readUpload(c, u.rows())
	defer u.putRows(rows)
	l := <-found
	if l.err != nil {
		return l.err
	}
	outlet := l.outlet
	if !p.MayUploadScans() {
		return retailer.Forbidden("scans are uploaded by the outlet's retailer")
	}
	if bodyErr != nil {
		return bodyErr
	}
	for i := range rows {
		rows[i].Outlet = outlet.Licence
	}

	token, first, stored, err := u.claim(ctx, outlet.Licence, batchID)
	if err != nil {
		return fmt.Errorf("scan upload: %w", err)
	}
	if stored != nil {
		return c.JSON(http.StatusOK, responseOf(*stored))
	}
	stop := u.keepClaim(ctx, outlet.Licence, batchID, token)
	out, err := u.write(ctx, h.now(), outlet.Licence, batchID, rows, first)
	stop()
	if err != nil {
		u.release(ctx, outlet.Licence, batchID, token)
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
		u.release(ctx, outlet.Licence, batchID, token)
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
	u.rowCount.WithLabelValues("accepted", "").Add(float64(out.Accepted))
	byReason := map[retailer.RejectReason]int{}
	for _, r := range out.Rejects {
		byReason[r.Reason]++
	}
	for reason, n := range byReason {
		u.rowCount.WithLabelValues("rejected", string(reason)).Add(float64(n))
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
