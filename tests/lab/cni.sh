#!/usr/bin/env bash
# The CNI plugins `calico` and `calico-ipam`, driven as runtimes drive them
# (LAB-NOTES §8.2): env vars + config on stdin, the plugin running inside the
# lab host namespace h1, each container a lab namespace given by path. A
# calico-node runs in h1 for policy.
#   fabric -- h1 (172.30.0.11) -- cali.. <-> container namespaces
# Covers: the spec's matrix (every command x 0.2.0 0.3.1 0.4.0 1.0.0 1.1.0,
# result shapes checked with jq), error codes, policy between networks, DEL
# idempotence (twice, without netns, after the netns is gone), CHECK good and
# broken, GC, STATUS, IPAM delegation to Debian's host-local, static IPs,
# several interfaces per container, a repeated ADD (answered from what is
# there, or refused when that does not match), rollback of a failed ADD.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, jq, nft and the calico, calico-ipam plugins" root cmd:jq cmd:nft \
	"exe:${CALICO_BUILD:-}/calico" "exe:${CALICO_BUILD:-}/calico-ipam"
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export HOSTNAME=h1
CTL="$CALICO_BUILD/calicoctl"
CNIBIN="$LAB_TMP/cni-bin"
HOSTLOCAL=/usr/lib/cni/host-local
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
VERSIONS="0.2.0 0.3.1 0.4.0 1.0.0 1.1.0"

mkdir -p "$CNIBIN"
ln -s "$CALICO_BUILD/calico" "$CNIBIN/calico"
ln -s "$CALICO_BUILD/calico-ipam" "$CNIBIN/calico-ipam"
[ -x "$HOSTLOCAL" ] && ln -s "$HOSTLOCAL" "$CNIBIN/host-local"

# conf VERSION NAME [IPAM_JSON] [EXTRA_JSON]: a network config
conf() {
	jq -nc --arg v "$1" --arg n "$2" --argjson ipam "${3:-"{\"type\":\"calico-ipam\"}"}" --argjson x "${4:-"{}"}" \
		'{cniVersion:$v,name:$n,type:"calico",nodename:"h1",policy_setup_timeout_seconds:10,ipam:$ipam} + $x'
}
# cni CMD CID NETNS IFNAME CONFIG [VAR=VALUE...]: run the plugin in h1; OUT, RC, ERR
cni() {
	local cmd=$1 cid=$2 ns=$3 ifn=$4 cfg=$5
	shift 5
	OUT=$(printf '%s' "$cfg" | lab_exec h1 env ${cmd:+CNI_COMMAND=$cmd} ${cid:+CNI_CONTAINERID=$cid} ${ns:+CNI_NETNS=$ns} \
		${ifn:+CNI_IFNAME=$ifn} CNI_PATH="$CNIBIN" "$@" "$CALICO_BUILD/calico" 2>"$LAB_TMP/err")
	RC=$?
	ERR=$(cat "$LAB_TMP/err")
}
jqo() { jq -r "$1" <<<"$OUT" 2>/dev/null; }
code() { jqo .code; }
# no_link IF: IF is a name and h1 has no such link
no_link() { [ -n "$1" ] && ! ip -n "$(lab_ns h1)" link show "$1" >/dev/null 2>&1; }
cali_count() { ip -n "$(lab_ns h1)" -o link | grep -c ': cali'; }
ep_count() { "$DSTOOL" count "/calico/v1/host/h1/workload/cni/$1/"; }
assigned() { "$CTL" ipam info "$1" >/dev/null 2>&1; }
ns_addr() { ip -n "$(lab_ns "$1")" -4 -o addr show dev "${2:-eth0}" 2>/dev/null | awk '{print $4}' | head -n 1; }
# forget a lab namespace that the test deleted itself
lab_forget() {
	local keep=() n
	for n in "${LAB_NAMESPACES[@]}"; do [ "$n" = "$(lab_ns "$1")" ] || keep+=("$n"); done
	LAB_NAMESPACES=("${keep[@]}")
}
# expect_error NAME CODE: the last call failed with that code, a full error object, nothing changed
expect_error() {
	local name=$1 want=$2
	if [ "$RC" -eq 1 ] && [ "$(code)" = "$want" ] && [ -n "$(jqo .msg)" ] && jq -e 'has("cniVersion") and has("details")' \
		<<<"$OUT" >/dev/null 2>&1 && [ "$("$DSTOOL" rev)" = "$REV0" ] && [ "$(cali_count)" = "$LINKS0" ]; then
		ok "$name (code $want: $(jqo .msg))"
	else
		fail "$name"
		printf '#   rc=%s out=%s\n#   want code %s, revision %s (now %s), %s cali links (now %s)\n' "$RC" "$OUT" "$want" \
			"$REV0" "$("$DSTOOL" rev)" "$LINKS0" "$(cali_count)"
	fi
}
snapshot() { REV0=$("$DSTOOL" rev); LINKS0=$(cali_count); }
q() { "$@" >/dev/null 2>&1; }
allowed() { local d=$1 i; shift; for i in 1 2 3; do "$@" && { ok "$d"; return; }; done; fail "$d"; }
denied() { local d=$1; shift; if "$@"; then fail "$d"; else ok "$d"; fi; }

lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
AGENT_HOST=h1
"$CTL" pool add 10.70.0.0/16 fd00:70::/64 >/dev/null || echo "# pool add failed"
# no heartbeat: "nothing changed" (the datastore revision) must not depend on
# whether the agent's periodic report fell between two reads
"$CTL" config felix ReportingIntervalSecs 0 >/dev/null || echo "# config failed"
agent_start h1
check "calico-node ready in h1" agent_wait_ready 15

# ---- VERSION ----
for v in $VERSIONS; do
	cni VERSION "" "" "" "{\"cniVersion\":\"$v\"}"
	expect_eq "VERSION $v: answers with $v and every supported version" \
		"$(jqo '[.cniVersion, (.supportedVersions | join(","))] | join(" ")')" "$v 0.1.0,0.2.0,0.3.0,0.3.1,0.4.0,1.0.0,1.1.0"
done
cni VERSION "" "" "" ""
expect_eq "VERSION without input: the latest" "$(jqo .cniVersion)" "1.1.0"

# ---- the matrix: ADD, CHECK, GC, STATUS, DEL in each version ----
for v in $VERSIONS; do
	c="m${v//./}"
	lab_workload_ns "$c"
	P=$(lab_nspath "$c")
	cfg=$(conf "$v" matrix)
	cni ADD "$c" "$P" eth0 "$cfg"
	ADDOUT=$OUT
	check "$v ADD exits 0" [ "$RC" -eq 0 ]
	expect_eq "$v ADD: cniVersion" "$(jqo .cniVersion)" "$v"
	case $v in
	0.2.0)
		IP=$(jqo .ip4.ip)
		check "$v ADD: ip4.ip is a /32, gateway 169.254.1.1, no ips list" \
			q jq -e '(.ip4.ip | test("^10\\.70\\.[0-9.]+/32$")) and .ip4.gateway == "169.254.1.1" and (has("ips") | not)' <<<"$OUT"
		;;
	0.3.1 | 0.4.0)
		IP=$(jqo '.ips[0].address')
		check "$v ADD: ips[0] has version 4 and interface 1 = eth0 in the sandbox" \
			q jq -e --arg p "$P" '.ips[0].version == "4" and .ips[0].interface == 1 and .interfaces[1].name == "eth0"
				and .interfaces[1].sandbox == $p and (.interfaces[0].name | startswith("cali")) and (has("ip4") | not)' <<<"$OUT"
		;;
	*)
		IP=$(jqo '.ips[0].address')
		check "$v ADD: ips[0] without version, interface 1 = eth0 in the sandbox" \
			q jq -e --arg p "$P" '(.ips[0] | has("version") | not) and .ips[0].interface == 1 and .interfaces[1].name == "eth0"
				and .interfaces[1].sandbox == $p and .routes[0].dst == "0.0.0.0/0"' <<<"$OUT"
		;;
	esac
	expect_eq "$v ADD: the container has that address" "$(ns_addr "$c")" "$IP"
	expect_eq "$v ADD: one endpoint record" "$(ep_count "$c")" 1
	check "$v ADD: the agent reported it up before ADD returned" \
		q "$DSTOOL" get "$(ip=$("$DSTOOL" list "/calico/felix/v1/host/h1/workload/cni/$c/" | cut -f1); echo "$ip")"
	chk=$(jq -c --argjson r "$ADDOUT" '. + {prevResult: $r}' <<<"$cfg")
	cni CHECK "$c" "$P" eth0 "$chk"
	if [ "$v" = 0.2.0 ] || [ "$v" = 0.3.1 ]; then
		expect_eq "$v CHECK: refused, code 1 (CHECK is 0.4.0+)" "$RC $(code)" "1 1"
	else
		expect_eq "$v CHECK passes" "$RC $OUT" "0 "
	fi
	cni STATUS "" "" "" "$cfg"
	cni2=$RC$(code)
	cni GC "" "" "" "$(jq -c --arg c "$c" '. + {"cni.dev/valid-attachments": [{containerID: $c, ifname: "eth0"}]}' <<<"$cfg")"
	if [ "$v" = 1.1.0 ]; then
		expect_eq "$v STATUS succeeds" "$cni2" "0"
		expect_eq "$v GC keeping this attachment succeeds and keeps it" "$RC $(ep_count "$c")" "0 1"
	else
		expect_eq "$v STATUS and GC: code 1 (1.1.0+)" "$cni2 $RC $(code)" "11 1 1"
	fi
	cni DEL "$c" "$P" eth0 "$cfg"
	expect_eq "$v DEL exits 0 and prints nothing" "$RC:$OUT" "0:"
	expect_eq "$v DEL: record gone" "$(ep_count "$c")" 0
	check "$v DEL: address ${IP%/*} released" bash -c "! '$CTL' ipam info '${IP%/*}' >/dev/null 2>&1"
	expect_eq "$v DEL: eth0 gone from the container" "$(ip -n "$(lab_ns "$c")" -o link | grep -c eth0)" 0
