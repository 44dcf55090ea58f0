#!/usr/bin/env bash
# Backs up both stores of ordercast into a folder:
#   deploy/backup/backup.sh -o DIR        (DSNs from ORDERCAST_PG_DSN and ORDERCAST_CH_DSN)
# PostgreSQL, the system of record: pg_dump in its custom format (postgres.dump), a consistent snapshot.
# ClickHouse, the history: per table its CREATE statement and its rows in the Native format
# (clickhouse/<table>.sql, .native), table by table; ClickHouse has no cross-table snapshot, so take
# the backup when no import runs (the relay's lines written meanwhile are in PostgreSQL's outbox and
# are relayed again after a restore, each batch once).
# MANIFEST lists every table with its row count. Restore with deploy/backup/restore.sh.
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

tables=$(ch --query "SELECT name FROM system.tables WHERE database = '$ch_db' AND engine NOT LIKE '%View' ORDER BY name")
n=$(echo "$tables" | grep -c . || true)
i=0
for table in $tables; do
	i=$((i + 1))
	echo "backup: clickhouse $i/$n $table" >&2
	ch --query "SHOW CREATE TABLE \`$ch_db\`.\`$table\` FORMAT TSVRaw" >"$out/clickhouse/$table.sql"
	ch --query "SELECT * FROM \`$ch_db\`.\`$table\` FORMAT Native" >"$out/clickhouse/$table.native"
	echo "clickhouse $table $(ch --query "SELECT count() FROM \`$ch_db\`.\`$table\`")" >>"$out/MANIFEST"
done
echo "backup: done, $out" >&2
