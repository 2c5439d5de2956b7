#!/usr/bin/env bash
# Calico's v3 policy model enforced by calico-node with real traffic (DESIGN
# §11): two dual-stack hosts with BIRD on one datastore, workloads made by
# `calicoctl container add` with labels written into their endpoint records,
# policy written by `calicoctl apply -f` of YAML files. A verdict matrix over
# Allow/Deny/Pass/Log, a tier's end-of-tier deny and a Pass-default tier,
# tier and policy order, types (egress only), namespaced vs global policies,
# a network set, notSelector/notNets/notPorts; then relabelling with
# `calicoctl label workloadendpoint` (local and remote), and a file with one
# bad document that writes nothing. Every verdict is checked over IPv4 and
# IPv6 (both probes at once, one TAP line each).
#
# The datastore is SQLite, or with V3_DATASTORE=etcd a one-member etcd in a
# namespace of its own on the fabric (v3_policy_etcd.sh runs that variant).
#
#   h1 (172.30.0.11): w1 app=web (ns default)   d1 app=db (ns prod, profile kns.prod)
#                     n1 no labels (profile allow-all only: no policy selects it)
#   h2 (172.30.0.12): w2 app=web role=canary    d2 app=db (ns prod)   c2 app=cli
#   every workload: an IPv4 and an IPv6 address, profile allow-all (ingress and
#   egress Allow), TCP 8080 and 9090, UDP 5005
set -u
T_START=$SECONDS
V3_DATASTORE=${V3_DATASTORE:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
need_etcd=""
[ "$V3_DATASTORE" = etcd ] && need_etcd=cmd:etcd
tap_skip_unless "needs root, bird, nft, jq and calico-node" root cmd:bird cmd:nft cmd:jq $need_etcd \
	"exe:${CALICO_BUILD:-}/calico-node"
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
. "$here/../lib/multihost.sh"
. "$here/../lib/dualstack.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
bail() { fail "$1"; mh_dump_logs; tap_done; exit 1; }
quiet() { "$@" >/dev/null; }
ctl() { mh_ds "$MH_CTL" "$@"; }
Y=$LAB_TMP/yaml
mkdir -p "$Y"

# ---- the lab ----
lab_fabric_add && lab_fabric_v6 || bail "fabric"
case $V3_DATASTORE in
sqlite) mh_datastore_sqlite ;;
etcd) mh_datastore_etcd 1 || bail "etcd" ;;
*) bail "V3_DATASTORE is sqlite or etcd, not $V3_DATASTORE" ;;
esac
echo "# datastore: $V3_DATASTORE"
ds_host_add h1 172.30.0.11 fd00:172:30::11 && ds_host_add h2 172.30.0.12 fd00:172:30::12 || bail "hosts"
ctl pool add 10.65.0.0/16 fd00:65::/64 >/dev/null || bail "pools"
for h in h1 h2; do check "calicoctl node --ip --ip6 on $h" quiet ds_node_start "$h" || bail "node $h"; done

cat >"$Y/profiles.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: allow-all
spec:
  ingress:
  - action: Allow
  egress:
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: Profile
metadata:
  name: kns.prod
spec:
  labelsToApply:
    env: prod
  ingress:
  - action: Allow
  egress:
  - action: Allow
EOF
check "profiles applied (v3 grammar)" quiet ctl apply -f "$Y/profiles.yaml" || bail "profiles"

# endpoint key of a workload, from its IPv4 address
wl_key_of() { mh_ds "$MH_DSTOOL" list "/calico/v1/host/${MH_WL_HOST[$1]}/workload/" | grep -F "\"${MH_WL_IP[$1.4]}/32\"" | cut -f1; }
# set_labels NAME JSON: the record's labels become JSON (with Calico's
# namespace label, which `calicoctl label` may not set: the runtime gives it)
set_labels() {
	local key val
	key=$(wl_key_of "$1") && [ -n "$key" ] || return 1
	val=$(mh_ds "$MH_DSTOOL" get "$key") || return 1
	mh_ds "$MH_DSTOOL" put "$key" "$(jq -c --argjson l "$2" '.labels = $l' <<<"$val")"
}
# wep_of NAME: the WorkloadEndpoint name calicoctl gives the workload's record
wep_of() {
	ctl get wep -A -o json | jq -r --arg n "${MH_WL_IP[$1.4]}/32" \
		'(.items // [.])[] | select(.spec.ipNetworks | index($n)) | .metadata.name'
}
workload() { # workload HOST NAME PROFILES LABELS
	ds_workload "$1" "$2" 46 >/dev/null || return 1
	# shellcheck disable=SC2086 # PROFILES is a list of names
	mh_ctl "$1" container "$(lab_nspath "$2")" profile set $3 >/dev/null || return 1
	lab_tcp_server "$2" 9090 || return 1
	set_labels "$2" "$4"
}
workload h1 w1 allow-all '{"app":"web","projectcalico.org/namespace":"default"}' || bail "w1"
workload h1 d1 "allow-all kns.prod" '{"app":"db","projectcalico.org/namespace":"prod"}' || bail "d1"
workload h1 n1 allow-all '{"projectcalico.org/namespace":"default"}' || bail "n1"
workload h2 w2 allow-all '{"app":"web","role":"canary","projectcalico.org/namespace":"default"}' || bail "w2"
workload h2 d2 "allow-all kns.prod" '{"app":"db","projectcalico.org/namespace":"prod"}' || bail "d2"
workload h2 c2 allow-all '{"app":"cli","projectcalico.org/namespace":"default"}' || bail "c2"
IP() { echo "${MH_WL_IP[$1.$2]}"; }