done
expect_eq "no cali interface left after the matrix" "$(cali_count)" 0

# ---- errors: the spec's codes, nothing changed ----
lab_workload_ns e1
E1=$(lab_nspath e1)
GOOD=$(conf 1.0.0 errs)
snapshot
cni ADD e1 "$E1" eth0 '{"cniVersion":"1.0.0","name":'
expect_error "bad JSON" 6
cni ADD e1 "$E1" eth0 "$(conf 9.9.9 errs)"
expect_error "unsupported cniVersion 9.9.9" 1
expect_eq "... error object says a version we speak" "$(jqo .cniVersion)" "1.1.0"
cni ADD e1 "$E1" eth0 "$(conf 1.0.0 errs '{"type":"calico-ipam"}' '{"datastore_type":"kubernetes"}')"
expect_error "unsupported field datastore_type kubernetes" 2
cni ADD e1 "$E1" eth0 "$(conf 1.0.0 errs '{"type":"calico-ipam","subnet":"usePodCidr"}')"
expect_error "unsupported field ipam.subnet for calico-ipam" 2
cni FROB e1 "$E1" eth0 "$GOOD"
expect_error "unknown CNI_COMMAND" 4
cni "" e1 "$E1" eth0 "$GOOD"
expect_error "no CNI_COMMAND" 4
cni ADD e1 "" eth0 "$GOOD"
expect_error "ADD without CNI_NETNS" 4
cni ADD "" "$E1" eth0 "$GOOD"
expect_error "ADD without CNI_CONTAINERID" 4
cni ADD e1 "$E1" "" "$GOOD"
expect_error "ADD without CNI_IFNAME" 4
cni ADD "bad/id" "$E1" eth0 "$GOOD"
expect_error "container id with '/'" 4
cni ADD e1 "$E1" eth0 "$GOOD" CNI_ARGS="FOO=bar"
expect_error "CNI_ARGS with an unknown key" 4
cni ADD e1 "$E1" eth0 "$GOOD" CNI_ARGS="garbage"
expect_error "CNI_ARGS that is not K=V" 4
cni ADD e1 "$E1" eth0 "$(jq -c 'del(.name)' <<<"$GOOD")"
expect_error "config without name" 7
cni ADD e1 "$E1" eth0 "$(conf 1.0.0 'no spaces')"
expect_error "network name that cannot be a profile" 7
cni ADD e1 "$E1" eth0 "$(conf 1.0.0 errs '{"type":"calico-ipam"}' '{"mtu":20}')"
expect_error "mtu 20" 7
cni ADD e1 "$E1" eth0 "$(conf 1.0.0 errs '{"type":"no-such-ipam"}')"
expect_error "IPAM plugin not in CNI_PATH" 7
cni ADD e1 /var/run/netns/nope-$$ eth0 "$GOOD"
expect_error "CNI_NETNS that does not exist" 3
cni CHECK e1 "$E1" eth0 "$(jq -c '. + {prevResult: {cniVersion: "1.0.0"}}' <<<"$GOOD")"
expect_error "CHECK of a container that was never added" 3
cni ADD e1 "$E1" eth0 "$GOOD" CNI_ARGS="IgnoreUnknown=1;FOO=bar"
check "CNI_ARGS with IgnoreUnknown=1 is accepted" [ "$RC" -eq 0 ]
cni DEL e1 "$E1" eth0 "$GOOD"

