# calico-node lab helpers, on top of netns.sh (source that first). One agent
# per lab: it runs inside a host namespace on a SQLite datastore in $LAB_TMP
# (or whatever CALICO_DATASTORE / ETCD_ENDPOINTS the caller exported).
#
#   agent_start HOST [ARGS...]   start calico-node in HOST's namespace; sets AGENT_PID, AGENT_HOST
#   agent_stop [SIGNAL]          signal it (TERM), wait, return its exit status
#   agent_log                    path of its log (stdout + stderr, across restarts)
#   agent_metric NAME            a metric's value from /metrics (empty when unreachable)
#   agent_http PATH              HTTP status code of GET PATH on 127.0.0.1:9099
#   agent_wait_ready [SECS]      until /readiness says 200
#   agent_wait_applied N [SECS]  until calico_nft_applies_total > N
#   wl_add NAME IP PROFILES      workload namespace NAME with eth0 = IP, veth cali<id>, and its
#                                endpoint record (PROFILES: JSON list, e.g. '["p1","p2"]'); sets WL_IF
#   wl_endpoint NAME IP PROFILES (re)write only the endpoint record
#   wl_key NAME / wl_status_key NAME   datastore keys of NAME's endpoint and its status
#   wl_wait_status NAME STATUS [SECS]  until the status key says STATUS
#   profile_put NAME TAGS_JSON IN_RULES_JSON OUT_RULES_JSON   write a profile's two keys
#   profile_del NAME
AGENT_PID=""
AGENT_HOST=""
AGENT_LOG="$LAB_TMP/calico-node.log"
if [ -z "${CALICO_DATASTORE:-}" ] && [ -z "${ETCD_ENDPOINTS:-}" ]; then
	export CALICO_DATASTORE=sqlite:$LAB_TMP/calico.db
fi
# DS_NS: the namespace the datastore tools run in (an etcd inside the lab); "" = here
DS_NS=${DS_NS:-}
_ds() { if [ -n "$DS_NS" ]; then lab_exec "$DS_NS" "$@"; else "$@"; fi; }
DSTOOL="${CALICO_BUILD:?}/dstool"
NLTOOL="$CALICO_BUILD/nltool"

agent_log() { echo "$AGENT_LOG"; }

agent_start() {
	local host=$1; shift
	mkdir -p "$LAB_TMP/run" "$LAB_TMP/log" "$LAB_TMP/state"
	AGENT_HOST=$host
	lab_spawn "$host" env CALICO_RUN_DIR="$LAB_TMP/run" CALICO_LOG_DIR="$LAB_TMP/log" \
		CALICO_STATE_DIR="$LAB_TMP/state" HOSTNAME="$host" "$CALICO_BUILD/calico-node" "$@" >>"$AGENT_LOG" 2>&1
	AGENT_PID=$LAB_LAST_PID
}

agent_stop() {
	local rc
	[ -n "$AGENT_PID" ] || return 1
	kill -"${1:-TERM}" "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID"
	rc=$?
	AGENT_PID=""
	return $rc
}

agent_metrics() { lab_exec "$AGENT_HOST" curl -s --max-time 1 http://127.0.0.1:9099/metrics 2>/dev/null; }
agent_metric() { agent_metrics | awk -v n="$1" '$1 == n { print $2 }'; }
agent_http() { lab_exec "$AGENT_HOST" curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:9099$1"; }

# until CMD succeeds, polling every 50 ms, for up to SECS seconds
agent_until() {
	local secs=$1 i; shift
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

_ready() { [ "$(agent_http /readiness)" = 200 ]; }
agent_wait_ready() { agent_until "${1:-10}" _ready; }
_applied_over() { local v; v=$(agent_metric calico_nft_applies_total); [ -n "$v" ] && [ "$v" -gt "$1" ]; }
agent_wait_applied() { agent_until "${2:-10}" _applied_over "$1"; }

_wl_id() { printf 'ep%s%s' "$1" "0000000000000000" | cut -c1-16; }
wl_key() { echo "/calico/v1/host/$AGENT_HOST/workload/lab/$1/endpoint/$(_wl_id "$1")"; }
wl_status_key() { echo "/calico/felix/v1/host/$AGENT_HOST/workload/lab/$1/endpoint/$(_wl_id "$1")"; }

wl_endpoint() {
	local id ifn
	id=$(_wl_id "$1")
	ifn="cali$(echo "$id" | cut -c1-11)"
	_ds "$DSTOOL" put "$(wl_key "$1")" \
		"{\"state\":\"active\",\"name\":\"$ifn\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":$3,\"ipv4_nets\":[\"$2/32\"],\"ipv6_nets\":[],\"labels\":{}}"
}

wl_add() {
	local id
	id=$(_wl_id "$1")
	WL_IF="cali$(echo "$id" | cut -c1-11)"
	lab_workload_ns "$1" || return 1
	lab_exec "$AGENT_HOST" "$NLTOOL" attach "$(lab_nspath "$1")" "$WL_IF" eth0 0 "$2" || return 1
	[ "$3" = none ] || wl_endpoint "$@"
}

_status_is() { _ds "$DSTOOL" get "$(wl_status_key "$1")" 2>/dev/null | grep -q "\"$2\""; }
wl_wait_status() { agent_until "${3:-10}" _status_is "$1" "$2"; }

profile_put() {
	_ds "$DSTOOL" put "/calico/v1/policy/profile/$1/tags" "$2" &&
		_ds "$DSTOOL" put "/calico/v1/policy/profile/$1/rules" \
			"{\"id\":\"$1\",\"inbound_rules\":$3,\"outbound_rules\":$4}"
}

profile_del() {
	_ds "$CALICO_BUILD/calicoctl" profile remove "$1" --no-check >/dev/null
}
