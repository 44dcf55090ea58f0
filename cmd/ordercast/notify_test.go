package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/ordering/webhook"
)

func TestNotifyConfig(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("  a-secret-of-enough-bytes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    func(serveConfig) bool
		wantErr string
	}{
		{"defaults: log notices, remind 6h ahead", nil, nil, func(c serveConfig) bool {
			return c.NotifyWebhook == "" && c.ReminderLead == 6*time.Hour && c.NotifyTimeout == 10*time.Second &&
				c.NotifyAttempts == 10 && c.NotifyWorkers == 8
		}, ""},
		{"webhook with a secret file", nil, []string{"-notify-webhook", "https://gw.example/hook", "-notify-secret-file", secretFile,
			"-reminder-lead", "3h"}, func(c serveConfig) bool {
			return c.NotifyWebhook == "https://gw.example/hook" && c.ReminderLead == 3*time.Hour
		}, ""},
		{"webhook with the secret in the environment", map[string]string{"ORDERCAST_NOTIFY_WEBHOOK": "http://127.0.0.1:9/h",
			"ORDERCAST_NOTIFY_SECRET": "a-secret-of-enough-bytes"}, nil, func(c serveConfig) bool { return c.NotifyWebhook != "" }, ""},
		{"webhook without a secret", nil, []string{"-notify-webhook", "https://gw.example/hook"}, nil, "needs a secret"},
		{"webhook not http", nil, []string{"-notify-webhook", "gw.example/hook", "-notify-secret-file", secretFile}, nil, "-notify-webhook"},
		{"bad lead", map[string]string{"ORDERCAST_REMINDER_LEAD": "soon"}, nil, nil, "ORDERCAST_REMINDER_LEAD"},
		{"no attempts", nil, []string{"-notify-attempts", "0"}, nil, "-notify-attempts"},
		{"no workers", map[string]string{"ORDERCAST_NOTIFY_WORKERS": "0"}, nil, nil, "-notify-workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var cfg serveConfig
			envErr := cfg.register(fs, getenvFrom(tt.env))
			err := fs.Parse(tt.args)
			if err == nil {
				err = errors.Join(envErr, cfg.validate())
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("config error = %v; want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.want(cfg) {
				t.Fatalf("config = %+v, %v", cfg.notifyConfig, err)
			}
			if cfg.NotifyWebhook != "" {
				if n, err := cfg.notifier(slog.New(slog.DiscardHandler)); err != nil || n == nil {
					t.Errorf("notifier() = %v, %v; want the webhook", n, err)
				}
			}
		})
	}
}

// serve sends a notice caused through the API (a limit published) to a webhook, signed, once; the
// metrics count it.
func TestNotificationsEndToEnd(t *testing.T) {
	secret := []byte("end-to-end-secret-0123")
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]webhook.Body{}
	bad := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if webhook.Verify(secret, r.Header, body, time.Now(), time.Minute) != nil {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b webhook.Body
		json.Unmarshal(body, &b) //nolint:errcheck // an empty body shows in the checks below
		got[b.ID] = append(got[b.ID], b)
	}))
	defer hook.Close()

	s, _ := seededServer(t, "-notify-webhook", hook.URL, "-notify-secret-file", secretFile, "-notify-interval", "100ms")
	anon := apiClient{t: t, base: s.url}
	r1, planner := anon.login("retailer1", demoPassword), anon.login("planner", demoPassword)
	_, me, _ := r1.do("GET", "/api/v1/me", "")
	licence := me["outlet"].(map[string]any)["licence"].(string)
	_, cat, _ := r1.do("GET", "/api/v1/outlets/"+jsonNumber(me["outlet"].(map[string]any)["id"])+"/catalogue", "")
	week := cat["cycle"].(string)
	brand := cat["lines"].([]any)[0].(map[string]any)["brand"].(string)
	supply := fmt.Sprintf(`{"plan":[{"brand":%q,"supply_cartons":100}],"limits":[{"outlet":%q,"brand":%q,"cartons":7,"explanation":"grade limit"}]}`,
		brand, licence, brand)
	if code, _, raw := planner.do("PUT", "/api/v1/cycles/"+week+"/supply", supply); code != http.StatusOK {
		t.Fatalf("PUT supply = %d %s", code, raw)
	}
	var limit webhook.Body
	eventually(t, 20*time.Second, "the new limit's notice at the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for id, bs := range got {
			if strings.HasPrefix(id, "new_limit:"+week+":"+brand+":") && bs[0].Outlet == licence {
				limit = bs[0]
				return true
			}
		}
		return false
	})
	mu.Lock()
	n := len(got[limit.ID])
	mu.Unlock()
	if n != 1 || bad != 0 || limit.Kind != string(ordering.NewLimit) || limit.Data["cartons"] != "7" ||
		!strings.Contains(limit.Message.ZH, "限量为 7 条") || !strings.Contains(limit.Message.EN, "up to 7 cartons") {
		t.Errorf("the webhook got %+v %d times (%d badly signed); want the new limit of 7, once, signed", limit, n, bad)
	}
	eventually(t, 10*time.Second, "the delivery in /metrics", func() bool {
		_, metrics := get(t, s.url+"/metrics")
		return strings.Contains(metrics, `ordercast_notifications_sent_total{kind="new_limit",outcome="delivered"}`) &&
			!strings.Contains(metrics, `ordercast_notifications_sent_total{kind="new_limit",outcome="delivered"} 0`) &&
			strings.Contains(metrics, "ordercast_notifications_backlog ") && strings.Contains(metrics, "ordercast_notifications_dead 0")
	})
}

// A webhook secret too short to sign with stops serve before it opens a store: the error names the
// secret, not the (unreachable) databases.
func TestServeRefusesAShortSecretBeforeTheStores(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := run("serve", "-addr", "127.0.0.1:0",
		"-pg-dsn", "postgres://u:p@127.0.0.1:1/x?sslmode=disable", "-ch-dsn", "clickhouse://127.0.0.1:1/x",
		"-notify-webhook", "https://gw.example/hook", "-notify-secret-file", secretFile)
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("serve = %v; want an error about the secret", err)
	}
	if strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("serve tried a store before checking the secret: %v", err)
	}
}
