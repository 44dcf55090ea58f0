package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// finishTimeout bounds storing a response, or letting a key go, after the request is served: it
// runs on a context the client cannot cancel, so that a client that hangs up does not leave its key
// running.
const finishTimeout = 5 * time.Second

// idempotent is the middleware of every POST: the Idempotency-Key header (1 to 200 printable ASCII
// characters, scoped to the user) is required. The first request with a key runs and its response is
// kept for ordering.IdempotencyTTL; the same key and body get that response again (with
// Idempotent-Replayed: true); the same key with another body gets 422. While the first still runs,
// within its lease (ordering.IdempotencyLease), a repeat gets 409 with Retry-After.
//
// A response of 5xx is not kept, so the request may be retried with the same key at once. An attempt
// that never finishes (its instance crashed) holds the key until its lease passes. A retry then finds
// one of two things. When the attempt placed an order, the order's transaction recorded it on the key,
// and the retry answers with that order as it is now, rendered as placing it does, with the status
// placing it answered (201 or 200), and keeps that response. When nothing committed, the retry takes
// the key over and runs the request; the order's transaction of an attempt that lost its key fails,
// so the two never both place. A route whose handler records nothing on the key runs again after the
// lease, and its domain keeps the repeat harmless: an allocation publishes the same plan again; a
// delivery that committed answers 409 order-state-conflict (the order is delivered) and is not
// applied twice.
func (h *Handler) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := h.requestKey(c)
		if err != nil {
			return err
		}
		begun, err := h.claim(c, key)
		if err != nil {
			return err
		}
		return h.answer(c, begun, next)
	}
}

// idempotentInTx is idempotent for a handler whose store claims the key in the transaction of the
// request's effect and keeps the response there (placeOrder: ordering.PlaceOptions.Key): the order, its
// key and the response to replay are one commit instead of three, and a request that was not answered
// (a crash, a client gone) left nothing on its key, so its retry runs afresh. The handler finds the key
// with keyOf. What a repeat sees is as with idempotent:
//   - While the first request runs, its transaction holds the key: a repeat gets 409 with Retry-After.
//   - When the handler's store finds the key already held (ordering.ErrIdempotencyKeyHeld: answered,
//     or claimed by a request that went the idempotent way), nothing was written, and the request goes
//     the idempotent way: a replay, 409, 422 for another body, or a run under a claim.
//   - A request refused or failed (any other error) wrote nothing either: the key is then claimed, and
//     the refusal kept, as idempotent does (a 5xx lets the key go); if another request answered on the
//     key meanwhile, that answer is replayed instead.
func (h *Handler) idempotentInTx(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, err := h.requestKey(c)
		if err != nil {
			return err
		}
		c.Set(keyKey, key)
		err = next(c)
		c.Set(keyKey, nil)
		switch {
		case err == nil:
			return nil // the handler answered with the response its transaction kept on the key
		case errors.Is(err, ordering.ErrIdempotencyInFlight):
			return err
		case errors.Is(err, ordering.ErrIdempotencyKeyHeld):
			begun, err := h.claim(c, key)
			if err != nil {
				return err
			}
			c.Request().Body = io.NopCloser(bytes.NewReader(key.body))
			return h.answer(c, begun, next)
		}
		begun, cerr := h.claim(c, key)
		if cerr != nil {
			return cerr
		}
		return h.answer(c, begun, func(echo.Context) error { return err })
	}
}

// requestKey is the request's Idempotency-Key, checked, with the hash of the request; it reads the
// body and leaves a copy to read in its place.
func (h *Handler) requestKey(c echo.Context) (requestKey, error) {
	key := c.Request().Header.Get("Idempotency-Key")
	if !validKey(key) {
		return requestKey{}, errKeyRequired
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return requestKey{}, err // a body over the limit: rendered as 413
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.New()
	io.WriteString(sum, c.Request().Method+" "+c.Request().URL.Path+"\n")
	sum.Write(body)
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	return requestKey{IdempotencyKey: ordering.IdempotencyKey{UserID: p.UserID, Key: key, Hash: sum.Sum(nil)}, body: body}, nil
}

// requestKey is a request's key and its body.
type requestKey struct {
	ordering.IdempotencyKey
	body []byte
}

// claim claims the request's key in a statement of its own.
func (h *Handler) claim(c echo.Context, key requestKey) (ordering.Begun, error) {
	// The claim is taken on a context the client cannot cancel: a client hanging up mid-claim would
	// otherwise leave a claim that committed while this request saw an error, held for a lease.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), finishTimeout)
	defer cancel()
	return h.store.BeginIdempotent(cctx, key.UserID, key.Key, key.Hash, h.now())
}

// answer answers a request whose key claim found begun: it replays a stored response, or renders an
// order an attempt committed, or runs next under the claim; then it keeps the response on the key, or
// lets the key go after a 5xx.
func (h *Handler) answer(c echo.Context, begun ordering.Begun, next echo.HandlerFunc) error {
	if begun.Stored != nil {
		c.Response().Header().Del("ETag") // set by a refused attempt of this request: a replay has none
		c.Response().Header().Set("Idempotent-Replayed", "true")
		contentType := echo.MIMEApplicationJSON
		if begun.Stored.Status >= 400 {
			contentType = "application/problem+json"
		}
		return c.Blob(begun.Stored.Status, contentType, begun.Stored.Body)
	}
	rec := &recorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	if begun.Committed != nil {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		c.JSON(begun.Status, orderOf(*begun.Committed)) //nolint:errcheck // a client gone still gets its response kept
	} else {
		c.Set(claimKey, begun.Claim)
		if err := next(c); err != nil {
			c.Error(err) // render now, so that the response is recorded
		}
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), finishTimeout)
	defer cancel()
	status := c.Response().Status
	if status >= 500 {
		return h.store.AbandonIdempotent(fctx, begun.Claim)
	}
	return h.store.FinishIdempotent(fctx, begun.Claim, status, rec.body.Bytes())
}

// claimKey is where the middleware keeps the request's claim in echo's context, for a handler whose
// store records its effect on the key in the same transaction (placeOrder: PlaceOptions.Claim).
const claimKey = "ordering.idempotency.claim"

// claimOf returns the claim the request runs under, if any.
func claimOf(c echo.Context) *ordering.IdempotencyClaim {
	if claim, ok := c.Get(claimKey).(ordering.IdempotencyClaim); ok {
		return &claim
	}
	return nil
}

// keyKey is where idempotentInTx keeps the request's key in echo's context, for a handler whose store
// claims it in the transaction of the request's effect.
const keyKey = "ordering.idempotency.key"

// keyOf returns the key the request runs under, to be claimed in the transaction of its effect, if any.
func keyOf(c echo.Context) *ordering.IdempotencyKey {
	if k, ok := c.Get(keyKey).(requestKey); ok {
		return &k.IdempotencyKey
	}
	return nil
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
