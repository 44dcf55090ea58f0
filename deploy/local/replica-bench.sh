#!/usr/bin/env bash
# Measures read-only report latency on the PostgreSQL replica against the primary, under an ordering
# load, and the replica's lag (docs/OPERATIONS.md, "A streaming replica for reports").
#
#   eval "$(deploy/local/up.sh)"; eval "$(deploy/local/replica.sh)"; deploy/local/replica-bench.sh
#
# On a database of its own (ordercast_replica_bench, in both stores; seeded once, kept for reruns) it
# starts three serve instances: A reads reports from the replica (-pg-report-dsn), B from the primary,
# C takes the orders. It times the same report requests on A and B alternately, first idle, then while
# `ordercast bench orders` places orders through C, and samples A's ordercast_pg_report_replica_lag_seconds
# and the primary's pg_stat_replication.replay_lag every second of the load. Prints medians and p90s.
# Knobs: ORDERS_RATE (orders/s, 40), ORDERS_SECONDS (60), PROBES (25 per report and phase), OUTLETS (1000).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rate=${ORDERS_RATE:-40}
seconds=${ORDERS_SECONDS:-60}
probes=${PROBES:-25}
outlets=${OUTLETS:-1000}
db=ordercast_replica_bench
: "${ORDERCAST_PG_DSN:?run eval \"\$(deploy/local/up.sh)\" first}"
: "${ORDERCAST_PG_REPORT_DSN:?run eval \"\$(deploy/local/replica.sh)\" first}"
pg=$(printf '%s' "$ORDERCAST_PG_DSN" | sed -E "s#/[a-z_]+\?#/$db?#")
replica=$(printf '%s' "$ORDERCAST_PG_REPORT_DSN" | sed -E "s#/[a-z_]+\?#/$db?#")
ch=$(printf '%s' "${ORDERCAST_CH_DSN:-clickhouse://127.0.0.1:59000/ordercast}" | sed -E "s#/[a-z_]+\$#/$db#")
ch_port=$(printf '%s' "$ch" | sed -E 's#.*:([0-9]+)/.*#\1#')
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
say() { echo "replica-bench: $*" >&2; }

cd "$root"
go build -o "$work/ordercast" ./cmd/ordercast
bin=$work/ordercast
if ! psql "$ORDERCAST_PG_DSN" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
	say "creating and seeding $db ($outlets outlets, 40 brands, 26 weeks)"
	psql "$ORDERCAST_PG_DSN" -qc "CREATE DATABASE $db"
	clickhouse-client --host 127.0.0.1 --port "$ch_port" -q "CREATE DATABASE IF NOT EXISTS $db"
	"$bin" migrate -pg-dsn "$pg" -ch-dsn "$ch" >&2
	"$bin" seed -pg-dsn "$pg" -ch-dsn "$ch" -outlets "$outlets" -brands 40 -weeks 26 >&2
fi

declare -A url token
start() { # name extra-args...: serve on a free port (others may hold any fixed one)
	local name=$1
	shift
	env -u ORDERCAST_PG_REPORT_DSN "$bin" serve -addr 127.0.0.1:0 -pg-dsn "$pg" -ch-dsn "$ch" -forecast-at off -score-at off \
		-log-level warn -allow-credit "$@" >"$work/$name.out" 2>"$work/$name.log" &
	pids+=($!)
	for _ in $(seq 240); do
		url[$name]=$(sed -n 's#^ordercast: serving on ##p' "$work/$name.out")
		[ -n "${url[$name]}" ] && curl -sf "${url[$name]}/readyz" >/dev/null && return
		sleep 0.25
	done
	say "serve $name did not become ready"; cat "$work/$name.log" >&2; exit 1
}
start A -pg-report-dsn "$replica" -pg-report-max-lag 10s
start B
start C
for name in A B; do # a session token is good on the instance that issued it
	token[$name]=$(curl -sf -H 'Content-Type: application/json' -d '{"username":"planner","password":"ordercast-demo"}' \
		"${url[$name]}/api/v1/sessions" | sed -E 's/.*"token":"([^"]+)".*/\1/')
	[ -n "${token[$name]}" ] || { say "the planner could not log in on $name"; exit 1; }
done
today=$(date -u +%F)
reports=("/api/v1/balance?weeks=8" "/api/v1/indicators?period=week&level=manager&date=$today")

probe() { # phase
	local i r name
	for ((i = 0; i < probes; i++)); do
		for r in "${!reports[@]}"; do
			for name in A B; do
				curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer ${token[$name]}" \
					"${url[$name]}${reports[$r]}" >>"$work/$1-$r-$name"
			done
		done
	done
}
stats() { # file: median p90 n (seconds → ms)
	awk '$1 != 200 {bad++} $1 == 200 {print $2} END {if (bad) printf "%d not 200\n", bad > "/dev/stderr"}' "$1" | sort -n |
		awk '{a[NR]=$1*1000} END {printf "median %.1f ms, p90 %.1f ms (n=%d)", a[int((NR+1)/2)], a[int(NR*0.9+0.5)], NR}'
}

say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
say "idle: $probes probes of each report on A (replica) and B (primary), alternately"
probe idle
say "ordering load: $rate orders/s of 20 lines for ${seconds}s through C"
"$bin" bench orders -url "${url[C]}" -pg-dsn "$pg" -outlets "$outlets" -rate "$rate" \
	-duration "${seconds}s" -lines 20 >"$work/bench.txt" 2>&1 &
bench=$!
pids+=($bench)
(
	while kill -0 "$bench" 2>/dev/null; do
		curl -s "${url[A]}/metrics" | awk '/^ordercast_pg_report_replica_lag_seconds /{print $2}' >>"$work/lag"
		psql "$ORDERCAST_PG_DSN" -tAc "SELECT COALESCE(EXTRACT(epoch FROM max(replay_lag)), 0) FROM pg_stat_replication" >>"$work/replay_lag"
		sleep 1
	done
) &
pids+=($!)
sleep 5
probe load
wait "$bench" || true
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

for phase in idle load; do
	for r in "${!reports[@]}"; do
		echo "$phase ${reports[$r]%%\?*}: replica (A) $(stats "$work/$phase-$r-A"); primary (B) $(stats "$work/$phase-$r-B")"
	done
done
echo "ordercast_pg_report_replica_lag_seconds during the load: $(sort -n "$work/lag" | awk '{a[NR]=$1*1000} END {printf "median %.1f ms, max %.1f ms (n=%d)", a[int((NR+1)/2)], a[NR], NR}')"
echo "pg_stat_replication replay_lag during the load: $(sort -n "$work/replay_lag" | awk '{a[NR]=$1*1000} END {printf "median %.1f ms, max %.1f ms (n=%d)", a[int((NR+1)/2)], a[NR], NR}')"
echo "fallbacks: $(curl -s "${url[A]}/metrics" | grep '^ordercast_pg_report_fallback_total' | tr '\n' ' ')"
echo "orders (bench through C):"
grep -Ei 'throughput|p50|p99|errors|orders/s' "$work/bench.txt" || cat "$work/bench.txt"
