#!/usr/bin/env bash
# Starts a streaming replica of deploy/local's PostgreSQL on loopback, for the read-only reports.
#
#   eval "$(deploy/local/up.sh)"; eval "$(deploy/local/replica.sh)"   # exports ORDERCAST_PG_REPORT_DSN
#
# - Uses Debian's own tools: pg_basebackup -R copies the running primary (127.0.0.1:55432) into a
#   second data folder, .local/pg-replica/data, and writes the standby's connection to the primary
#   (standby.signal, primary_conninfo); the copy then starts as a hot standby on 127.0.0.1:55433.
#   The primary needs nothing changed: PostgreSQL's defaults (wal_level replica, max_wal_senders 10)
#   and initdb's pg_hba.conf (replication from 127.0.0.1) allow it.
# - No replication slot: a replica stopped for long may need a fresh copy (delete .local/pg-replica);
#   the primary never keeps WAL for it.
# - Idempotent: a replica that already answers is left alone; a stopped one restarts on its data.
# - Progress goes to stderr; stdout carries only the export line. Log: .local/pg-replica/postgresql.log.
#   deploy/local/down.sh stops it with the primary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${ORDERCAST_LOCAL_DIR:-$root/.local}
pg_port=${ORDERCAST_PG_PORT:-55432}
replica_port=${ORDERCAST_PG_REPLICA_PORT:-55433}
pg_user=ordercast
pg_password=ordercast
database=ordercast

say() { echo "replica.sh: $*" >&2; }
die() { echo "replica.sh: error: $*" >&2; exit 1; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

answers() { # port
	PGPASSWORD=$pg_password PGCONNECT_TIMEOUT=2 psql -h 127.0.0.1 -p "$1" -U "$pg_user" -d postgres \
		-tAc 'SELECT 1' >/dev/null 2>&1
}

report_dsn() {
	echo "export ORDERCAST_PG_REPORT_DSN='postgres://$pg_user:$pg_password@127.0.0.1:$replica_port/$database?sslmode=disable'"
}

answers "$pg_port" || die "the primary does not answer on 127.0.0.1:$pg_port: run deploy/local/up.sh first"
if answers "$replica_port"; then
	[ "$(PGPASSWORD=$pg_password psql -h 127.0.0.1 -p "$replica_port" -U "$pg_user" -d postgres -tAc \
		'SELECT pg_is_in_recovery()')" = t ] || die "127.0.0.1:$replica_port answers but is no standby"
	say "the replica already answers on 127.0.0.1:$replica_port"
	report_dsn
	exit 0
fi

bin=$(pg_bin)
[ -x "$bin/pg_basebackup" ] || die "pg_basebackup is missing (Debian package postgresql); run deploy/local/up.sh"
rdir=$state/pg-replica
run_pg=()
mkdir -p "$rdir"
if [ "$(id -u)" = 0 ]; then
	# As in up.sh: PostgreSQL runs as the postgres user, which must reach the folder.
	chown postgres:postgres "$rdir"
	if ! runuser -u postgres -- test -w "$rdir"; then
		rdir=/var/lib/ordercast-local/$(printf '%s' "$root" | md5sum | cut -c1-12)/pg-replica
		say "the postgres user cannot reach $state; keeping the replica's data in $rdir"
		mkdir -p "$rdir"
		chown postgres:postgres "$rdir"
	fi
	run_pg=(runuser -u postgres -- env -C /)
fi

if [ ! -f "$rdir/data/PG_VERSION" ]; then
	say "copying the primary 127.0.0.1:$pg_port into $rdir/data (pg_basebackup -R)"
	"${run_pg[@]}" rm -rf "$rdir/data"
	"${run_pg[@]}" mkdir -p "$rdir/run"
	"${run_pg[@]}" env PGPASSWORD=$pg_password "$bin/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U "$pg_user" \
		-D "$rdir/data" -R -X stream -c fast >"$rdir/basebackup.log" 2>&1 ||
		die "pg_basebackup failed; see $rdir/basebackup.log"
	# The copy carries the primary's settings; later lines win.
	"${run_pg[@]}" tee -a "$rdir/data/postgresql.conf" >/dev/null <<-EOF2
		# ordercast local replica settings
		port = $replica_port
		unix_socket_directories = '$rdir/run'
		hot_standby = on
		hot_standby_feedback = on
	EOF2
fi
say "starting the replica on 127.0.0.1:$replica_port (log: $rdir/postgresql.log)"
"${run_pg[@]}" "$bin/pg_ctl" -D "$rdir/data" -l "$rdir/postgresql.log" -w -t 120 start >&2 ||
	die "the replica did not start; see $rdir/postgresql.log"
for _ in $(seq 120); do
	answers "$replica_port" && break
	sleep 0.25
done
answers "$replica_port" || die "the replica does not answer on 127.0.0.1:$replica_port; see $rdir/postgresql.log"
say "the replica streams from 127.0.0.1:$pg_port"
report_dsn
