package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

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

func TestBatchLocks(t *testing.T) {
	var l batchLocks
	var mu sync.Mutex
	inside := map[string]int{}
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint(i % 4)
			unlock := l.lock(key)
			mu.Lock()
			inside[key]++
			if inside[key] > 1 {
				t.Errorf("two holders of lock %s", key)
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inside[key]--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	if len(l.held) != 0 {
		t.Errorf("%d locks left after every holder released them", len(l.held))
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