# ---- policy: two containers on one network reach each other, another network not until allowed ----
for c in ba bb rc; do lab_workload_ns "$c"; done
cni ADD ba "$(lab_nspath ba)" eth0 "$(conf 0.4.0 blue)"
BA=$(jqo '.ips[0].address' | cut -d/ -f1)
cni ADD bb "$(lab_nspath bb)" eth0 "$(conf 0.4.0 blue)"
BB=$(jqo '.ips[0].address' | cut -d/ -f1)
cni ADD rc "$(lab_nspath rc)" eth0 "$(conf 0.4.0 red)"
RCIP=$(jqo '.ips[0].address' | cut -d/ -f1)
check "three containers added (blue, blue, red)" test -n "$BA" -a -n "$BB" -a -n "$RCIP"
check "profile blue created for the network, tag blue" bash -c "'$DSTOOL' get /calico/v1/policy/profile/blue/tags | grep -q '\"blue\"'"
lab_tcp_server ba 8080
lab_tcp_server rc 8080
allowed "blue -> blue ping" lab_ping bb "$BA"
allowed "blue -> blue tcp" lab_tcp bb "$BA" 8080
denied "red -> blue ping refused" lab_ping rc "$BA"
denied "red -> blue tcp refused" lab_tcp rc "$BA" 8080
denied "blue -> red tcp refused" lab_tcp ba "$RCIP" 8080
n=$(agent_metric calico_nft_applies_total)
"$CTL" profile blue rule add inbound allow from tag red >/dev/null
check "rule programmed" agent_wait_applied "${n:-0}"
allowed "red -> blue tcp allowed once blue allows tag red" lab_tcp rc "$BA" 8080
allowed "red -> blue ping allowed too" lab_ping rc "$BA"
denied "blue -> red still refused (red's profile unchanged)" lab_tcp ba "$RCIP" 8080

# ---- CHECK good and broken ----
lab_workload_ns ck
cni ADD ck "$(lab_nspath ck)" eth0 "$(conf 1.0.0 blue)"
CKOUT=$OUT
CK=$(lab_nspath ck)
CKCFG=$(jq -c --argjson r "$CKOUT" '. + {prevResult: $r}' <<<"$(conf 1.0.0 blue)")
cni CHECK ck "$CK" eth0 "$CKCFG"
expect_eq "CHECK of a good attachment" "$RC" 0
ip -n "$(lab_ns ck)" route del default
cni CHECK ck "$CK" eth0 "$CKCFG"
expect_eq "CHECK after deleting the default route inside: code 100" "$RC $(code)" "1 100"
check "... naming the route" grep -q "route 'default via 169.254.1.1 dev eth0' is missing in the container" <<<"$(jqo .msg)"
ip -n "$(lab_ns ck)" route add default via 169.254.1.1 dev eth0
cni CHECK ck "$CK" eth0 "$CKCFG"
expect_eq "CHECK passes again once the route is back" "$RC" 0
ip -n "$(lab_ns ck)" addr flush dev eth0
cni CHECK ck "$CK" eth0 "$CKCFG"
check "CHECK after removing the address names it" grep -q "address .* is missing on eth0" <<<"$(jqo .msg)"
cni CHECK ck "$CK" eth0 "$(jq -c '.prevResult.ips[0].address = "10.70.255.254/32"' <<<"$CKCFG")"
check "CHECK with a prevResult that differs from the record fails" [ "$RC" -eq 1 ]
"$DSTOOL" put "$("$DSTOOL" list "/calico/felix/v1/host/h1/workload/cni/ck/" | cut -f1)" '{"status":"down"}' >/dev/null
ip -n "$(lab_ns ck)" addr add "$(jq -r '.prevResult.ips[0].address' <<<"$CKCFG")" dev eth0
ip -n "$(lab_ns ck)" route replace 169.254.1.1 dev eth0 scope link
ip -n "$(lab_ns ck)" route replace default via 169.254.1.1 dev eth0
cni CHECK ck "$CK" eth0 "$CKCFG"
# the agent rewrites "up" on its next pass; if it already did, the check above passed legitimately
if [ "$RC" -eq 1 ]; then
	check "CHECK with the agent reporting down names the policy" grep -q "not programmed" <<<"$(jqo .msg)"
