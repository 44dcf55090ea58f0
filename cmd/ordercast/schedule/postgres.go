package schedule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lockClass is the first key of every job's advisory lock (two-key form, "oc"); the second is the
// hash of the job's name. The two-key and one-key lock spaces do not overlap, so the outbox relay's
// own one-key lock cannot collide with these.
const lockClass = 0x6f63

// Postgres is the Store on the system of record: advisory locks and the job_state and job_runs tables.
type Postgres struct {
	pool      *pgxpool.Pool
	owner     string        // this instance, for the record: host, process
	heartbeat time.Duration // how often a held lock's connection is checked
}

// NewPostgres returns the store; owner names this instance in job_state and job_runs.
func NewPostgres(pool *pgxpool.Pool, owner string) *Postgres {
	return &Postgres{pool: pool, owner: owner, heartbeat: 5 * time.Second}
}

// TryLock takes the job's advisory lock on a connection of its own, held until Release.
func (p *Postgres) TryLock(ctx context.Context, job string) (Lock, bool, error) {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgresql: lock job %s: %w", job, err)
	}
	var ok bool
	err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, lockClass, job).Scan(&ok)
	if err != nil || !ok {
		conn.Release()
		if err != nil {
			return nil, false, fmt.Errorf("postgresql: lock job %s: %w", job, err)
		}
		return nil, false, nil
	}
	l := &pgLock{conn: conn, job: job, owner: p.owner, lost: make(chan struct{}), stop: make(chan struct{})}
	l.wg.Add(1)
	go l.watch(p.heartbeat)
	return l, true, nil
}

// LastSuccess reads the job's last successful pass.
func (p *Postgres) LastSuccess(ctx context.Context, job string) (time.Time, time.Duration, bool, error) {
	var end time.Time
	var ms int64
	err := p.pool.QueryRow(ctx, `SELECT last_success, last_duration_ms FROM job_state WHERE job = $1`, job).
		Scan(&end, &ms)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, 0, false, nil
	}
	if err != nil {
		return time.Time{}, 0, false, fmt.Errorf("postgresql: last success of job %s: %w", job, err)
	}
	return end, time.Duration(ms) * time.Millisecond, true, nil
}

// pgLock is a held advisory lock and its connection. A pgx connection serves one caller at a time:
// mu orders the runner's statements and the heartbeat's pings.
type pgLock struct {
	mu    sync.Mutex
	conn  *pgxpool.Conn
	job   string
	owner string
	lost  chan struct{} // closed when a ping fails
	stop  chan struct{} // closed by Release
	wg    sync.WaitGroup
	once  sync.Once
}

// watch pings the lock's connection every interval until Release; a failed ping means the session,
// and with it the lock, may be gone.
func (l *pgLock) watch(every time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			ctx, cancel := context.WithTimeout(context.Background(), every)
			err := l.conn.Ping(ctx)
			cancel()
			l.mu.Unlock()
			if err != nil {
				close(l.lost)
				return
			}
		}
	}
}

func (l *pgLock) Lost() <-chan struct{} { return l.lost }

func (l *pgLock) LastSlot(ctx context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var slot string
	err := l.conn.QueryRow(ctx, `SELECT last_slot FROM job_state WHERE job = $1`, l.job).Scan(&slot)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgresql: last slot of job %s: %w", l.job, err)
	}
	return slot, nil
}

// Succeeded records the pass on the lock's own session: if that session is gone, so is the lock, and
// the record fails rather than land after another instance took the job over.
func (l *pgLock) Succeeded(ctx context.Context, slot string, end time.Time, took time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO job_state (job, last_slot, last_success, last_duration_ms, last_owner)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (job) DO UPDATE SET
			last_slot = CASE WHEN excluded.last_slot = '' THEN job_state.last_slot ELSE excluded.last_slot END,
			last_success = excluded.last_success, last_duration_ms = excluded.last_duration_ms,
			last_owner = excluded.last_owner`,
		l.job, slot, end, took.Milliseconds(), l.owner)
	if slot != "" {
		b.Queue(`INSERT INTO job_runs (job, slot, owner, started_at, finished_at) VALUES ($1, $2, $3, $4, $5)`,
			l.job, slot, l.owner, end.Add(-took), end)
	}
	tx, err := l.conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgresql: record job %s: %w", l.job, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgresql: record job %s: %w", l.job, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgresql: record job %s: %w", l.job, err)
	}
	return nil
}

// Release stops the heartbeat and gives the lock back with the connection.
func (l *pgLock) Release() {
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		// A fresh context: the caller's may be done, and the lock must go back with the connection.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockClass, l.job); err != nil {
			l.conn.Conn().Close(ctx) //nolint:errcheck // closing the session drops the lock anyway
		}
		l.conn.Release()
	})
}
