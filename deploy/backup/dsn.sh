# Sourced by backup.sh and restore.sh: parse_ch_dsn splits a clickhouse:// DSN into ch_host, ch_port,
# ch_db, ch_user and ch_password; ch runs clickhouse-client on it, ch_at on another server (host,
# port) with the same user; cluster_servers lists the servers of a cluster as the DSN's server knows
# them, one "shard replica host port" a line, in shard and replica order.
parse_ch_dsn() {
	local re='^clickhouse://(([^:@/]+)(:([^@]*))?@)?([^:/?]+)(:([0-9]+))?/([^?]+)'
	[[ $1 =~ $re ]] || { echo "ORDERCAST_CH_DSN $1: want clickhouse://[user[:password]@]host[:port]/database" >&2; exit 2; }
	ch_user=${BASH_REMATCH[2]:-default}
	ch_password=${BASH_REMATCH[4]:-}
	ch_host=${BASH_REMATCH[5]}
	ch_port=${BASH_REMATCH[7]:-9000}
	ch_db=${BASH_REMATCH[8]}
}

ch() { ch_at "$ch_host" "$ch_port" "$@"; }

ch_at() {
	local host=$1 port=$2
	shift 2
	clickhouse-client --host "$host" --port "$port" --user "$ch_user" ${ch_password:+--password "$ch_password"} "$@"
}

cluster_servers() {
	ch --query "SELECT shard_num, replica_num, host_address, port FROM system.clusters WHERE cluster = '$1'
		ORDER BY shard_num, replica_num FORMAT TSV"
}

# answering_replica prints "host port" of the first replica of shard $2 in the server list $1 that
# answers, and fails if none does.
answering_replica() {
	local s r host port
	while read -r s r host port; do
		[ "$s" = "$2" ] || continue
		if ch_at "$host" "$port" --query "SELECT 1" >/dev/null 2>&1; then
			echo "$host $port"
			return 0
		fi
	done <<<"$1"
	echo "no replica of shard $2 answers" >&2
	return 1
}