# probe FAMILY FROM TO PROTO [PORT]: one try
probe() {
	local ip
	ip=$(IP "$3" "$1")
	case $4 in
	tcp) lab_tcp "$2" "$ip" "$5" ;;
	udp) lab_udp "$2" "$ip" "$5" ;;
	icmp) lab_ping "$2" "$ip" ;;
	esac
}
# both FROM TO PROTO [PORT]: the probe passes in both families
both() { probe 4 "$@" && probe 6 "$@"; }
# verdict allow|deny DESC FROM TO PROTO [PORT]: the IPv4 and IPv6 probes run at
# once, one TAP line each; an allowed verdict gets up to 3 tries (ARP, neighbour
# discovery, routes)
verdict() {
	local want=$1 d=$2 f pids=() tries=1 i
	shift 2
	[ "$want" = allow ] && tries=3
	for f in 4 6; do
		(
			for ((i = 0; i < tries; i++)); do
				if probe "$f" "$@"; then echo allow >"$LAB_TMP/verdict$f"; exit 0; fi
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

check "before any policy: profiles allow c2 -> w1 (cross-host, both families)" mh_wait 20 both c2 w1 tcp 8080

# ---- the policy ----
cat >"$Y/policy.yaml" <<EOF
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 10
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: platform
spec:
  order: 20
  defaultAction: Pass
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.base
spec:
  tier: security
  order: 1
  selector: has(app)
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: UDP
    source:
      selector: app == 'cli'
  - action: Log
    protocol: TCP
  - action: Pass
    protocol: TCP
  - action: Pass
    protocol: UDP
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: platform.db-guard
spec:
  tier: platform
  order: 2.5
  selector: app == 'db'
  ingress:
  - action: Deny
    protocol: TCP
    destination:
      notPorts: [8080]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: platform.db-allow
spec:
  tier: platform
  order: 2.25
  selector: app == 'db'
  ingress:
  - action: Allow
    protocol: TCP
    source:
      selector: app == 'web'
      notSelector: role == 'canary'
    destination:
      ports: [8080]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: db-np
  namespace: prod
spec:
  selector: app == 'db'
  ingress:
  - action: Allow
    protocol: UDP
    source:
      selector: has(app)
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: web-in
spec:
  order: 10
  selector: app == 'web'
  ingress:
  - action: Allow
    protocol: UDP
    source:
      selector: has(app)
  - action: Allow
    protocol: TCP
    source:
      notNets: ["$(IP w2 4)/32", "$(IP w2 6)/128"]
    destination:
      ports: [8080]
  - action: Allow
    protocol: TCP
    source:
      selector: role == 'trusted'
    destination:
      ports: [9090]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: canary-out
spec:
  selector: role == 'canary'
  types: [Egress]
  egress:
  - action: Deny
    protocol: TCP
    destination:
      ports: [9090]
  - action: Allow
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: trusted
  labels:
    role: trusted
spec:
  nets: ["$(IP c2 4)/32", "$(IP c2 6)/128"]
EOF
check "policy applied" quiet ctl apply -f "$Y/policy.yaml" || bail "policy"
# programmed on both hosts: the tier chains exist
tiers_on() { lab_exec "$1" nft list table inet calico 2>/dev/null | grep -q "chain ti-"; }
check "h1 programs tier chains" mh_wait 15 tiers_on h1
check "h2 programs tier chains" mh_wait 15 tiers_on h2
sleep 0.5

# ---- the matrix ----
allowed "w1->d1 tcp 8080: Log and Pass in security, Allow in platform (selector)" w1 d1 tcp 8080
denied "w2->d1 tcp 8080: notSelector excludes the canary, platform passes, default tier denies at its end" w2 d1 tcp 8080
denied "w1->d1 tcp 9090: Deny with notPorts (policy order 2.25 then 2.5)" w1 d1 tcp 9090
allowed "d2->d1 udp: namespaced policy, a remote member of its namespace" d2 d1 udp 5005
denied "w1->d1 udp: namespaced policy's selector stays in its namespace" w1 d1 udp 5005
allowed "d1->w1 udp: global policy's selector spans namespaces" d1 w1 udp 5005
denied "c2->w1 udp: Deny in the first tier" c2 w1 udp 5005
allowed "c2->w1 tcp 8080: notNets lets c2 through" c2 w1 tcp 8080
denied "w2->w1 tcp 8080: notNets keeps w2 out" w2 w1 tcp 8080
allowed "c2->w1 tcp 9090: a global network set selected by label" c2 w1 tcp 9090
denied "d1->w1 tcp 9090: not in the network set" d1 w1 tcp 9090
denied "w2->c2 tcp 9090: egress-only policy denies" w2 c2 tcp 9090
allowed "w2->c2 tcp 8080: egress allows; c2 passes security and no policy of the default tier applies: profiles" w2 c2 tcp 8080
denied "w1->d1 icmp: no rule of security decides: end-of-tier deny" w1 d1 icmp
allowed "w1->n1 tcp 8080: no policy selects n1: its profile" w1 n1 tcp 8080
allowed "c2->n1 udp: profiles still apply" c2 n1 udp 5005
allowed "n1->w2 tcp 8080: egress of an unselected endpoint is its profile's; web-in admits it" n1 w2 tcp 8080
log_rule() { lab_exec h1 nft list ruleset 2>/dev/null | grep -q 'log prefix "calico security/security.base in 1: "'; }
check "the Log rule is programmed (kernel log prefix names tier, policy and rule)" log_rule

# ---- relabelling with calicoctl label workloadendpoint ----
W2=$(wep_of w2) N1=$(wep_of n1)
check "w2's and n1's WorkloadEndpoint names found (${W2:-?}, ${N1:-?})" [ -n "$W2" ] && [ -n "$N1" ]
check "calicoctl label wep (w2, on h2) role-" quiet ctl label wep "$W2" role-
_w2_in() { both w2 d1 tcp 8080; }
check "a remote endpoint that starts matching: w2 (no longer canary) -> d1 tcp 8080 allowed on h1" mh_wait 10 _w2_in
allowed "w2->c2 tcp 9090: the egress-only policy no longer selects w2" w2 c2 tcp 9090
check "calicoctl label wep (n1, on h1) app=db" quiet ctl label wep "$N1" app=db
_n1_guarded() { ! probe 4 w1 n1 tcp 9090 && ! probe 6 w1 n1 tcp 9090; }
check "a local relabel flips a verdict: w1->n1 tcp 9090 denied once n1 is app=db" mh_wait 10 _n1_guarded
allowed "w1->n1 tcp 8080: db-allow now applies to n1" w1 n1 tcp 8080
denied "d2->w1 tcp 9090: d2 is not trusted (yet)" d2 w1 tcp 9090
# h1's rules without the sets' elements (nft --terse)
rules_of() { lab_exec "$1" nft -t list table inet calico 2>/dev/null; }
RULES_H1=$(rules_of h1)
check "calicoctl label wep (d2, on h2) -n prod role=trusted" quiet ctl label wep "$(wep_of d2)" -n prod role=trusted
_d2_in() { both d2 w1 tcp 9090; }
check "a remote relabel flips a verdict on h1: d2 (now role=trusted) -> w1 tcp 9090 allowed" mh_wait 10 _d2_in
if [ -n "$RULES_H1" ] && [ "$(rules_of h1)" = "$RULES_H1" ]; then
	ok "... which changed set elements only: h1's chains and rules are as they were"
else
	fail "... which changed set elements only: h1's chains and rules are as they were"
	diff <(echo "$RULES_H1") <(rules_of h1) | head -n 20 | sed 's/^/#   /'
fi

# ---- one bad document: nothing written, nothing changes ----
cat >"$Y/bad.yaml" <<'EOF'
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: deny-all-first
spec:
  order: 0
  ingress:
  - action: Deny
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: broken
spec:
  ingress:
  - action: allow
EOF
v3_keys() { mh_ds "$MH_DSTOOL" list /calico/resources/v3/; }
V3_BEFORE=$(v3_keys)
if ctl apply -f "$Y/bad.yaml" >/dev/null 2>&1; then fail "a file with a bad document is refused"; else ok "a file with a bad document is refused"; fi
_absent() { ! ctl get gnp deny-all-first >/dev/null 2>&1; }
check "its good document was not written" _absent
expect_eq "... nor anything else: every v3 resource is as it was" "$(v3_keys)" "$V3_BEFORE"
sleep 1
allowed "w1->d1 tcp 8080 still allowed" w1 d1 tcp 8080
allowed "c2->w1 tcp 8080 still allowed" c2 w1 tcp 8080

# ---- deleting the policy: profiles alone again ----
check "policies deleted" quiet ctl delete gnp security.base platform.db-guard platform.db-allow web-in canary-out &&
	check "the namespaced policy deleted" quiet ctl delete networkpolicy db-np -n prod &&
	check "tiers deleted" quiet ctl delete tier security platform
_open() { both w1 d1 tcp 9090 && both c2 w1 udp 5005; }
check "without policies, the profiles allow what the tiers denied" mh_wait 15 _open
_no_tiers() { ! tiers_on h1; }
check "and no tier chain is left on h1" mh_wait 5 _no_tiers

if [ "$TAP_FAILED" -ne 0 ]; then lab_exec h1 nft list ruleset | sed 's/^/# h1: /' | head -300; fi
mh_finish
echo "# v3_policy on $V3_DATASTORE took $((SECONDS - T_START)) s"
tap_done
