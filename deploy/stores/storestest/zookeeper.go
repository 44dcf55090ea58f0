package storestest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// zooKeeperJar is the server jar of Debian's zookeeper package; its manifest names the other jars.
const zooKeeperJar = "/usr/share/java/zookeeper.jar"

// ZooKeeper is a private standalone ZooKeeper on a free loopback port, run from Debian's jars as the
// current user, for ClickHouse replicas (StartClickHouseReplicas).
type ZooKeeper struct {
	Port int
	t    testing.TB
	dir  string
	java string
	cmd  *exec.Cmd
	done chan struct{}
}

// StartZooKeeper starts a private ZooKeeper and stops it when the test ends. Without Debian's
// zookeeper package (apt-get install zookeeper; make test installs it) the test is skipped, except
// in CI (the environment variable CI set), where it fails.
func StartZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	SkipShort(t)
	java, err := exec.LookPath("java")
	if _, jarErr := os.Stat(zooKeeperJar); jarErr != nil || err != nil {
		msg := "ZooKeeper is not installed (apt-get install zookeeper, or make test); ClickHouse replicas need it"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	z := &ZooKeeper{t: t, Port: freePort(t), dir: t.TempDir(), java: java}
	cfg := filepath.Join(z.dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`tickTime=500
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok
`, filepath.Join(z.dir, "data"), z.Port)), 0o644); err != nil {
		t.Fatal(err)
	}
	z.Start()
	t.Cleanup(z.Stop)
	return z
}

// Start starts the server (again) on the same port and data, and waits until it answers. Starting a
// running server does nothing: a second process would find the port taken, exit, and leave the
// first one running with nothing to stop it.
func (z *ZooKeeper) Start() {
	z.t.Helper()
	if z.running() {
		return
	}
	log, err := os.OpenFile(filepath.Join(z.dir, "zookeeper.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		z.t.Fatal(err)
	}
	cmd := exec.Command(z.java, "-Xmx128m", "-cp", zooKeeperJar, "org.apache.zookeeper.server.ZooKeeperServerMain",
		filepath.Join(z.dir, "zoo.cfg"))
	cmd.Dir, cmd.Stdout, cmd.Stderr = z.dir, log, log
	if err := cmd.Start(); err != nil {
		z.t.Fatalf("start ZooKeeper: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(done) }() //nolint:errcheck // a stopped server's status says nothing
	z.cmd, z.done = cmd, done
	awaitAnswer(z.t, "ZooKeeper", filepath.Join(z.dir, "zookeeper.log"), done, func() error {
		if !z.answers() {
			return errors.New(`no "imok" to "ruok"`)
		}
		return nil
	})
}

// running reports whether the last server started has not exited.
func (z *ZooKeeper) running() bool {
	if z.done == nil {
		return false
	}
	select {
	case <-z.done:
		return false
	default:
		return true
	}
}

// answers reports whether the server answers its four-letter "ruok" with "imok".
func (z *ZooKeeper) answers() bool {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", z.Port), time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second)) //nolint:errcheck // a failed read says no below
	if _, err := conn.Write([]byte("ruok")); err != nil {
		return false
	}
	buf := make([]byte, 4)
	n, _ := conn.Read(buf)
	return string(buf[:n]) == "imok"
}

// Stop stops the server and waits for it to exit. Stopping a stopped server does nothing.
func (z *ZooKeeper) Stop() {
	if !z.running() {
		return
	}
	z.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	select {
	case <-z.done:
	case <-time.After(20 * time.Second):
		z.cmd.Process.Kill() //nolint:errcheck
		<-z.done
	}
}
