# shellcheck shell=bash
# The stars demo's pieces (sourced by scripts/demo.sh and scripts/demo/down.sh).
#
# Everything the demo makes is recorded in its state dir $DEMO_DIR before it
# is made, so a teardown (the demo's own trap, or `make demo-down` from another
# terminal) can remove exactly that and nothing else:
#   .calico-demo        marker: only a dir holding it is ever deleted
#   owner.pid           the pid of the demo.sh that owns the dir
#   id, build           the run id in the namespace names; the build dir of the binaries
#   namespaces          network namespaces, one a line, in creation order
#   pids                "PID WHAT": processes the demo started (WHAT must be in their cmdline)
#   hosts/H/{run,log,state}   each host's CALICO_RUN_DIR/LOG_DIR/STATE_DIR (calico-node, BIRD pid files)
#   log/                the workloads' and the forwarder's output
#   calico.db           the datastore (embedded SQLite)
#
# Topology: fabric namespace with bridge br0 (172.30.0.1/24); host1 (.11) and
# host2 (.12) on it, each with forwarding on and a default route (proxy ARP of
# 169.254.1.1 only answers for routable targets, LAB-NOTES §3.4). Nothing is
# added to the root namespace: every veth is created with both ends in demo
# namespaces.

DEMO_FAB_GW=172.30.0.1
declare -A DEMO_HOST_IP=([host1]=172.30.0.11 [host2]=172.30.0.12)
DEMO_HOSTS=(host1 host2)

demo_say() { printf '%s\n' "$*"; }
demo_err() { printf 'calico-demo: %s\n' "$*" >&2; }

# The full name of a demo namespace: prefix + run id + short name.
demo_ns() { printf 'calico-demo-%s-%s\n' "$DEMO_ID" "$1"; }

demo_ns_add() {
	local full
	full=$(demo_ns "$1")
	echo "$full" >>"$DEMO_DIR/namespaces"
	ip netns add "$full" && ip -n "$full" link set lo up
}

demo_sysctl() { ip netns exec "$(demo_ns "$1")" sh -c "echo '$3' > /proc/sys/$(echo "$2" | tr . /)"; }

demo_fabric_add() {
	local fab
	fab=$(demo_ns fab)
	demo_ns_add fab &&
		ip -n "$fab" link add br0 type bridge &&
		ip -n "$fab" addr add "$DEMO_FAB_GW/24" dev br0 &&
		ip -n "$fab" link set br0 up
}

demo_host_add() {
	local h=$1 n=$2 ip=${DEMO_HOST_IP[$1]} fab hns
	fab=$(demo_ns fab)
	hns=$(demo_ns "$h")
	demo_ns_add "$h" || return 1
	mkdir -p "$DEMO_DIR/hosts/$h/run" "$DEMO_DIR/hosts/$h/log" "$DEMO_DIR/hosts/$h/state" || return 1
	# Created inside the host namespace, the peer born inside the fabric.
	ip -n "$hns" link add eth0 type veth peer name "p$n" netns "$fab" &&
		ip -n "$fab" link set "p$n" master br0 up &&
		ip -n "$hns" addr add "$ip/24" dev eth0 &&
		ip -n "$hns" link set eth0 up &&
		ip -n "$hns" route add default via "$DEMO_FAB_GW" dev eth0 &&
		demo_sysctl "$h" net.ipv4.ip_forward 1 &&
		demo_sysctl "$h" net.ipv6.conf.all.forwarding 1
}

# The environment that makes a process "on host H".
demo_host_env() {
	local d="$DEMO_DIR/hosts/$1"
	echo "CALICO_RUN_DIR=$d/run CALICO_LOG_DIR=$d/log CALICO_STATE_DIR=$d/state HOSTNAME=$1"
}

# demo_on_host H CMD...: CMD inside H's namespace with H's environment.
demo_on_host() {
	local h=$1; shift
	# shellcheck disable=SC2046 # NAME=VALUE words without spaces
	ip netns exec "$(demo_ns "$h")" env $(demo_host_env "$h") "$@"
}

# Records a process the demo started (WHAT: a word of its command line, checked before killing it).
demo_record_pid() { echo "$1 $2" >>"$DEMO_DIR/pids"; }

