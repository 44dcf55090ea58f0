#!/usr/bin/env bash
# The read cost of collapsing copied scans with FINAL (docs/SCALE.md, "Scans stored twice"): copies
# DB.scans into a scratch database as a ReplacingMergeTree ordered by the row's identity, then runs
# the three reads a copy would change (the forecast's scans read, an outlet's weeks, an outlet's
# recent sell-out) against the original (no FINAL) and the copy (FINAL), interleaved, and prints the
# median wall time and server user CPU of each from system.query_log. Drops the scratch database.
#
#   docs/bench/scans-final.sh ch100k 5 > scans-final.log
#
# Arguments: the database holding scans (default ch100k), runs of each query (default 5). Env: PORT
# (the server's native port, default 59000), FROM and TO (the forecast read's window, default the
# last 8 weeks of the data), OUTLET (default the outlet with the most scans).
set -euo pipefail
db=${1:-ch100k} runs=${2:-5}
ch() { clickhouse-client --port "${PORT:-59000}" "$@"; }
scratch=scans_final_bench
prefix=$scratch-$$
last=$(ch -q "SELECT max(day) FROM $db.scans")
to=${TO:-$(ch -q "SELECT toDate('$last') + 1")}
from=${FROM:-$(ch -q "SELECT toDate('$to') - 56")}
owfrom=$(ch -q "SELECT toDate('$to') - 112")
outlet=${OUTLET:-$(ch -q "SELECT outlet FROM $db.scans GROUP BY outlet ORDER BY count() DESC LIMIT 1")}
ch -q "DROP DATABASE IF EXISTS $scratch"
ch -q "CREATE DATABASE $scratch"
trap 'ch -q "DROP DATABASE IF EXISTS $scratch"' EXIT
ch -q "CREATE TABLE $scratch.scans AS $db.scans ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(day) ORDER BY (outlet, batch_id, row_no)"
ch -q "INSERT INTO $scratch.scans SELECT * FROM $db.scans"
[ "$(ch -q "SELECT count() FROM (SELECT outlet, batch_id, row_no FROM $scratch.scans FINAL)")" = \
  "$(ch -q "SELECT count() FROM $db.scans")" ] || { echo "(outlet, batch_id, row_no) is not unique in $db.scans" >&2; exit 1; }

run() { # variant query
	local src where
	case $2 in
	fc) where="day >= toDate('$from') AND day < toDate('$to')" ;;
	*) where="outlet = '$outlet'" ;;
	esac
	if [ "$1" = plain ]; then src=$db.scans
	else src="(SELECT outlet, batch_id, row_no, brand, kind, day, qty, scanned_at FROM $scratch.scans FINAL WHERE $where)"; fi
	local q
	case $2 in
	fc) q="SELECT outlet, brand, toUInt16(toMonday(day)) AS w, sumIf(qty, kind = 'sellout'), argMaxIf(qty, scanned_at, kind = 'stock'),
		countIf(kind = 'stock') FROM $src WHERE $where AND cityHash64(outlet) % 1 = 0 GROUP BY outlet, brand, w ORDER BY outlet, brand, w" ;;
	ow) q="SELECT w, sum(sold), sum(sellouts), sumIf(stock, counts > 0), sum(counts) FROM (SELECT brand, toString(toMonday(day)) AS w,
		sumIf(qty, kind = 'sellout') AS sold, countIf(kind = 'sellout') AS sellouts, argMaxIf(qty, scanned_at, kind = 'stock') AS stock,
		countIf(kind = 'stock') AS counts FROM $src WHERE outlet = '$outlet' AND day >= toDate('$owfrom') AND day < toDate('$to')
		GROUP BY brand, w) GROUP BY w" ;;
	rs) q="SELECT brand, sum(qty) FROM $src WHERE outlet = '$outlet' AND kind = 'sellout' AND day >= toDate('$from')
		AND day < toDate('$to') AND batch_id != '' GROUP BY brand" ;;
	esac
	ch --query_id "$prefix-$1-$2-$RANDOM" --log_queries 1 -q "$q FORMAT Null"
}
uptime
for _ in $(seq "$runs"); do
	for q in fc ow rs; do for v in plain final; do run $v $q; done; done
done
uptime
ch -q "SYSTEM FLUSH LOGS"
ch -q "SELECT splitByChar('-', query_id)[4] AS query, splitByChar('-', query_id)[3] AS variant, count() AS runs,
	quantileExact(0.5)(query_duration_ms) AS wall_ms,
	quantileExact(0.5)(ProfileEvents.Values[indexOf(ProfileEvents.Names, 'UserTimeMicroseconds')]) AS user_cpu_us
	FROM system.query_log WHERE type = 2 AND startsWith(query_id, '$prefix-')
	GROUP BY query, variant ORDER BY query, variant FORMAT TSVWithNames"
