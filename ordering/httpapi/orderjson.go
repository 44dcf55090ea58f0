package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/labstack/echo/v4"
)

// The order's request and response are the hot path of the API (every order placed decodes one and
// encodes one). They are read and written here by hand, without reflection; anything the hand-written
// code does not take as plainly well formed goes through the server's binder and encoding/json as
// before, so that every answer (field errors, problems, bytes written) stays what they make of it.
// FuzzDecodeOrderRequest and FuzzEncodeOrder hold the two to encoding/json.

// bindOrderRequest decodes the body of a request placing an order into req: the fast reader
// (parseOrderRequest) when it takes the body, else the server's binder (c.Bind) on the same bytes.
func bindOrderRequest(c echo.Context, req *orderRequest) error {
	r := c.Request()
	raw, err := io.ReadAll(r.Body)
	if err == nil {
		if parsed, ok := parseOrderRequest(raw); ok {
			*req = parsed
			return nil
		}
	}
	// The binder reads what was read, then meets the reader's error (a body over the size limit, or
	// too slow) where it did.
	var rest io.Reader = bytes.NewReader(raw)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	r.Body = io.NopCloser(rest)
	return c.Bind(req)
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// parseOrderRequest reads body as an order request when it is plainly well formed: one JSON object
// with the keys "lines" (an array of objects with the keys "brand", a string of printable ASCII
// without escapes, and "quantity", an integer) and "all_or_nothing" (true or false), each at most once
// and spelt exactly so, in any order, with nothing but white space after it. It reports false for
// anything else (which encoding/json may take, as a key in other case, or refuse): the caller then
// decodes the body with encoding/json.
func parseOrderRequest(body []byte) (orderRequest, bool) {
	p := orderParser{b: body}
	var req orderRequest
	if !p.object(func(key []byte) bool {
		switch string(key) {
		case "lines":
			return p.lines(&req)
		case "all_or_nothing":
			return p.boolean(&req.AllOrNothing)
		}
		return false
	}) {
		return orderRequest{}, false
	}
	p.space()
	return req, p.i == len(p.b)
}

// orderParser reads JSON from b at i; each method reports false when what is at i is not what it
// takes, the parse then being abandoned.
type orderParser struct {
	b []byte
	i int
}

func (p *orderParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and takes the byte c.
func (p *orderParser) next(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads an object of at most two keys, calling field for each (at most once each) with p at
// its value.
func (p *orderParser) object(field func(key []byte) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	var seen [2][]byte
	for n := 0; ; n++ {
		key, ok := p.chars()
		if !ok || !p.next(':') || n == len(seen) {
			return false
		}
		for _, s := range seen[:n] {
			if bytes.Equal(s, key) {
				return false // encoding/json keeps the last; left to it
			}
		}
		seen[n] = key
		if !field(key) {
			return false
		}
		if p.next('}') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// chars reads a string of printable ASCII without escapes, returning its characters in p.b.
func (p *orderParser) chars() ([]byte, bool) {
	if !p.next('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// integer reads a JSON number without fraction or exponent that fits an int.
func (p *orderParser) integer(v *int) bool {
	p.space()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || (p.b[digits] == '0' && p.i > digits+1) {
		return false // no digit, or a leading zero
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return false
		}
	}
	n, err := strconv.Atoi(string(p.b[start:p.i]))
	*v = n
	return err == nil
}

func (p *orderParser) boolean(v *bool) bool {
	p.space()
	switch {
	case bytes.HasPrefix(p.b[p.i:], []byte("true")):
		*v, p.i = true, p.i+4
	case bytes.HasPrefix(p.b[p.i:], []byte("false")):
		*v, p.i = false, p.i+5
	default:
		return false
	}
	return true
}

// lines reads the array of lines into req.Lines (an empty array as an empty slice, as encoding/json).
func (p *orderParser) lines(req *orderRequest) bool {
	if !p.next('[') {
		return false
	}
	req.Lines = make([]orderLineRequest, 0, 32)
	if p.next(']') {
		return true
	}
	for {
		var l orderLineRequest
		if !p.object(func(key []byte) bool {
			switch string(key) {
			case "brand":
				s, ok := p.chars()
				l.Brand = string(s)
				return ok
			case "quantity":
				return p.integer(&l.Quantity)
			}
			return false
		}) {
			return false
		}
		req.Lines = append(req.Lines, l)
		if p.next(']') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// encodeOrder is the JSON of an order as json.NewEncoder(w).Encode(o) writes it (HTML characters
// escaped, a newline after it), written by hand; a string with anything but printable ASCII free of
// the characters JSON or HTML escape is written by encoding/json.
func encodeOrder(o orderJSON) ([]byte, error) {
	b := make([]byte, 0, 256+112*len(o.Lines))
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, o.ID, 10)
	b = append(b, `,"outlet_id":`...)
	b = strconv.AppendInt(b, o.OutletID, 10)
	b = append(b, `,"cycle":`...)
	b = appendString(b, o.Cycle)
	b = append(b, `,"status":`...)
	b = appendString(b, o.Status)
	if o.Reason != "" {
		b = append(b, `,"failure_reason":`...)
		b = appendString(b, o.Reason)
	}
	b = append(b, `,"total_cents":`...)
	b = strconv.AppendInt(b, o.TotalCents, 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(o.Version), 10)
	b = append(b, `,"updated_at":`...)
	t, err := o.UpdatedAt.MarshalJSON()
	if err != nil { // a year out of JSON's range: encoding/json's error
		var w bytes.Buffer
		err := json.NewEncoder(&w).Encode(o)
		return w.Bytes(), err
	}
	b = append(b, t...)
	b = append(b, `,"lines":`...)
	if o.Lines == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, l := range o.Lines {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendLine(b, l)
		}
		b = append(b, ']')
	}
	if f := o.Funds; f != nil {
		b = append(b, `,"funds":{"balance_cents":`...)
		b = strconv.AppendInt(b, f.BalanceCents, 10)
		b = append(b, `,"ordered_cents":`...)
		b = strconv.AppendInt(b, f.OrderedCents, 10)
		b = append(b, `,"shortfall_cents":`...)
		b = strconv.AppendInt(b, f.ShortfallCents, 10)
		if f.Warning != "" {
			b = append(b, `,"warning":`...)
			b = appendString(b, f.Warning)
		}
		b = append(b, '}')
	}
	if a := o.PlacedBy; a != nil {
		b = append(b, `,"placed_by":{"username":`...)
		b = appendString(b, a.Username)
		b = append(b, `,"role":`...)
		b = appendString(b, a.Role)
		b = append(b, '}')
	}
	return append(b, "}\n"...), nil
}

func appendLine(b []byte, l lineJSON) []byte {
	b = append(b, `{"brand":`...)
	b = appendString(b, l.Brand)
	b = append(b, `,"requested":`...)
	b = strconv.AppendInt(b, int64(l.Requested), 10)
	b = append(b, `,"granted":`...)
	b = strconv.AppendInt(b, int64(l.Granted), 10)
	if l.Limit != nil {
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, int64(*l.Limit), 10)
	}
	if l.Delivered != nil {
		b = append(b, `,"delivered":`...)
		b = strconv.AppendInt(b, int64(*l.Delivered), 10)
	}
	b = append(b, `,"price_cents":`...)
	b = strconv.AppendInt(b, l.PriceCents, 10)
	if l.Limited != "" {
		b = append(b, `,"limited":`...)
		b = appendString(b, l.Limited)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string, as encoding/json writes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // which never fails for a string
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
