#!/usr/bin/env bash
# Seeds the same region on one ClickHouse server and on the two-shard cluster of deploy/local
# (ORDERCAST_CH_SHARDS=2), and times seed, forecast run, the company bulletin and an allocation on
# each (docs/SCALE.md). Each layout gets its own PostgreSQL and ClickHouse databases, created empty.
#
#   ORDERCAST_CH_SHARDS=2 ORDERCAST_CH_PORT=59300 ORDERCAST_CH_HTTP_PORT=58300 deploy/local/up.sh
#   docs/bench/scale.sh 100000 20 52 > scale.log
#
# Arguments: outlets, brands, weeks. Env: PG (the PostgreSQL server's DSN without database, default
# the deploy/local one), CH (host:port of the cluster's first server, default 127.0.0.1:59300),
# REPEAT (runs of the bulletin and the allocation, default 3), LAYOUTS (default "one two").
set -euo pipefail
outlets=${1:-100000} brands=${2:-20} weeks=${3:-52}
pg=${PG:-postgres://ordercast:ordercast@127.0.0.1:55432}
ch=${CH:-127.0.0.1:59300}
repeat=${REPEAT:-3}
bin=${BIN:-bin/ordercast}

timed() { # label, command...
	local label=$1 start end
	shift
	start=$(date +%s.%N)
	"$@" >/tmp/scale.$$.out 2>&1 || { cat /tmp/scale.$$.out >&2; exit 1; }
	end=$(date +%s.%N)
	printf '%s\t%.2f\tload %s\n' "$label" "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1 /proc/loadavg)"
}

for layout in ${LAYOUTS:-one two}; do
	db=scale_${layout}_$outlets
	args=(-pg-dsn "$pg/$db?sslmode=disable" -ch-dsn "clickhouse://$ch/$db")
	[ "$layout" = two ] && args+=(-ch-cluster ordercast)
	psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
	for port in ${ch##*:} $((${ch##*:} + 1)); do
		clickhouse-client --host "${ch%:*}" --port "$port" -q "DROP DATABASE IF EXISTS $db"
	done
	"$bin" migrate "${args[@]}" >/dev/null
	timed "$layout seed $outlets×$brands×$weeks" "$bin" seed "${args[@]}" -outlets "$outlets" -brands "$brands" -weeks "$weeks" -as-of 2026-11-22
	timed "$layout forecast run" "$bin" forecast run "${args[@]:2}" -as-of 2026-11-09 -horizon 4
	brand=$(psql "$pg/$db" -tAc "SELECT code FROM brands WHERE scarce ORDER BY code LIMIT 1")
	[ -n "$brand" ] || brand=$(psql "$pg/$db" -tAc "SELECT code FROM brands ORDER BY code LIMIT 1")
	for i in $(seq "$repeat"); do
		timed "$layout bulletin (company)" "$bin" bulletin "${args[@]}" -date 2026-11-20
		timed "$layout allocate demand $brand" "$bin" allocate "${args[@]}" -cycle 2026-11-09 -brand "$brand" \
			-supply $((outlets / 10)) -mode demand -dry-run
	done
	for port in ${ch##*:} $((${ch##*:} + 1)); do
		clickhouse-client --host "${ch%:*}" --port "$port" -q "SELECT '$layout', $port, sum(rows), sum(bytes_on_disk) FROM system.parts WHERE database = '$db' AND active" | tr '\t' ' '
	done
done
