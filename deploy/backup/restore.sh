#!/usr/bin/env bash
# Restores a backup of deploy/backup/backup.sh into the stores of ORDERCAST_PG_DSN and ORDERCAST_CH_DSN:
#   deploy/backup/restore.sh -f DIR
# PostgreSQL: the database must exist; its tables are replaced in one transaction (pg_restore --clean
# --single-transaction): a failed restore leaves it as it was. ClickHouse: the database is created if
# missing; each table of the backup is dropped, created and loaded. Then the row counts are checked
# against the backup's MANIFEST.
# A cluster's backup (its CLUSTER file) is restored with ORDERCAST_CH_CLUSTER naming a cluster of as
# many shards, into a database of the same name (the Distributed tables and the replicas' ZooKeeper
# paths name it): every server gets every table; each shard's rows are loaded into one of its
# replicas through its Replicated tables, which copy them to the shard's other replicas; a table that
# is not replicated (each server's schema_migrations) gets each server's own rows back; then every
# replica is synced (SYSTEM SYNC REPLICA) and counted against the MANIFEST. Restore into an empty cluster, or
# one whose database was dropped on every server: a Replicated table whose ZooKeeper path still has
# the replica is refused by ClickHouse.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/dsn.sh"
from=
while getopts "f:" opt; do
	case $opt in
	f) from=$OPTARG ;;
	*) echo "usage: $0 -f DIR" >&2; exit 2 ;;
	esac
done
[ -n "$from" ] && [ -f "$from/MANIFEST" ] || { echo "usage: $0 -f DIR (a folder made by backup.sh)" >&2; exit 2; }
pg_dsn=${ORDERCAST_PG_DSN:?set ORDERCAST_PG_DSN}
ch_dsn=${ORDERCAST_CH_DSN:?set ORDERCAST_CH_DSN}
parse_ch_dsn "$ch_dsn"

echo "restore: postgresql" >&2
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
	--dbname="$pg_dsn" "$from/postgres.dump"

# create_tables creates every table of the backup in the database on the server host port, dropping
# it first.
create_tables() {
	local host=$1 port=$2 sql table
	ch_at "$host" "$port" --query "CREATE DATABASE IF NOT EXISTS \`$ch_db\`"
	for sql in "$from/clickhouse"/*.sql; do
		[ -e "$sql" ] || break
		table=$(basename "$sql" .sql)
		ch_at "$host" "$port" --query "DROP TABLE IF EXISTS \`$ch_db\`.\`$table\`"
		# The statement names the database it was taken from: create the table in this one.
		ch_at "$host" "$port" --database "$ch_db" --query "$(sed -E "s/^CREATE TABLE [^ (]+/CREATE TABLE \`$ch_db\`.\`$table\`/" "$sql")"
	done
}

# load host port table file: inserts a Native file into a table (an empty table has an empty file,
# and nothing to insert). insert_deduplicate=0: a Replicated table would drop a block equal to one of
# its last ones.
load() {
	[ -s "$4" ] || return 0
	ch_at "$1" "$2" --insert_deduplicate=0 --query "INSERT INTO \`$ch_db\`.\`$3\` FORMAT Native" <"$4"
}

status=0
check() { # store table rows got
	if [ "$4" != "$3" ]; then
		echo "restore: $1 $2 has $4 rows; the backup had $3" >&2
		status=1
	fi
}

cluster=${ORDERCAST_CH_CLUSTER:-}
if [ -f "$from/CLUSTER" ]; then
	[ -n "$cluster" ] || { echo "restore: $from is a cluster's backup: set ORDERCAST_CH_CLUSTER" >&2; exit 2; }
	backup_db=$(awk '$1 == "database" { print $2 }' "$from/CLUSTER")
	backup_shards=$(awk '$1 == "shards" { print $2 }' "$from/CLUSTER")
	[ "$backup_db" = "$ch_db" ] || { echo "restore: the backup is of database $backup_db; ORDERCAST_CH_DSN names $ch_db" >&2; exit 2; }
	servers=$(cluster_servers "$cluster")
	shards=$(cut -f1 <<<"$servers" | sort -un)
	[ "$(wc -w <<<"$shards")" = "$backup_shards" ] ||
		{ echo "restore: the backup has $backup_shards shards; cluster $cluster has $(wc -w <<<"$shards")" >&2; exit 2; }
	while read -r s r host port; do
		echo "restore: clickhouse tables on shard $s replica $r ($host:$port)" >&2
		create_tables "$host" "$port"
	done <<<"$servers"
	replicated=" $(ch --query "SELECT name FROM system.tables WHERE database = '$ch_db' AND engine LIKE 'Replicated%'" | tr '\n' ' ') "
	for shard in $shards; do
		read -r host port < <(answering_replica "$servers" "$shard")
		for native in "$from/clickhouse/shard-$shard"/*.native; do
			[ -e "$native" ] || break
			echo "restore: clickhouse shard $shard $(basename "$native" .native) (into $host:$port, replicated)" >&2
			load "$host" "$port" "$(basename "$native" .native)" "$native"
		done
	done
	while read -r s r host port; do
		dir=$from/clickhouse/server-$s-$r
		# A replica that did not answer at the backup: the first of its shard that did.
		[ -d "$dir" ] || dir=$(ls -d "$from/clickhouse/server-$s-"* 2>/dev/null | head -n 1)
		for native in "$dir"/*.native; do
			[ -e "$native" ] || break
			load "$host" "$port" "$(basename "$native" .native)" "$native"
		done
	done <<<"$servers"
	echo "restore: waiting for every replica to fetch its shard's rows" >&2
	while read -r s r host port; do
		for table in $replicated; do
			ch_at "$host" "$port" --receive_timeout=300 --query "SYSTEM SYNC REPLICA \`$ch_db\`.\`$table\`"
		done
	done <<<"$servers"
else
	[ -z "$cluster" ] || { echo "restore: $from is one server's backup; unset ORDERCAST_CH_CLUSTER" >&2; exit 2; }
	n=$(ls "$from/clickhouse"/*.sql 2>/dev/null | wc -l)
	echo "restore: clickhouse, $n tables" >&2
	create_tables "$ch_host" "$ch_port"
	for native in "$from/clickhouse"/*.native; do
		[ -e "$native" ] || break
		load "$ch_host" "$ch_port" "$(basename "$native" .native)" "$native"
	done
fi

while read -r store table rows; do
	case $store in
	postgresql) check "$store" "$table" "$rows" "$(psql "$pg_dsn" -XAtc "SELECT count(*) FROM public.\"$table\"")" ;;
	clickhouse) check "$store" "$table" "$rows" "$(ch --query "SELECT count() FROM \`$ch_db\`.\`$table\`")" ;;
	clickhouse-shard-* | clickhouse-server-*)
		while read -r s r host port; do
			[ "clickhouse-shard-$s" = "$store" ] || [ "clickhouse-server-$s-$r" = "$store" ] || continue
			check "$store replica $r" "$table" "$rows" "$(ch_at "$host" "$port" --query "SELECT count() FROM \`$ch_db\`.\`$table\`")"
		done <<<"$servers"
		;;
	esac
done <"$from/MANIFEST"
[ $status = 0 ] && echo "restore: done, every table has its backup's rows" >&2
exit $status
