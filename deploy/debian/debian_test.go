package debian

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPackageInstallsAndServes(t *testing.T) {
	storestest.SkipShort(t)
	deb := strings.TrimSpace(run(t, "./build.sh", "-o", t.TempDir(), "-v", "0.0~test1"))
	contents := run(t, "dpkg-deb", "--contents", deb)
	for _, path := range []string{"./usr/bin/ordercast", "./lib/systemd/system/ordercast.service",
		"./etc/ordercast/ordercast.env", "./usr/share/doc/ordercast/README.md"} {
		if !strings.Contains(contents, path+"\n") {
			t.Errorf("package lacks %s:\n%s", path, contents)
		}
	}
	if info := run(t, "dpkg-deb", "--info", deb); !strings.Contains(info, "Version: 0.0~test1") ||
		!strings.Contains(info, "conffiles") {
		t.Errorf("package control:\n%s", info)
	}
	if os.Geteuid() != 0 {
		t.Skip("installing a package needs root (CI runs as root)")
	}
	run(t, "dpkg", "-i", deb)
	t.Cleanup(func() {
		if out, err := exec.Command("dpkg", "--purge", "ordercast").CombinedOutput(); err != nil {
			t.Errorf("dpkg --purge: %v\n%s", err, out)
		}
		if _, err := os.Stat("/usr/bin/ordercast"); !os.IsNotExist(err) {
			t.Errorf("/usr/bin/ordercast after purge: %v; want gone", err)
		}
		if _, err := user.Lookup("ordercast"); err == nil {
			t.Error("user ordercast still there after purge")
		}
	})
	if out := run(t, "/usr/bin/ordercast", "version"); !strings.Contains(out, "0.0~test1") {
		t.Errorf("ordercast version = %q; want the package's version", out)
	}
	account, err := user.Lookup("ordercast")
	if err != nil {
		t.Fatalf("the package made no ordercast user: %v", err)
	}
	if fi, err := os.Stat("/etc/ordercast/credentials"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("/etc/ordercast/credentials: %v, %v; want a folder of mode 0700", fi, err)
	}
	// systemd's own check of the installed unit (it runs without systemd as PID 1).
	if out, err := exec.Command("systemd-analyze", "verify", "/lib/systemd/system/ordercast.service").CombinedOutput(); err != nil &&
		!strings.Contains(string(out), "Failed to load credential") { // the credentials are the site's to write
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	// Start the service as its unit would: as user ordercast, configured by /etc/ordercast/ordercast.env,
	// its DSNs in credential files (systemd hands the service copies it may read).
	uid, _ := strconv.Atoi(account.Uid)
	gid, _ := strconv.Atoi(account.Gid)
	creds, err := os.MkdirTemp("", "ordercast-credentials-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(creds) })
	for name, dsn := range map[string]string{"pg-dsn": storestest.MigratedPostgresDSN(t), "ch-dsn": storestest.MigratedClickHouseDSN(t)} {
		path := filepath.Join(creds, name)
		if err := os.WriteFile(path, []byte(dsn+"\n"), 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(creds, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/usr/bin:/bin", "ORDERCAST_PG_DSN_FILE=" + filepath.Join(creds, "pg-dsn"),
		"ORDERCAST_CH_DSN_FILE=" + filepath.Join(creds, "ch-dsn")}
	env = append(env, environmentFile(t, "/etc/ordercast/ordercast.env")...)
	env = append(env, "ORDERCAST_ADDR=127.0.0.1:0", "ORDERCAST_FORECAST_AT=off", "ORDERCAST_SCORE_AT=off")
	cmd := exec.Command("/usr/bin/ordercast", "serve")
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() }) //nolint:errcheck // ended already, or killed
	line, err := bufio.NewReader(stdout).ReadString('\n')
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "ordercast: serving on ")
	if err != nil || !ok {
		cmd.Wait() //nolint:errcheck
		t.Fatalf("installed ordercast did not serve: %q, %v\nstderr:\n%s", line, err, stderr.String())
	}
	res, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/readyz of the installed service = %d; want 200", res.StatusCode)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; want 0\n%s", err, stderr.String())
		}
	case <-time.After(45 * time.Second): // the unit's TimeoutStopSec
		t.Fatalf("still running 45 s after SIGTERM\n%s", stderr.String())
	}
}

// environmentFile reads a systemd EnvironmentFile: KEY=VALUE lines, # comments, values optionally in
// double quotes.
func environmentFile(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is not KEY=VALUE", path, line)
		}
		env = append(env, key+"="+strings.Trim(value, `"`))
	}
	return env
}
