#!/usr/bin/env bash
# The CNI plugins driven by libcni, the library containerd and CRI-O call
# plugins through (Debian's golang-github-appc-cni-dev, built here into a
# small client, tests/tools/libcni). libcni does what hand-made callers
# usually do not: VERSION on every plugin of the list during validation,
# prevResult down a chain, results cached and handed back on CHECK and DEL,
# DEL again after the namespace is gone. The list is `calico` chained with
# Debian's `tuning` (a per-namespace sysctl), the client runs in the lab host
# namespace h1 with one calico-node, and the plugins are found in the build
# dir and /usr/lib/cni.
#   fabric -- h1 (172.30.0.11, calico-node) -- cali.. <-> containers a, b (lcnet), o (lcother)
# Covers: validate, ADD (address, chained sysctl, traffic under the network's
# profile), the cached result, CHECK, a repeated ADD (same result, nothing
# allocated, no second veth), DEL, DEL again after the netns is gone, and
# nothing left behind (addresses, records, links, cache entries).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, go, jq, nft, libcni's source, Debian's tuning plugin and the calico plugins" root cmd:go \
	cmd:jq cmd:nft exe:/usr/lib/cni/tuning "exe:${CALICO_BUILD:-}/calico" "exe:${CALICO_BUILD:-}/calico-ipam"
[ -d /usr/share/gocode/src/github.com/containernetworking/cni/libcni ] ||
	{ echo "1..0 # SKIP needs libcni's source (golang-github-appc-cni-dev)"; exit 0; }
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
unset ETCD_ENDPOINTS ETCD_AUTHORITY
export HOSTNAME=h1
CTL="$CALICO_BUILD/calicoctl"
CLIENT="$LAB_TMP/libcni-client"
CACHE="$LAB_TMP/cni-cache"
PLUGINS="$CALICO_BUILD:/usr/lib/cni"
ROOT_LINKS=$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')

# ---- the client, built against the packaged libcni in GOPATH mode ----
# GOPATH mode wants the package under <gopath>/src/<import path>: the client
# goes into a private GOPATH, libcni comes from Debian's.
mkdir -p "$LAB_TMP/gopath/src/libcni-client" "$CACHE"
cp "$here/../tools/libcni/main.go" "$LAB_TMP/gopath/src/libcni-client/"
t0=$(date +%s)
if (cd "$LAB_TMP/gopath/src/libcni-client" && GO111MODULE=off GOFLAGS= GOPATH="$LAB_TMP/gopath:/usr/share/gocode" \
	GOCACHE="$LAB_TMP/go-cache" go build -o "$CLIENT" . 2>"$LAB_TMP/go-build.log"); then
	ok "libcni client built ($(($(date +%s) - t0)) s)"
else
	fail "libcni client built"
	sed 's/^/#   /' "$LAB_TMP/go-build.log"
	echo "Bail out! no libcni client"
	exit 1
fi

# conflist NAME: calico chained with tuning (a sysctl of the container's namespace)
conflist() {
	jq -n --arg n "$1" '{cniVersion: "1.0.0", name: $n, plugins: [
		{type: "calico", nodename: "h1", policy_setup_timeout_seconds: 10, ipam: {type: "calico-ipam"}},
		{type: "tuning", sysctl: {"net.core.somaxconn": "321"}}]}' >"$LAB_TMP/$1.conflist"
}
# lc OP CONFLIST [CID NETNS IFNAME]: the client in h1; OUT, RC, ERR
lc() {
	local op=$1 net=$2
	shift 2
	OUT=$(lab_exec h1 "$CLIENT" -conflist "$LAB_TMP/$net.conflist" -path "$PLUGINS" -cache "$CACHE" "$op" "$@" \
		2>"$LAB_TMP/err")
	RC=$?
	ERR=$(cat "$LAB_TMP/err")
}
jqo() { jq -r "$1" <<<"$OUT" 2>/dev/null; }
q() { "$@" >/dev/null 2>&1; }
cali_count() { ip -n "$(lab_ns h1)" -o link | grep -c ': cali'; }
ep_count() { "$DSTOOL" count "/calico/v1/host/h1/workload/cni/$1/"; }
assigned() { "$CTL" ipam info "$1" >/dev/null 2>&1; }
ipam_state() { "$DSTOOL" list /calico/ipam/; }
ns_addr() { ip -n "$(lab_ns "$1")" -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}' | head -n 1; }
cache_entries() { find "$CACHE" -type f 2>/dev/null | wc -l; }
allowed() { local d=$1 i; shift; for i in 1 2 3; do "$@" && { ok "$d"; return; }; done; fail "$d"; }
denied() { local d=$1; shift; if "$@"; then fail "$d"; else ok "$d"; fi; }
# forget a lab namespace that the test deleted itself
lab_forget() {
	local keep=() n
	for n in "${LAB_NAMESPACES[@]}"; do [ "$n" = "$(lab_ns "$1")" ] || keep+=("$n"); done
	LAB_NAMESPACES=("${keep[@]}")
}
# report a failed call's output
said() { [ "$RC" -eq 0 ] || printf '#   rc=%s out=%s err=%s\n' "$RC" "$OUT" "$ERR"; }

lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
AGENT_HOST=h1
"$CTL" pool add 10.72.0.0/16 >/dev/null || echo "# pool add failed"
agent_start h1
check "calico-node ready in h1" agent_wait_ready 15
conflist lcnet
conflist lcother
for c in a b o; do lab_workload_ns "$c"; done

# ---- validate: VERSION of every plugin in the list ----
lc validate lcnet
said
expect_eq "validate: calico and tuning both speak 1.0.0" "$RC $OUT" '0 {"capabilities":[]}'