else
	ok "CHECK with the agent reporting down (the agent re-reported up first)"
fi
cni DEL ck "$CK" eth0 "$(conf 1.0.0 blue)"

# ---- DEL: twice, without netns, after the netns is gone ----
cni DEL ba "$(lab_nspath ba)" eth0 "$(conf 0.4.0 blue)"
expect_eq "DEL ba" "$RC" 0
cni DEL ba "$(lab_nspath ba)" eth0 "$(conf 0.4.0 blue)"
expect_eq "DEL ba again is fine" "$RC:$OUT" "0:"
cni DEL bb "" eth0 "$(conf 0.4.0 blue)"
expect_eq "DEL without CNI_NETNS" "$RC" 0
check "... bb's address released" bash -c "! '$CTL' ipam info '$BB' >/dev/null 2>&1"
expect_eq "... bb's record gone" "$(ep_count bb)" 0
RCIF=$("$DSTOOL" list /calico/v1/host/h1/workload/cni/rc/ | grep -o '"name":"cali[0-9a-f]*"' | cut -d'"' -f4)
ip netns del "$(lab_ns rc)"
lab_forget rc
cni DEL rc "/var/run/netns/$(lab_ns rc)" eth0 "$(conf 0.4.0 red)"
expect_eq "DEL after the netns was deleted" "$RC" 0
check "... rc's address released" bash -c "! '$CTL' ipam info '$RCIP' >/dev/null 2>&1"
expect_eq "... rc's record gone" "$(ep_count rc)" 0
check "... veth $RCIF gone" no_link "$RCIF"
cni DEL never "" eth0 "$(conf 0.4.0 red)"
expect_eq "DEL of a container never added" "$RC" 0

# ---- one Calico interface per container, static IPs ----
lab_workload_ns mi
MI=$(lab_nspath mi)
cni ADD mi "$MI" eth0 "$(conf 1.0.0 blue)"
expect_eq "container mi on blue" "$RC $(ep_count mi)" "0 1"
snapshot
cni ADD mi "$MI" eth1 "$(conf 1.0.0 red)"
expect_error "a second Calico interface in one container is refused" 999
check "... saying so" grep -q "one Calico interface per container" <<<"$(jqo .msg)"
cni ADD mi "$MI" eth1 "$(conf 1.0.0 blue)"
expect_error "a second interface on the same network is refused too" 999
check "... saying so" grep -q "already has a Calico interface (endpoint [0-9a-f]* on network blue): one Calico" <<<"$(jqo .msg)"
expect_eq "... mi keeps its eth0 and has no eth1" "$(ip -n "$(lab_ns mi)" -o link | grep -c 'eth[01]')" 1
cni DEL mi "$MI" eth1 "$(conf 1.0.0 red)"
expect_eq "DEL of an interface never added leaves eth0's endpoint" "$RC $(ep_count mi)" "0 1"
cni DEL mi "$MI" eth0 "$(conf 1.0.0 blue)"
lab_workload_ns st1
lab_workload_ns st2
cni ADD st1 "$(lab_nspath st1)" eth0 "$(conf 1.0.0 blue)" CNI_ARGS="IP=10.70.99.9"
expect_eq "CNI_ARGS IP= asks calico-ipam for that address" "$(ns_addr st1)" "10.70.99.9/32"
snapshot
cni ADD st2 "$(lab_nspath st2)" eth0 "$(conf 1.0.0 blue)" CNI_ARGS="IP=10.70.99.9"
check "the same static address for another container is refused" [ "$RC" -eq 1 ]
check "... saying it is in use" grep -q "IP '10.70.99.9' already in use." <<<"$(jqo .msg)"
expect_eq "... nothing left (no cali link, no record)" "$(cali_count) $(ep_count st2)" "$LINKS0 0"
cni DEL st1 "$(lab_nspath st1)" eth0 "$(conf 1.0.0 blue)"

