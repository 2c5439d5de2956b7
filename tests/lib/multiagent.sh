# Several lab hosts, one calico-node each, on the datastore the caller chose
# (a shared SQLite file, $CALICO_DATASTORE). Source after netns.sh. Every
# host gets private run/log/state dirs under $LAB_TMP/<host>/ and its own
# HOSTNAME; agents are lab_spawn'ed, so lab_cleanup stops them by pid.
#
#   ma_start HOST IP       register IP as HOST's ip_addr_v4, start calico-node in HOST's namespace
#   ma_wait_ready HOST [SECS]   until HOST's agent answers 200 on /readiness (127.0.0.1:9099 in HOST)
#   ma_stop HOST           SIGTERM HOST's agent and wait for it
#   ma_env HOST CMD...     run CMD in HOST's namespace with HOST's environment (calicoctl as that host)
#   ma_log HOST            path of HOST's agent log
declare -A MA_PID
DSTOOL="${CALICO_BUILD:?}/dstool"

_ma_dirs() { mkdir -p "$LAB_TMP/$1/run" "$LAB_TMP/$1/log" "$LAB_TMP/$1/state"; }

ma_log() { echo "$LAB_TMP/$1/agent.log"; }

ma_env() {
	local host=$1; shift
	_ma_dirs "$host"
	lab_exec "$host" env HOSTNAME="$host" CALICO_RUN_DIR="$LAB_TMP/$host/run" CALICO_LOG_DIR="$LAB_TMP/$host/log" \
		CALICO_STATE_DIR="$LAB_TMP/$host/state" "$@"
}

ma_start() {
	local host=$1 ip=$2
	"$DSTOOL" put "/calico/bgp/v1/host/$host/ip_addr_v4" "$ip" >/dev/null || return 1
	_ma_dirs "$host"
	lab_spawn "$host" env HOSTNAME="$host" CALICO_RUN_DIR="$LAB_TMP/$host/run" CALICO_LOG_DIR="$LAB_TMP/$host/log" \
		CALICO_STATE_DIR="$LAB_TMP/$host/state" "$CALICO_BUILD/calico-node" >>"$(ma_log "$host")" 2>&1
	MA_PID[$host]=$LAB_LAST_PID
}

_ma_ready() { [ "$(lab_exec "$1" curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9099/readiness)" = 200 ]; }

ma_wait_ready() {
	local i
	for ((i = 0; i < ${2:-15} * 10; i++)); do
		_ma_ready "$1" && return 0
		sleep 0.1
	done
	return 1
}

ma_stop() {
	local pid=${MA_PID[$1]:-}
	[ -n "$pid" ] || return 1
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	MA_PID[$1]=""
}

# until CMD succeeds, polling every 100 ms, for up to SECS seconds
ma_until() {
	local secs=$1 i; shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