# ---- ADD ----
lc add lcnet a "$(lab_nspath a)" eth0
said
FIRST=$OUT
A=$(jqo '.ips[0].address')
expect_eq "ADD a: result of version 1.0.0" "$RC $(jqo .cniVersion)" "0 1.0.0"
check "... an address of the pool, interface 1 = eth0 in a's netns, host side cali" q jq -e --arg p "$(lab_nspath a)" \
	'(.ips[0].address | test("^10\\.72\\.[0-9.]+/32$")) and .ips[0].interface == 1 and .interfaces[1].name == "eth0"
	 and .interfaces[1].sandbox == $p and (.interfaces[0].name | startswith("cali"))' <<<"$OUT"
expect_eq "... a has it on eth0" "$(ns_addr a)" "$A"
expect_eq "... tuning ran after calico, in a's netns" "$(lab_exec a cat /proc/sys/net/core/somaxconn)" 321
expect_eq "... one endpoint record, in profile lcnet" \
	"$("$DSTOOL" list /calico/v1/host/h1/workload/cni/a/ | cut -f2- | jq -c .profile_ids)" '["lcnet"]'
lc add lcnet b "$(lab_nspath b)" eth0
B=$(jqo '.ips[0].address')
lc add lcother o "$(lab_nspath o)" eth0
O=$(jqo '.ips[0].address')
check "ADD b (lcnet) and o (lcother)" test -n "$B" -a -n "$O" -a "$B" != null -a "$O" != null
lab_tcp_server a 8080
allowed "b -> a ping (same network)" lab_ping b "${A%/*}"
allowed "b -> a tcp (same network)" lab_tcp b "${A%/*}" 8080
denied "o -> a tcp refused (network lcother is not in lcnet's profile)" lab_tcp o "${A%/*}" 8080

# ---- the cached result and CHECK (libcni sends the cached result as prevResult) ----
lc cached lcnet a "$(lab_nspath a)" eth0
expect_eq "cached result of a = the ADD's result" "$(jq -cS . <<<"$OUT")" "$(jq -cS . <<<"$FIRST")"
lc check lcnet a "$(lab_nspath a)" eth0
said
expect_eq "CHECK a passes (calico and tuning)" "$RC" 0

# ---- a repeated ADD: what a runtime does when the answer timed out ----
ipam0=$(ipam_state)
links0=$(cali_count)
inside0=$(ip -n "$(lab_ns a)" -o link | wc -l)
lc add lcnet a "$(lab_nspath a)" eth0
said
expect_eq "repeated ADD a succeeds with the same result" "$RC $(jq -cS . <<<"$OUT")" "0 $(jq -cS . <<<"$FIRST")"
expect_eq "... nothing allocated (IPAM blocks and handles unchanged)" "$(ipam_state)" "$ipam0"
expect_eq "... no second veth (cali links in h1, links in a)" "$(cali_count) $(ip -n "$(lab_ns a)" -o link | wc -l)" \
	"$links0 $inside0"
expect_eq "... one endpoint record, a keeps $A" "$(ep_count a) $(ns_addr a)" "1 $A"
lc check lcnet a "$(lab_nspath a)" eth0
expect_eq "... and CHECK still passes" "$RC" 0
allowed "... b -> a tcp still works" lab_tcp b "${A%/*}" 8080
lc add lcother a "$(lab_nspath a)" eth0
expect_eq "ADD a on lcother (same container and interface) is refused with code 999" "$RC $(jqo .code)" "1 999"
check "... naming both networks" grep -q "container a already has eth0 on network lcnet (endpoint [0-9a-f]*), not on network lcother" \
	<<<"$(jqo .msg)"
expect_eq "... nothing allocated, a untouched" "$(ipam_state) $(cali_count) $(ns_addr a)" "$ipam0 $links0 $A"

# ---- DEL, and DEL again after the netns is gone ----
AIF=$(jq -r '.interfaces[0].name' <<<"$FIRST")
lc del lcnet a "$(lab_nspath a)" eth0
said
expect_eq "DEL a" "$RC" 0
expect_eq "... record gone, veth $AIF gone" "$(ep_count a) $(ip -n "$(lab_ns h1)" -o link | grep -c "$AIF")" "0 0"
check "... ${A%/*} released" bash -c "! '$CTL' ipam info '${A%/*}' >/dev/null 2>&1"
lc cached lcnet a "$(lab_nspath a)" eth0
expect_eq "... no cached result left for a" "$RC $OUT" "0 null"
lc del lcnet a "$(lab_nspath a)" eth0
expect_eq "DEL a again is fine" "$RC" 0
ip netns del "$(lab_ns b)"
lab_forget b
lc del lcnet b "$(lab_nspath b)" eth0
said
expect_eq "DEL b after its netns was deleted" "$RC" 0
lc del lcnet b "$(lab_nspath b)" eth0
expect_eq "DEL b again, netns still gone" "$RC" 0
lc del lcother o "$(lab_nspath o)" eth0
expect_eq "DEL o" "$RC" 0

# ---- nothing left ----
for ip in "$A" "$B" "$O"; do
	check "${ip%/*} released" bash -c "! '$CTL' ipam info '${ip%/*}' >/dev/null 2>&1"
done
expect_eq "no cali interface left in h1" "$(cali_count)" 0
expect_eq "no cni endpoint record left" "$("$DSTOOL" count /calico/v1/host/h1/workload/cni/)" 0
expect_eq "no IPAM handle left" "$("$DSTOOL" count /calico/ipam/v2/handle/)" 0
expect_eq "no libcni cache entry left" "$(cache_entries)" 0
expect_eq "root namespace links unchanged" "$(ip -o link | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" "$ROOT_LINKS"
tap_done