# ---- labels: args.cni.labels and the namespace in CNI_ARGS ----
ep_labels() { "$DSTOOL" list "/calico/v1/host/h1/workload/cni/$1/" | cut -f2 | jq -c .labels; }
lab_workload_ns lb1
lab_workload_ns lb2
cni ADD lb1 "$(lab_nspath lb1)" eth0 "$(conf 1.0.0 blue '{"type":"calico-ipam"}' \
	'{"args":{"cni":{"labels":[{"key":"role","value":"db"},{"key":"app.example.com/tier","value":"back"},{"key":"note","value":"not a label value"},{"key":"projectcalico.org/orchestrator","value":"k8s"}]}}}')" \
	CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=lb1"
check "ADD with args.cni.labels, one of them invalid, succeeds" [ "$RC" -eq 0 ]
expect_eq "... its record has the valid labels, the namespace from K8S_POD_NAMESPACE, our orchestrator" \
	"$(ep_labels lb1)" \
	'{"app.example.com/tier":"back","projectcalico.org/namespace":"shop","projectcalico.org/orchestrator":"cni","role":"db"}'
expect_contains "... the plugin's log names the skipped one" "$ERR" \
	"label args.cni.labels[2] skipped: 'note'='not a label value': value is not a valid label value"
cni ADD lb2 "$(lab_nspath lb2)" eth0 "$(conf 1.0.0 blue '{"type":"calico-ipam"}' \
	'{"args":{"cni":{"labels":[{"key":"projectcalico.org/namespace","value":"books"}]}}}')"
expect_eq "without K8S_POD_NAMESPACE the runtime's namespace label is the namespace" "$RC $(ep_labels lb2)" \
	'0 {"projectcalico.org/namespace":"books","projectcalico.org/orchestrator":"cni"}'
cni DEL lb2 "$(lab_nspath lb2)" eth0 "$(conf 1.0.0 blue)"
cni ADD lb2 "$(lab_nspath lb2)" eth0 "$(conf 1.0.0 blue)"
expect_eq "without either it is default" "$RC $(ep_labels lb2)" \
	'0 {"projectcalico.org/namespace":"default","projectcalico.org/orchestrator":"cni"}'
snapshot
cni ADD lb3 "$(lab_nspath lb2)" eth0 "$(conf 1.0.0 blue '{"type":"calico-ipam"}' '{"args":{"cni":{"labels":{"role":"db"}}}}')"
expect_error "args.cni.labels that is not a list is still refused" 7
cni DEL lb1 "$(lab_nspath lb1)" eth0 "$(conf 1.0.0 blue)"
cni DEL lb2 "$(lab_nspath lb2)" eth0 "$(conf 1.0.0 blue)"

# ---- a repeated ADD (a runtime retrying one whose answer it lost) ----
# answered from the attachment that is there: the same result in the shape
# asked for, nothing allocated, no second veth; anything that does not match
# is refused and changes nothing.
ipam_state() { "$DSTOOL" list /calico/ipam/; }
for v in 0.2.0 0.4.0 1.1.0; do
	c="ra${v//./}"
	lab_workload_ns "$c"
	P=$(lab_nspath "$c")
	cni ADD "$c" "$P" eth0 "$(conf "$v" blue)"
	FIRST=$OUT
	check "$v first ADD" [ "$RC" -eq 0 ]
	ipam0=$(ipam_state)
	links0=$(cali_count)
	inside0=$(ip -n "$(lab_ns "$c")" -o link | wc -l)
	cni ADD "$c" "$P" eth0 "$(conf "$v" blue)"
	expect_eq "$v repeated ADD succeeds, cniVersion $v" "$RC $(jqo .cniVersion)" "0 $v"
	expect_eq "$v ... with the first ADD's result, byte for byte" "$OUT" "$FIRST"
	expect_eq "$v ... nothing allocated (IPAM blocks and handles unchanged)" "$(ipam_state)" "$ipam0"
	expect_eq "$v ... no second veth (cali links, links in the container)" \
		"$(cali_count) $(ip -n "$(lab_ns "$c")" -o link | wc -l)" "$links0 $inside0"
	expect_eq "$v ... one endpoint record" "$(ep_count "$c")" 1
	snapshot
	cni ADD "$c" "$P" eth0 "$(conf "$v" red)"
	expect_error "$v the same container and interface on another network is refused" 999
	check "$v ... naming both networks" grep -q "^container $c already has eth0 on network blue (endpoint [0-9a-f]*), not on network red: one Calico interface per container$" <<<"$(jqo .msg)"
	cni ADD "$c" "$P" eth0 "$(conf "$v" blue)"
	expect_eq "$v ... and the blue attachment still answers as before" "$RC $OUT" "0 $FIRST"
