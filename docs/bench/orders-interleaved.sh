#!/bin/bash
# Measures two builds of ordercast on the order load in turn, for docs/BENCHMARKS.md (orders).
#
#   docs/bench/orders-interleaved.sh BEFORE AFTER [ROUNDS] [RATES] [DURATION]
#
# For each rate of RATES (default "800 900 1000") and each of ROUNDS rounds (default 3), runs
# docs/bench/orders.sh with the binary BEFORE, then with AFTER, DURATION each (default 15s), so that
# both meet the same conditions; the load is always run by AFTER's bench orders (BENCH_BIN), so that
# only the server differs. Each run's JSON line goes to stdout with "round" added; at the end, one line
# per rate and binary with the medians of the runs (placed/s, p50, p99, CPU per order of the server,
# PostgreSQL and the client, WAL per order, seconds over 50 ms, checkpoints).
#
# AFTER_PG, when set, is the PostgreSQL settings of AFTER ("name=value ..."): set with ALTER SYSTEM
# and reloaded before each AFTER run, reset before each BEFORE run and at the end (the DSN's user must
# be a superuser). Only settings a reload takes (checkpoint_timeout, max_wal_size, ...) make sense.
# Needs what orders.sh needs: ORDERCAST_PG_DSN, ORDERCAST_CH_DSN (PGDATA, when set, is passed on); OUT, PORT, SERVE_ENV and
# BENCH_FLAGS are passed on.
set -eu
before=$1 after=$2 rounds=${3:-3} rates=${4:-800 900 1000} dur=${5:-15s}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${ORDERCAST_PG_DSN:?}" "${ORDERCAST_CH_DSN:?}"
psql_() { psql -X -At "$ORDERCAST_PG_DSN" -c "$1" >/dev/null; }
settings() { # set (AFTER_PG) or reset, then reload
	local kv
	for kv in ${AFTER_PG:-}; do
		if [ "$1" = set ]; then psql_ "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'"; else psql_ "ALTER SYSTEM RESET ${kv%%=*}"; fi
	done
	[ -z "${AFTER_PG:-}" ] || { psql_ "SELECT pg_reload_conf()"; sleep 1; }
}
trap 'settings reset' EXIT
lines=$(mktemp)
for rate in $rates; do
	for round in $(seq "$rounds"); do
		for which in before after; do
			if [ $which = before ]; then bin=$before; settings reset; else bin=$after; settings set; fi
			BENCH_BIN=$after "$here/orders.sh" "$bin" "$rate" "$dur" |
				python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["round"]=int(sys.argv[1]); r["which"]=sys.argv[2]; print(json.dumps(r))' "$round" $which |
				tee -a "$lines"
		done
	done
done
python3 - "$lines" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
keys = ["throughput", "p50_ms", "p99_ms", "server_cpu_ms", "pg_cpu_ms", "client_cpu_ms", "wal_kb", "slow_seconds", "checkpoints"]
for rate in sorted({r["rate"] for r in runs}):
	for which in ("before", "after"):
		rs = [r for r in runs if r["rate"] == rate and r["which"] == which]
		print(json.dumps({"rate": rate, "which": which, "runs": len(rs),
			**{"median_" + k: statistics.median(r[k] for r in rs) for k in keys if all(r.get(k) is not None for r in rs)}}))
PY
rm -f "$lines"
