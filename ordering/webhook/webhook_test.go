package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/webhook"
)

var secret = []byte("0123456789abcdef")

func TestSignKnownVector(t *testing.T) {
	// openssl: printf '1700000000.{"id":"x"}' | openssl dgst -sha256 -hmac 0123456789abcdef
	const want = "v1=f1cf8ba6a2fa64bd8193b9db564f42cd35d0fc2a46f6a2c2903f897838a7f23a"
	if got := webhook.Sign(secret, "1700000000", []byte(`{"id":"x"}`)); got != want {
		t.Errorf("Sign = %s; want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id":"x"}`)
	signed := func(ts int64, sig string) http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(webhook.HeaderSignature, sig)
		return h
	}
	good := webhook.Sign(secret, "1700000000", body)
	tests := []struct {
		name   string
		secret []byte
		h      http.Header
		body   []byte
		want   error
	}{
		{"good", secret, signed(1_700_000_000, good), body, nil},
		{"within tolerance", secret, signed(1_699_999_940, webhook.Sign(secret, "1699999940", body)), body, nil},
		{"body changed", secret, signed(1_700_000_000, good), []byte(`{"id":"y"}`), webhook.ErrBadSignature},
		{"other secret", []byte("fedcba9876543210"), signed(1_700_000_000, good), body, webhook.ErrBadSignature},
		{"timestamp changed", secret, signed(1_700_000_001, good), body, webhook.ErrBadSignature},
		{"no signature", secret, signed(1_700_000_000, ""), body, webhook.ErrBadSignature},
		{"old", secret, signed(1_700_000_000-600, webhook.Sign(secret, "1699999400", body)), body, webhook.ErrStale},
		{"no timestamp", secret, http.Header{webhook.HeaderSignature: {good}}, body, webhook.ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.h, tt.body, now, 5*time.Minute)
			if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Verify = %v; want %v", err, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		status     int
		retryAfter string
		permanent  bool // when failed
		ok         bool
		wait       time.Duration
	}{
		{200, "", false, true, 0},
		{202, "", false, true, 0},
		{204, "", false, true, 0},
		{301, "", true, false, 0},
		{400, "", true, false, 0},
		{401, "", true, false, 0},
		{403, "", true, false, 0},
		{404, "", true, false, 0},
		{410, "", true, false, 0},
		{422, "", true, false, 0},
		{408, "", false, false, 0},
		{429, "30", false, false, 30 * time.Second},
		{429, now.Add(2 * time.Minute).Format(http.TimeFormat), false, false, 2 * time.Minute},
		{500, "", false, false, 0},
		{502, "", false, false, 0},
		{503, "garbage", false, false, 0},
		{504, "", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			err := webhook.Classify(tt.status, tt.retryAfter, "", now)
			if tt.ok {
				if err != nil {
					t.Errorf("Classify(%d) = %v; want delivered", tt.status, err)
				}
				return
			}
			var ne *ordering.NoticeError
			if !errors.As(err, &ne) || ne.Permanent != tt.permanent || ne.RetryAfter != tt.wait {
				t.Errorf("Classify(%d, %q) = %#v; want permanent %v, retry after %v", tt.status, tt.retryAfter, err, tt.permanent, tt.wait)
			}
		})
	}
}

func TestNotifyPostsASignedBody(t *testing.T) {
	var got webhook.Body
	var verr error
	var key string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		verr = webhook.Verify(secret, r.Header, body, time.Now(), time.Minute)
		key = r.Header.Get(webhook.HeaderIdempotencyKey)
		json.Unmarshal(body, &got) //nolint:errcheck // checked through got
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n, err := webhook.New(srv.URL+"/hook", secret, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	notice := ordering.Notice{ID: "order_failed:7", Outlet: "L1", Kind: ordering.OrderFailed,
		Data: map[string]string{"order_id": "7"}, CreatedAt: time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)}
	if err := n.Notify(context.Background(), notice, ordering.Message{ZH: "订单未成功", EN: "Your order failed"}); err != nil {
		t.Fatalf("Notify = %v; want delivered", err)
	}
	if verr != nil {
		t.Errorf("the receiver's Verify = %v; want a good signature", verr)
	}
	if key != notice.ID || got.ID != notice.ID || got.Outlet != "L1" || got.Kind != "order_failed" ||
		got.Message.ZH != "订单未成功" || got.Message.EN != "Your order failed" || got.Data["order_id"] != "7" {
		t.Errorf("received key %q, body %+v; want the notice %+v", key, got, notice)
	}
}

func TestNotifyRetriesTimeoutsAndDownReceivers(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer slow.Close()
	defer close(block)
	n, err := webhook.New(slow.URL, secret, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var ne *ordering.NoticeError
	err = n.Notify(context.Background(), ordering.Notice{ID: "a"}, ordering.Message{})
	if err == nil || (errors.As(err, &ne) && ne.Permanent) {
		t.Errorf("Notify to a receiver that does not answer in time = %v; want a retryable error", err)
	}

	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	n, err = webhook.New(url, secret, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), ordering.Notice{ID: "a"}, ordering.Message{})
	if err == nil || (errors.As(err, &ne) && ne.Permanent) {
		t.Errorf("Notify to a closed port = %v; want a retryable error", err)
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for _, tt := range []struct {
		name, url string
		secret    []byte
	}{
		{"relative", "/hook", secret},
		{"ftp", "ftp://gw/hook", secret},
		{"no host", "http:///hook", secret},
		{"short secret", "https://gw/hook", []byte("short")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := webhook.New(tt.url, tt.secret, time.Second); !errors.Is(err, webhook.ErrConfig) {
				t.Errorf("New(%q, %d-byte secret) = %v; want ErrConfig", tt.url, len(tt.secret), err)
			}
		})
	}
}