done
# the record or the interfaces are not what the first ADD made
c=ra110
P=$(lab_nspath $c)
EPID=$("$DSTOOL" list "/calico/v1/host/h1/workload/cni/$c/" | cut -f1 | sed 's|.*/||')
lab_workload_ns rx
ip -n "$(lab_ns rx)" link add eth0 type veth peer name eth0p
snapshot
cni ADD $c "$(lab_nspath rx)" eth0 "$(conf 1.1.0 blue)"
expect_error "repeated ADD whose CNI_NETNS has another eth0 is refused" 999
check "... saying that eth0 is not the veth's peer" grep -q "^container $c already has endpoint $EPID for eth0 on network blue, but interface eth0 in $(lab_nspath rx) is not the peer of cali${EPID:0:11}$" <<<"$(jqo .msg)"
ip -n "$(lab_ns rx)" link del eth0
snapshot
cni ADD $c "$(lab_nspath rx)" eth0 "$(conf 1.1.0 blue)"
expect_error "repeated ADD into a netns without eth0 is refused (no second veth)" 999
check "... saying eth0 is missing there" grep -q "but $(lab_nspath rx) has no interface eth0$" <<<"$(jqo .msg)"
ADDR=$(ns_addr $c)
ip -n "$(lab_ns $c)" addr del "$ADDR" dev eth0
snapshot
cni ADD $c "$P" eth0 "$(conf 1.1.0 blue)"
expect_error "repeated ADD after the address was removed inside is refused" 999
check "... naming the address" grep -q "but address ${ADDR%/*} is not on eth0 in $P$" <<<"$(jqo .msg)"
ip -n "$(lab_ns $c)" addr add "$ADDR" dev eth0
"$CTL" endpoint "$EPID" profile set red >/dev/null
snapshot
cni ADD $c "$P" eth0 "$(conf 1.1.0 blue)"
expect_error "repeated ADD of an endpoint whose profile was changed is refused" 999
check "... naming the profile" grep -q "already has endpoint $EPID for eth0, but its profile is red, not network blue$" <<<"$(jqo .msg)"
for v in 0.2.0 0.4.0 1.1.0; do
	c="ra${v//./}"
	ip=$(ns_addr "$c")
	cni DEL "$c" "$(lab_nspath "$c")" eth0 "$(conf "$v" blue)"
	expect_eq "$v DEL after the repeated ADD: record gone" "$RC $(ep_count "$c")" "0 0"
	check "$v ... address ${ip%/*} released" bash -c "[ -n '$ip' ] && ! '$CTL' ipam info '${ip%/*}' >/dev/null 2>&1"
done

# ---- rollback of an ADD failing after IPAM ----
lab_workload_ns rb
ip -n "$(lab_ns rb)" link add eth0 type veth peer name eth0p
snapshot
used0=$("$DSTOOL" count /calico/ipam/v2/handle/)
cni ADD rb "$(lab_nspath rb)" eth0 "$(conf 1.0.0 blue)"
check "ADD into a netns that already has eth0 fails" [ "$RC" -eq 1 ]
check "... saying why" grep -q "File exists" <<<"$(jqo .msg)"
expect_eq "... no cali link left" "$(cali_count)" "$LINKS0"
expect_eq "... no endpoint record" "$(ep_count rb)" 0
expect_eq "... no IPAM handle left (address released)" "$("$DSTOOL" count /calico/ipam/v2/handle/)" "$used0"

