#!/usr/bin/env bash
# v3 selectors on the labels each door gives an endpoint (DESIGN §11), judged
# by real traffic across two hosts: a policy that selects an endpoint by the
# label its runtime gave it, and a rule whose source selector names a label
# another door gave a workload on the other host.
#
#   h1 (172.30.0.11): m1  net-modules task (calico_mesos isolate, labels [app=mesos-web,
#                         projectcalico.org/namespace=shop])
#                     a1  CNI container (args.cni.labels [tier=back])
#                     c1  calicoctl container add, no labels
#   h2 (172.30.0.12): k2  CNI container as Mesos' network/cni isolator sends it
#                         (args."org.apache.mesos".network_info.labels [role=frontend])
#                     d2  Docker container through calico-libnetwork (dockerd in h2,
#                         --label org.projectcalico.label.svc=cache)
#                     c2  calicoctl container add, no labels
# Every endpoint's profiles allow everything (the doors' profiles are
# replaced by allow-all ones), so the verdicts are the policies':
#   selects app == 'mesos-web'  allows TCP from role == 'frontend'   (k2 -> m1; a NetworkPolicy of
#                               namespace shop, its source in any namespace)
#   selects role == 'frontend'  allows TCP from tier == 'back'       (a1 -> k2)
#   selects tier == 'back'      allows TCP from svc == 'cache'       (d2 -> a1)
#   selects svc == 'cache'      allows TCP from app == 'mesos-web'   (m1 -> d2)
# then `calicoctl label workloadendpoint` on h2's endpoints flips verdicts on h1.
# Every workload has an IPv4 and an IPv6 address (each door asked for both)
# and serves TCP 8080 (answering "ok"); every verdict is checked in both
# families. The datastore is etcd (one member in a namespace of its own), or
# SQLite with V3_DATASTORE=sqlite.
set -u
T_START=$SECONDS
V3_DATASTORE=${V3_DATASTORE:-etcd}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
need_etcd=""
[ "$V3_DATASTORE" = etcd ] && need_etcd=cmd:etcd
tap_skip_unless "needs root, bird, nft, jq, busybox and the calico binaries" root cmd:bird cmd:nft cmd:jq cmd:busybox \
	$need_etcd "exe:${CALICO_BUILD:-}/calico-node" "exe:${CALICO_BUILD:-}/calico_mesos" \
	"exe:${CALICO_BUILD:-}/mesos_caller" "exe:${CALICO_BUILD:-}/calico" "exe:${CALICO_BUILD:-}/calico-ipam" \
	"exe:${CALICO_BUILD:-}/calico-libnetwork"
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
. "$here/../lib/multihost.sh"
. "$here/../lib/dualstack.sh"
. "$here/../lib/dockerd.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
# dockerd and its containers go first, while h2's namespace still exists
doors_cleanup() { local rc=$?; dk_cleanup; mh_cleanup; return $rc; }
trap doors_cleanup EXIT
bail() { fail "$1"; mh_dump_logs; tap_done; exit 1; }
quiet() { "$@" >/dev/null; }
ctl() { mh_ds "$MH_CTL" "$@"; }
Y=$LAB_TMP/yaml
CNIBIN=$LAB_TMP/cni-bin
HOOK_LOG=$LAB_TMP/hook.log
mkdir -p "$Y" "$CNIBIN"
ln -s "$CALICO_BUILD/calico" "$CNIBIN/calico"
ln -s "$CALICO_BUILD/calico-ipam" "$CNIBIN/calico-ipam"
declare -A IP=() IP6=()

