package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/retailer"
)

// decodeStrict decodes body the way the server's binder does: one JSON object, no unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

func TestScanRequestShape(t *testing.T) {
	row := `{"brand":"B1","kind":"sellout","at":"2026-11-22T09:30:00+08:00","qty":12}`
	rows := func(n int, r string) string { return strings.TrimSuffix(strings.Repeat(r+",", n), ",") }
	tests := []struct {
		name       string
		body       string
		wantFields []string // field errors, all of them; nil: valid
	}{
		{"valid", `{"batch_id":"t1-2026.11:22_a","rows":[` + row + `]}`, nil},
		{"fractional seconds and Z", `{"batch_id":"b","rows":[{"brand":"B1","kind":"stock","at":"2026-11-22T01:30:00.25Z","qty":0}]}`, nil},
		{"missing batch id", `{"rows":[` + row + `]}`, []string{"batch_id"}},
		{"batch id with a space", `{"batch_id":"a b","rows":[` + row + `]}`, []string{"batch_id"}},
		{"batch id too long", `{"batch_id":"` + strings.Repeat("x", 65) + `","rows":[` + row + `]}`, []string{"batch_id"}},
		{"no rows", `{"batch_id":"b","rows":[]}`, []string{"rows"}},
		{"too many rows", `{"batch_id":"b","rows":[` + rows(retailer.MaxScanRows+1, row) + `]}`, []string{"rows"}},
		{"exactly the most rows", `{"batch_id":"b","rows":[` + rows(retailer.MaxScanRows, row) + `]}`, nil},
		{"bad kind, time and missing qty", `{"batch_id":"b","rows":[` + row + `,{"brand":"B1","kind":"sold","at":"yesterday"}]}`,
			[]string{"rows[1].at", "rows[1].kind", "rows[1].qty"}},
		{"missing time", `{"batch_id":"b","rows":[{"brand":"B1","kind":"stock","qty":1}]}`, []string{"rows[0].at"}},
		{"clock reset to 1970", `{"batch_id":"b","rows":[{"brand":"B1","kind":"stock","at":"1970-01-01T00:00:00Z","qty":1}]}`, []string{"rows[0].at"}},
		{"year 2150", `{"batch_id":"b","rows":[{"brand":"B1","kind":"stock","at":"2150-01-01T00:00:00Z","qty":1}]}`, []string{"rows[0].at"}},
		{"brand code too long", `{"batch_id":"b","rows":[{"brand":"` + strings.Repeat("B", 65) + `","kind":"stock","at":"2026-11-22T00:00:00Z","qty":1}]}`, []string{"rows[0].brand"}},
		{"errors listed for the first 20 rows only", `{"batch_id":"b","rows":[` + rows(25, `{"brand":"B1","kind":"x","at":"2026-11-22T00:00:00Z","qty":1}`) + `]}`,
			append(func() []string {
				var f []string
				for i := range 20 {
					f = append(f, fmt.Sprintf("rows[%d].kind", i))
				}
				return f
			}(), "rows")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req scanRequest
			if err := decodeStrict([]byte(tt.body), &req); err != nil {
				t.Fatalf("decode: %v", err)
			}
			scans, err := req.scans("O1")
			var invalid *retailer.ValidationError
			if tt.wantFields == nil {
				if err != nil || len(scans) != len(req.Rows) {
					t.Fatalf("scans() = %d rows, %v; want %d rows, no error", len(scans), err, len(req.Rows))
				}
				for _, s := range scans {
					if s.Outlet != "O1" || s.At.IsZero() {
						t.Errorf("scan %+v: want outlet O1 and a time", s)
					}
				}
				return
			}
			if !errors.As(err, &invalid) {
				t.Fatalf("scans() error = %v; want a *retailer.ValidationError", err)
			}
			if len(invalid.Fields) != len(tt.wantFields) {
				t.Errorf("scans() fields = %v; want %v", invalid.Fields, tt.wantFields)
			}
			for _, f := range tt.wantFields {
				if invalid.Fields[f] == "" {
					t.Errorf("scans() fields = %v; want an error for %s", invalid.Fields, f)
				}
			}
		})
	}
}

