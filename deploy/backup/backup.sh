#!/usr/bin/env bash
# Backs up both stores of ordercast into a folder:
#   deploy/backup/backup.sh -o DIR        (DSNs from ORDERCAST_PG_DSN and ORDERCAST_CH_DSN)
# PostgreSQL, the system of record: pg_dump in its custom format (postgres.dump), a consistent snapshot.
# ClickHouse, the history: per table its CREATE statement and its rows in the Native format
# (clickhouse/<table>.sql, .native), table by table; ClickHouse has no cross-table snapshot, so take
# the backup when no import runs (the relay's lines written meanwhile are in PostgreSQL's outbox and
# are relayed again after a restore, each batch once).
# A ClickHouse cluster (ORDERCAST_CH_CLUSTER set, as for ordercast; the DSN names one of its servers):
# every table's CREATE statement once, from that server, and the rows of each shard's Replicated
# tables once, read from the first of its replicas that answers (clickhouse/shard-N/<table>.native;
# the Distributed tables hold nothing of their own); a table that is not replicated (each server's
# schema_migrations) from every server (clickhouse/server-S-R/). CLUSTER names the cluster, its
# database and its shards. Restore it with ORDERCAST_CH_CLUSTER set too (docs/OPERATIONS.md).
# MANIFEST lists every table with its row count (a cluster's: every shard's). Restore with
# deploy/backup/restore.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/dsn.sh"
out=
while getopts "o:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	*) echo "usage: $0 -o DIR" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] || { echo "usage: $0 -o DIR" >&2; exit 2; }
pg_dsn=${ORDERCAST_PG_DSN:?set ORDERCAST_PG_DSN}
ch_dsn=${ORDERCAST_CH_DSN:?set ORDERCAST_CH_DSN}
parse_ch_dsn "$ch_dsn"
mkdir -p "$out/clickhouse"
: >"$out/MANIFEST"

echo "backup: postgresql" >&2
pg_dump --format=custom --no-owner --no-privileges --file="$out/postgres.dump" "$pg_dsn"
for table in $(psql "$pg_dsn" -XAtc "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
	echo "postgresql $table $(psql "$pg_dsn" -XAtc "SELECT count(*) FROM public.\"$table\"")" >>"$out/MANIFEST"
done

cluster=${ORDERCAST_CH_CLUSTER:-}
tables=$(ch --query "SELECT name FROM system.tables WHERE database = '$ch_db' AND engine NOT LIKE '%View' ORDER BY name")
n=$(echo "$tables" | grep -c . || true)
if [ -z "$cluster" ]; then
	i=0
	for table in $tables; do
		i=$((i + 1))
		echo "backup: clickhouse $i/$n $table" >&2
		ch --query "SHOW CREATE TABLE \`$ch_db\`.\`$table\` FORMAT TSVRaw" >"$out/clickhouse/$table.sql"
		ch --query "SELECT * FROM \`$ch_db\`.\`$table\` FORMAT Native" >"$out/clickhouse/$table.native"
		echo "clickhouse $table $(ch --query "SELECT count() FROM \`$ch_db\`.\`$table\`")" >>"$out/MANIFEST"
	done
	echo "backup: done, $out" >&2
	exit 0
fi

servers=$(cluster_servers "$cluster")
[ -n "$servers" ] || { echo "backup: the server of ORDERCAST_CH_DSN has no cluster $cluster" >&2; exit 1; }
shards=$(cut -f1 <<<"$servers" | sort -un)
printf 'cluster %s\ndatabase %s\nshards %s\n' "$cluster" "$ch_db" "$(wc -w <<<"$shards")" >"$out/CLUSTER"
for table in $tables; do
	ch --query "SHOW CREATE TABLE \`$ch_db\`.\`$table\` FORMAT TSVRaw" >"$out/clickhouse/$table.sql"
done
# Each shard once, from one replica: the Distributed tables are views of the shards' local tables.
# A table that is not replicated (each server's schema_migrations) is each server's own: from every
# server.
replicated=$(ch --query "SELECT name FROM system.tables WHERE database = '$ch_db' AND engine LIKE 'Replicated%' ORDER BY name")
own=$(ch --query "SELECT name FROM system.tables WHERE database = '$ch_db' AND engine NOT LIKE '%View'
	AND engine != 'Distributed' AND engine NOT LIKE 'Replicated%' ORDER BY name")
dump() { # host port table store-label file
	ch_at "$1" "$2" --query "SELECT * FROM \`$ch_db\`.\`$3\` FORMAT Native" >"$5"
	echo "$4 $3 $(ch_at "$1" "$2" --query "SELECT count() FROM \`$ch_db\`.\`$3\`")" >>"$out/MANIFEST"
}
for shard in $shards; do
	read -r host port < <(answering_replica "$servers" "$shard")
	mkdir -p "$out/clickhouse/shard-$shard"
	echo "backup: clickhouse shard $shard from $host:$port" >&2
	for table in $replicated; do
		dump "$host" "$port" "$table" "clickhouse-shard-$shard" "$out/clickhouse/shard-$shard/$table.native"
	done
done
while read -r s r host port; do
	if ! ch_at "$host" "$port" --query "SELECT 1" >/dev/null 2>&1; then
		echo "backup: shard $s replica $r ($host:$port) does not answer: its own tables are restored from another replica's" >&2
		continue
	fi
	mkdir -p "$out/clickhouse/server-$s-$r"
	for table in $own; do
		dump "$host" "$port" "$table" "clickhouse-server-$s-$r" "$out/clickhouse/server-$s-$r/$table.native"
	done
done <<<"$servers"
echo "backup: done, $out ($(wc -w <<<"$shards") shards of cluster $cluster)" >&2
