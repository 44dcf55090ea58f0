package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// loginFrom posts a login as sent through the trusted proxy on loopback for the client address
// client, and returns the status and the Retry-After header. Safe to call from any goroutine.
func loginFrom(t *testing.T, base, client, username, password string) (int, string) {
	req, err := http.NewRequest("POST", base+"/api/v1/sessions",
		strings.NewReader(`{"username":"`+username+`","password":"`+password+`"}`))
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.250, "+client) // the left one is the client's own claim
	res, err := contractClient(t).Do(req)                       // validates the exchange against openapi.json
	if err != nil {
		t.Errorf("POST /sessions: %v", err)
		return 0, ""
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body) //nolint:errcheck // only the status matters
	return res.StatusCode, res.Header.Get("Retry-After")
}

// TestAPILoginThrottle runs a real server behind a trusted proxy (loopback): parallel guesses at one
// account check at most 10 passwords and the owner still logs in from elsewhere; 500 concurrent
// logins keep the heap under 400 MB.
func TestAPILoginThrottle(t *testing.T) {
	s, _ := seededServer(t, "-trusted-proxies", "127.0.0.1/32")

	t.Run("60 parallel guesses at one account", func(t *testing.T) {
		statuses := make([]int, 60)
		var wg sync.WaitGroup
		for i := range statuses {
			password := fmt.Sprintf("guess-%d", i)
			if i == 41 {
				password = demoPassword
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				var retry string
				statuses[i], retry = loginFrom(t, s.url, "198.51.100.1", "retailer2", password)
				if n, err := strconv.Atoi(retry); (statuses[i] == 429 || statuses[i] == 503) && (err != nil || n < 1) {
					t.Errorf("login #%d = %d with Retry-After %q; want whole seconds", i, statuses[i], retry)
				}
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, code := range statuses {
			count[code]++
		}
		// A checked password answers 201 or 401; 503 is a login that found no hashing slot.
		if checked := count[201] + count[401]; checked > 10 || count[429] < 50 || checked+count[429]+count[503] != 60 {
			t.Errorf("60 parallel logins answered %v; want at most 10 checked (201 or 401), at least 50 × 429", count)
		}
		// A 503 gave its attempt back: guess on until the address's budget for the account is spent.
		for i := 0; i < 10; i++ {
			if code, _ := loginFrom(t, s.url, "198.51.100.1", "retailer2", "guess-more"); code == 429 {
				break
			}
		}
		if code, _ := loginFrom(t, s.url, "198.51.100.1", "retailer2", demoPassword); code != 429 {
			t.Errorf("the right password from the guessing address = %d; want 429 (60 answered %v)", code, count)
		}
		if code, _ := loginFrom(t, s.url, "192.0.2.77", "retailer2", demoPassword); code != 201 {
			t.Errorf("the owner from another address = %d; want 201", code)
		}
	})

	t.Run("500 concurrent logins", func(t *testing.T) {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		var peakHeap, peakRSS uint64
		stop, sampled := make(chan struct{}), make(chan struct{})
		go func() { // samples the heap (the server runs in this process) and the process's RSS
			defer close(sampled)
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				peakHeap = max(peakHeap, m.HeapInuse)
				peakRSS = max(peakRSS, rss(t))
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		statuses := make([]int, 500)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() { // distinct names from distinct addresses: no budget refuses them, so all want a hash
				defer wg.Done()
				statuses[i], _ = loginFrom(t, s.url, fmt.Sprintf("10.1.%d.%d", i/250, i%250+1), fmt.Sprintf("visitor%d", i), "a-guess")
			}()
		}
		wg.Wait()
		close(stop)
		<-sampled
		count := map[int]int{}
		for _, code := range statuses {
			count[code]++
		}
		t.Logf("500 concurrent logins: %v; heap in use %d MB before, peak %d MB; peak sampled RSS of the test process %d MB",
			count, before.HeapInuse>>20, peakHeap>>20, peakRSS>>20)
		if count[401]+count[503] != 500 || count[401] == 0 {
			t.Errorf("500 concurrent logins of unknown names answered %v; want only 401 and 503, some 401", count)
		}
		if peakHeap >= 400<<20 {
			t.Errorf("peak heap in use with 500 concurrent logins = %d MB; want under 400 MB", peakHeap>>20)
		}
	})
}

// rss is the process's resident set size in bytes, 0 where /proc is missing.
func rss(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