func TestResponseOf(t *testing.T) {
	out := retailer.ScanOutcome{BatchID: "b", Accepted: 3, Rejects: []retailer.ScanReject{
		{Row: 2, Reason: retailer.RejectDuplicate, Detail: "d"},
	}}
	b, err := json.Marshal(responseOf(out))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"batch_id":"b","accepted":3,"rejected":1,"rejects":[{"row":1,"reason":"duplicate","detail":"d"}]}`
	if string(b) != want {
		t.Errorf("responseOf = %s; want %s", b, want)
	}
	b, _ = json.Marshal(responseOf(retailer.ScanOutcome{BatchID: "b", Accepted: 1}))
	if !strings.Contains(string(b), `"rejects":[]`) {
		t.Errorf("responseOf with no rejects = %s; want an empty rejects array", b)
	}
}

// FuzzScanBatch decodes an upload body the way the server does, checks its shape and validates its
// rows: whatever the body, nothing panics, a refused body names its fields, and an accepted one gives
// rejects that are ordered, in range, explained and countable.
func FuzzScanBatch(f *testing.F) {
	for _, seed := range []string{
		`{"batch_id":"t1","rows":[{"brand":"B1","kind":"sellout","at":"2026-11-22T09:30:00+08:00","qty":12},` +
			`{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:00+08:00","qty":1e6},` +
			`{"brand":"B9","kind":"stock","at":"2026-11-22T09:30:00Z","qty":-1},` +
			`{"brand":"B1","kind":"sellout","at":"2026-11-22T09:30:00.9+08:00","qty":12}]}`,
		`{"batch_id":"t1","rows":[{"brand":"B2","kind":"stock","at":"2099-12-31T23:59:59Z","qty":1.5}]}`,
		`{"batch_id":"","rows":null}`,
		`{"batch_id":"x","rows":[{"brand":"","kind":"","at":"","qty":null}]}`,
		`{"batch_id":"x","rows":[{"qty":1e400}]}`,
		`{"batch_id":"x","rows":[],"outlet":"O2"}`,
		`{"batch_id":"x","rows":[{"brand":"B1","kind":"sellout","at":"2026-11-22T09:30:00+08:00","qty":-0}]} {}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	known := func(b string) bool { return b == "B1" || b == "B2" }
	recent := map[string]float64{"B1": 400}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req scanRequest
		if err := decodeStrict(body, &req); err != nil {
			return
		}
		rows, err := req.scans("O1")
		if err != nil {
			var invalid *retailer.ValidationError
			if !errors.As(err, &invalid) || len(invalid.Fields) == 0 {
				t.Fatalf("scans() error = %v; want a ValidationError naming fields", err)
			}
			return
		}
		if len(rows) < 1 || len(rows) > retailer.MaxScanRows {
			t.Fatalf("scans() accepted %d rows", len(rows))
		}
		rejects := retailer.ValidateScans(rows, now, known, recent)
		last := 0
		for _, r := range rejects {
			if r.Row <= last || r.Row > len(rows) {
				t.Fatalf("reject of row %d after row %d, of %d rows", r.Row, last, len(rows))
			}
			last = r.Row
			if r.Detail == "" || r.Detail != r.Reason.Explain(rows[r.Row-1]) {
				t.Fatalf("row %d: detail %q", r.Row, r.Detail)
			}
		}
		res := responseOf(retailer.ScanOutcome{BatchID: req.BatchID, Accepted: len(rows) - len(rejects), Rejects: rejects})
		if res.Accepted+res.Rejected != len(rows) || res.Accepted < 0 {
			t.Fatalf("response counts %d + %d for %d rows", res.Accepted, res.Rejected, len(rows))
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("marshal response: %v", err)
		}
	})
}

// decodePlain decodes body as the server's binder would without scanRequest's own decoder.
func decodePlain(body []byte) (scanRequest, error) {
	type plain scanRequest
	var r plain
	err := decodeStrict(body, &r)
	return scanRequest(r), err
}

// decodeUpload decodes what the binder decodes, to the same batch id, rows and field errors as the
// binder and scanRequest.scans, and leaves to them every body the binder would refuse.
func TestDecodeUploadAsTheBinder(t *testing.T) {
	row := `{"brand":"B1","kind":"sellout","at":"2026-11-22T09:30:00+08:00","qty":12}`
	for _, body := range []string{
		`{"batch_id":"b1","rows":[` + row + `]}`,
		` { "rows" : [ { "qty" : 0.5 , "at" : "x" , "kind" : "stock" , "brand" : "B2" } , {} ] , "batch_id" : "" } `,
		` { "rows" : [ { "qty" : 0.5 , "at" : "x" , "kind" : "stock" , "brand" : "B2" } , {} ] , "batch_id" : "b" } `,
		`{"batch_id":"b","rows":[]}`, `{"batch_id":"b"}`, `{"rows":null}`, `{}`, `null`, ``, ` `,
		`{"batch_id":"b","rows":[{"qty":-0},{"qty":-12},{"qty":1e3},{"qty":123456789012345},{"qty":1234567890123456789}]}`,
		`{"batch_id":"b","rows":[{"qty":0.1E-2},{"qty":-1.5e+2},{"qty":0}]}`,
		`{"batch_id":"b","rows":[{"qty":01}]}`, `{"batch_id":"b","rows":[{"qty":1.}]}`, `{"batch_id":"b","rows":[{"qty":.5}]}`,
		`{"batch_id":"b","rows":[{"qty":-}]}`, `{"batch_id":"b","rows":[{"qty":1e}]}`, `{"batch_id":"b","rows":[{"qty":+1}]}`,
		`{"batch_id":"b","rows":[{"qty":1e400}]}`,
		`{"batch_id":"b","rows":[{"qty":null,"brand":null}]}`,
		`{"batch_id":"b","rows":[{"qty":"12"}]}`,
		`{"batch_id":"b","rows":[{"brand":7}]}`,
		`{"batch_id":"b\u00e9\"","rows":[{"brand":"B\n1"}]}`,
		`{"batch_id":"b","rows":[{"Brand":"B1","KIND":"stock"}]}`,
		`{"batch_id":"b","Rows":[{"brand":"B1"}]}`,
		`{"batch_id":"b","rows":[{"brand":"B1","brand":"B2"}]}`,
		`{"batch_id":"a","batch_id":"b"}`,
		`{"batch_id":"b","rows":[{"brand":"B1","outlet":"O2"}]}`,
		`{"batch_id":"b","outlet":"O2","rows":[]}`,
		`{"batch_id":"b","rows":[1]}`, `{"batch_id":"b","rows":{}}`, `[]`, `"x"`,
		`{"batch_id":"b","rows":[]} {}`, `{"batch_id":"b","rows":[]}x`, `{"batch_id":"b","rows":[],}`, `{"batch_id":"b","rows":[{},]}`,
		`{"batch_id":"b" "rows":[]}`, `{"batch_id":"b","rows":[{"brand":"B1"}{"brand":"B2"}]}`, `{"batch_id":"b","rows":[`,
		"{\"batch_id\":\"b\xff\",\"rows\":[{\"brand\":\"\xc3\"}]}", "{\"batch_id\":\"a\tb\"}",
		`{"batch_id":"日本","rows":[{"brand":"烟","kind":"sellout","at":"2026-11-22T09:30:00Z","qty":3}]}`,
		// Times: the forms read without time.Parse, and their edges.
		`{"batch_id":"b","rows":[{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:00.123456789-03:30","qty":1},` +
			`{"brand":"B1","kind":"stock","at":"2024-02-29T23:59:59.5Z","qty":1},{"brand":"B1","kind":"stock","at":"2025-02-29T00:00:00Z","qty":1},` +
			`{"brand":"B1","kind":"stock","at":"2026-11-22T24:00:00Z","qty":1},{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:60Z","qty":1},` +
			`{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:00+24:00","qty":1},{"brand":"B1","kind":"stock","at":"2026-11-22t09:30:00z","qty":1},` +
			`{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:00.1234567891Z","qty":1},{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:00.Z","qty":1},` +
			`{"brand":"B1","kind":"stock","at":"1999-12-31T23:59:59-01:00","qty":1},{"brand":"B1","kind":"stock","at":"2099-12-31T23:59:59-01:00","qty":1},` +
			`{"brand":"B1","kind":"stock","at":"0000-01-01T00:00:00Z","qty":1},{"brand":"B1","kind":"stock","at":"2026-13-01T00:00:00Z","qty":1}]}`,
		`{"batch_id":"b","rows":[` + strings.Repeat(`{"brand":"B1","kind":"x","at":"2026-11-22T00:00:00Z","qty":1},`, 25) + row + `]}`,
		`{"batch_id":"","rows":[{"brand":"B1","kind":"x","at":"2026-11-22T00:00:00Z","qty":1}]}`,
		`{"batch_id":"b","rows":[` + strings.Repeat(row+",", retailer.MaxScanRows) + row + `]}`,
	} {
		t.Run(body[:min(len(body), 200)], func(t *testing.T) { checkDecodeUpload(t, []byte(body)) })
	}
	// Plain bodies are decoded here, valid or not.
	for _, body := range []string{`{"batch_id":"b1","rows":[` + row + `]}`, `{"batch_id":"","rows":[{"kind":"x","at":"2026-11-22T09:30:00Z"}]}`} {
		if _, _, ok, _ := decodeUpload([]byte(body), nil); !ok {
			t.Errorf("decodeUpload(%s) left it to the binder; want it decoded", body)
		}
	}
}

func checkDecodeUpload(t *testing.T, body []byte) {
	var want scanRequest
	wantErr := decodeStrict(body, &want)
	id, got, ok, err := decodeUpload(body, nil)
	if !ok {
		return // the binder decodes it
	}
	if wantErr != nil {
		t.Fatalf("decodeUpload accepted a body the binder refuses: %v", wantErr)
	}
	wantRows, wantScansErr := want.scans("")
	if id != want.BatchID {
		t.Fatalf("decodeUpload batch id %q; the binder gives %q", id, want.BatchID)
	}
	if !reflect.DeepEqual(err, wantScansErr) {
		t.Fatalf("decodeUpload error %v; the binder and scans give %v", err, wantScansErr)
	}
	if len(got) != len(wantRows) {
		t.Fatalf("decodeUpload gave %d rows; the binder and scans give %d", len(got), len(wantRows))
	}
	for i := range got {
		g, w := got[i], wantRows[i]
		if !g.At.Equal(w.At) {
			t.Fatalf("row %d at %v; the binder and scans give %v", i, g.At, w.At)
		}
		g.At, w.At = time.Time{}, time.Time{}
		if g != w {
			t.Fatalf("row %d = %+v; the binder and scans give %+v", i, g, w)
		}
	}
}

// parseTime reads every string as time.Parse(time.RFC3339, …) does.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-22T09:30:00Z", "2026-11-22T09:30:00.25+08:00", "2024-02-29T23:59:59-23:59",
		"2026-11-22T09:30:00.123456789Z", "2026-11-22T09:30:00+24:00", "0001-01-01T00:00:00Z", "2026-11-22 09:30:00Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := time.Parse(time.RFC3339, s)
		got, err := parseTime(s)
		if (err != nil) != (wantErr != nil) || err == nil && !got.Equal(want) {
			t.Fatalf("parseTime(%q) = %v, %v; time.Parse gives %v, %v", s, got, err, want, wantErr)
		}
		if gotB, errB := parseTime([]byte(s)); !gotB.Equal(got) || (errB != nil) != (err != nil) {
			t.Fatalf("parseTime([]byte(%q)) = %v, %v; from the string %v, %v", s, gotB, errB, got, err)
		}
	})
}

// FuzzDecodeScanRequest checks decodeUpload against the binder's decoding and scanRequest.scans on any
// body.
func FuzzDecodeScanRequest(f *testing.F) {
	f.Add([]byte(`{"batch_id":"b1","rows":[{"brand":"B1","kind":"sellout","at":"2026-11-22T09:30:00+08:00","qty":12}]}`))
	f.Add([]byte(`{"rows":[{"qty":-0.0e1,"brand":"\u0042"}],"batch_id":"x"}`))
	f.Add([]byte(`{"rows":[{"qty":10,"at":"","kind":"stock"},{}],"batch_id":"x"} `))
	f.Add([]byte(`{"batch_id":"b","rows":[{"brand":"B1","kind":"stock","at":"2026-02-29T09:30:00.5-03:00","qty":1e3},{"kind":"x"}]}`))
	f.Fuzz(checkDecodeUpload)
}

func BenchmarkScanRequestDecode(b *testing.B) {
	var body bytes.Buffer
	body.WriteString(`{"batch_id":"bench","rows":[`)
	for i := range 5000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"brand":"B%02d","kind":"sellout","at":"2026-11-22T09:%02d:%02dZ","qty":%d}`, i%40, i/60%60, i%60, 1+i%20)
	}
	body.WriteString(`]}`)
	rows := make([]retailer.Scan, 0, 5000) // what the pool gives after the first upload
	for _, bb := range []struct {
		name   string
		decode func([]byte) error
	}{
		{"decodeUpload", func(p []byte) error {
			if _, _, ok, err := decodeUpload(p, rows); !ok || err != nil {
				return fmt.Errorf("not decoded: %v", err)
			}
			return nil
		}},
		{"encoding/json and scans", func(p []byte) error {
			r, err := decodePlain(p)
			if err != nil {
				return err
			}
			_, err = r.scans("O1")
			return err
		}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				if err := bb.decode(body.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// testBinder decodes like the server's binder and counts its calls.
type testBinder struct{ calls *int }

func (b testBinder) Bind(v any, c echo.Context) error {
	*b.calls++
	return decodeStrictReader(c.Request().Body, v)
}

func decodeStrictReader(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// readUpload decodes plain bodies itself and hands every other body, and a failure to read one, to the
// server's binder.
func TestReadUpload(t *testing.T) {
	errRead := errors.New("read failed")
	tests := []struct {
		name      string
		body      io.Reader
		wantBinds int
		wantErr   error
		wantID    string
	}{
		{"plain", strings.NewReader(`{"batch_id":"b1","rows":[{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:00Z","qty":1}]}`), 0, nil, "b1"},
		{"an escape", strings.NewReader(`{"batch_id":"b\u0031","rows":[{"brand":"B1","kind":"stock","at":"2026-11-22T09:30:00Z","qty":1}]}`), 1, nil, "b1"},
		{"a read error", io.MultiReader(strings.NewReader(`{"batch_id":"b1",`), errReader{errRead}), 1, errRead, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := echo.New()
			calls := 0
			e.Binder = testBinder{&calls}
			req := httptest.NewRequest("POST", "/", tt.body)
			c := e.NewContext(req, httptest.NewRecorder())
			id, _, err := readUpload(c, nil)
			if !errors.Is(err, tt.wantErr) || calls != tt.wantBinds || id != tt.wantID {
				t.Errorf("readUpload = %q, %v with %d binder calls; want %q, %v with %d", id, err, calls, tt.wantID, tt.wantErr, tt.wantBinds)
			}
		})
	}
}

// countingCatalogue is a BrandChecker that holds the brands in codes and records what it is asked.
type countingCatalogue struct {
	codes map[string]bool
	asked [][]string
	err   error
}

func (c *countingCatalogue) KnownBrands(_ context.Context, codes []string) (map[string]bool, error) {
	c.asked = append(c.asked, append([]string(nil), codes...))
	if c.err != nil {
		return nil, c.err
	}
	out := map[string]bool{}
	for _, code := range codes {
		if c.codes[code] {
			out[code] = true
		}
	}
	return out, nil
}

// The brand cache asks the catalogue only about codes it has not found known within brandCacheTTL.
func TestBrandCache(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	cat := &countingCatalogue{codes: map[string]bool{"A": true, "B": true}}
	c := &brandCache{catalogue: cat, now: func() time.Time { return now }, known: map[string]time.Time{}}
	steps := []struct {
		name      string
		after     time.Duration // clock moved before the call
		codes     []string
		want      map[string]bool
		wantAsked []string // nil: the catalogue is not asked
	}{
		{"cold", 0, []string{"A", "X"}, map[string]bool{"A": true}, []string{"A", "X"}},
		{"known code cached, unknown asked again", time.Second, []string{"A", "B", "X"}, map[string]bool{"A": true, "B": true}, []string{"B", "X"}},
		{"all cached", time.Second, []string{"B", "A"}, map[string]bool{"A": true, "B": true}, nil},
		{"expired", brandCacheTTL, []string{"A"}, map[string]bool{"A": true}, []string{"A"}},
	}
	for _, st := range steps {
		now = now.Add(st.after)
		before := len(cat.asked)
		got, err := c.KnownBrands(context.Background(), st.codes)
		if err != nil || !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: KnownBrands(%v) = %v, %v; want %v", st.name, st.codes, got, err, st.want)
		}
		var asked []string
		if len(cat.asked) > before {
			asked = cat.asked[len(cat.asked)-1]
		}
		if !reflect.DeepEqual(asked, st.wantAsked) {
			t.Errorf("%s: the catalogue was asked %v; want %v", st.name, asked, st.wantAsked)
		}
	}
	cat.err = errors.New("down")
	if _, err := c.KnownBrands(context.Background(), []string{"Y"}); !errors.Is(err, cat.err) {
		t.Errorf("KnownBrands with the catalogue down = %v; want its error", err)
	}
}
