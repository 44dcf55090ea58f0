package httpapi

import (
	"bytes"
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
)

// strictDecode decodes body as the server's binder does (cmd/ordercast strictBinder): unknown fields
// refused, nothing but white space after the object.
func strictDecode(body []byte) (orderRequest, error) {
	var req orderRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, err
	}
	if dec.More() {
		return req, errors.New("data after the JSON object")
	}
	return req, nil
}

var orderBodies = []string{
	`{"lines":[{"brand":"B01","quantity":2}]}`,
	`{"lines":[{"brand":"B01","quantity":2},{"brand":"B02","quantity":-3}],"all_or_nothing":true}`,
	" {\n\t\"all_or_nothing\" : false , \"lines\" : [ { \"quantity\" : 0 , \"brand\" : \"\" } ] }\r\n ",
	`{"lines":[]}`, `{}`, `{"lines":[{}]}`, `{"lines":[{"brand":"B01"}]}`,
	`{"lines":[{"brand":"B01","quantity":-0}]}`,
	`{"lines":[{"brand":"B01","quantity":9223372036854775807}]}`,
	// Left to encoding/json: the binder takes or refuses them.
	`{"Lines":[{"Brand":"B01","quantity":2}]}`, `{"lines":[{"brand":"B01","quantity":2,"price":1}]}`,
	`{"lines":[{"brand":"B\u0030","quantity":2}]}`, `{"lines":[{"brand":"B01","quantity":2e1}]}`,
	`{"lines":[{"brand":"B01","quantity":2.0}]}`, `{"lines":[{"brand":"B01","quantity":02}]}`,
	`{"lines":[{"brand":"B01","quantity":9223372036854775808}]}`, `{"lines":null}`, `{"lines":[null]}`,
	`{"lines":[],"lines":[{"brand":"B01","quantity":1}]}`, `{"all_or_nothing":1}`, `{"lines":[]}}`,
	`{"lines":[]} {}`, `{"lines":[{"brand":"\u0000","quantity":1}]}`, "{\"lines\":[{\"brand\":\"é\",\"quantity\":1}]}",
	`[]`, ``, `{`, `{"lines":[{"brand":"B01","quantity":1},]}`, `{"lines":[{"brand":"B01","quantity":1}]`,
}

// Whatever parseOrderRequest takes, encoding/json (as the server's binder runs it) takes too, as the
// same request. Run for longer with: go test -run '^$' -fuzz FuzzDecodeOrderRequest -fuzztime 1m ./ordering/httpapi/
func FuzzDecodeOrderRequest(f *testing.F) {
	for _, b := range orderBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := parseOrderRequest(body)
		if !ok {
			return
		}
		want, err := strictDecode(body)
		if err != nil {
			t.Fatalf("parseOrderRequest took %q, which encoding/json refuses: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parseOrderRequest read %+v, encoding/json %+v", body, got, want)
		}
		if (got.Lines == nil) != (want.Lines == nil) {
			t.Fatalf("%q: lines nil %v, encoding/json's %v", body, got.Lines == nil, want.Lines == nil)
		}
	})
}

func TestParseOrderRequestTakesPlainBodies(t *testing.T) {
	for _, b := range orderBodies[:9] {
		if _, ok := parseOrderRequest([]byte(b)); !ok {
			t.Errorf("parseOrderRequest left %q to encoding/json", b)
		}
	}
	for _, b := range orderBodies[9:] {
		if _, ok := parseOrderRequest([]byte(b)); ok {
			t.Errorf("parseOrderRequest took %q", b)
		}
	}
}

// recordingBinder decodes as the server's binder and records the bytes it was given and the error
// its reader ended with.
type recordingBinder struct {
	calls   int
	body    []byte
	readErr error
}

func (r *recordingBinder) Bind(v any, c echo.Context) error {
	r.calls++
	r.body, r.readErr = io.ReadAll(c.Request().Body)
	if r.readErr != nil {
		return r.readErr
	}
	req, err := strictDecode(r.body)
	*(v.(*orderRequest)) = req
	return err
}

