#!/usr/bin/env bash
# The stars policy demo in one command (DESIGN §8; `make demo` runs it).
#
#   scripts/demo.sh [BUILD_DIR]        BUILD_DIR holds the binaries (default: build/)
#
# A cluster of two hosts in network namespaces on one fabric, each running
# `calicoctl node` (calico-node + BIRD, BGP between them) on the embedded
# SQLite datastore; four workloads attached through the real plugins:
#   management-ui  CNI (calico + calico-ipam)       on host2   the collector, UI on :9001
#   client         Mesos net-modules (calico_mesos) on host2   a probe on :9000
#   frontend       Mesos net-modules (calico_mesos) on host1   a probe on :9000
#   backend        CNI (calico + calico-ipam)       on host1   a probe on :9000
# One profile per service with Calico's default isolation (inbound only from
# the same tag); every workload carries the label role=<service>. The UI is
# at http://127.0.0.1:$DEMO_PORT through a forwarder
# that opens every connection inside host1's namespace: it crosses the fabric
# to host2 and enters management-ui through its cali interface, so
# management-ui's policy decides whether the page loads. (management-ui is not
# on host1 because calico-node, like Calico, filters forwarded traffic only:
# a host's own connections to its local workloads are not policed. And it
# comes through CNI because calico_mesos gives a task a default_<host> profile
# that allows traffic from the host.)
#
# Environment:
#   DEMO=interactive (default)  print each step's commands, apply on Enter
#   DEMO=auto                   apply each step after DEMO_PAUSE seconds (default 5), print
#                               "DEMO STEP N DONE" once a step is applied; tear down at the end
#                               (after Enter when stdin is a terminal)
#   DEMO=up                     bring everything up and return; `make demo-down` removes it
#   DEMO_DIR (/tmp/calico-demo) state dir; DEMO_PORT (9001) the UI's port on 127.0.0.1
#   DEMO_POLICY=2016 (default)  the steps add rules to the services' profiles (calicoctl profile ...)
#   DEMO_POLICY=v3              the steps apply Calico v3 policy files, scripts/demo/policies/*.yaml
#                               (calicoctl apply -f): a tier with a default deny, then allows by role
#   DEMO_GATE=PREFIX            (tests) in auto mode, after step N wait for the file PREFIX.N
#   DEMO_KEEP_LOGS=DIR          (tests) the teardown copies the logs there before removing the state dir
#
# Ctrl-C (or `make demo-down` from another terminal) removes everything it made.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=demo/lib.sh
. "$here/demo/lib.sh"

DEMO_MODE=${DEMO:-interactive}
DEMO_DIR=${DEMO_DIR:-/tmp/calico-demo}
DEMO_PORT=${DEMO_PORT:-9001}
DEMO_PAUSE=${DEMO_PAUSE:-5}
DEMO_POLICY=${DEMO_POLICY:-2016}
POLICIES=$here/demo/policies
DEMO_BUILD=$(cd "${1:-${CALICO_BUILD:-$repo/build}}" 2>/dev/null && pwd) || {
	demo_err "build dir '${1:-${CALICO_BUILD:-$repo/build}}' not found (run make build, or give the dir)"
	exit 1
}
SERVICES=(management-ui client frontend backend)
PROBES=(client frontend backend)
declare -A SVC_HOST=([management-ui]=host2 [client]=host2 [frontend]=host1 [backend]=host1)
declare -A SVC_VIA=([management-ui]=cni [frontend]=mesos [client]=mesos [backend]=cni)
declare -A SVC_IP=()

case $DEMO_MODE in interactive | auto | up) ;; *)
	demo_err "DEMO='$DEMO_MODE' is not one of interactive, auto, up"
	exit 1
	;;
esac
case $DEMO_POLICY in 2016 | v3) ;; *)
	demo_err "DEMO_POLICY='$DEMO_POLICY' is not one of 2016, v3"
	exit 1
	;;
esac
case $DEMO_PORT in '' | *[!0-9]*) demo_err "DEMO_PORT='$DEMO_PORT' is not a port number"; exit 1 ;; esac
if [ "$DEMO_PORT" -lt 1 ] || [ "$DEMO_PORT" -gt 65535 ]; then
	demo_err "DEMO_PORT='$DEMO_PORT' is not a port number"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	demo_err "needs root (network namespaces); run it with sudo"
	exit 1
fi
for b in calicoctl calico-node calico calico-ipam calico_mesos calico-stars; do
	if [ ! -x "$DEMO_BUILD/$b" ]; then
		demo_err "$DEMO_BUILD/$b is missing (run make build)"
		exit 1
	fi
