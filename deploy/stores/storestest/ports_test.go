package storestest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The ports given to private servers lie below the ephemeral range, so no outgoing connection takes
// one before its server binds it, and they are free.
func TestFreePortIsBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		port := freePort(t)
		if port >= low {
			t.Errorf("port %d is in the ephemeral range (from %d)", port, low)
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("port %d is not free: %v", port, err)
		}
		ln.Close()
	}
}

func TestLogTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.log")
	if err := os.WriteFile(path, []byte("one\ntwo\nthree\nfour\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := logTail(path, 2); got != "three\nfour" {
		t.Errorf("logTail(2) = %q; want the last two lines", got)
	}
	if got := logTail(path, 10); got != "one\ntwo\nthree\nfour" {
		t.Errorf("logTail(10) = %q; want every line", got)
	}
	if got := logTail(filepath.Join(t.TempDir(), "none.log"), 2); got == "" {
		t.Error("logTail of a missing log is empty; want why")
	}
}

// A port handed out stays reserved until its test ends, for every test process of the machine; a
// reservation left by a killed process is taken over once stale.
func TestReservePort(t *testing.T) {
	port := 10000 + os.Getpid()%20000 // unlikely to be another test's, and not in the ephemeral range
	name := filepath.Join(portsDir(), fmt.Sprint(port))
	os.Remove(name)
	t.Run("held", func(t *testing.T) {
		if !reservePort(t, port) {
			t.Fatal("a free port could not be reserved")
		}
		if reservePort(t, port) {
			t.Error("a reserved port was reserved again")
		}
	})
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatalf("the reservation outlived its test: %v", err)
	}
	// Another process's, fresh: refused; stale: taken over.
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(name) })
	if reservePort(t, port) {
		t.Error("a port another process holds was reserved")
	}
	old := time.Now().Add(-staleReservation - time.Minute)
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}
	if !reservePort(t, port) {
		t.Error("a stale reservation was not taken over")
	}
}

// fatalRecorder is a testing.TB whose Fatalf records its message and ends the goroutine, as
// testing's does, so that a test can see how a helper fails.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// A server that exits before answering fails the start as exited (not after the 60 s), with the end
// of its log; one that answers passes.
func TestAwaitAnswer(t *testing.T) {
	log := filepath.Join(t.TempDir(), "server.log")
	if err := os.WriteFile(log, []byte("starting\nbind: address already in use\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	await := func(done chan struct{}, answer func() error) string {
		rec := &fatalRecorder{TB: t}
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			awaitAnswer(rec, "test server", log, done, answer)
		}()
		<-finished
		return rec.msg
	}
	exited := make(chan struct{})
	close(exited)
	msg := await(exited, func() error { return errors.New("connection refused") })
	if !strings.Contains(msg, "test server exited at start") || !strings.Contains(msg, "address already in use") {
		t.Errorf("a server that exited: %q; want it said, with the log's last lines", msg)
	}
	calls := 0
	if msg := await(make(chan struct{}), func() error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	}); msg != "" || calls != 3 {
		t.Errorf("a server answering at the third try: %q after %d tries; want no failure after 3", msg, calls)
	}
}
