package storestest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores"
)

// ClickHouseServer is a private clickhouse-server process on free loopback ports, for tests of what
// happens when ClickHouse stops, restarts or stops answering. It uses deploy/local's config template.
type ClickHouseServer struct {
	t       testing.TB
	dir     string
	tcpPort int
	cmd     *exec.Cmd
	done    chan struct{}
}

// StartClickHouseServer starts a private server and stops it when the test ends.
func StartClickHouseServer(t testing.TB) *ClickHouseServer {
	t.Helper()
	SkipShort(t)
	s := newClickHouseServer(t, freePort(t), "")
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// newClickHouseServer writes the config of a private server on tcpPort, with remoteServers (a
// <remote_servers> block and, for replicas, the zookeeper, macros and interserver settings; or
// nothing) in it, and returns the server, not started.
func newClickHouseServer(t testing.TB, tcpPort int, remoteServers string) *ClickHouseServer {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		bin = "/usr/sbin/clickhouse-server"
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("clickhouse-server is not installed; %s", howToStart)
		}
	}
	_, file, _, _ := runtime.Caller(0)
	tmpl, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "local", "clickhouse.xml.in"))
	if err != nil {
		t.Fatalf("read ClickHouse config template: %v", err)
	}
	dir := t.TempDir()
	s := &ClickHouseServer{t: t, dir: dir, tcpPort: tcpPort}
	config := strings.NewReplacer(
		"@LOG_DIR@", dir, "@DATA_DIR@", filepath.Join(dir, "data"),
		"@TCP_PORT@", fmt.Sprint(s.tcpPort), "@HTTP_PORT@", fmt.Sprint(freePort(t)),
		"@CONFIG_FILE@", filepath.Join(dir, "config.xml"), "@REMOTE_SERVERS@", remoteServers,
	).Replace(string(tmpl))
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "--config-file="+filepath.Join(dir, "config.xml"))
	return s
}

// DSN is the server's DSN, on its default database.
func (s *ClickHouseServer) DSN() string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/default", s.tcpPort)
}

// MigratedDSN creates the database ordercast on the server, applies every migration to it and
// returns its DSN.
func (s *ClickHouseServer) MigratedDSN() string {
	s.t.Helper()
	ctx := context.Background()
	dsn := strings.TrimSuffix(s.DSN(), "/default") + "/ordercast"
	if err := stores.CreateClickHouseDatabase(ctx, dsn); err != nil {
		s.t.Fatal(err)
	}
	migrations, err := stores.ClickHouseMigrations()
	if err != nil {
		s.t.Fatal(err)
	}
	conn := OpenClickHouse(s.t, dsn)
	if _, err := stores.MigrateClickHouse(ctx, conn, migrations); err != nil {
		s.t.Fatalf("migrate the private ClickHouse: %v", err)
	}
	return dsn
}

// Start starts the server (again) on the same ports and data, and waits until it answers.
func (s *ClickHouseServer) Start() {
	s.t.Helper()
	cmd := exec.Command(s.cmd.Path, s.cmd.Args[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "MALLOC_CONF=thp:always") // as deploy/local/up.sh starts it
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start clickhouse-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }() //nolint:errcheck // the exit status of a stopped server says nothing
	awaitAnswer(s.t, "private clickhouse-server", filepath.Join(s.dir, "clickhouse.err.log"), s.done, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn, err := stores.OpenClickHouse(ctx, s.DSN())
		if err == nil {
			conn.Close()
		}
		return err
	})
}

// Stop stops the server and waits for it to exit. Stopping a stopped server does nothing.
func (s *ClickHouseServer) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGCONT) //nolint:errcheck // in case it was paused
	s.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill() //nolint:errcheck
		<-s.done
	}
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing answers, like a hung store.
// It returns once every thread of the server is stopped, so nothing is answered after it returns.
func (s *ClickHouseServer) Pause() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		s.t.Fatalf("pause clickhouse-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !allThreadsStopped(s.cmd.Process.Pid) {
		if time.Now().After(deadline) {
			s.t.Fatal("clickhouse-server did not stop within 10s of SIGSTOP")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// allThreadsStopped reports whether every thread of pid is in the stopped state (T in /proc).
func allThreadsStopped(pid int) bool {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(tasks) == 0 {
		return false
	}
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			return false
		}
		// The state follows the parenthesised command name: "pid (comm) S ...".
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 || i+2 >= len(b) || (b[i+2] != 'T' && b[i+2] != 't') {
			return false
		}
	}
	return true
}

// Resume undoes Pause.
func (s *ClickHouseServer) Resume() { s.cmd.Process.Signal(syscall.SIGCONT) } //nolint:errcheck

// DatabaseDSN is the server's DSN on the database that dsn (of any server) names.
func (s *ClickHouseServer) DatabaseDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		s.t.Fatalf("parse %s: %v", dsn, err)
	}
	return strings.TrimSuffix(s.DSN(), "/default") + u.Path
}
