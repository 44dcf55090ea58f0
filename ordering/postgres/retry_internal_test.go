package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRetryable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40P01"}, true},                           // deadlock_detected
		{fmt.Errorf("insert: %w", &pgconn.PgError{Code: "40001"}), true}, // serialization_failure, wrapped
		{&pgconn.PgError{Code: "23505"}, false},                          // unique_violation
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// retried tries again only after a deadlock or a serialization failure, at most attempts times, and
// returns the last attempt's result.
func TestRetried(t *testing.T) {
	deadlock := &pgconn.PgError{Code: "40P01"}
	tests := []struct {
		name      string
		errs      []error // the attempts' errors in turn; nil: success
		wantCalls int
		wantErr   error
	}{
		{"success at once", []error{nil}, 1, nil},
		{"two deadlocks, then success", []error{deadlock, deadlock, nil}, 3, nil},
		{"deadlocks every time", []error{deadlock, deadlock, deadlock, nil}, 3, deadlock},
		{"another error is not retried", []error{errors.New("unique_violation"), nil}, 1, errors.New("unique_violation")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			v, err := retried(3, func() (int, error) {
				err := tt.errs[calls]
				calls++
				return calls, err
			})
			if calls != tt.wantCalls || v != calls {
				t.Errorf("%d attempts, result of attempt %d; want %d attempts and the last one's result", calls, v, tt.wantCalls)
			}
			if (err == nil) != (tt.wantErr == nil) || (err != nil && err.Error() != tt.wantErr.Error()) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
