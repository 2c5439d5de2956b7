#!/usr/bin/env bash
# `calico` as Mesos' network/cni isolator (Mesos >= 1.0, unified containerizer)
# drives it; no Mesos agent runs here, so this caller does what the isolator
# does:
#  - one config file per network (not a conflist), cniVersion 0.2.0, read from
#    a config dir; Mesos injects args."org.apache.mesos".network_info (name,
#    labels.labels[]) into it before handing it to the plugin on stdin;
#  - the container is a process with its own network namespace; Mesos
#    bind-mounts /proc/<pid>/ns/net onto a file of its own and passes that
#    file as CNI_NETNS;
#  - the plugin gets a clean environment holding only the CNI_* variables
#    (so the datastore and node name must come from the config), and Mesos
#    parses the 0.2.0 result ("ip4"."ip") from stdout;
#  - on task end: DEL, then the bind mount is removed.
#   fabric -- h1 (172.30.0.11, calico-node) -- task1, task2 (unshare -n processes)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, jq, nft and the calico, calico-ipam plugins" root cmd:jq cmd:nft \
	"exe:${CALICO_BUILD:-}/calico" "exe:${CALICO_BUILD:-}/calico-ipam"
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
CTL="$CALICO_BUILD/calicoctl"
PLUGINS="$LAB_TMP/mesos-plugins"
CONFDIR="$LAB_TMP/mesos-net.d"
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
TASK_PIDS=()
MOUNTS=()

mesos_cleanup() {
	local m p
	for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
	for p in "${TASK_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	lab_cleanup
}
trap mesos_cleanup EXIT

mkdir -p "$PLUGINS" "$CONFDIR"
ln -s "$CALICO_BUILD/calico" "$PLUGINS/calico"
ln -s "$CALICO_BUILD/calico-ipam" "$PLUGINS/calico-ipam"
cat >"$CONFDIR/calico.conf" <<CONF
{
  "cniVersion": "0.2.0",
  "name": "calico-mesos",
  "type": "calico",
  "datastore": "sqlite:$LAB_TMP/calico.db",
  "nodename": "h1",
  "policy_setup_timeout_seconds": 10,
  "log_level": "warning",
  "ipam": { "type": "calico-ipam", "assign_ipv4": "true" }
}
CONF