done
for t in ip jq curl bird unshare; do
	command -v "$t" >/dev/null || { demo_err "'$t' is not installed (run scripts/install-deps.sh)"; exit 1; }
done

# ---- one demo per state dir; the port must be free ----
if demo_dir_in_use; then
	demo_err "a demo is already running (state in $DEMO_DIR, pid $(cat "$DEMO_DIR/owner.pid" 2>/dev/null));" \
		"stop it with 'make demo-down' (or Ctrl-C in its terminal), or use another DEMO_DIR"
	exit 1
fi
if [ -e "$DEMO_DIR" ] && [ ! -f "$DEMO_DIR/.calico-demo" ]; then
	demo_err "$DEMO_DIR exists and is not a demo state dir; remove it or set DEMO_DIR"
	exit 1
fi
if [ -f "$DEMO_DIR/.calico-demo" ]; then
	demo_say "Removing what a previous demo left in $DEMO_DIR"
	demo_teardown
fi
if ss -Hltn "sport = :$DEMO_PORT" 2>/dev/null | grep -q .; then
	demo_err "port $DEMO_PORT on this machine is in use; set DEMO_PORT to a free one"
	exit 1
fi
if ! mkdir -p "$(dirname "$DEMO_DIR")" || ! mkdir "$DEMO_DIR" 2>/dev/null; then
	demo_err "cannot create $DEMO_DIR (another demo starting at the same moment?)"
	exit 1
fi
: >"$DEMO_DIR/.calico-demo"
echo $$ >"$DEMO_DIR/owner.pid"
DEMO_ID=$(printf '%04x' $(($$ % 65536)))
echo "$DEMO_ID" >"$DEMO_DIR/id"
echo "$DEMO_BUILD" >"$DEMO_DIR/build"
mkdir -p "$DEMO_DIR/log"
: >"$DEMO_DIR/namespaces"
: >"$DEMO_DIR/pids"

KEEP=0
demo_on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$KEEP" != 1 ]; then
		demo_say ""
		demo_say "Tearing the demo down (namespaces, processes, state in $DEMO_DIR)..."
		demo_teardown
		demo_say "Demo removed."
	fi
	exit "$rc"
}
trap demo_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export CALICO_DATASTORE="sqlite:$DEMO_DIR/calico.db"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export PATH="$DEMO_BUILD:$PATH"
cat >"$DEMO_DIR/env" <<EOF
export CALICO_DATASTORE=$CALICO_DATASTORE
export PATH=$DEMO_BUILD:\$PATH
EOF

die() {
	demo_err "$*"
	demo_err "logs: $DEMO_DIR/log and $DEMO_DIR/hosts/*/log (kept until the teardown below)"
	exit 1
}

# ---- the cluster ----
demo_say "==> Two hosts on a fabric (namespaces calico-demo-$DEMO_ID-*), datastore $DEMO_DIR/calico.db"
demo_fabric_add || die "cannot create the fabric namespace"
n=0
for h in "${DEMO_HOSTS[@]}"; do
	n=$((n + 1))
	demo_host_add "$h" "$n" || die "cannot create host $h"
done
# Flow records every 5 s rather than 15: a denied probe turns red on the page soon after a step.
demo_ctl config felix FlowLogsFlushInterval 5 >"$DEMO_DIR/log/config.log" 2>&1 ||
	die "calicoctl config felix FlowLogsFlushInterval 5 failed: $(cat "$DEMO_DIR/log/config.log")"
for h in "${DEMO_HOSTS[@]}"; do
	demo_say "    $h: calicoctl node --ip=${DEMO_HOST_IP[$h]} --name=$h"
	demo_on_host "$h" "$DEMO_BUILD/calicoctl" node --ip="${DEMO_HOST_IP[$h]}" --name="$h" \
		>"$DEMO_DIR/log/node-$h.log" 2>&1 || die "calicoctl node on $h failed: $(tail -n 3 "$DEMO_DIR/log/node-$h.log")"
done

# ---- addresses: Mesos tasks get theirs from allocate, CNI workloads from ADD ----
mesos_call() { # HOST JSON -> the answer on stdout; fails with the answer's error
	local ans err
	ans=$(demo_on_host "$1" "$DEMO_BUILD/calico_mesos" <<<"$2" 2>>"$DEMO_DIR/log/calico_mesos.log")
	err=$(jq -r 'if .error == null then "" else .error end' <<<"$ans" 2>/dev/null) || err="not one JSON object: $ans"
	if [ -n "$err" ]; then
		echo "$err" >&2
		return 1
	fi
	printf '%s\n' "$ans"
}
# Every workload's labels: role=<service> is what the v3 policies select on.
labels_json() { printf '[{"key":"app","value":"%s"},{"key":"demo","value":"stars"},{"key":"role","value":"%s"}]' "$1" "$1"; }

