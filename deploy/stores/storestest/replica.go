package storestest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// StartReplica makes a streaming replica of s the way deploy/local/replica.sh does, with Debian's own
// tools: pg_basebackup -R copies s's data into a second data folder and writes the standby's
// connection to s, and the copy starts as a hot standby on another free loopback port. It stops when
// the test ends; Stop and Start stop and restart it (it reconnects to s by itself).
func (s *PostgresServer) StartReplica() *PostgresServer {
	s.t.Helper()
	r := &PostgresServer{t: s.t, bin: s.bin, port: freePort(s.t), cred: s.cred, created: s.created}
	dir, err := os.MkdirTemp("", "ordercast-pg-replica-")
	if err != nil {
		s.t.Fatal(err)
	}
	r.dir = dir
	s.t.Cleanup(func() { os.RemoveAll(dir) })
	if r.cred != nil {
		if err := os.Chown(dir, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
			s.t.Fatal(err)
		}
	}
	backup := r.command("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "-U", "ordercast",
		"-D", filepath.Join(dir, "data"), "-R", "-X", "stream", "-c", "fast", "--no-sync")
	if out, err := backup.CombinedOutput(); err != nil {
		s.t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	r.Start()
	s.t.Cleanup(r.Stop)
	return r
}

// DatabaseDSN is the DSN of the server's database db (on a replica, "ordercast" once the primary's
// MigratedDSN has created it).
func (s *PostgresServer) DatabaseDSN(db string) string { return s.dsn(db) }

// PauseReplay stops a replica applying the WAL it receives (pg_wal_replay_pause): it keeps answering,
// with the data as it was, however far the primary moves on. ResumeReplay undoes it.
func (s *PostgresServer) PauseReplay() { s.exec("SELECT pg_wal_replay_pause()") }

// ResumeReplay lets a paused replica apply the WAL it received (pg_wal_replay_resume).
func (s *PostgresServer) ResumeReplay() { s.exec("SELECT pg_wal_replay_resume()") }

func (s *PostgresServer) exec(sql string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
}

// WaitReplayed waits until the replica has applied all the WAL primary had written when it was called,
// so that every transaction committed before the call is visible on the replica.
func (s *PostgresServer) WaitReplayed(primary *PostgresServer) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pc, err := pgx.Connect(ctx, primary.DSN())
	if err != nil {
		s.t.Fatal(err)
	}
	defer pc.Close(ctx)
	var target string
	if err := pc.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&target); err != nil {
		s.t.Fatal(err)
	}
	rc, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		s.t.Fatal(err)
	}
	defer rc.Close(ctx)
	for {
		var done bool
		err := rc.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target).Scan(&done)
		if err != nil {
			s.t.Fatalf("wait for the replica to replay up to %s: %v", target, err)
		}
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
