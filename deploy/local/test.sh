#!/usr/bin/env bash
# The README's test command (make test): local stores up, Chromium and the browser tests' npm packages,
# formatting, vet and staticcheck, the race detector over the unit tests and ordering's and
# retailer's integration tests, then every test,
# integration tests included, against the real PostgreSQL and ClickHouse. Ends with a line
# "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

eval "$(deploy/local/up.sh)"
export ORDERCAST_PG_DSN ORDERCAST_CH_DSN
# Debian's Chromium and the npm packages of the browser tests (axe-core).
deploy/local/browser-deps.sh
# The front-end bundles embedded in the pages, rebuilt from their lock file: the committed copy must match.
deploy/local/web-assets.sh
if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$(git status --porcelain -- cmd/ordercast/web/static/vendor)" ]; then
	echo "cmd/ordercast/web/static/vendor differs from what cmd/ordercast/web/npm/package-lock.json builds:"
	git status --short -- cmd/ordercast/web/static/vendor
	echo "run make web-assets and commit the result"; exit 1
fi

# Debian packages the tests use beyond the stores: promtool (package prometheus) checks the alert rules;
# ZooKeeper (package zookeeper) runs under the ClickHouse replicas of storestest.StartClickHouseReplicas;
# the race detector needs cgo, so a C compiler and the C library's headers (gcc, libc6-dev).
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
[ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
if [ ${#missing[@]} -gt 0 ]; then
	echo "test.sh: installing ${missing[*]}" >&2
	if [ "$(id -u)" = 0 ]; then apt_get=(apt-get); else apt_get=(sudo -n apt-get); fi
	"${apt_get[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ "${apt_get[@]}" update -q >&2 && "${apt_get[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2; }
fi

unformatted=$(gofmt -l cmd deploy forecast ordering retailer)
if [ -n "$unformatted" ]; then
	echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi
go vet ./...
# staticcheck, pinned: unused code and values that vet does not report.
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
deploy/local/lint-openapi.sh

# The race detector: every package's unit tests, and the integration tests of ordering and retailer
# against the stores (their concurrent orders, retries and second instances). About 4 minutes on 2
# cores; the rest of the integration tests run once, below, without it.
CGO_ENABLED=1 go test -race -count=1 -short ./cmd/... ./deploy/... ./forecast/...
CGO_ENABLED=1 go test -race -count=1 ./ordering/... ./retailer/...

log=$(mktemp)
set +e
go test -count=1 -timeout 45m -v ./... >"$log" 2>&1
status=$?
set -e
# Every test's result line, so the log shows which integration tests ran; the whole output on failure.
grep -E '^\s*--- (PASS|FAIL|SKIP)|^(ok|FAIL|---)\s' "$log" || true
if [ "$status" -ne 0 ]; then
	echo "=== full go test output ==="
	cat "$log"
fi
passed=$(grep -cE '^\s*--- PASS' "$log" || true)
failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
