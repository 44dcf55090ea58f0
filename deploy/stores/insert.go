package stores

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// InsertFlushEvery bounds how long rows wait in an open INSERT: the server gives up on an INSERT that
// sends nothing for a while.
const InsertFlushEvery = 10 * time.Second

// Insertion is one ClickHouse INSERT kept open across blocks, for streaming many rows with bounded
// memory: opened with the first rows, a block sent (Flush) whenever blockRows rows or InsertFlushEvery
// have gathered, ended by Finish. The query names its columns (INSERT INTO t (a, b, c)): on 18.16 an
// INSERT without them, or one through Exec with bound values, does not work. Not safe for concurrent use.
type Insertion struct {
	conn      driver.Conn
	query     string
	blockRows int
	batch     driver.Batch
	done      func() // ends the batch's context (batchContext)
	lastFlush time.Time
	rows      uint64
}

// NewInsertion returns an Insertion of query on conn that sends a block every blockRows rows.
func NewInsertion(conn driver.Conn, query string, blockRows int) *Insertion {
	return &Insertion{conn: conn, query: query, blockRows: blockRows}
}

// Append adds n rows given column by column (one slice a column, in the order of the query's columns).
// On an error the INSERT is aborted and nothing it sent since its last Finish counts as written.
func (in *Insertion) Append(ctx context.Context, n int, columns ...any) error {
	if in.batch == nil {
		bctx, done := batchContext(ctx)
		b, err := in.conn.PrepareBatch(bctx, in.query)
		if err != nil {
			done()
			return err
		}
		in.batch, in.done, in.lastFlush = b, done, time.Now()
	}
	for i, col := range columns {
		if err := in.batch.Column(i).Append(col); err != nil {
			in.Abort()
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	in.rows += uint64(n)
	if in.batch.Rows() >= in.blockRows || time.Since(in.lastFlush) >= InsertFlushEvery {
		if err := in.batch.Flush(); err != nil {
			in.Abort()
			return err
		}
		in.lastFlush = time.Now()
	}
	return nil
}

// Rows returns how many rows were appended.
func (in *Insertion) Rows() uint64 { return in.rows }

// Finish sends what is left and ends the INSERT. Finishing an Insertion with no rows does nothing.
func (in *Insertion) Finish() error {
	if in.batch == nil {
		return nil
	}
	b := in.batch
	in.batch = nil
	err := b.Send()
	b.Close()
	in.done()
	return err
}

// Abort drops the INSERT.
func (in *Insertion) Abort() {
	if in.batch != nil {
		in.batch.Abort() //nolint:errcheck // the connection is dropped either way
		in.batch.Close()
		in.done()
		in.batch = nil
	}
}

// batchContext returns the context to prepare a batch with: ctx cancels it only until done is called.
// clickhouse-go closes a batch's connection when the batch's context ends, and its watchdog may still
// do so after Send has returned the connection to the pool, closing it under its next user ("use of
// closed network connection"); a caller that cancels its context once an INSERT has returned is
// common. A context that nothing cancels after done keeps pooled connections whole.
func batchContext(ctx context.Context) (bctx context.Context, done func()) {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	return bctx, func() { stop() }
}

// InsertColumns inserts columns (one slice a column) with one INSERT naming its columns.
func InsertColumns(ctx context.Context, conn driver.Conn, query string, columns ...any) error {
	bctx, done := batchContext(ctx)
	defer done()
	b, err := conn.PrepareBatch(bctx, query)
	if err != nil {
		return err
	}
	defer b.Close()
	for i, col := range columns {
		if err := b.Column(i).Append(col); err != nil {
			b.Abort() //nolint:errcheck // reported below
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return b.Send()
}