# task_start NAME: a process in a new network namespace, and Mesos' bind mount of it
task_start() {
	unshare -n sleep 600 &
	local pid=$!
	TASK_PIDS+=("$pid")
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/$$/ns/net)" ] && break
		sleep 0.01
	done
	touch "$LAB_TMP/ns-$1"
	mount --bind "/proc/$pid/ns/net" "$LAB_TMP/ns-$1" && MOUNTS+=("$LAB_TMP/ns-$1")
	eval "PID_$1=$pid"
}
# isolator COMMAND CONTAINER_ID NAME LABELS_JSON: what network/cni does for one network
isolator() {
	local cfg
	cfg=$(jq -c --argjson l "$4" '. + {args: {"org.apache.mesos": {network_info: {name: .name, labels: {labels: $l}}}}}' \
		"$CONFDIR/calico.conf")
	OUT=$(printf '%s' "$cfg" | lab_exec h1 env -i CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$LAB_TMP/ns-$3" \
		CNI_IFNAME=eth0 CNI_PATH="$PLUGINS" ASAN_OPTIONS="$ASAN_OPTIONS" "$PLUGINS/calico" 2>"$LAB_TMP/err")
	RC=$?
}
q() { "$@" >/dev/null 2>&1; }
in_task() { local pid; eval "pid=\$PID_$1"; shift; nsenter -t "$pid" -n "$@"; }
ep_json() { "$DSTOOL" list "/calico/v1/host/h1/workload/cni/$1/" | cut -f2; }

lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
AGENT_HOST=h1
"$CTL" pool add 10.72.0.0/16 >/dev/null
agent_start h1
check "calico-node ready" agent_wait_ready 15

CID1=mesos-$(cat /proc/sys/kernel/random/uuid)
CID2=mesos-$(cat /proc/sys/kernel/random/uuid)
task_start t1
task_start t2
isolator ADD "$CID1" t1 '[{"key":"app","value":"frontend"},{"key":"mesos.apache.org/role","value":"web server"},{"key":"tier"}]'
check "ADD for task 1 exits 0" [ "$RC" -eq 0 ]
IP1=$(jq -r '.ip4.ip' <<<"$OUT")
check "the 0.2.0 result Mesos parses: ip4.ip is a /32 ($IP1)" grep -Eq '^10\.72\.[0-9]+\.[0-9]+/32$' <<<"$IP1"
expect_eq "... cniVersion 0.2.0" "$(jq -r .cniVersion <<<"$OUT")" "0.2.0"
check "... no 0.3+ keys" q jq -e '(has("ips") or has("interfaces")) | not' <<<"$OUT"
check "task 1 has the address on eth0" grep -q "inet $IP1" <<<"$(in_task t1 ip -4 addr show dev eth0)"
check "task 1 routes via 169.254.1.1" grep -q "default via 169.254.1.1 dev eth0" <<<"$(in_task t1 ip route)"
EP=$(ep_json "$CID1")
expect_eq "endpoint under orchestrator cni, workload = the Mesos container id, profile = the network" \
	"$(jq -c '[.profile_ids, .ipv4_nets]' <<<"$EP")" "[[\"calico-mesos\"],[\"$IP1\"]]"
expect_eq "Mesos labels stored on the endpoint (the invalid one skipped), with Calico's orchestrator and namespace" \
	"$(jq -c .labels <<<"$EP")" \
	'{"app":"frontend","projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"cni","tier":""}'
expect_contains "... the plugin's log says which it skipped" "$(cat "$LAB_TMP/err")" \
	"label args.\"org.apache.mesos\".network_info.labels.labels[1] skipped: 'mesos.apache.org/role'='web server'"

isolator ADD "$CID2" t2 '[{"key":"app","value":"backend"}]'
IP2=$(jq -r '.ip4.ip' <<<"$OUT")
check "ADD for task 2" test "$RC" -eq 0 -a -n "$IP2"
ok_ping=1
for i in 1 2 3; do in_task t1 busybox ping -c 1 -W 1 "${IP2%/*}" >/dev/null 2>&1 && { ok_ping=0; break; }; done
check "task 1 pings task 2 (same network, same profile)" [ "$ok_ping" -eq 0 ]

# Mesos retries an ADD whose answer it lost: the same result, nothing new made
isolator ADD "$CID1" t1 '[]'
check "a repeated ADD for the same container succeeds" [ "$RC" -eq 0 ]
expect_eq "... with the first ADD's address" "$(jq -r '.ip4.ip' <<<"$OUT")" "$IP1"
expect_eq "... and no second endpoint" "$("$DSTOOL" count "/calico/v1/host/h1/workload/cni/$CID1/")" 1

for n in 1 2; do
	eval "cid=\$CID$n ip=\$IP$n"
	isolator DEL "$cid" "t$n" '[]'
	check "DEL task $n" test "$RC" -eq 0 -a -z "$OUT"
	expect_eq "... endpoint gone" "$("$DSTOOL" count "/calico/v1/host/h1/workload/cni/$cid/")" 0
	check "... address released" bash -c "! '$CTL' ipam info '${ip%/*}' >/dev/null 2>&1"
	umount "$LAB_TMP/ns-t$n"
done
MOUNTS=()
check "the tasks' eth0 are gone" [ -z "$(in_task t1 ip -o link show eth0 2>/dev/null)$(in_task t2 ip -o link show eth0 2>/dev/null)" ]
expect_eq "no cali interface left in h1" "$(ip -n "$(lab_ns h1)" -o link | grep -c ': cali')" 0
expect_eq "root namespace links unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"
tap_done