# ---- the lab ----
lab_fabric_add && lab_fabric_v6 || bail "fabric"
case $V3_DATASTORE in
sqlite) mh_datastore_sqlite; DS_CONF=$(jq -nc --arg d "$CALICO_DATASTORE" '{datastore: $d}') ;;
etcd) mh_datastore_etcd 1 || bail "etcd"; DS_CONF=$(jq -nc --arg e "$ETCD_ENDPOINTS" '{etcd_endpoints: $e}') ;;
*) bail "V3_DATASTORE is sqlite or etcd, not $V3_DATASTORE" ;;
esac
echo "# datastore: $V3_DATASTORE"
ds_host_add h1 172.30.0.11 fd00:172:30::11 && ds_host_add h2 172.30.0.12 fd00:172:30::12 || bail "hosts"
ctl pool add 10.65.0.0/16 fd00:65::/64 >/dev/null || bail "pools"
dk_setup
check "calicoctl node --ip --ip6 on h1" quiet ds_node_start h1 || bail "node h1"
check "calicoctl node --ip --ip6 --libnetwork on h2" quiet ds_node_start h2 --libnetwork || bail "node h2"

# ---- one workload per door ----
# net-modules: the isolator's prepare (allocate) and isolate, as mesos.sh drives them
hook() { # HOST REQUEST: ANSWER, ERR
	ANSWER=$(lab_exec "$1" "$CALICO_BUILD/mesos_caller" "$CALICO_BUILD/calico_mesos" "$2" 2>>"$HOOK_LOG")
	ERR=$(jq -r 'if .error == null then "null" else .error end' <<<"$ANSWER" 2>/dev/null)
}
mesos_task() { # HOST NAME LABELS_JSON
	local ip ip6
	lab_workload_ns "$2" || return 1
	lab_tcp_server "$2" 8080 || return 1
	hook "$1" "{\"command\":\"allocate\",\"args\":{\"hostname\":\"$1\",\"uid\":\"uid-$2\",\"num_ipv4\":1,\"num_ipv6\":1,\"netgroups\":[\"open\"],\"labels\":$3}}"
	[ "$ERR" = null ] || { echo "# allocate $2: $ANSWER"; return 1; }
	ip=$(jq -r '.ipv4[0]' <<<"$ANSWER") ip6=$(jq -r '.ipv6[0]' <<<"$ANSWER")
	# the task's pid: the server, in the namespace given to it
	hook "$1" "{\"command\":\"isolate\",\"args\":{\"hostname\":\"$1\",\"container_id\":\"ctr-$2\",\"pid\":$LAB_LAST_PID,\"ipv4_addrs\":[\"$ip\"],\"ipv6_addrs\":[\"$ip6\"],\"netgroups\":[\"open\"],\"labels\":$3}}"
	[ "$ERR" = null ] || { echo "# isolate $2: $ANSWER"; return 1; }
	IP[$2]=$ip IP6[$2]=$ip6
}
# CNI: the plugin in the host's namespace, the container a lab namespace
cni_add() { # HOST NAME NETWORK EXTRA_CONFIG_JSON
	local cfg out
	lab_workload_ns "$2" || return 1
	lab_tcp_server "$2" 8080 || return 1
	cfg=$(jq -nc --arg n "$3" --arg h "$1" --argjson ds "$DS_CONF" --argjson x "$4" \
		'{cniVersion: "0.2.0", name: $n, type: "calico", nodename: $h, policy_setup_timeout_seconds: 10,
		  ipam: {type: "calico-ipam", assign_ipv4: "true", assign_ipv6: "true"}} + $ds + $x')
	out=$(printf '%s' "$cfg" | lab_exec "$1" env -i CNI_COMMAND=ADD CNI_CONTAINERID="cid-$2" \
		CNI_NETNS="$(lab_nspath "$2")" CNI_IFNAME=eth0 CNI_PATH="$CNIBIN" ASAN_OPTIONS="$ASAN_OPTIONS" \
		"$CNIBIN/calico" 2>>"$LAB_TMP/cni.log") || { echo "# CNI ADD $2: $out"; return 1; }
	IP[$2]=$(jq -r '.ip4.ip' <<<"$out" | cut -d/ -f1) IP6[$2]=$(jq -r '.ip6.ip' <<<"$out" | cut -d/ -f1)
}
plain() { # HOST NAME
	ds_workload "$1" "$2" 46 open >/dev/null || return 1
	IP[$2]=${MH_WL_IP[$2.4]} IP6[$2]=${MH_WL_IP[$2.6]}
}

