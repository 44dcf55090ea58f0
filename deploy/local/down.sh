#!/usr/bin/env bash
# Stops the PostgreSQL and ClickHouse that deploy/local/up.sh started from this checkout (every server
# of ORDERCAST_CH_SHARDS × ORDERCAST_CH_REPLICAS, then the ZooKeeper of the replicas), and the
# replica of deploy/local/replica.sh. Data stays in .local/ (remove that folder to start from nothing).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${ORDERCAST_LOCAL_DIR:-$root/.local}

say() { echo "down.sh: $*" >&2; }

# The replica of deploy/local/replica.sh first, then its primary.
for pgdir in "$state/pg-replica" /var/lib/ordercast-local/$(printf '%s' "$root" | md5sum | cut -c1-12)/pg-replica; do
	[ -f "$pgdir/data/postmaster.pid" ] || continue
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	run_pg=()
	[ "$(id -u)" = 0 ] && run_pg=(runuser -u postgres -- env -C /)
	say "stopping the PostgreSQL replica ($pgdir/data)"
	"${run_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >&2 || true
done

pgdir=$state/pg
fallback=/var/lib/ordercast-local/$(printf '%s' "$root" | md5sum | cut -c1-12)/pg
[ -f "$pgdir/data/PG_VERSION" ] || [ ! -f "$fallback/data/PG_VERSION" ] || pgdir=$fallback
if [ -f "$pgdir/data/postmaster.pid" ]; then
	bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	run_pg=()
	[ "$(id -u)" = 0 ] && run_pg=(runuser -u postgres -- env -C /)
	say "stopping PostgreSQL ($pgdir/data)"
	"${run_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -m fast -w stop >&2 || true
else
	say "PostgreSQL from this checkout is not running"
fi

# Server 1 keeps its data in .local/clickhouse, the other servers of the cluster (shards, replicas) in clickhouse-N.
for chdir in "$state"/clickhouse "$state"/clickhouse-[0-9]; do
	[ -d "$chdir" ] || continue
	pidfile=$chdir/clickhouse.pid
	pid=$(cat "$pidfile" 2>/dev/null || pgrep -f -- "--config-file=$chdir/config.xml" || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		say "stopping ClickHouse ${chdir##*/} (pid $pid)"
		kill -TERM "$pid"
		for _ in $(seq 120); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
		rm -f "$pidfile"
	else
		say "ClickHouse ${chdir##*/} from this checkout is not running"
	fi
done

# The ZooKeeper of ORDERCAST_CH_REPLICAS, after the ClickHouse servers that use it.
pid=$(cat "$state/zookeeper/zookeeper.pid" 2>/dev/null || true)
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
	say "stopping ZooKeeper (pid $pid)"
	kill -TERM "$pid"
	for _ in $(seq 80); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	rm -f "$state/zookeeper/zookeeper.pid"
elif [ -d "$state/zookeeper" ]; then
	say "ZooKeeper from this checkout is not running"
fi
