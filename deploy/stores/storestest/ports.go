package storestest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"testing"
)

// freePort returns a loopback port that nothing listens on, for a private server to listen on. The
// port is chosen below the kernel's ephemeral range (ip_local_port_range), where the kernel picks
// the source ports of outgoing connections: a cluster's ports are all chosen before its first server
// starts, and a port in that range could meanwhile become the source port of any connection made on
// the machine (by the servers already started, or by tests running alongside), and the server meant
// for it would fail to bind.
func freePort(t testing.TB) int {
	t.Helper()
	low := ephemeralLow()
	const first = 10000
	if low-first >= 1000 {
		for range 100 {
			port := first + rand.IntN(low-first)
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

// ephemeralLow is the first port of the kernel's ephemeral range (32768 when it cannot be read).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		fmt.Sscan(string(b), &low) //nolint:errcheck // the default stands when the file is odd
	}
	return low
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