check "net-modules task m1 on h1 (labels [app=mesos-web], namespace shop)" mesos_task h1 m1 \
	'[{"key":"app","value":"mesos-web"},{"key":"projectcalico.org/namespace","value":"shop"}]' ||
	bail "m1"
check "CNI container a1 on h1 (args.cni.labels [tier=back])" \
	cni_add h1 a1 cni-net '{"args":{"cni":{"labels":[{"key":"tier","value":"back"}]}}}' || bail "a1"
check "CNI container k2 on h2 (Mesos network_info.labels [role=frontend])" \
	cni_add h2 k2 mesos-net '{"args":{"org.apache.mesos":{"network_info":{"name":"mesos-net","labels":{"labels":[{"key":"role","value":"frontend"}]}}}}}' ||
	bail "k2"
plain h1 c1 || bail "c1"
plain h2 c2 || bail "c2"

# Docker: dockerd in h2, calico-libnetwork (started by node --libnetwork) as its driver
T0=$SECONDS
if ! dk_start h2; then
	# only a dockerd that cannot run here skips the Docker door
	ok "# SKIP dockerd cannot start: $(tail -n 1 "$DK/dockerd.log" 2>/dev/null)"
	DOCKER=""
else
	echo "# dockerd up in h2 in $((SECONDS - T0)) s"
	DOCKER=1
	check "busybox image imported" dk_image || bail "image"
	check "docker network create --driver calico dnet" quiet dk network create --driver calico --ipam-driver calico --ipv6 dnet ||
		bail "network"
	check "docker run d2 --label org.projectcalico.label.svc=cache" quiet dk run -d --name d2 --net dnet \
		--label org.projectcalico.label.svc=cache lab/busybox nc -ll -p 8080 -e echo ok || bail "d2"
	IP[d2]=$(dk inspect -f '{{(index .NetworkSettings.Networks "dnet").IPAddress}}' d2)
	IP6[d2]=$(dk inspect -f '{{(index .NetworkSettings.Networks "dnet").GlobalIPv6Address}}' d2)
	EID_D2=$(dk inspect -f '{{(index .NetworkSettings.Networks "dnet").EndpointID}}' d2)
fi
for w in m1 a1 k2 c1 c2 ${DOCKER:+d2}; do echo "# $w: ${IP[$w]} ${IP6[$w]:-}"; done

# every door's profile allows all, so that the policies decide
cat >"$Y/profiles.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: List
items:
- apiVersion: projectcalico.org/v3
  kind: Profile
  metadata: {name: open}
  spec: {ingress: [{action: Allow}], egress: [{action: Allow}]}
- apiVersion: projectcalico.org/v3
  kind: Profile
  metadata: {name: cni-net}
  spec: {ingress: [{action: Allow}], egress: [{action: Allow}]}
- apiVersion: projectcalico.org/v3
  kind: Profile
  metadata: {name: mesos-net}
  spec: {ingress: [{action: Allow}], egress: [{action: Allow}]}
- apiVersion: projectcalico.org/v3
  kind: Profile
  metadata: {name: dnet}
  spec: {ingress: [{action: Allow}], egress: [{action: Allow}]}
EOF
check "allow-all profiles for every door's network" quiet ctl apply -f "$Y/profiles.yaml" || bail "profiles"

