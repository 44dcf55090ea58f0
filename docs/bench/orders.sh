#!/bin/bash
# Measures `ordercast bench orders` with what it costs PostgreSQL, for docs/BENCHMARKS.md (orders).
#
#   docs/bench/orders.sh BINARY RATE DURATION
#
# Runs BINARY serve on 127.0.0.1:PORT (-allow-credit) against ORDERCAST_PG_DSN / ORDERCAST_CH_DSN,
# runs BINARY bench orders at RATE for DURATION over 3,000 outlets, stops the server and prints one
# JSON line: throughput, latency percentiles (ms, from each scheduled arrival), the server's CPU per
# order (its /metrics), PostgreSQL's CPU per order (every process of the server whose data directory
# is PGDATA, exited backends included: use a private PostgreSQL that nothing else loads), the load
# client's CPU per order (the bench process, from the arrivals' start to the last response) and session
# lookups per order placed, from the arrivals' start to the last response; PostgreSQL's WAL per order
# (pg_stat_wal over the same span, the whole cluster: kB, full-page images and syncs, the commits'
# flushes) and the checkpoints begun in that span (pg_stat_bgwriter, counted when they end: a checkpoint
# still running shows in the next run), the seconds of arrivals whose p99 was over 50 ms (stalls, from
# bench orders' per_second), and transactions per order
# (pg_stat_database.xact_commit from the arrivals' start to 1.5 s after the bench ended, the bench's
# own session revocations left out; the server's background jobs, and up to a second of the bench's
# preparation, are counted in). PostgreSQL needs
# shared_preload_libraries = 'pg_stat_statements' and the extension created in the database; the
# statements of the run, by calls, are left in $OUT/stmts-<binary>-<rate>.txt. BENCH_FLAGS are added
# to bench orders' (as -cpuprofile FILE); SERVE_ENV (NAME=value ...) is serve's environment besides
# this one (as GOGC=200); PORT (default 18181) is serve's. BENCH_BIN, when set, is the binary that runs the load (by default BINARY):
# to load two servers with the same client.
#
# On a PostgreSQL shared with other work, leave PGDATA unset: PostgreSQL's CPU is then that of the
# backends connected to the database of ORDERCAST_PG_DSN (the server's pool and its jobs' connections),
# from their CPU at the arrivals' start (0 for a backend that connected later) to the last response; a
# backend that exits in between is not counted, nor are the WAL writer and the checkpointer. Without
# pg_stat_statements in the database, the statements, session lookups and transactions are left out
# (null), and the server's start-up work is waited for by the database's activity alone.
set -eu
bin=$1 rate=$2 dur=$3
: "${ORDERCAST_PG_DSN:?}" "${ORDERCAST_CH_DSN:?}"
OUT=${OUT:-/tmp/ordercast-bench-orders}
mkdir -p "$OUT"
psql_() { psql -X -At "$ORDERCAST_PG_DSN" -c "$1"; }
db=$(psql_ "select current_database()")
stmts=$(psql_ "select count(*) from pg_extension where extname = 'pg_stat_statements'")
declare -A ticks0=()
backends() { psql_ "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"; }
markcpu() { # each backend's clock ticks now, for pgcpu without PGDATA
	local p
	for p in $(backends); do ticks0[$p]=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0); done
}
pgcpu() { # clock ticks: with PGDATA, of the postmaster, its reaped children and its live children; else of the database's backends since markcpu
	local pm t=0 p v
	if [ -n "${PGDATA:-}" ]; then
		pm=$(head -1 "$PGDATA/postmaster.pid")
		t=$(awk '{print $16+$17}' "/proc/$pm/stat")
		for p in $pm $(pgrep -P "$pm"); do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
	else
		for p in $(backends); do
			v=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)
			t=$((t + v - ${ticks0[$p]:-0}))
		done
	fi
	echo "$t"
}
proccpu() { awk '{print $14+$15}' "/proc/$1/stat"; } # clock ticks of a live process
calls() {
	if [ "$stmts" = 0 ]; then echo null; return; fi
	psql_ "select coalesce(sum(calls), 0) from pg_stat_statements s join pg_database d on d.oid = s.dbid
	where d.datname = current_database() and $1"
}
resetstmts() { [ "$stmts" = 0 ] || psql_ "select pg_stat_statements_reset()" >/dev/null; }

