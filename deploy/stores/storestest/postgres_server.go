package storestest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordercast/ordercast/deploy/stores"
)

// PostgresServer is a private PostgreSQL server (Debian's postgresql package) on a free loopback port,
// for tests of what happens when PostgreSQL stops or restarts under ordercast. As root it runs as the
// postgres user, as PostgreSQL requires. Its data lives in a temporary folder removed at the end.
type PostgresServer struct {
	t       testing.TB
	dir     string
	bin     string
	port    int
	cred    *syscall.Credential // nil: as this process's user
	cmd     *exec.Cmd
	done    chan struct{}
	created bool
}

// StartPostgresServer initialises and starts a private server, and stops it when the test ends.
func StartPostgresServer(t testing.TB) *PostgresServer {
	t.Helper()
	SkipShort(t)
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		t.Fatalf("PostgreSQL is not installed; %s", howToStart)
	}
	sort.Strings(bins) // the newest major last (one digit or two: 15, 16 sort as text alike)
	s := &PostgresServer{t: t, bin: filepath.Dir(bins[len(bins)-1]), port: freePort(t)}
	dir, err := os.MkdirTemp("", "ordercast-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	initdb := s.command("initdb", "-D", filepath.Join(dir, "data"), "-U", "ordercast", "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

func (s *PostgresServer) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

// DSN is the DSN of the server's postgres database.
func (s *PostgresServer) DSN() string { return s.dsn("postgres") }

func (s *PostgresServer) dsn(db string) string {
	return fmt.Sprintf("postgres://ordercast@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// MigratedDSN creates the database ordercast, applies every migration and returns its DSN.
func (s *PostgresServer) MigratedDSN() string {
	s.t.Helper()
	ctx := context.Background()
	if !s.created {
		conn, err := pgx.Connect(ctx, s.DSN())
		if err != nil {
			s.t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE DATABASE ordercast"); err != nil {
			s.t.Fatal(err)
		}
		s.created = true
	}
	migrations, err := stores.PostgresMigrations()
	if err != nil {
		s.t.Fatal(err)
	}
	pool := OpenPostgres(s.t, s.dsn("ordercast"))
	if _, err := stores.MigratePostgres(ctx, pool, migrations); err != nil {
		s.t.Fatalf("migrate the private PostgreSQL: %v", err)
	}
	return s.dsn("ordercast")
}

// Start starts the server (again) on the same port and data, and waits until it answers.
func (s *PostgresServer) Start() {
	s.t.Helper()
	cmd := s.command("postgres", "-D", filepath.Join(s.dir, "data"), "-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir, "-c", "fsync=off",
		"-c", "max_connections=200")
	log, err := os.OpenFile(filepath.Join(s.dir, "postgresql.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start postgres: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(s.done) }() //nolint:errcheck // a stopped server's status says nothing
	awaitAnswer(s.t, "private postgres", filepath.Join(s.dir, "postgresql.log"), s.done, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, s.DSN())
		if err == nil {
			conn.Close(context.Background())
		}
		return err
	})
}

// Stop shuts the server down at once (SIGQUIT, PostgreSQL's immediate shutdown: connections are cut
// and the next start recovers from the log, as after a crash) and waits for it to exit. Stopping a
// stopped server does nothing.
func (s *PostgresServer) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGQUIT) //nolint:errcheck
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill() //nolint:errcheck
		<-s.done
	}
}