# the labels each door wrote (what the selectors below select on)
nets() { echo "${IP[$1]}/32 ${IP6[$1]}/128"; }
sel() { ctl get wep -A -l "$1" -o json | jq -r '[(.items // [.])[] | .spec.ipNetworks[]] | sort | join(" ")'; }
expect_eq "get wep -l \"app == 'mesos-web'\": the net-modules task" "$(sel "app == 'mesos-web'")" "$(nets m1)"
expect_eq "get wep -n shop: the net-modules task's namespace is its label's" "$(ctl get wep -n shop -o json | jq -r '[(.items // [.])[] | .spec.ipNetworks[]] | sort | join(" ")')" "$(nets m1)"
expect_eq "get wep -l \"tier == 'back'\": the CNI (args.cni.labels) container" "$(sel "tier == 'back'")" "$(nets a1)"
expect_eq "get wep -l \"role == 'frontend'\": the CNI (Mesos labels) container" "$(sel "role == 'frontend'")" "$(nets k2)"
if [ -n "$DOCKER" ]; then
	has_svc() { [ "$(sel "svc == 'cache'")" = "$(nets d2)" ]; }
	check "get wep -l \"svc == 'cache'\": the Docker container (labels learnt from Docker after Join)" mh_wait 10 has_svc
fi