mesos_allocate() { # SERVICE
	local s=$1 ans
	ans=$(mesos_call "${SVC_HOST[$s]}" "{\"command\":\"allocate\",\"args\":{\"hostname\":\"${SVC_HOST[$s]}\",\"uid\":\"demo-$s\",\"num_ipv4\":1,\"num_ipv6\":0,\"netgroups\":[\"$s\"],\"labels\":$(labels_json "$s")}}") ||
		return 1
	SVC_IP[$s]=$(jq -r '.ipv4[0]' <<<"$ans")
}

mesos_isolate() { # SERVICE PID
	local s=$1 pid=$2
	mesos_call "${SVC_HOST[$s]}" "{\"command\":\"isolate\",\"args\":{\"hostname\":\"${SVC_HOST[$s]}\",\"container_id\":\"demo-$s\",\"pid\":$pid,\"ipv4_addrs\":[\"${SVC_IP[$s]}\"],\"ipv6_addrs\":[],\"netgroups\":[\"$s\"],\"labels\":$(labels_json "$s")}}" >/dev/null
}

cni_conf() { # SERVICE: the network is the profile; the labels come as a runtime gives them
	jq -n --arg name "$1" --arg ds "$CALICO_DATASTORE" --arg node "${SVC_HOST[$1]}" \
		--argjson labels "$(labels_json "$1")" '{
		cniVersion: "0.4.0", name: $name, type: "calico", datastore: $ds, nodename: $node,
		policy_setup_timeout_seconds: 15, log_level: "info",
		ipam: { type: "calico-ipam" }, args: { cni: { labels: $labels } } }'
}

