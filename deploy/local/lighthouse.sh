#!/usr/bin/env bash
# lighthouse.sh measures the retailer's ordering page with Lighthouse (npm, pinned by
# deploy/local/browser/package-lock.json) in Debian's Chromium, on Lighthouse's mobile profile
# (a mid-range phone, simulated slow 4G and 4x CPU slowdown): performance and accessibility scores.
#
#   make lighthouse            (or deploy/local/lighthouse.sh [RUNS], 3 runs by default; prints the median)
#
# It seeds a region into databases of its own (ordercast_lighthouse), serves it on a free loopback port,
# logs retailer1 in, times 100 loads of /retailer (server time to first byte) and points Lighthouse at
# /retailer with the session cookie. Reports (JSON and HTML)
# go to .local/lighthouse/. Figures belong in docs/BENCHMARKS.md ("Pages"), never in a test assertion.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs=${1:-3}
out=.local/lighthouse
mkdir -p "$out"

eval "$(deploy/local/up.sh)"
deploy/local/browser-deps.sh
go build -o "$out/ordercast" ./cmd/ordercast

db=ordercast_lighthouse
pg=${ORDERCAST_PG_DSN%/*}/$db?sslmode=disable
ch=${ORDERCAST_CH_DSN%/*}/$db
psql "${ORDERCAST_PG_DSN}" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
ch_addr=${ORDERCAST_CH_DSN#clickhouse://}
ch_addr=${ch_addr%%/*}
clickhouse-client --host "${ch_addr%:*}" --port "${ch_addr##*:}" -q "DROP DATABASE IF EXISTS $db"
"$out/ordercast" migrate -pg-dsn "$pg" -ch-dsn "$ch" >/dev/null
"$out/ordercast" seed -pg-dsn "$pg" -ch-dsn "$ch" -outlets 200 -brands 30 -weeks 26 >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$out/ordercast" serve -pg-dsn "$pg" -ch-dsn "$ch" -addr "127.0.0.1:$port" >"$out/serve.log" 2>&1 &
serve=$!
trap 'kill "$serve" 2>/dev/null; wait "$serve" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
token=$(curl -fs -H 'Content-Type: application/json' -d '{"username":"retailer1","password":"ordercast-demo"}' \
	"http://127.0.0.1:$port/api/v1/sessions" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')

# Server time of the page: time to the first byte of 100 loads over loopback, median and 95th percentile.
for _ in $(seq 1 100); do
	curl -fs -o /dev/null -w '%{time_starttransfer}\n' -H "Cookie: oc_session=$token" "http://127.0.0.1:$port/retailer"
done | sort -n | awk '{v[NR] = $1} END {printf "server time of /retailer, 100 loads: median %.1f ms, p95 %.1f ms\n", v[int(NR/2)+1] * 1000, v[int(NR*0.95)] * 1000}'

export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
lh=deploy/local/browser/node_modules/.bin/lighthouse
for i in $(seq 1 "$runs"); do
	profile=$(mktemp -d)
	"$lh" "http://127.0.0.1:$port/retailer" --quiet --only-categories=performance,accessibility \
		--form-factor=mobile --extra-headers="{\"Cookie\":\"oc_session=$token\"}" \
		--chrome-flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$profile" \
		--output=json --output=html --output-path="$out/retailer-$i" >/dev/null
	rm -rf "$profile"
done
node - "$out" "$runs" <<'JS'
const fs = require("fs");
const [dir, runs] = process.argv.slice(2);
const rows = [];
for (let i = 1; i <= +runs; i++) {
  const r = JSON.parse(fs.readFileSync(`${dir}/retailer-${i}.report.json`, "utf8"));
  const a = r.audits;
  rows.push({perf: r.categories.performance.score * 100, a11y: r.categories.accessibility.score * 100,
    fcp: a["first-contentful-paint"].numericValue, lcp: a["largest-contentful-paint"].numericValue,
    tbt: a["total-blocking-time"].numericValue, cls: a["cumulative-layout-shift"].numericValue,
    bytes: a["total-byte-weight"].numericValue});
}
const med = k => { const v = rows.map(r => r[k]).sort((x, y) => x - y); return v[Math.floor(v.length / 2)]; };
console.log(`lighthouse mobile, /retailer, ${runs} runs, medians: performance ${med("perf")}, accessibility ${med("a11y")}, ` +
  `FCP ${Math.round(med("fcp"))} ms, LCP ${Math.round(med("lcp"))} ms, TBT ${Math.round(med("tbt"))} ms, ` +
  `CLS ${med("cls").toFixed(3)}, transfer ${Math.round(med("bytes") / 1024)} KiB`);
JS