# ---- probes ----
# tcp FAMILY FROM TO: one TCP connection to TO's 8080 over IPv4 or IPv6, answered "ok"
tcp() {
	local ip
	if [ "$1" = 4 ]; then ip=${IP[$3]}; else ip=${IP6[$3]}; fi
	if [ "$2" = d2 ]; then
		[ "$(dk exec d2 nc -w 1 "$ip" 8080 2>/dev/null | head -n 1)" = ok ]
	else
		lab_tcp "$2" "$ip" 8080
	fi
}
both() { tcp 4 "$@" && tcp 6 "$@"; }
neither() { ! tcp 4 "$@" && ! tcp 6 "$@"; }
# verdict allow|deny DESC FROM TO: both families at once, one TAP line each;
# an allowed verdict gets up to 3 tries (neighbour discovery, routes)
verdict() {
	local want=$1 d=$2 f pids=() tries=1
	shift 2
	[ "$want" = allow ] && tries=3
	for f in 4 6; do
		(
			for ((i = 0; i < tries; i++)); do
				if tcp "$f" "$@"; then echo allow >"$LAB_TMP/verdict$f"; exit 0; fi
				[ "$tries" -gt 1 ] && sleep 0.3
			done
			echo deny >"$LAB_TMP/verdict$f"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
	for f in 4 6; do
		if [ "$(cat "$LAB_TMP/verdict$f")" = "$want" ]; then ok "$d (IPv$f)"; else fail "$d (IPv$f)"; fi
	done
}
allowed() { verdict allow "$@"; }
denied() { verdict deny "$@"; }
skip_docker() { ok "# SKIP $1 (no dockerd)"; }

check "before any policy: c2 -> m1 (cross-host, profiles, both families)" mh_wait 20 both c2 m1
check "... c1 -> k2" mh_wait 10 both c1 k2
if [ -n "$DOCKER" ]; then check "... c1 -> d2" mh_wait 10 both c1 d2; fi

# ---- the policy ----
cat >"$Y/policy.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: mesos-web-in
  namespace: shop
spec:
  selector: app == 'mesos-web'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'frontend'
      namespaceSelector: all()
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: frontend-in
spec:
  selector: role == 'frontend'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: tier == 'back'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: back-in
spec:
  selector: tier == 'back'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: svc == 'cache'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: cache-in
spec:
  selector: svc == 'cache'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: app == 'mesos-web'
EOF
check "policy applied" quiet ctl apply -f "$Y/policy.yaml" || bail "policy"
_guarded() { neither c2 m1 && neither c1 k2; }
check "programmed on both hosts: c2 -> m1 and c1 -> k2 now denied" mh_wait 15 _guarded

# ---- the matrix ----
allowed "net-modules label selects m1 (namespaced policy), CNI-Mesos label admits k2 of another namespace (namespaceSelector all()): k2 (h2) -> m1 (h1)" k2 m1
denied "... c2 (no label) -> m1 denied" c2 m1
denied "... c1 (no label, same host) -> m1 denied" c1 m1
allowed "CNI-Mesos label selects k2, CNI args label admits a1: a1 (h1) -> k2 (h2)" a1 k2
denied "... c1 -> k2 denied" c1 k2
denied "... m1 -> k2 denied (app=mesos-web is no tier=back)" m1 k2
if [ -n "$DOCKER" ]; then
	allowed "CNI args label selects a1, Docker label admits d2: d2 (h2) -> a1 (h1)" d2 a1
	denied "... c2 -> a1 denied" c2 a1
	allowed "Docker label selects d2, net-modules label admits m1: m1 (h1) -> d2 (h2)" m1 d2
	denied "... c1 -> d2 denied" c1 d2
	denied "... c2 (same host) -> d2 denied" c2 d2
else
	denied "... c2 -> a1 denied" c2 a1
	skip_docker "the Docker door's verdicts"
fi
allowed "profiles still apply to endpoints no policy selects: m1 -> c2" m1 c2
allowed "... k2 -> c1" k2 c1
allowed "... c1 -> c2" c1 c2

# ---- relabelling on h2 flips verdicts on h1 ----
wep_of() { ctl get wep -A -o json | jq -r --arg n "${IP[$1]}/32" '(.items // [.])[] | select(.spec.ipNetworks | index($n)) | .metadata.name'; }
check "calicoctl label wep (c2, on h2) role=frontend" quiet ctl label wep "$(wep_of c2)" role=frontend
_c2_in() { both c2 m1; }
check "a remote endpoint that starts matching: c2 -> m1 allowed on h1" mh_wait 10 _c2_in
allowed "... and, selected by frontend-in now, c2 admits a1 (a1 -> c2)" a1 c2
_c1_out() { neither c1 c2; }
check "... but no longer c1 (c1 -> c2 denied)" mh_wait 10 _c1_out
if [ -n "$DOCKER" ]; then
	W=$(wep_of d2)
	expect_eq "d2's WorkloadEndpoint is Calico's name of the libnetwork endpoint" "$W" "h2-libnetwork-libnetwork-$EID_D2"
	check "calicoctl label wep (d2, on h2) svc-" quiet ctl label wep "$W" svc-
	_d2_out() { neither d2 a1; }
	check "a remote endpoint that stops matching: d2 -> a1 denied on h1" mh_wait 10 _d2_out
	allowed "... and no policy selects d2 any more: its profile admits c1 (c1 -> d2)" c1 d2
else
	skip_docker "relabelling the Docker container"
fi
check "calicoctl label wep (m1, on h1) -n shop app-" quiet ctl label wep "$(wep_of m1)" -n shop app-
_m1_open() { both c1 m1; }
check "a local endpoint that stops matching: c1 -> m1 allowed (profile)" mh_wait 10 _m1_open

# ---- a profile's labelsToApply are labels of its endpoints too ----
cat >"$Y/door.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: mesos-net-in
spec:
  order: 1
  selector: net == 'mesos'
  ingress:
  - action: Allow
    protocol: TCP
EOF
check "a policy selecting net == 'mesos' applied (it selects nothing yet)" quiet ctl apply -f "$Y/door.yaml"
sleep 0.5
denied "c1 -> k2 still denied by frontend-in" c1 k2
check "calicoctl label profile mesos-net net=mesos" quiet ctl label profile mesos-net net=mesos
_k2_open() { both c1 k2; }
check "k2 matches through its profile's labelsToApply: c1 -> k2 allowed (order 1 before frontend-in)" mh_wait 10 _k2_open
denied "... c2 (role=frontend, no such profile) still admits only tier=back: c1 -> c2 denied" c1 c2

# ---- the end ----
if [ -n "$DOCKER" ]; then
	check "docker rm -f d2" quiet dk rm -f d2
	gone() { [ -z "$(wep_of d2)" ]; }
	check "... its endpoint is gone" mh_wait 10 gone
	dk_stop
fi
if [ "$TAP_FAILED" -ne 0 ]; then lab_exec h1 nft list ruleset | sed 's/^/# h1: /' | head -200; fi
mh_finish
echo "# v3_doors on $V3_DATASTORE took $((SECONDS - T_START)) s"
tap_done
