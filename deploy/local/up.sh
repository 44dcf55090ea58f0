#!/usr/bin/env bash
# Makes a project-local PostgreSQL and ClickHouse available on loopback for the demo, development and CI.
#
#   eval "$(deploy/local/up.sh)"     # installs what is missing, starts both, exports ORDERCAST_*_DSN
#
# - Installs the Debian packages postgresql, clickhouse-server and clickhouse-client when missing
#   (apt-get as root, through sudo otherwise).
# - Starts a PostgreSQL cluster and a ClickHouse server with their data under .local/ (git-ignored), on
#   ports that do not collide with the default services. As root, PostgreSQL runs as the postgres user.
# - Idempotent: stores that already answer on their ports are left alone.
# - Progress goes to stderr; stdout carries only the export lines, so that a shell can eval them.
# - PostgreSQL takes the order load's settings (checkpoints spaced out; docs/OPERATIONS.md, "PostgreSQL
#   settings for the order load") from ordercast.conf in its data directory, rewritten at every start.
# - ClickHouse's allocator takes MALLOC_CONF=thp:always (huge pages for its blocks), or
#   ORDERCAST_CH_MALLOC_CONF when set (empty: jemalloc's defaults).
# Logs: .local/log/ (ClickHouse) and .local/pg/postgresql.log. Stop with deploy/local/down.sh.
#
# ORDERCAST_CH_SHARDS=2 starts a second ClickHouse server (same binary, data in .local/clickhouse-2,
# TCP port ORDERCAST_CH_PORT+1, HTTP port ORDERCAST_CH_HTTP_PORT+1) and gives both servers the cluster
# "ordercast" of two shards, one server each, no replicas (docs/SCALE.md). It also exports
# ORDERCAST_CH_CLUSTER=ordercast, so that `ordercast migrate` creates local tables on both shards and
# Distributed tables over them. A first server already running from this checkout is given the
# cluster by rewriting its config.xml, which ClickHouse reloads by itself within seconds.
#
# ORDERCAST_CH_REPLICAS=2 (with any ORDERCAST_CH_SHARDS, 1 included) gives every shard two replicas:
# it installs Debian's zookeeper package when missing and starts ZooKeeper as the current user on
# 127.0.0.1:ORDERCAST_ZK_PORT (data and log in .local/zookeeper), starts shards × replicas servers
# (replica r of shard s is server (r-1)·shards + s: the first replicas are the servers of the
# unreplicated layout) and writes into every config the cluster with internal_replication, the
# zookeeper section, the server's macros {shard} and {replica} and its interserver port
# (ORDERCAST_CH_INTERSERVER_PORT + server - 1), which replicas fetch parts from. `ordercast migrate`
# then creates Replicated* local tables (docs/SCALE.md, "Replicas").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${ORDERCAST_LOCAL_DIR:-$root/.local}
pg_port=${ORDERCAST_PG_PORT:-55432}
ch_port=${ORDERCAST_CH_PORT:-59000}
ch_http_port=${ORDERCAST_CH_HTTP_PORT:-58123}
ch_shards=${ORDERCAST_CH_SHARDS:-1}
ch_replicas=${ORDERCAST_CH_REPLICAS:-1}
ch_malloc_conf=${ORDERCAST_CH_MALLOC_CONF-thp:always}
ch_interserver_port=${ORDERCAST_CH_INTERSERVER_PORT:-57009}
zk_port=${ORDERCAST_ZK_PORT:-52181}
cluster=ordercast
pg_user=ordercast
pg_password=ordercast
database=ordercast

