package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/webhook"
)

// A receiver's answer (any status, Retry-After and body) is classified without a panic: 2xx
// delivered; 408, 429 and 5xx retryable after a wait that is never negative and, for a positive
// number of seconds, at least as long as a smaller number asks; anything else permanent. Run for
// longer with: go test -run '^$' -fuzz '^FuzzClassify$' -fuzztime 60s -parallel 1 ./ordering/webhook/
func FuzzClassify(f *testing.F) {
	now := time.Unix(1_700_000_000, 0).UTC()
	for _, s := range []struct {
		status     int
		retryAfter string
		body       string
	}{
		{200, "", ""}, {204, "5", ""}, {503, "120", "busy"}, {429, "Wed, 21 Oct 2026 07:28:00 GMT", ""},
		{429, "Tue, 14 Nov 2023 22:13:20 GMT", ""}, {500, "-1", "\x00"},
		{502, "99999999999", ""}, {404, "1", "not here"}, {301, "", ""}, {599, " 3", ""}, {-1, "", ""},
	} {
		f.Add(s.status, s.retryAfter, s.body)
	}
	f.Fuzz(func(t *testing.T, status int, retryAfter, body string) {
		err := webhook.Classify(status, retryAfter, body, now)
		if status >= 200 && status <= 299 {
			if err != nil {
				t.Fatalf("Classify(%d) = %v; want delivered", status, err)
			}
			return
		}
		var ne *ordering.NoticeError
		if !errors.As(err, &ne) {
			t.Fatalf("Classify(%d, %q) = %v; want a *ordering.NoticeError", status, retryAfter, err)
		}
		retryable := status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500 && status <= 599
		if ne.Permanent == retryable {
			t.Fatalf("Classify(%d) permanent = %v", status, ne.Permanent)
		}
		if ne.RetryAfter < 0 {
			t.Fatalf("Classify(%d, Retry-After %q) waits %v", status, retryAfter, ne.RetryAfter)
		}
		if n, err := strconv.Atoi(retryAfter); retryable && err == nil && n > 1 {
			var smaller *ordering.NoticeError
			errors.As(webhook.Classify(status, strconv.Itoa(n/2), body, now), &smaller)
			if ne.RetryAfter < smaller.RetryAfter {
				t.Fatalf("Retry-After %d waits %v, less than Retry-After %d's %v", n, ne.RetryAfter, n/2, smaller.RetryAfter)
			}
		}
	})
}

// A receiver checks any headers and body without a panic, and accepts exactly what Sign signed
// within the tolerance. Run for longer with:
// go test -run '^$' -fuzz '^FuzzVerify$' -fuzztime 60s -parallel 1 ./ordering/webhook/
func FuzzVerify(f *testing.F) {
	body := `{"id":"x"}`
	f.Add("1700000000", webhook.Sign(secret, "1700000000", []byte(body)), body)
	f.Add("1699999940", webhook.Sign(secret, "1699999940", []byte(body)), body)
	f.Add("1700000000", "v1=", body)
	f.Add("-9223372036854775808", "v1=00", "")
	f.Add("9223372036854775807", "v2="+strings.Repeat("f", 64), body)
	f.Add(" 1700000000", "v1=ZZ", "\x00")
	now := time.Unix(1_700_000_000, 0)
	f.Fuzz(func(t *testing.T, ts, sig, body string) {
		h := http.Header{}
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		err := webhook.Verify(secret, h, []byte(body), now, 5*time.Minute)
		if err != nil && !errors.Is(err, webhook.ErrBadSignature) && !errors.Is(err, webhook.ErrStale) {
			t.Fatalf("Verify(%q, %q) = %v; want ErrBadSignature or ErrStale", ts, sig, err)
		}
		if err == nil && sig != webhook.Sign(secret, ts, []byte(body)) {
			t.Fatalf("Verify accepted %q for timestamp %q and body %q, which Sign did not sign", sig, ts, body)
		}
		sec, perr := strconv.ParseInt(ts, 10, 64)
		fresh := perr == nil && sec >= now.Unix()-300 && sec <= now.Unix()+300
		if signed := webhook.Verify(secret, http.Header{webhook.HeaderTimestamp: {ts},
			webhook.HeaderSignature: {webhook.Sign(secret, ts, []byte(body))}}, []byte(body), now, 5*time.Minute); fresh != (signed == nil) {
			t.Fatalf("Verify of a signed body at %q = %v; fresh %v", ts, signed, fresh)
		}
	})
}