# ---- GC ----
for c in g1 g2 g3; do lab_workload_ns "$c"; done
cni ADD g1 "$(lab_nspath g1)" eth0 "$(conf 1.1.0 gcnet)"
cni ADD g2 "$(lab_nspath g2)" eth0 "$(conf 1.1.0 gcnet)"
G2=$(jqo '.ips[0].address' | cut -d/ -f1)
G2IF=$(jqo '.interfaces[0].name')
cni ADD g3 "$(lab_nspath g3)" eth0 "$(conf 1.1.0 othernet)"
cni GC "" "" "" "$(conf 1.1.0 gcnet '{"type":"calico-ipam"}' '{"cni.dev/valid-attachments":[{"containerID":"g1","ifname":"eth0"}]}')"
expect_eq "GC listing only g1 succeeds" "$RC:$OUT" "0:"
expect_eq "... g1 kept, g2 removed, g3 (another network) kept" "$(ep_count g1) $(ep_count g2) $(ep_count g3)" "1 0 1"
check "... g2's veth $G2IF gone" no_link "$G2IF"
check "... g2's address released" bash -c "! '$CTL' ipam info '$G2' >/dev/null 2>&1"
expect_eq "... g1's handle kept" "$("$DSTOOL" count /calico/ipam/v2/handle/gcnet.g1)" 1
cni GC "" "" "" "$(conf 1.1.0 gcnet)"
expect_eq "GC without the attachment list: code 7" "$RC $(code)" "1 7"
for c in g1 g3; do cni DEL "$c" "$(lab_nspath "$c")" eth0 "$(conf 1.1.0 $([ $c = g1 ] && echo gcnet || echo othernet))"; done

# ---- STATUS ----
cni STATUS "" "" "" "$(conf 1.1.0 blue)"
expect_eq "STATUS ready" "$RC" 0
cni STATUS "" "" "" "$(conf 1.1.0 blue '{"type":"calico-ipam","ipv4_pools":["10.99.0.0/16"]}')"
expect_eq "STATUS with a pool that does not exist: code 50" "$RC $(code)" "1 50"
cni STATUS "" "" "" "$(conf 1.1.0 blue '{"type":"calico-ipam"}' '{"etcd_endpoints":"http://127.0.0.1:9"}')"
expect_eq "STATUS with the datastore unreachable: code 51" "$RC $(code)" "1 51"

# ---- IPAM delegation to Debian's host-local ----
if [ -x "$HOSTLOCAL" ]; then
	HL="{\"type\":\"host-local\",\"subnet\":\"10.71.0.0/24\",\"dataDir\":\"$LAB_TMP/host-local\"}"
	for v in 0.2.0 0.4.0 1.0.0; do
		c="hl${v//./}"
		lab_workload_ns "$c"
		cfg=$(conf "$v" blue "$HL")
		cni ADD "$c" "$(lab_nspath "$c")" eth0 "$cfg"
		got=$(ns_addr "$c")
		check "$v host-local: ADD gives an address of its subnet as a /32 ($got)" grep -q '^10\.71\.0\.[0-9]*/32$' <<<"$got"
		check "$v host-local: recorded in its dataDir" [ -e "$LAB_TMP/host-local/blue/${got%/*}" ]
		if [ "$v" != 0.2.0 ]; then
			cni CHECK "$c" "$(lab_nspath "$c")" eth0 "$(jq -c --argjson r "$OUT" '. + {prevResult: $r}' <<<"$cfg")"
			expect_eq "$v host-local: CHECK (delegated too)" "$RC" 0
		fi
		cni DEL "$c" "$(lab_nspath "$c")" eth0 "$cfg"
		check "$v host-local: DEL released it" test "$RC" -eq 0 -a ! -e "$LAB_TMP/host-local/blue/${got%/*}"
	done
else
	ok "# SKIP host-local not installed"
fi

# ---- policy_setup_timeout_seconds: no agent, ADD fails and undoes itself ----
agent_stop >/dev/null
lab_workload_ns pt
snapshot
used0=$("$DSTOOL" count /calico/ipam/v2/handle/)
cni ADD pt "$(lab_nspath pt)" eth0 "$(conf 1.0.0 blue '{"type":"calico-ipam"}' '{"policy_setup_timeout_seconds":1}')"
expect_eq "ADD with calico-node stopped: code 11 after the policy timeout" "$RC $(code)" "1 11"
expect_eq "... nothing left (links, records, handles)" "$(cali_count) $(ep_count pt) $("$DSTOOL" count /calico/ipam/v2/handle/)" \
	"$LINKS0 0 $used0"

expect_eq "no cali interface left in h1" "$(cali_count)" 0
expect_eq "no cni endpoint record left" "$("$DSTOOL" count /calico/v1/host/h1/workload/cni/)" 0
expect_eq "no IPAM handle left" "$("$DSTOOL" count /calico/ipam/v2/handle/)" 0
expect_eq "root namespace links unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"
tap_done