say() { echo "up.sh: $*" >&2; }
die() { echo "up.sh: error: $*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@" || die "need root for: $* (run as root or allow sudo)"; fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install_missing() {
	local pkgs=()
	[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/pg_ctl" ] || pkgs+=(postgresql)
	[ -x /usr/sbin/clickhouse-server ] || [ -x /usr/bin/clickhouse-server ] || pkgs+=(clickhouse-server)
	command -v clickhouse-client >/dev/null || pkgs+=(clickhouse-client)
	command -v psql >/dev/null || pkgs+=(postgresql-client)
	[ "$ch_replicas" -le 1 ] || [ -f "$zk_jar" ] || pkgs+=(zookeeper)
	[ ${#pkgs[@]} -eq 0 ] && return
	say "installing ${pkgs[*]} from Debian packages"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
}

pg_answers() {
	PGPASSWORD=$pg_password PGCONNECT_TIMEOUT=2 psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres \
		-tAc 'SELECT 1' >/dev/null 2>&1
}

ch_answers() { clickhouse-client --host 127.0.0.1 --port "${1:-$ch_port}" -q 'SELECT 1' >/dev/null 2>&1; }

# cluster_config n prints what server n's config says of the cluster: nothing for one server; the
# <remote_servers> block of the cluster; with replicas also internal_replication, the zookeeper
# section, the server's macros and its interserver port.
cluster_config() {
	local n=$1 s r
	[ "$servers" -gt 1 ] || return 0
	printf '<remote_servers><%s>' "$cluster"
	for ((s = 1; s <= ch_shards; s++)); do
		printf '<shard>'
		[ "$ch_replicas" -gt 1 ] && printf '<internal_replication>true</internal_replication>'
		for ((r = 1; r <= ch_replicas; r++)); do
			printf '<replica><host>127.0.0.1</host><port>%d</port></replica>' $((ch_port + (r - 1) * ch_shards + s - 1))
		done
		printf '</shard>'
	done
	printf '</%s></remote_servers>' "$cluster"
	[ "$ch_replicas" -gt 1 ] || return 0
	printf '<zookeeper><node><host>127.0.0.1</host><port>%d</port></node><session_timeout_ms>30000</session_timeout_ms></zookeeper>' "$zk_port"
	printf '<macros><shard>%d</shard><replica>r%d</replica></macros>' $(((n - 1) % ch_shards + 1)) $(((n - 1) / ch_shards + 1))
	printf '<interserver_http_host>127.0.0.1</interserver_http_host><interserver_http_port>%d</interserver_http_port>' \
		$((ch_interserver_port + n - 1))
}

zk_jar=/usr/share/java/zookeeper.jar

zk_answers() { # ZooKeeper's four-letter "ruok" (whitelisted in the config below) answers "imok"
	local reply
	{ exec 3<>"/dev/tcp/127.0.0.1/$zk_port"; } 2>/dev/null || return 1
	printf ruok >&3
	reply=$(timeout 2 cat <&3 || true)
	exec 3>&-
	[ "$reply" = imok ]
}

# start_zookeeper runs a standalone ZooKeeper from Debian's jars as the current user (no system
# service), on loopback, with its data in .local/zookeeper.
start_zookeeper() {
	if zk_answers; then
		say "zookeeper already answers on 127.0.0.1:$zk_port"
		return
	fi
	local zkdir=$state/zookeeper
	mkdir -p "$zkdir/data"
	cat >"$zkdir/zoo.cfg" <<-EOF
		# ordercast local ZooKeeper: standalone, loopback only (written by deploy/local/up.sh)
		tickTime=500
		dataDir=$zkdir/data
		clientPort=$zk_port
		clientPortAddress=127.0.0.1
		maxClientCnxns=0
		admin.enableServer=false
		4lw.commands.whitelist=ruok
		autopurge.purgeInterval=1
	EOF
	say "starting ZooKeeper on 127.0.0.1:$zk_port (log: $zkdir/zookeeper.log)"
	(cd "$zkdir" && echo "$BASHPID" >"$zkdir/zookeeper.pid" &&
		exec setsid java -Xmx256m -cp "$zk_jar" org.apache.zookeeper.server.ZooKeeperServerMain "$zkdir/zoo.cfg") \
		>>"$zkdir/zookeeper.log" 2>&1 </dev/null &
	wait_for zookeeper zk_answers 60 || die "ZooKeeper does not answer on 127.0.0.1:$zk_port; see $zkdir/zookeeper.log"
}

wait_for() { # name, check function, seconds
	local i
	for ((i = 0; i < $3 * 4; i++)); do
		"$2" && return 0
		sleep 0.25
	done
	return 1
}

start_postgres() {
	if pg_answers; then
		say "postgresql already answers on 127.0.0.1:$pg_port"
		return
	fi
	local bin pgdir run_pg=()
	bin=$(pg_bin)
	pgdir=$state/pg
	mkdir -p "$pgdir"
	if [ "$(id -u)" = 0 ]; then
		# PostgreSQL refuses to run as root: run it as the postgres system user, which must reach the folder.
		chown postgres:postgres "$pgdir"
		if ! runuser -u postgres -- test -w "$pgdir"; then
			pgdir=/var/lib/ordercast-local/$(printf '%s' "$root" | md5sum | cut -c1-12)/pg
			say "the postgres user cannot reach $state; keeping PostgreSQL data in $pgdir"
			mkdir -p "$pgdir"
			chown postgres:postgres "$pgdir"
		fi
		run_pg=(runuser -u postgres -- env -C /)
	fi
	if [ ! -f "$pgdir/data/PG_VERSION" ]; then
		say "creating a PostgreSQL cluster in $pgdir/data"
		"${run_pg[@]}" mkdir -p "$pgdir/data" "$pgdir/run"
		printf '%s\n' "$pg_password" | "${run_pg[@]}" tee "$pgdir/pwfile" >/dev/null
		"${run_pg[@]}" "$bin/initdb" -D "$pgdir/data" -U "$pg_user" --pwfile="$pgdir/pwfile" \
			--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >"$pgdir/initdb.log" 2>&1 ||
			die "initdb failed; see $pgdir/initdb.log"
		"${run_pg[@]}" rm -f "$pgdir/pwfile"
		"${run_pg[@]}" tee -a "$pgdir/data/postgresql.conf" >/dev/null <<-EOF
			# ordercast local settings
			listen_addresses = '127.0.0.1'
			port = $pg_port
			unix_socket_directories = '$pgdir/run'
			max_connections = 300
			shared_buffers = 256MB
			log_min_messages = warning
		EOF
	fi
	# The write load's settings (docs/OPERATIONS.md, "PostgreSQL settings for the order load") are in a
	# file of their own, rewritten at every start, so that a cluster made by an earlier up.sh takes them
	# too; postgresql.conf includes it (the line added once).
	"${run_pg[@]}" tee "$pgdir/data/ordercast.conf" >/dev/null <<-EOF
		# written by deploy/local/up.sh at every start: edit there (docs/OPERATIONS.md says why)
		# The order load writes 6.5-9.5 kB of WAL per order: at 1,000 orders/s the default max_wal_size
		# (1GB) began a checkpoint every minute or so, and the first writes of each page after one log
		# the whole page (+40% WAL per order for a while). At most one per 15 min, or per ~2 GB of WAL.
		checkpoint_timeout = 15min
		max_wal_size = 4GB
		log_checkpoints = on
		# autovacuum runs over 250 ms in the log, to time them against the orders' latency
		log_autovacuum_min_duration = 250ms
	EOF
	"${run_pg[@]}" grep -qx "include_if_exists = 'ordercast.conf'" "$pgdir/data/postgresql.conf" ||
		echo "include_if_exists = 'ordercast.conf'" | "${run_pg[@]}" tee -a "$pgdir/data/postgresql.conf" >/dev/null
	say "starting PostgreSQL on 127.0.0.1:$pg_port (log: $pgdir/postgresql.log)"
	"${run_pg[@]}" "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/postgresql.log" -w -t 60 start >&2 ||
		die "PostgreSQL did not start; see $pgdir/postgresql.log"
	wait_for postgresql pg_answers 30 || die "PostgreSQL does not answer on 127.0.0.1:$pg_port; see $pgdir/postgresql.log"
}

# this_ch_answers checks the server start_clickhouse is starting (bash scoping: its local $port).
this_ch_answers() { ch_answers "$port"; }

# start_clickhouse n starts server n (1, 2, ...): server 1 keeps its data in .local/clickhouse, server n
# in .local/clickhouse-n, on the ports of server 1 plus n-1.
start_clickhouse() {
	local n=$1 suffix='' port http server
	[ "$n" -gt 1 ] && suffix=-$n
	port=$((ch_port + n - 1))
	http=$((ch_http_port + n - 1))
	local chdir=$state/clickhouse$suffix logdir=$state/log$suffix
	mkdir -p "$chdir/data" "$logdir"
	sed -e "s#@LOG_DIR@#$logdir#g; s#@DATA_DIR@#$chdir/data#g; s#@TCP_PORT@#$port#g" \
		-e "s#@HTTP_PORT@#$http#g; s#@CONFIG_FILE@#$chdir/config.xml#g" \
		-e "s#@REMOTE_SERVERS@#$(cluster_config "$n")#g" \
		"$here/clickhouse.xml.in" >"$chdir/config.xml.new"
	if ch_answers "$port"; then
		# A running server of this checkout takes the new cluster definition when its config changes.
		if [ -f "$chdir/config.xml" ] && ! cmp -s "$chdir/config.xml" "$chdir/config.xml.new"; then
			say "clickhouse $n already answers on 127.0.0.1:$port; updating its cluster definition"
			mv "$chdir/config.xml.new" "$chdir/config.xml"
		else
			say "clickhouse $n already answers on 127.0.0.1:$port"
			rm -f "$chdir/config.xml.new"
		fi
		return
	fi
	mv "$chdir/config.xml.new" "$chdir/config.xml"
	server=$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)
	say "starting ClickHouse $n on 127.0.0.1:$port (logs: $logdir/clickhouse*.log)"
	# The server must not hold this script's stdout: `eval "$(up.sh)"` waits for it to close.
	# setsid does not fork here (a background subshell is no group leader), so $BASHPID is the server's pid.
	# MALLOC_CONF: the server's jemalloc backs its blocks with transparent huge pages (the kernel's
	# "madvise" mode, Debian's default, gives them only to who asks). Without, storing a 1M-series
	# forecast run faulted in 1.5 GB of 4 KiB pages: 3 × the time (docs/OPERATIONS.md, "ClickHouse's
	# memory allocator").
	(cd "$chdir" && echo "$BASHPID" >"$chdir/clickhouse.pid" &&
		MALLOC_CONF=$ch_malloc_conf exec setsid "$server" --config-file="$chdir/config.xml") \
		>>"$logdir/clickhouse.stdout.log" 2>&1 </dev/null &
	wait_for clickhouse this_ch_answers 60 || die "ClickHouse $n does not answer on 127.0.0.1:$port; see $logdir/clickhouse.err.log"
}

# cluster_ready waits until every server knows the whole cluster (after a config reload, within seconds).
cluster_ready() {
	local n
	for ((n = 0; n < servers; n++)); do
		clickhouse-client --host 127.0.0.1 --port $((ch_port + n)) \
			-q "SELECT count() FROM system.clusters WHERE cluster = '$cluster'" 2>/dev/null | grep -qx "$servers" || return 1
	done
}

[[ "$ch_shards" =~ ^[1-9]$ ]] || die "ORDERCAST_CH_SHARDS=$ch_shards: give a number of shards from 1 to 9"
[[ "$ch_replicas" =~ ^[1-9]$ ]] || die "ORDERCAST_CH_REPLICAS=$ch_replicas: give a number of replicas from 1 to 9"
servers=$((ch_shards * ch_replicas))
install_missing
mkdir -p "$state"
start_postgres
[ "$ch_replicas" -gt 1 ] && start_zookeeper
for ((n = 1; n <= servers; n++)); do start_clickhouse "$n"; done
if [ "$servers" -gt 1 ]; then
	wait_for cluster cluster_ready 30 || die "ClickHouse on 127.0.0.1:$ch_port does not list the cluster $cluster"
fi
if [ "$ch_replicas" -gt 1 ]; then
	# ClickHouse opens its interserver port at start only (18.16 reloads the macros and the cluster): a
	# server that was already running without replicas would take writes its partner cannot fetch.
	for ((n = 0; n < servers; n++)); do
		clickhouse-client --host 127.0.0.1 --port $((ch_port + n)) -q "SELECT count() FROM system.macros WHERE macro = 'replica'" |
			grep -qx 1 && { exec 3<>"/dev/tcp/127.0.0.1/$((ch_interserver_port + n))"; } 2>/dev/null ||
			die "ClickHouse on 127.0.0.1:$((ch_port + n)) was started without replicas; restart it: deploy/local/down.sh, then this again"
		exec 3>&-
	done
fi

if ! PGPASSWORD=$pg_password psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -tAc \
	"SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
	PGPASSWORD=$pg_password psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -qc "CREATE DATABASE $database" >&2
fi
for ((n = 0; n < servers; n++)); do
	clickhouse-client --host 127.0.0.1 --port $((ch_port + n)) -q "CREATE DATABASE IF NOT EXISTS $database" >&2
done
say "both stores answer"

echo "export ORDERCAST_PG_DSN='postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$database?sslmode=disable'"
echo "export ORDERCAST_CH_DSN='clickhouse://127.0.0.1:$ch_port/$database'"
if [ "$servers" -gt 1 ]; then echo "export ORDERCAST_CH_CLUSTER=$cluster"; fi