// A body the fast reader leaves reaches the server's binder whole, and a failed read reaches it after
// the bytes read, as it would have.
func TestBindOrderRequestLeavesTheRestToTheBinder(t *testing.T) {
	e := echo.New()
	bind := func(body io.Reader) (*recordingBinder, orderRequest, error) {
		rb := &recordingBinder{}
		e.Binder = rb
		c := e.NewContext(httptest.NewRequest("POST", "/", body), httptest.NewRecorder())
		var req orderRequest
		err := bindOrderRequest(c, &req)
		return rb, req, err
	}
	for _, b := range orderBodies {
		rb, req, err := bind(strings.NewReader(b))
		want, wantErr := strictDecode([]byte(b))
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("%q: error %v, the binder's %v", b, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(req, want) {
			t.Errorf("%q: read %+v, the binder %+v", b, req, want)
		}
		_, fast := parseOrderRequest([]byte(b))
		if fast != (rb.calls == 0) {
			t.Errorf("%q: fast %v, binder called %d times", b, fast, rb.calls)
		}
		if rb.calls > 0 && string(rb.body) != b {
			t.Errorf("%q: the binder was given %q", b, rb.body)
		}
	}
	tooSlow := errors.New("body too slow")
	rb, _, err := bind(io.MultiReader(strings.NewReader(`{"lines":[`), errReader{tooSlow}))
	if !errors.Is(err, tooSlow) || rb.calls != 1 || string(rb.body) != `{"lines":[` || !errors.Is(rb.readErr, tooSlow) {
		t.Errorf("a failed read: error %v, binder called %d times with %q then %v", err, rb.calls, rb.body, rb.readErr)
	}
}

// encodeOrder writes what json.NewEncoder(w).Encode writes. Run for longer with:
// go test -run '^$' -fuzz FuzzEncodeOrder -fuzztime 1m ./ordering/httpapi/
func FuzzEncodeOrder(f *testing.F) {
	f.Add(int64(7), int64(12), "2026-11-30", "submitted", "", int64(12345), 3, int64(1764500000123456789),
		"B01", 5, 4, int64(2), int64(1200), "limit", uint8(0xff), "retailer1", "retailer", "", -5, 3)
	f.Add(int64(-1), int64(0), "<&>", "fa\"il\\ed", "a\u2028b\x00\xff", int64(-9), 0, int64(0),
		"", 0, 0, int64(0), int64(0), "", uint8(0), "", "", "on credit", 0, 0)
	f.Fuzz(func(t *testing.T, id, outlet int64, cycle, status, reason string, total int64, version int, at int64,
		brand string, requested, granted int, limit, price int64, limited string, flags uint8,
		username, role, warning string, lines, shortfall int) {
		o := orderJSON{ID: id, OutletID: outlet, Cycle: cycle, Status: status, Reason: reason, TotalCents: total,
			Version: version, UpdatedAt: time.Unix(0, at).UTC()}
		if flags&1 != 0 {
			o.Lines = []lineJSON{}
		}
		for i := range lines % 25 {
			l := lineJSON{Brand: brand + strings.Repeat("x", i), Requested: requested + i, Granted: granted, PriceCents: price, Limited: limited}
			if flags&2 != 0 {
				l.Limit = new(int(limit) + i)
			}
			if flags&4 != 0 {
				l.Delivered = new(granted - i)
			}
			o.Lines = append(o.Lines, l)
		}
		if flags&8 != 0 {
			o.Funds = &fundsJSON{BalanceCents: total * 3, OrderedCents: price, ShortfallCents: int64(shortfall), Warning: warning}
		}
		if flags&16 != 0 {
			o.PlacedBy = &authorJSON{Username: username, Role: role}
		}
		var want bytes.Buffer
		wantErr := json.NewEncoder(&want).Encode(o)
		got, err := encodeOrder(o)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%+v: error %v, encoding/json's %v", o, err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("encodeOrder wrote\n%s\nencoding/json\n%s", got, want.Bytes())
		}
	})
}

// encodeOrder writes each field of the order's JSON types: one added to them must be added to it.
func TestEncodeOrderKnowsEveryField(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[orderJSON](): 11, reflect.TypeFor[lineJSON](): 7,
		reflect.TypeFor[fundsJSON](): 4, reflect.TypeFor[authorJSON](): 2,
	} {
		if typ.NumField() != n {
			t.Errorf("%s has %d fields where encodeOrder writes %d: write the new ones there (and in FuzzEncodeOrder)", typ, typ.NumField(), n)
		}
	}
}

// benchOrder is an order of 20 lines as placing it answers.
func benchOrder() (body []byte, o orderJSON) {
	var b strings.Builder
	b.WriteString(`{"lines":[`)
	o = orderJSON{ID: 123456, OutletID: 2805, Cycle: "2026-11-30", Status: "submitted", TotalCents: 1234500, Version: 7,
		UpdatedAt: time.Date(2026, 12, 3, 13, 45, 1, 123456000, time.UTC), Lines: []lineJSON{},
		Funds:    &fundsJSON{BalanceCents: 5000000, OrderedCents: 1234500},
		PlacedBy: &authorJSON{Username: "r530121002805", Role: "retailer"}}
	for i := range 20 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"brand":"B%02d","quantity":%d}`, i+1, 1+i%5)
		l := lineJSON{Brand: fmt.Sprintf("B%02d", i+1), Requested: 1 + i%5, Granted: 1 + i%5, PriceCents: 21000}
		if i%3 == 0 {
			l.Limit, l.Limited = new(2), "limit"
		}
		o.Lines = append(o.Lines, l)
	}
	b.WriteString(`]}`)
	return []byte(b.String()), o
}

// The order's request and response, by hand and by encoding/json (as the server's binder and c.JSON):
// go test -run '^$' -bench OrderJSON -benchmem ./ordering/httpapi/
func BenchmarkOrderJSON(b *testing.B) {
	body, o := benchOrder()
	b.Run("decode/hand", func(b *testing.B) {
		for b.Loop() {
			if _, ok := parseOrderRequest(body); !ok {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("decode/encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := strictDecode(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/hand", func(b *testing.B) {
		for b.Loop() {
			if _, err := encodeOrder(o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/encoding-json", func(b *testing.B) {
		for b.Loop() {
			var w bytes.Buffer
			if err := json.NewEncoder(&w).Encode(o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
