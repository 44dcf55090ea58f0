// Package monitoring holds what watches ordercast in production: the Prometheus scrape configuration
// (prometheus.yml), the alert rules (alerts.yml) with their unit tests (alerts_test.yml), and a Grafana
// dashboard (dashboard.json). It has no code; its tests check the files with promtool and check that
// every metric a rule or a panel queries is one a running `ordercast serve` exports.
package monitoring