resetstmts
env ${SERVE_ENV:-} "$bin" serve -addr 127.0.0.1:${PORT:-18181} -allow-credit -forecast-at off -score-at off -log-level warn >"$OUT/serve.log" 2>&1 &
spid=$!
trap 'kill $spid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs http://127.0.0.1:${PORT:-18181}/readyz >/dev/null && break; sleep 0.2; done
# The server's start-up work in PostgreSQL is left out: it warms the managers' trends (four queries
# over the scheduled cycles, WITH sched …, after its ClickHouse reads; waited for at most 30 s), then
# no query of the database may run for a second (waited for at most 20 s).
for _ in $(seq 150); do
	if [ "$stmts" = 0 ]; then sleep 3; break; fi
	[ "$(calls "query like 'WITH sched AS%'")" -ge 4 ] && break
	sleep 0.2
done
idle=0
for _ in $(seq 100); do
	n=$(psql_ "select count(*) from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()")
	if [ "$n" = 0 ]; then idle=$((idle + 1)); else idle=0; fi
	[ $idle -ge 5 ] && break
	sleep 0.2
done
rm -f "$OUT/bench.err"
"${BENCH_BIN:-$bin}" bench orders -url http://127.0.0.1:${PORT:-18181} -rate "$rate" -duration "$dur" -outlets 3000 -json ${BENCH_FLAGS:-} \
	>"$OUT/report.json" 2>"$OUT/bench.err" &
bpid=$!
until grep -qs "outlets ready" "$OUT/bench.err"; do sleep 0.05; done
b0=$(proccpu $bpid)
markcpu
c0=$(pgcpu)
x0=$(psql_ "select xact_commit from pg_stat_database where datname = '$db'")
resetstmts
w0=$(psql_ "select wal_bytes || ' ' || wal_fpi || ' ' || wal_sync from pg_stat_wal")
k0=$(psql_ "select checkpoints_timed + checkpoints_req from pg_stat_bgwriter")
load0=$(cut -d' ' -f1 /proc/loadavg)
until grep -qs "done in" "$OUT/bench.err"; do sleep 0.05; done
b1=$(proccpu $bpid)
c1=$(pgcpu)
w1=$(psql_ "select wal_bytes || ' ' || wal_fpi || ' ' || wal_sync from pg_stat_wal")
k1=$(psql_ "select checkpoints_timed + checkpoints_req from pg_stat_bgwriter")
load1=$(cut -d' ' -f1 /proc/loadavg)
lookups=$(calls "query like 'SELECT u.id, u.username, u.role%'")
[ "$stmts" = 0 ] || psql_ "select calls, round(total_exec_time::numeric, 1), left(regexp_replace(query, '\s+', ' ', 'g'), 110)
	from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = current_database()
	order by calls desc limit 25" >"$OUT/stmts-$(basename "$bin")-$rate.txt"
wait $bpid
# Backends report their transactions when idle, at most once a second: the count is read after the
# bench's session revocations (left out) and that second.
sleep 1.5
x1=$(psql_ "select xact_commit from pg_stat_database where datname = '$db'")
revoked=$(calls "query like 'UPDATE sessions SET revoked_at%'")
kill $spid
wait $spid 2>/dev/null || true
trap - EXIT
python3 - "$bin" "$rate" "$c0" "$c1" "$x0" "$x1" "$(getconf CLK_TCK)" "$load0" "$load1" "$revoked" "$lookups" "$OUT/report.json" "$b0" "$b1" "$w0" "$w1" "$k0" "$k1" <<'PY'
import json, sys
b, rate, c0, c1, x0, x1, tck, l0, l1, revoked, lookups, report, b0, b1, w0, w1, k0, k1 = sys.argv[1:]
w0, w1 = [int(float(v)) for v in w0.split()], [int(float(v)) for v in w1.split()]
r = json.load(open(report))
n = max(r["placed"], 1)
print(json.dumps({"bin": b.split("/")[-1], "rate": float(rate), "placed": r["placed"], "throughput": round(r["throughput"], 1),
	"p50_ms": r["latency_ms"]["p50"], "p99_ms": r["latency_ms"]["p99"], "by_status": r["by_status"],
	"server_cpu_ms": round(r["server_cpu_ms_per_order"], 3),
	"pg_cpu_ms": round((int(c1) - int(c0)) * 1000 / int(tck) / n, 3),
	"client_cpu_ms": round((int(b1) - int(b0)) * 1000 / int(tck) / n, 3),
	"transactions": None if revoked == "null" else round((int(x1) - int(x0) - int(revoked)) / n, 2),
	"session_lookups": None if lookups == "null" else round(int(lookups) / n, 2),
	"wal_kb": round((w1[0] - w0[0]) / 1024 / n, 2), "wal_fpi": round((w1[1] - w0[1]) / n, 3),
	"wal_syncs": round((w1[2] - w0[2]) / n, 3), "checkpoints": int(k1) - int(k0),
	"slow_seconds": r.get("slow_seconds"), "start": r.get("start"), "load": [float(l0), float(l1)]}))
PY
