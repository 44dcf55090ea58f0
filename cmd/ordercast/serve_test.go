package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/deploy/stores"
	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a running command.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// served is a running `ordercast serve` started through Run.
type served struct {
	url    string
	stderr *syncBuffer
	stop   func() error // cancels Run's context and returns Run's error
}

// startServe runs `ordercast serve` on a free port with the given extra arguments.
func startServe(t testing.TB, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	errc := make(chan error, 1)
	go func() {
		// No weekly forecast or monthly scoring unless a test asks for them: they would run at start.
		errc <- Run(ctx, append([]string{"serve", "-addr", "127.0.0.1:0", "-log-level", "debug",
			"-forecast-at", "off", "-score-at", "off"}, args...),
			stdout, stderr, getenvFrom(nil))
	}()
	s := &served{stderr: stderr}
	var once sync.Once
	var runErr error
	s.stop = func() error {
		once.Do(func() { cancel(); runErr = <-errc })
		return runErr
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if line, ok := strings.CutPrefix(stdout.String(), "ordercast: serving on "); ok {
			s.url = strings.TrimSpace(line)
			return s
		}
		select {
		case err := <-errc:
			once.Do(func() { cancel(); runErr = err }) // Run has returned: the cleanup's stop must not wait for it again
			t.Fatalf("serve exited before serving: %v\nstderr:\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start within 30s\nstderr:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := contractClient(t).Get(url) // validates exchanges with the API against openapi.json
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return res.StatusCode, string(body)
}

// eventually polls f until it returns true or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestMigrateCommandTwice(t *testing.T) {
	pg, ch := storestest.NewPostgresDSN(t), storestest.NewClickHouseDSN(t)
	stdout, stderr, err := run("migrate", "-pg-dsn", pg, "-ch-dsn", ch)
	if err != nil {
		t.Fatalf("first migrate: %v\n%s", err, stderr)
	}
	if strings.Count(stdout, "applied 0001_init.sql") != 2 {
		t.Errorf("first migrate printed %q; want both stores to apply 0001_init.sql", stdout)
	}
	stdout, stderr, err = run("migrate", "-pg-dsn", pg, "-ch-dsn", ch)
	if err != nil {
		t.Fatalf("second migrate: %v\n%s", err, stderr)
	}
	if strings.Count(stdout, "nothing to do") != 2 {
		t.Errorf("second migrate printed %q; want nothing to do for both stores", stdout)
	}
}

func TestMigrateUnreachableStore(t *testing.T) {
	storestest.SkipShort(t)
	_, _, err := run("migrate", "-pg-dsn", "postgres://u:topsecret@127.0.0.1:1/x?sslmode=disable", "-ch-dsn", storestest.AdminClickHouseDSN())
	if err == nil || !strings.Contains(err.Error(), "postgresql at 127.0.0.1:1/x") || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("migrate with PostgreSQL down = %v; want an error naming postgresql at 127.0.0.1:1/x without the password", err)
	}
}

func TestServeRefusesUnmigratedStores(t *testing.T) {
	pg, ch := storestest.NewPostgresDSN(t), storestest.NewClickHouseDSN(t)
	_, _, err := run("serve", "-addr", "127.0.0.1:0", "-pg-dsn", pg, "-ch-dsn", ch)
	if !errors.Is(err, stores.ErrSchemaBehind) {
		t.Errorf("serve on empty databases = %v; want ErrSchemaBehind (run ordercast migrate)", err)
	}
}

func TestServeEndToEnd(t *testing.T) {
	s := startServe(t, "-pg-dsn", storestest.MigratedPostgresDSN(t), "-ch-dsn", storestest.MigratedClickHouseDSN(t))

	if code, body := get(t, s.url+"/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz = %d %s; want 200", code, body)
	}
	code, body := get(t, s.url+"/readyz")
	if code != http.StatusOK || !strings.Contains(body, `"clickhouse":"ok"`) || !strings.Contains(body, `"postgresql":"ok"`) {
		t.Errorf("GET /readyz = %d %s; want 200 with both stores ok", code, body)
	}
	code, body = get(t, s.url+"/no/such/route/12345")
	var p problem.Body
	if code != http.StatusNotFound || json.Unmarshal([]byte(body), &p) != nil || p.Type != "/problems/not-found" {
		t.Errorf("GET unknown route = %d %s; want a 404 problem", code, body)
	}
	_, metrics := get(t, s.url+"/metrics")
	for _, want := range []string{
		`ordercast_build_info{goversion="`,
		`ordercast_http_requests_total{code="200",method="GET",route="/readyz"} 1`,
		`ordercast_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`ordercast_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		`ordercast_store_up{store="clickhouse"} 1`,
		"go_goroutines", "process_resident_memory_bytes",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(metrics, "route/12345") {
		t.Error("/metrics has a raw path in a label; want route templates only")
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve after cancel = %v; want nil (clean shutdown)", err)
	}
	if !strings.Contains(s.stderr.String(), `"msg":"shut down cleanly"`) {
		t.Errorf("log lacks the clean shutdown line:\n%s", s.stderr)
	}
	// Run has returned, and with it every scheduled job: none may outlive the stores it uses.
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	for _, job := range []string{"(*CycleKeeper).Run", "(*Cleanup).Run", "(*Cutoff).Run", "(*Relay).Run", "serveHTTP"} {
		if bytes.Contains(stacks, []byte(job)) {
			t.Errorf("after serve returned, a goroutine still runs %s:\n%s", job, stacks)
		}
	}
}

// migratedOn creates and migrates the ordercast database on a private ClickHouse server.
func migratedOn(t *testing.T, srv *storestest.ClickHouseServer) string {
	t.Helper()
	dsn := strings.TrimSuffix(srv.DSN(), "/default") + "/ordercast"
	if _, stderr, err := run("migrate", "-pg-dsn", storestest.NewPostgresDSN(t), "-ch-dsn", dsn); err != nil {
		t.Fatalf("migrate private ClickHouse: %v\n%s", err, stderr)
	}
	return dsn
}

// readyz flips to 503 naming ClickHouse when it stops, and back to 200 when it restarts, without
// restarting ordercast.
func TestReadyzFollowsClickHouse(t *testing.T) {
	srv := storestest.StartClickHouseServer(t)
	s := startServe(t, "-pg-dsn", storestest.MigratedPostgresDSN(t), "-ch-dsn", migratedOn(t, srv), "-ready-timeout", "1s")
	if code, body := get(t, s.url+"/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz before the stop = %d %s; want 200", code, body)
	}

	srv.Stop()
	var body string
	eventually(t, 15*time.Second, "readyz answers 503 after ClickHouse stopped", func() bool {
		var code int
		code, body = get(t, s.url+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	var p problem.Body
	if err := json.Unmarshal([]byte(body), &p); err != nil || p.Stores["clickhouse"] != "unavailable" ||
		p.Stores["postgresql"] != "ok" || !strings.Contains(p.Detail, "clickhouse") {
		t.Errorf("GET /readyz with ClickHouse stopped = %s; want a problem naming clickhouse, postgresql ok", body)
	}
	if _, metrics := get(t, s.url+"/metrics"); !strings.Contains(metrics, `ordercast_store_up{store="clickhouse"} 0`) {
		t.Error(`/metrics lacks ordercast_store_up{store="clickhouse"} 0 while ClickHouse is down`)
	}

	srv.Start()
	eventually(t, 30*time.Second, "readyz answers 200 after ClickHouse restarted", func() bool {
		code, _ := get(t, s.url+"/readyz")
		return code == http.StatusOK
	})
}

// SIGTERM during a slow request lets it finish, then the process exits 0. The slow request is a real
// one: /readyz waiting on a frozen ClickHouse (SIGSTOP) until its ready timeout.
func TestSIGTERMLetsInFlightRequestFinish(t *testing.T) {
	srv := storestest.StartClickHouseServer(t)
	chDSN := migratedOn(t, srv)
	cmd, url, stderr := startProcess(t, buildBinary(t), storestest.MigratedPostgresDSN(t), chDSN, "-ready-timeout", "3s")
	if code, _ := get(t, url+"/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz = %d; want 200 before freezing ClickHouse", code)
	}

	srv.Pause()
	defer srv.Resume()
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.Get(url + "/readyz")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		done <- result{res.StatusCode, string(b), err}
	}()
	var metrics string
	eventually(t, 5*time.Second, "the slow request is in flight", func() bool {
		_, metrics = get(t, url+"/metrics")
		return strings.Contains(metrics, "ordercast_http_requests_in_flight 2")
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	r := <-done
	t.Logf("the in-flight request answered %s after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	if r.err != nil || r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, `"clickhouse":"unavailable"`) {
		t.Errorf("in-flight /readyz across SIGTERM = %d %q, %v; want a complete 503 answer", r.code, r.body, r.err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		t.Logf("ordercast exited %s after SIGTERM", time.Since(signalled).Round(time.Millisecond))
		if err != nil {
			t.Errorf("ordercast exit after SIGTERM = %v; want exit 0\nstderr:\n%s", err, stderr)
		}
	case <-time.After(20 * time.Second):
		// What it waits on: SIGQUIT makes the Go runtime print every goroutine's stack to stderr.
		if err := cmd.Process.Signal(syscall.SIGQUIT); err == nil {
			select {
			case <-waitErr:
			case <-time.After(5 * time.Second):
			}
		}
		t.Fatalf("ordercast still running 20s after SIGTERM\nstderr, with its goroutines after SIGQUIT:\n%s", stderr)
	}
	if !strings.Contains(stderr.String(), "shut down cleanly") {
		t.Errorf("log lacks the clean shutdown line:\n%s", stderr)
	}
}

// buildBinary builds the ordercast binary into a temporary folder and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ordercast")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs `bin serve` as a process of its own on a free port of loopback, on the stores of
// the two DSNs, with extra arguments, and returns it once it serves, with its address and its log. The
// test's clean-up kills it.
func startProcess(t *testing.T, bin, pgDSN, chDSN string, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "-addr", "127.0.0.1:0", "-forecast-at", "off", "-score-at", "off"}, args...)...)
	cmd.Env = append(os.Environ(), "ORDERCAST_PG_DSN="+pgDSN, "ORDERCAST_CH_DSN="+chDSN)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) //nolint:errcheck // killed, or already ended
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "ordercast: serving on ")
	if err != nil || !ok {
		t.Fatalf("first line %q, %v; want the serving address\nstderr:\n%s", line, err, stderr)
	}
	go io.Copy(io.Discard, out) //nolint:errcheck // until the process ends
	return cmd, url, stderr
}
