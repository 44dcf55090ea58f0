#!/usr/bin/env bash
# Restores a backup of deploy/backup/backup.sh into the stores of ORDERCAST_PG_DSN and ORDERCAST_CH_DSN:
#   deploy/backup/restore.sh -f DIR
# PostgreSQL: the database must exist; its tables are replaced in one transaction (pg_restore --clean
# --single-transaction): a failed restore leaves it as it was. ClickHouse: the database is created if
# missing; each table of the backup is dropped, created and loaded. Then the row counts are checked
# against the backup's MANIFEST.
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

ch --query "CREATE DATABASE IF NOT EXISTS \`$ch_db\`"
n=$(ls "$from/clickhouse"/*.sql 2>/dev/null | wc -l)
i=0
for sql in "$from/clickhouse"/*.sql; do
	[ -e "$sql" ] || break
	table=$(basename "$sql" .sql)
	i=$((i + 1))
	echo "restore: clickhouse $i/$n $table" >&2
	ch --query "DROP TABLE IF EXISTS \`$ch_db\`.\`$table\`"
	# The statement names the database it was taken from: create the table in this one.
	ch --database "$ch_db" --query "$(sed -E "s/^CREATE TABLE [^ (]+/CREATE TABLE \`$ch_db\`.\`$table\`/" "$sql")"
	if [ -s "$from/clickhouse/$table.native" ]; then # an empty table has an empty file, and nothing to insert
		ch --query "INSERT INTO \`$ch_db\`.\`$table\` FORMAT Native" <"$from/clickhouse/$table.native"
	fi
done

status=0
while read -r store table rows; do
	case $store in
	postgresql) got=$(psql "$pg_dsn" -XAtc "SELECT count(*) FROM public.\"$table\"") ;;
	clickhouse) got=$(ch --query "SELECT count() FROM \`$ch_db\`.\`$table\`") ;;
	esac
	if [ "$got" != "$rows" ]; then
		echo "restore: $store $table has $got rows; the backup had $rows" >&2
		status=1
	fi
done <"$from/MANIFEST"
[ $status = 0 ] && echo "restore: done, every table has its backup's rows" >&2
exit $status
