#!/bin/bash
# PostgreSQL's CPU per transaction of an order's reads alone, for docs/BENCHMARKS.md (orders-1k3).
#
#   docs/bench/orders-reads.sh SCRIPT SECONDS
#
# Runs pgbench -M prepared with SCRIPT (docs/bench/orders-reads/*.sql: a user with id 5, outlets 1 to
# 3,000 with an open window and brands B0001–B0020, as `ordercast seed` makes them) on one connection
# to ORDERCAST_PG_DSN for SECONDS, samples the CPU of its backend (/proc) every 0.1 s, and prints the
# backend's CPU per transaction, the transactions and pgbench's mean latency. The first 0.5 s of CPU is
# not counted (the backend is found then); alternate the scripts, many short runs, and compare medians.
set -eu
f=$1 secs=$2
: "${ORDERCAST_PG_DSN:?}"
out=$(mktemp)
pgbench -n -M prepared -f "$f" -T "$secs" "$ORDERCAST_PG_DSN" >"$out" 2>&1 &
bp=$!
sleep 0.5
pid=$(psql -X -At "$ORDERCAST_PG_DSN" -c "select pid from pg_stat_activity where application_name = 'pgbench' and datname = current_database() limit 1")
t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
last=$t0
while kill -0 $bp 2>/dev/null; do v=$(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null) && last=$v; sleep 0.1; done
n=$(grep "number of transactions actually processed" "$out" | awk -F': ' '{print $2}' | cut -d/ -f1)
lat=$(grep "latency average" "$out" | awk '{print $4}')
python3 -c "import sys; t=int(sys.argv[1])-int(sys.argv[2]); print(sys.argv[5], 'cpu_ms_per_tx=%.4f' % (t*1000/int(sys.argv[6])/int(sys.argv[3])), 'n='+sys.argv[3], 'latency_ms='+sys.argv[4])" \
	"$last" "$t0" "$n" "$lat" "$(basename "$f")" "$(getconf CLK_TCK)"
rm -f "$out"