# calicoctl against the demo's datastore; needs no namespace.
demo_ctl() { "$DEMO_BUILD/calicoctl" "$@"; }

# ---- teardown ----

# PID is alive and WHAT appears in its command line (pids get reused).
demo_pid_is() {
	local pid=$1 what=$2
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$what"
}

demo_kill_pid() {
	local pid=$1 what=$2 i
	demo_pid_is "$pid" "$what" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 60; i++)); do
		demo_pid_is "$pid" "$what" || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		demo_pid_is "$pid" "$what" || return 0
		sleep 0.05
	done
}

# Removes everything recorded in $DEMO_DIR. Idempotent; says what it removed
# when DEMO_QUIET is not set.
demo_teardown() {
	local pid what h f ns i list=()
	[ -f "$DEMO_DIR/.calico-demo" ] || return 0
	DEMO_ID=${DEMO_ID:-$(cat "$DEMO_DIR/id" 2>/dev/null)}
	DEMO_BUILD=${DEMO_BUILD:-$(cat "$DEMO_DIR/build" 2>/dev/null)}
	# The workloads (Mesos tasks take their anonymous namespaces with them) and the forwarder.
	if [ -f "$DEMO_DIR/pids" ]; then
		while read -r pid what; do
			[ -n "$pid" ] && demo_kill_pid "$pid" "$what"
		done <"$DEMO_DIR/pids"
	fi
	# Each host's calico-node and BIRD: calicoctl node stop, then whatever
	# their pid files still name (only if it is calico-node or bird).
	for h in "${DEMO_HOSTS[@]}"; do
		[ -d "$DEMO_DIR/hosts/$h/run" ] || continue
		if [ -e "/var/run/netns/$(demo_ns "$h")" ] && [ -x "${DEMO_BUILD:-}/calicoctl" ]; then
			CALICO_DATASTORE="sqlite:$DEMO_DIR/calico.db" demo_on_host "$h" "$DEMO_BUILD/calicoctl" node stop --force \
				>/dev/null 2>&1
		fi
		for f in "$DEMO_DIR/hosts/$h/run"/*.pid; do
			[ -f "$f" ] || continue
			pid=$(head -n1 "$f" | tr -dc 0-9)
			[ -n "$pid" ] || continue
			if demo_pid_is "$pid" calico-node; then
				demo_kill_pid "$pid" calico-node
			elif demo_pid_is "$pid" bird; then
				demo_kill_pid "$pid" bird
			fi
		done
	done
	# Namespaces, newest first (workloads and hosts before the fabric).
	if [ -f "$DEMO_DIR/namespaces" ]; then
		mapfile -t list <"$DEMO_DIR/namespaces"
		for ((i = ${#list[@]} - 1; i >= 0; i--)); do
			ns=${list[$i]}
			case $ns in calico-demo-*) ;; *) continue ;; esac
			[ -e "/var/run/netns/$ns" ] || continue
			ip netns del "$ns" 2>/dev/null || demo_err "cannot delete namespace $ns"
		done
	fi
	# Tests keep the logs (sanitizer reports land there as processes exit).
	if [ -n "${DEMO_KEEP_LOGS:-}" ]; then
		mkdir -p "$DEMO_KEEP_LOGS" && cp -r "$DEMO_DIR/log" "$DEMO_DIR/hosts" "$DEMO_KEEP_LOGS/" 2>/dev/null
	fi
	rm -rf "$DEMO_DIR"
}

# The demo that owns $DEMO_DIR still runs, or any of its namespaces exists.
demo_dir_in_use() {
	local pid ns
	[ -f "$DEMO_DIR/.calico-demo" ] || return 1
	pid=$(cat "$DEMO_DIR/owner.pid" 2>/dev/null)
	[ -n "$pid" ] && demo_pid_is "$pid" demo.sh && return 0
	if [ -f "$DEMO_DIR/namespaces" ]; then
		while read -r ns; do
			[ -n "$ns" ] && [ -e "/var/run/netns/$ns" ] && return 0
		done <"$DEMO_DIR/namespaces"
	fi
	return 1
}
