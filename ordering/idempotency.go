package ordering

import (
	"errors"
	"time"
)

// Errors of idempotency keys.
var (
	// ErrIdempotencyKeyReused: the key was used before with another request body.
	ErrIdempotencyKeyReused = errors.New("ordering: idempotency key reused with another request")
	// ErrIdempotencyInFlight: the first request with the key is still being processed. It comes as an
	// *InFlightError, which says when to try again.
	ErrIdempotencyInFlight = errors.New("ordering: a request with this idempotency key is in progress")
	// ErrIdempotencyKeyHeld: a request that claims its key in its own transaction (PlaceOptions.Key)
	// found the key already held, answered or claimed, and wrote nothing; the caller looks at the key
	// as BeginIdempotent does (a response to replay, a request in progress, another body).
	ErrIdempotencyKeyHeld = errors.New("ordering: idempotency key already held")
)

// IdempotencyTTL is how long a key and its response are kept.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyLease is how long a running request holds its key. A retry after the lease, when the
// request committed nothing, takes the key over and runs: the instance that ran the first attempt
// crashed, or its client hung up and it failed to let the key go.
const IdempotencyLease = 10 * time.Second

// InFlightError is ErrIdempotencyInFlight with the time left on the running request's lease.
type InFlightError struct {
	Wait time.Duration
}

func (e *InFlightError) Error() string { return ErrIdempotencyInFlight.Error() }
func (e *InFlightError) Unwrap() error { return ErrIdempotencyInFlight }

// RetryAfter is when the key's lease ends, at least a second from now.
func (e *InFlightError) RetryAfter() time.Duration { return max(e.Wait, time.Second) }

// StoredResponse is the response to the first request with an idempotency key, replayed for repeats.
type StoredResponse struct {
	Status int
	Body   []byte
}

// IdempotencyClaim is one running request's hold on its key: Token tells this attempt from a retry
// that took the key over after its lease.
type IdempotencyClaim struct {
	UserID int64
	Key    string
	Token  string
}

// IdempotencyKey is a request's Idempotency-Key, not yet claimed: the user it is scoped to, the key,
// and the hash of the request (method, path and body) that a repeat must match.
type IdempotencyKey struct {
	UserID int64
	Key    string
	Hash   []byte
}

// Begun is what claiming an idempotency key found. Exactly one of three holds:
//   - Stored is set: the key was answered; replay Stored.
//   - Committed is set: an attempt with the key committed this order and did not answer (its instance
//     crashed, or its client hung up); the caller holds Claim, renders Committed with Status (201 for
//     an order created, 200 for one replaced) and finishes the claim with that response.
//   - neither: the caller holds Claim and runs the request, then finishes or abandons the claim.
type Begun struct {
	Claim     IdempotencyClaim
	Stored    *StoredResponse
	Committed *Order
	Status    int
}
