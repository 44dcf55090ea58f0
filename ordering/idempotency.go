package ordering

import (
	"errors"
	"time"
)

// Errors of idempotency keys.
var (
	// ErrIdempotencyKeyReused: the key was used before with another request body.
	ErrIdempotencyKeyReused = errors.New("ordering: idempotency key reused with another request")
	// ErrIdempotencyInFlight: the first request with the key is still being processed.
	ErrIdempotencyInFlight = errors.New("ordering: a request with this idempotency key is in progress")
)

// IdempotencyTTL is how long a key and its response are kept.
const IdempotencyTTL = 24 * time.Hour

// StoredResponse is the response to the first request with an idempotency key, replayed for repeats.
type StoredResponse struct {
	Status int
	Body   []byte
}
