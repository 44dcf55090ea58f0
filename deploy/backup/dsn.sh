# Sourced by backup.sh and restore.sh: parse_ch_dsn splits a clickhouse:// DSN into ch_host, ch_port,
# ch_db, ch_user and ch_password, and ch runs clickhouse-client on it.
parse_ch_dsn() {
	local re='^clickhouse://(([^:@/]+)(:([^@]*))?@)?([^:/?]+)(:([0-9]+))?/([^?]+)'
	[[ $1 =~ $re ]] || { echo "ORDERCAST_CH_DSN $1: want clickhouse://[user[:password]@]host[:port]/database" >&2; exit 2; }
	ch_user=${BASH_REMATCH[2]:-default}
	ch_password=${BASH_REMATCH[4]:-}
	ch_host=${BASH_REMATCH[5]}
	ch_port=${BASH_REMATCH[7]:-9000}
	ch_db=${BASH_REMATCH[8]}
}

ch() {
	clickhouse-client --host "$ch_host" --port "$ch_port" --user "$ch_user" ${ch_password:+--password "$ch_password"} "$@"
}
