package storestest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freePort returns a loopback port that nothing listens on, for a private server to listen on, and
// reserves it until the test ends (reservePort). The port is chosen below the kernel's ephemeral
// range (ip_local_port_range), where the kernel picks the source ports of outgoing connections: a
// cluster's ports are all chosen before its first server starts, and a port in that range could
// meanwhile become the source port of any connection made on the machine (by the servers already
// started, or by tests running alongside), and the server meant for it would fail to bind.
func freePort(t testing.TB) int {
	t.Helper()
	low := ephemeralLow()
	const first = 10000
	if low-first >= 1000 {
		for range 100 {
			port := first + rand.IntN(low-first)
			if !reservePort(t, port) {
				continue
			}
			if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				ln.Close()
				return port
			}
		}
	}
	// No room below the range, or no free port found there: one from the range.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// portsDir holds a file per port that freePort has handed out and whose test has not ended, shared
// by the test processes of the machine (go test runs several packages at once).
func portsDir() string { return filepath.Join(os.TempDir(), "ordercast-test-ports") }

// staleReservation is the age past which a port's reservation is taken for one left by a test
// process that was killed: no test holds a private server that long.
const staleReservation = 2 * time.Hour

// reservePort reserves port for the rest of t, and reports whether it could: not when another test
// (of this process or another) holds it. Between the moment a port is found free and the moment its
// server binds it, possibly seconds later for a cluster's last server, another test process could
// find the same port free and hand it to its own server.
func reservePort(t testing.TB, port int) bool {
	dir := portsDir()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return true // no shared directory: the bind check alone
	}
	name := filepath.Join(dir, strconv.Itoa(port))
	for range 2 {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			t.Cleanup(func() { os.Remove(name) })
			return true
		}
		if !errors.Is(err, fs.ErrExist) {
			return true
		}
		if info, err := os.Stat(name); err != nil || time.Since(info.ModTime()) < staleReservation {
			return false
		}
		os.Remove(name) // a killed test's: try once more
	}
	return false
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768 when it cannot be read).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		fmt.Sscan(string(b), &low) //nolint:errcheck // the default stands when the file is odd
	}
	return low
}

// awaitAnswer waits until a server just started answers (answer returns nil), trying every 100 ms.
// It fails t at once when the server exits first (done is closed), and after 60 s otherwise, with
// the last lines of the server's log (the file at log) in the message: a server that cannot bind its
// port, say, exits within a second and says why there.
func awaitAnswer(t testing.TB, what, log string, done <-chan struct{}, answer func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := answer()
		if err == nil {
			return
		}
		select {
		case <-done:
			t.Fatalf("%s exited at start (log %s):\n%s", what, log, logTail(log, 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within 60s: %v (log %s):\n%s", what, err, log, logTail(log, 20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logTail is the last n lines of the log at path, for the message of a server that failed to start.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(string(bytes.TrimRight(b, "\n")), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