cni_add() { # SERVICE
	local s=$1 ns out ip
	ns=$(demo_ns "$s")
	demo_ns_add "$s" || return 1
	out=$(cni_conf "$s" | demo_on_host "${SVC_HOST[$s]}" env CNI_COMMAND=ADD CNI_CONTAINERID="demo-$s" \
		CNI_NETNS="/var/run/netns/$ns" CNI_IFNAME=eth0 CNI_PATH="$DEMO_BUILD" "$DEMO_BUILD/calico" \
		2>>"$DEMO_DIR/log/cni.log")
	ip=$(jq -r '.ips[0].address // empty' <<<"$out" 2>/dev/null)
	if [ -z "$ip" ]; then
		echo "$(jq -r '.msg // empty' <<<"$out" 2>/dev/null || true) $out" >&2
		return 1
	fi
	SVC_IP[$s]=${ip%/*}
}

demo_say "==> Workloads"
for s in frontend client; do
	mesos_allocate "$s" 2>"$DEMO_DIR/log/err" || die "calico_mesos allocate for $s: $(cat "$DEMO_DIR/log/err")"
done
for s in management-ui backend; do
	cni_add "$s" 2>"$DEMO_DIR/log/err" || die "CNI ADD of $s: $(cat "$DEMO_DIR/log/err")"
done
status_url() { echo "http://${SVC_IP[$1]}:9000/status"; }
probe_targets() { local t; for t in "${PROBES[@]}"; do [ "$t" = "$1" ] || status_url "$t"; done; }

# The probes. A Mesos task is a process in a fresh network namespace (as the
# containerizer makes it) that the isolator then wires up by pid.
for s in "${PROBES[@]}"; do
	log="$DEMO_DIR/log/$s.log"
	# shellcheck disable=SC2046 # URLs have no spaces
	if [ "${SVC_VIA[$s]}" = mesos ]; then
		ip netns exec "$(demo_ns "${SVC_HOST[$s]}")" unshare -n \
			"$DEMO_BUILD/calico-stars" probe --name "$s" --interval 1 $(probe_targets "$s") >"$log" 2>&1 &
	else
		ip netns exec "$(demo_ns "$s")" \
			"$DEMO_BUILD/calico-stars" probe --name "$s" --interval 1 $(probe_targets "$s") >"$log" 2>&1 &
	fi
	pid=$!
	demo_record_pid "$pid" calico-stars
	if [ "${SVC_VIA[$s]}" = mesos ]; then
		# unshare has made the namespace once /proc/PID/ns/net differs from the host's.
		for _ in $(seq 1 100); do
			[ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" != "$(ip netns exec "$(demo_ns "${SVC_HOST[$s]}")" readlink /proc/self/ns/net)" ] &&
				demo_pid_is "$pid" calico-stars && break
			sleep 0.02
		done
		mesos_isolate "$s" "$pid" 2>"$DEMO_DIR/log/err" || die "calico_mesos isolate for $s: $(cat "$DEMO_DIR/log/err")"
	fi
done

# The collector shows each service's profile rules as the datastore holds
# them, read every round: it inherits CALICO_DATASTORE (the SQLite file under
# $DEMO_DIR, which `ip netns exec` leaves visible), the datastore of the
# demo's calicoctl and of the user's after `. $DEMO_DIR/env`. With v3 policy
# the profiles do not change and do not decide, so it shows none. It also
# reads each host's flow records from that host's calico-node (its flows
# socket under the host's CALICO_RUN_DIR): a probe denied by policy shows as a
# red dashed edge naming the rule, and a click on a service lists its last flows.
SHOW_RULES=--show-rules
[ "$DEMO_POLICY" = v3 ] && SHOW_RULES=
# shellcheck disable=SC2086 # SHOW_RULES is one word or none
ip netns exec "$(demo_ns management-ui)" "$DEMO_BUILD/calico-stars" collect --listen 0.0.0.0:9001 --interval 1 \
	--flows "$DEMO_DIR/hosts/host1/run/flows.sock" --flows "$DEMO_DIR/hosts/host2/run/flows.sock" \
	$SHOW_RULES client="$(status_url client)" frontend="$(status_url frontend)" \
	backend="$(status_url backend)" >"$DEMO_DIR/log/management-ui.log" 2>&1 &
demo_record_pid $! calico-stars

for s in "${SERVICES[@]}"; do
	printf '    %-14s %-15s on %s via %s\n' "$s" "${SVC_IP[$s]}" "${SVC_HOST[$s]}" \
		"$([ "${SVC_VIA[$s]}" = cni ] && echo "CNI (calico + calico-ipam)" || echo "Mesos net-modules (calico_mesos)")"
done

# ---- routes between the hosts: BGP (BIRD, started by calicoctl node) ----
remote_routes_ok() {
	ip -n "$(demo_ns host1)" route get "${SVC_IP[client]}" 2>/dev/null | grep -q "via ${DEMO_HOST_IP[host2]}" &&
		ip -n "$(demo_ns host2)" route get "${SVC_IP[frontend]}" 2>/dev/null | grep -q "via ${DEMO_HOST_IP[host1]}"
}
demo_say "==> Waiting for BGP to carry each host's routes to the other"
for _ in $(seq 1 150); do
	remote_routes_ok && break
	sleep 0.1
done
if remote_routes_ok; then
	demo_say "    BGP routes in place:"
	for h in "${DEMO_HOSTS[@]}"; do
		ip -n "$(demo_ns "$h")" route show proto bird | sed "s/^/      $h: /"
	done
	demo_say "    host1: calicoctl status"
	demo_on_host host1 "$DEMO_BUILD/calicoctl" status 2>&1 | sed -n '/IPv4 BGP status/,/^$/p' | sed 's/^/      /'
else
	# BIRD not running (or no session): keep the demo usable, but say so loudly.
	demo_say "    WARNING: no BGP routes after 15 s (is BIRD running? see $DEMO_DIR/hosts/*/log);"
	demo_say "    adding static routes between the hosts instead"
	for s in "${SERVICES[@]}"; do
		for h in "${DEMO_HOSTS[@]}"; do
			[ "$h" = "${SVC_HOST[$s]}" ] && continue
			ip -n "$(demo_ns "$h")" route replace "${SVC_IP[$s]}/32" via "${DEMO_HOST_IP[${SVC_HOST[$s]}]}" dev eth0
		done
	done
fi

# ---- the UI on the machine's loopback ----
"$DEMO_BUILD/calico-stars" forward --listen "127.0.0.1:$DEMO_PORT" --netns "/var/run/netns/$(demo_ns host1)" \
	--to "${SVC_IP[management-ui]}:9001" >"$DEMO_DIR/log/forward.log" 2>&1 &
demo_record_pid $! "calico-stars forward"
for _ in $(seq 1 100); do
	ss -Hltn "sport = :$DEMO_PORT" | grep -q . && break
	sleep 0.02
done
ss -Hltn "sport = :$DEMO_PORT" | grep -q . || die "the forwarder did not listen on 127.0.0.1:$DEMO_PORT: $(cat "$DEMO_DIR/log/forward.log")"

URL="http://127.0.0.1:$DEMO_PORT"
demo_say ""
demo_say "The stars demo is up. Open $URL in a browser."
demo_say "To run calicoctl against it yourself:  . $DEMO_DIR/env"
demo_say ""

if [ "$DEMO_MODE" = up ]; then
	KEEP=1
	demo_say "DEMO=up: it keeps running; 'make demo-down' (or scripts/demo/down.sh) removes it."
	exit 0
fi

# ---- the steps ----
step_wait() { # N: after step N was applied
	if [ "$DEMO_MODE" = auto ]; then
		demo_say "DEMO STEP $1 DONE"
		if [ -n "${DEMO_GATE:-}" ]; then
			for _ in $(seq 1 3000); do
				[ -e "$DEMO_GATE.$1" ] && break
				sleep 0.1
			done
		else
			sleep "$DEMO_PAUSE"
		fi
	fi
}
prompt() {
	if [ "$DEMO_MODE" = interactive ]; then
		printf '%s' "$1"
		read -r _ || exit 0
	fi
}
run_step() { # N TITLE COMMAND...
	local n=$1 title=$2 c
	shift 2
	demo_say "---- Step $n: $title"
	for c in "$@"; do demo_say "  \$ $c"; done
	prompt "Press Enter to apply step $n (Ctrl-C ends the demo)... "
	for c in "$@"; do
		# shellcheck disable=SC2086 # the commands are plain words
		demo_ctl ${c#calicoctl } || die "'$c' failed"
	done
	demo_say "  applied."
}

# run_apply_step N TITLE FILE...: prints each v3 policy file and the command
# that applies it, then (after Enter, in interactive mode) applies them.
run_apply_step() {
	local n=$1 title=$2 f
	shift 2
	demo_say "---- Step $n: $title"
	for f in "$@"; do
		demo_say "  \$ calicoctl apply -f $f"
		sed 's/^/    /' "$f"
	done
	prompt "Press Enter to apply step $n (Ctrl-C ends the demo)... "
	for f in "$@"; do
		demo_ctl apply -f "$f" 2>&1 | sed 's/^/  /'
		[ "${PIPESTATUS[0]}" = 0 ] || die "'calicoctl apply -f $f' failed"
	done
	demo_say "  applied."
}

show_refusal() {
	local out
	demo_say "  The UI is refused, even from this machine:"
	demo_say "  \$ curl $URL/"
	out=$(curl -sS --max-time 5 "$URL/" 2>&1 >/dev/null)
	demo_say "  ${out:-the page loaded?!}"
}

steps_2016() {
	demo_say "---- Step 1: every service has its own profile; each accepts traffic only from its own tag."
	show_refusal
	demo_ctl profile show 2>&1 | sed 's/^/  /'
	step_wait 1
	run_step 2 "allow the UI in: the page loads, but it sees no service yet" \
		"calicoctl profile management-ui rule add inbound allow tcp to ports 9001"
	demo_say "  Reload $URL"
	step_wait 2
	run_step 3 "let management-ui reach the probes: the services appear, with no edges between them" \
		"calicoctl profile client rule add inbound allow tcp from tag management-ui to ports 9000" \
		"calicoctl profile frontend rule add inbound allow tcp from tag management-ui to ports 9000" \
		"calicoctl profile backend rule add inbound allow tcp from tag management-ui to ports 9000"
	step_wait 3
	run_step 4 "client -> frontend -> backend: exactly those two edges appear" \
		"calicoctl profile frontend rule add inbound allow tcp from tag client to ports 9000" \
		"calicoctl profile backend rule add inbound allow tcp from tag frontend to ports 9000"
	demo_ctl profile backend rule show 2>&1 | sed 's/^/  /'
	step_wait 4
}

steps_v3() {
	run_apply_step 1 "a tier 'demo' ahead of the default tier, with a policy that denies all traffic into the services" \
		"$POLICIES/1-default-deny.yaml"
	show_refusal
	demo_ctl get tier -o wide 2>&1 | sed 's/^/  /'
	step_wait 1
	run_apply_step 2 "allow the UI in: the page loads, but it sees no service yet" "$POLICIES/2-allow-ui.yaml"
	demo_say "  Reload $URL"
	step_wait 2
	run_apply_step 3 "let management-ui reach the probes: the services appear, with no edges between them" \
		"$POLICIES/3-allow-collector.yaml"
	step_wait 3
	run_apply_step 4 "client -> frontend -> backend: exactly those two edges appear" "$POLICIES/4-allow-app.yaml"
	demo_ctl get globalnetworkpolicy -o wide 2>&1 | sed 's/^/  /'
	step_wait 4
}

if [ "$DEMO_POLICY" = v3 ]; then
	steps_v3
else
	steps_2016
fi

if [ -t 0 ]; then
	printf 'That is the demo. Press Enter (or Ctrl-C) to tear it down... '
	read -r _
fi
exit 0
