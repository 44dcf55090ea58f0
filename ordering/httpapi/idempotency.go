package httpapi

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/retailer"
)

// idempotent is the middleware of every POST: the Idempotency-Key header (1 to 200 printable ASCII
// characters, scoped to the user) is required. The first request with a key runs and its response is
// kept for ordering.IdempotencyTTL; the same key and body get that response again (with
// Idempotent-Replayed: true); the same key with another body gets 422; while the first still runs, 409.
// A response of 5xx is not kept, so the request may be retried with the same key.
func (h *Handler) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if !validKey(key) {
			return errKeyRequired
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err // a body over the limit: rendered as 413
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.New()
		io.WriteString(sum, c.Request().Method+" "+c.Request().URL.Path+"\n")
		sum.Write(body)
		p, _ := retailer.PrincipalFrom(c.Request().Context())
		ctx := c.Request().Context()
		stored, err := h.store.BeginIdempotent(ctx, p.UserID, key, sum.Sum(nil), h.now())
		if err != nil {
			return err
		}
		if stored != nil {
			c.Response().Header().Set("Idempotent-Replayed", "true")
			contentType := echo.MIMEApplicationJSON
			if stored.Status >= 400 {
				contentType = "application/problem+json"
			}
			return c.Blob(stored.Status, contentType, stored.Body)
		}
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err) // render now, so that the response is recorded
		}
		status := c.Response().Status
		if status >= 500 {
			return h.store.AbandonIdempotent(ctx, p.UserID, key)
		}
		return h.store.FinishIdempotent(ctx, p.UserID, key, status, rec.body.Bytes())
	}
}

// Idempotent returns the Idempotency-Key middleware, for other domains' POST routes.
func (h *Handler) Idempotent() echo.MiddlewareFunc { return h.idempotent }

var errKeyRequired = errors.New("ordering: Idempotency-Key header required")

func validKey(k string) bool {
	if len(k) == 0 || len(k) > 200 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// recorder keeps a copy of what a handler writes.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
