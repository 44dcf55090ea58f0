// Package webhook is the ordering domain's adapter to an outside notice gateway (an SMS or WeChat
// gateway) over HTTP: an ordering.Notifier that POSTs each notice as JSON to one URL, signed with
// HMAC-SHA256 under a secret shared with the receiver.
//
// The request carries:
//
//	Content-Type: application/json
//	Idempotency-Key: <the notice's id, the same on every attempt>
//	X-Ordercast-Timestamp: <Unix seconds when the attempt was sent>
//	X-Ordercast-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// and a body {"id","kind","outlet","created_at","message":{"zh-CN","en"},"data":{...}}. A receiver
// checks the signature with Verify (or its own HMAC), refuses a timestamp far from its clock, and
// deduplicates on the id. The answer decides what the sender does: 2xx is delivered; 408, 429 and 5xx,
// like a timeout or a refused connection, are retried (429 and 503 after their Retry-After); any other
// status (4xx, or 3xx: redirects are not followed) is a refusal for good and dead-letters the notice.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ordercast/ordercast/ordering"
)

// Header names of a notice request.
const (
	HeaderTimestamp      = "X-Ordercast-Timestamp"
	HeaderSignature      = "X-Ordercast-Signature"
	HeaderIdempotencyKey = "Idempotency-Key"
)

// MinSecretBytes is the shortest secret New accepts.
const MinSecretBytes = 16

// Errors of Verify and New. Match them with errors.Is.
var (
	// ErrBadSignature: the signature header is missing, malformed, or not the body's under the secret.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrStale: the timestamp is missing or further from the receiver's clock than the tolerance
	// (a replayed request).
	ErrStale = errors.New("webhook: stale timestamp")
	// ErrConfig: the URL or the secret is unusable.
	ErrConfig = errors.New("webhook: invalid configuration")
)

// Body is the JSON a notice is sent as.
type Body struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	Outlet    string            `json:"outlet"`
	CreatedAt time.Time         `json:"created_at"`
	Message   BodyMessage       `json:"message"`
	Data      map[string]string `json:"data"`
}

// BodyMessage is a notice's message in each language.
type BodyMessage struct {
	ZH string `json:"zh-CN"`
	EN string `json:"en"`
}

// Notifier posts notices to a webhook. It is safe for concurrent use.
type Notifier struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

var _ ordering.Notifier = (*Notifier)(nil)

// New returns a Notifier posting to rawURL (http or https) with the shared secret, each request
// bounded by timeout. It returns an error wrapping ErrConfig for a URL that is not absolute http(s),
// or a secret shorter than MinSecretBytes.
func New(rawURL string, secret []byte, timeout time.Duration) (*Notifier, error) {
	if err := ValidateURL(rawURL); err != nil {
		return nil, err
	}
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("%w: the secret has %d bytes; want at least %d", ErrConfig, len(secret), MinSecretBytes)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("%w: timeout %v: must be positive", ErrConfig, timeout)
	}
	return &Notifier{
		url:    rawURL,
		secret: bytes.Clone(secret),
		client: &http.Client{
			Timeout: timeout,
			// A redirect is answered as it is (a refusal): a signed body is not sent elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}, nil
}

// ValidateURL checks that rawURL is an absolute http or https URL; the error wraps ErrConfig.
func ValidateURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: URL %q: want http(s)://host/path", ErrConfig, rawURL)
	}
	return nil
}

// Notify posts the notice. See the package documentation for what each answer means.
func (n *Notifier) Notify(ctx context.Context, notice ordering.Notice, m ordering.Message) error {
	body, err := json.Marshal(Body{
		ID: notice.ID, Kind: string(notice.Kind), Outlet: notice.Outlet, CreatedAt: notice.CreatedAt.UTC(),
		Message: BodyMessage{ZH: m.ZH, EN: m.EN}, Data: notice.Data,
	})
	if err != nil {
		return &ordering.NoticeError{Err: fmt.Errorf("encode notice: %w", err), Permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return &ordering.NoticeError{Err: err, Permanent: true}
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ordercast-notifier")
	req.Header.Set(HeaderIdempotencyKey, notice.ID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(n.secret, ts, body))
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: post notice %s: %w", notice.ID, err) // a timeout, a refused connection: retried
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // drained for keep-alive only
	return Classify(resp.StatusCode, resp.Header.Get("Retry-After"), strings.TrimSpace(string(snippet)), n.now())
}

// Classify turns a webhook's answer into the Notifier's result: nil for 2xx; a retryable
// *ordering.NoticeError for 408, 429 and 5xx (with the wait its Retry-After asks for, in seconds or
// as an HTTP date, relative to now); a permanent one for any other status.
func Classify(status int, retryAfter, body string, now time.Time) error {
	if status >= 200 && status <= 299 {
		return nil
	}
	err := fmt.Errorf("webhook answered %d %s", status, http.StatusText(status))
	if body != "" {
		err = fmt.Errorf("%w: %q", err, body)
	}
	if status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || (status >= 500 && status <= 599) {
		return &ordering.NoticeError{Err: err, RetryAfter: parseRetryAfter(retryAfter, now)}
	}
	return &ordering.NoticeError{Err: err, Permanent: true}
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s > 0 {
		return time.Duration(min(s, math.MaxInt64/int64(time.Second))) * time.Second // s × 10⁹ must not overflow
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Sign returns the signature header's value for body sent at timestamp (Unix seconds, as in the
// timestamp header): "v1=" and the hex HMAC-SHA256 of timestamp + "." + body under secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a received notice: the signature header must be body's under secret with the
// timestamp header, and the timestamp within tolerance of now. It returns an error wrapping
// ErrBadSignature or ErrStale. It compares in constant time.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q: want Unix seconds", ErrStale, HeaderTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: sent %v from now; the tolerance is %v", ErrStale, d.Round(time.Second), tolerance)
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(h.Get(HeaderSignature)), []byte(want)) {
		return ErrBadSignature
	}
	return nil
}
