#!/usr/bin/env bash
# Lab test of the netlink layer and workload_attach/detach (src/lib/netlink/nl*.c,
# netns.c, net_sysctl.c, workload_net.c) through tests/tools/nltool:
# real veths, routes and traffic between lab namespaces.
#
#   fabric (br0 172.30.0.1/24) -- h1 (172.30.0.11) -- caliaaa.. <-> wa:eth0 10.65.1.2, fd00:65::2
#                                                  -- calibbb.. <-> wb:eth0 10.65.1.3, fd00:65::3
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
NLTOOL="${CALICO_BUILD:?}/nltool"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

if [ "$(id -u)" -ne 0 ]; then
  echo "1..0 # SKIP needs root"
  exit 0
fi

root_state() {
  ip -o link | awk '{print $2}'
  ip -o addr | awk '{print $2, $3, $4}'
  ip route; ip -6 route
}
ROOT_BEFORE=$(root_state)

# nltool inside host h1 (the plugin's view: the host is the current namespace)
h1() { lab_exec h1 "$NLTOOL" "$@"; }
# run CMD...: sets OUT, ERR, RC
run() { OUT=$("$@" 2>"$LAB_TMP/err"); RC=$?; ERR=$(cat "$LAB_TMP/err"); }
contains() { case "$1" in *"$2"*) return 0 ;; esac; return 1; }
expect_contains() {
  if contains "$2" "$3"; then ok "$1"; else fail "$1"; printf '#   got:  %s\n#   want: *%s*\n' "$2" "$3"; fi
}
expect_lacks() {
  if ! contains "$2" "$3"; then ok "$1"; else fail "$1"; printf '#   got:  %s\n#   unwanted: *%s*\n' "$2" "$3"; fi
}
# retry SECONDS CMD...: true once CMD succeeds (IPv6 waits for DAD on the host's link-local)
retry() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.1; done
}
unreachable() { ! lab_ping "$@"; }
links_of() { ip -n "$(lab_ns "$1")" -o link | awk -F': ' '{print $2}' | sed 's/@.*//'; }

lab_fabric_add || { echo "Bail out! cannot build the fabric"; exit 1; }
lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot add host h1"; exit 1; }
lab_host_add h2 172.30.0.12 || { echo "Bail out! cannot add host h2"; exit 1; }
for w in wa wb wc wd wt; do lab_workload_ns $w || { echo "Bail out! cannot add $w"; exit 1; }; done

# ---- interface name derivation ----
run h1 ifname 0123456789abcdef0123
expect_eq "ifname: cali + first 11 characters of the endpoint id" "$OUT" "cali0123456789a"
run h1 ifname short
expect_eq "ifname: a short id is kept whole" "$OUT" "calishort"
run h1 ifname "bad/id"
check "ifname: an id with '/' is refused" [ "$RC" -eq 1 ]

IFA=$(h1 ifname aaaaaaaaaaaaaaaaaaaa)
IFB=$(h1 ifname bbbbbbbbbbbbbbbbbbbb)

# ---- attach: the peer is born in the workload namespace ----
# Watch h1's link events while attaching: a peer created in h1 and then moved
# would show up there as a new "eth0" and a deletion.
lab_spawn h1 ip monitor link >"$LAB_TMP/mon-h1" 2>&1
MON_PID=$LAB_LAST_PID
sleep 0.3
run h1 attach "$(lab_nspath wa)" "$IFA" eth0 1500 10.65.1.2 fd00:65::2
check "attach wa succeeds" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || echo "#   $ERR"
run h1 attach "$(lab_nspath wb)" "$IFB" eth0 1500 10.65.1.3 fd00:65::3
check "attach wb succeeds" [ "$RC" -eq 0 ]
[ "$RC" -eq 0 ] || echo "#   $ERR"
sleep 0.3
kill "$MON_PID" 2>/dev/null
MON=$(cat "$LAB_TMP/mon-h1")
expect_contains "h1 saw its own side appear ($IFA)" "$MON" "$IFA"
expect_lacks "h1 never saw the workload's eth0 (born directly in wa)" "$MON" " eth0"
expect_eq "wa holds eth0 and lo only" "$(links_of wa | sort | tr '\n' ' ')" "eth0 lo "
expect_lacks "h1 has no eth0 peer of the workloads" "$(links_of h1 | tr '\n' ' ')" "eth0@"

# ---- what attach made ----
LINK=$(ip -n "$(lab_ns h1)" -o link show "$IFA")
expect_contains "host side MAC ee:ee:ee:ee:ee:ee" "$LINK" "link/ether ee:ee:ee:ee:ee:ee"
expect_contains "host side is up" "$LINK" ",UP"
expect_contains "host side MTU" "$LINK" "mtu 1500"
expect_contains "workload eth0 is up" "$(ip -n "$(lab_ns wa)" -o link show eth0)" ",UP"
ADDRS=$(ip -n "$(lab_ns wa)" -o addr show dev eth0)
expect_contains "workload has its /32" "$ADDRS" "inet 10.65.1.2/32"
expect_contains "workload has its /128 (nodad)" "$ADDRS" "inet6 fd00:65::2/128 scope global nodad"
R4=$(ip -n "$(lab_ns wa)" route)
expect_contains "workload: 169.254.1.1 dev eth0 scope link" "$R4" "169.254.1.1 dev eth0 proto 80 scope link"
expect_contains "workload: default via 169.254.1.1" "$R4" "default via 169.254.1.1 dev eth0"
expect_contains "workload: IPv6 default via fe80::ecee:eeff:feee:eeee" "$(ip -n "$(lab_ns wa)" -6 route)" \
  "default via fe80::ecee:eeff:feee:eeee dev eth0"
HR=$(ip -n "$(lab_ns h1)" route show proto 80)
expect_contains "host: 10.65.1.2 dev $IFA scope link proto 80" "$HR" "10.65.1.2 dev $IFA scope link"
expect_contains "host: 10.65.1.3 dev $IFB scope link proto 80" "$HR" "10.65.1.3 dev $IFB scope link"
expect_contains "host: fd00:65::2/128 dev $IFA proto 80" "$(ip -n "$(lab_ns h1)" -6 route show proto 80)" \
  "fd00:65::2 dev $IFA"
for kv in ipv4/conf/$IFA/proxy_arp=1 ipv4/neigh/$IFA/proxy_delay=0 ipv4/conf/$IFA/forwarding=1 \
  ipv4/conf/$IFA/rp_filter=1 ipv6/conf/$IFA/proxy_ndp=1 ipv6/conf/$IFA/accept_ra=0 ipv6/conf/$IFA/forwarding=1; do
  run h1 sysctl-get "${kv%=*}"
  expect_eq "sysctl ${kv%=*} in h1" "$OUT" "${kv#*=}"
done
check "the sysctls went to h1, not to the root namespace" [ ! -e "/proc/sys/net/ipv4/conf/$IFA" ]
run "$NLTOOL" -n "$(lab_nspath h1)" sysctl-get "ipv4/conf/$IFA/proxy_arp"
expect_eq "sysctl-get via setns (-n) reads h1 too" "$OUT" "1"

# ---- real traffic wa <-> wb through h1 ----
lab_tcp_server wa 8080 && lab_tcp_server wb 8080 && lab_udp_echo wa 9090 && lab_udp_echo wb 9090 ||
  echo "# could not start servers"
check "ping wa -> wb" lab_ping wa 10.65.1.3
check "ping wb -> wa" lab_ping wb 10.65.1.2
check "tcp wa -> wb" lab_tcp wa 10.65.1.3 8080
check "tcp wb -> wa" lab_tcp wb 10.65.1.2 8080
check "udp wa -> wb" lab_udp wa 10.65.1.3 9090
check "udp wb -> wa" lab_udp wb 10.65.1.2 9090
expect_contains "wa resolved 169.254.1.1 to the host side by proxy ARP" \
  "$(ip -n "$(lab_ns wa)" neigh show 169.254.1.1)" "lladdr ee:ee:ee:ee:ee:ee"
check "ping6 wa -> wb (via fe80::ecee:eeff:feee:eeee)" retry 4 lab_ping wa fd00:65::3
check "tcp6 wb -> wa" retry 2 lab_tcp wb fd00:65::2 8080
check "udp6 wa -> wb" retry 2 lab_udp wa fd00:65::3 9090
# h2 learns wa's block the way BIRD would teach it; wa's packets leave by h1's default route.
ip -n "$(lab_ns h2)" route add 10.65.1.0/26 via 172.30.0.11
check "ping wa -> h2 across the fabric" lab_ping wa 172.30.0.12

# ---- listing by protocol: only our routes ----
ip -n "$(lab_ns h1)" route add 10.99.0.0/24 via 172.30.0.1 proto static
run h1 route-list 4 80
expect_contains "route-list 4 80 shows our /32" "$OUT" "10.65.1.2/32 dev $IFA scope link proto 80"
expect_lacks "route-list 4 80 leaves out a static route" "$OUT" "10.99.0.0"
expect_lacks "route-list 4 80 leaves out kernel routes" "$OUT" "172.30.0.0"
run h1 route-list 6 80
expect_contains "route-list 6 80 shows our /128" "$OUT" "fd00:65::2/128 dev $IFA proto 80"
run h1 route-list 4 any
expect_contains "route-list 4 any shows the static route too" "$OUT" "10.99.0.0/24 via 172.30.0.1 dev eth0 proto 4"
ip -n "$(lab_ns h1)" route add 10.77.0.1 dev eth0 proto static
run h1 route-workload-del 10.77.0.1 eth0
expect_eq "deleting with our protocol never removes someone else's route" "$ERR" \
  "nltool: cannot delete route 10.77.0.1/32 dev eth0 scope link proto 80: No such process"
expect_contains "... which is still there" "$(ip -n "$(lab_ns h1)" route show 10.77.0.1)" "10.77.0.1 dev eth0 proto static"
check "route-workload replace takes over an existing destination" h1 route-workload 10.77.0.1 eth0 replace
expect_contains "... now ours" "$(ip -n "$(lab_ns h1)" route show 10.77.0.1)" "proto 80"
check "route-workload-del removes our route" h1 route-workload-del 10.77.0.1 eth0
run h1 link-list cali
expect_eq "link-list cali lists the two workloads" "$(echo "$OUT" | awk '{print $1}' | sort | tr '\n' ' ')" "$IFA $IFB "

# ---- failures leave nothing behind ----
WC=$(h1 ifname cccccccccccccccc)
run h1 attach "$(lab_nspath wc)" "$WC" eth0 1500 10.65.1.2
check "attach with an address already in use fails" [ "$RC" -eq 1 ]
expect_eq "... saying why" "$ERR" "nltool: cannot add route 10.65.1.2/32 dev $WC scope link proto 80: File exists"
expect_lacks "... and leaves no host interface" "$(links_of h1)" "$WC"
expect_eq "... and no workload interface" "$(links_of wc | tr '\n' ' ')" "lo "
check "... and wa still answers" lab_ping wb 10.65.1.2

run h1 attach "$(lab_nspath wc)" "$IFA" eth0 1500 10.65.1.9
check "attach with a host name that exists fails" [ "$RC" -eq 1 ]
expect_eq "... saying why" "$ERR" "nltool: cannot create veth $IFA (peer eth0): File exists"
expect_eq "... and leaves no workload interface" "$(links_of wc | tr '\n' ' ')" "lo "
check "... and the existing $IFA still carries traffic" lab_ping wb 10.65.1.2

ip -n "$(lab_ns wd)" link add eth0 type veth peer name eth0peer
run h1 attach "$(lab_nspath wd)" "$WC" eth0 1500 10.65.1.9
check "attach into a namespace that already has eth0 fails" [ "$RC" -eq 1 ]
expect_eq "... saying why" "$ERR" "nltool: cannot create veth $WC (peer eth0): File exists"
expect_lacks "... and leaves no host interface" "$(links_of h1)" "$WC"

run h1 attach /var/run/netns/no-such-ns-$$ "$WC" eth0 1500 10.65.1.9
expect_eq "attach into a missing namespace fails with a message" "$ERR" \
  "nltool: cannot open network namespace /var/run/netns/no-such-ns-$$: No such file or directory"
expect_lacks "... and leaves no host interface" "$(links_of h1)" "$WC"

# ---- smaller operations ----
run h1 route-blackhole 10.65.1.0/26
check "blackhole route add" [ "$RC" -eq 0 ]
expect_contains "blackhole route present with proto 80" "$(ip -n "$(lab_ns h1)" route show proto 80)" \
  "blackhole 10.65.1.0/26"
check "blackhole route delete" h1 route-blackhole-del 10.65.1.0/26
expect_lacks "blackhole route gone" "$(ip -n "$(lab_ns h1)" route)" "blackhole"
ip -n "$(lab_ns h1)" link add vxlan0 type vxlan id 1 dstport 4789 local 172.30.0.11 dev eth0 nolearning
ip -n "$(lab_ns h1)" link set vxlan0 up
check "route via gateway onlink" h1 route-via-onlink 10.65.2.0/26 10.65.2.0 vxlan0
expect_contains "... present" "$(ip -n "$(lab_ns h1)" route show 10.65.2.0/26)" \
  "10.65.2.0/26 via 10.65.2.0 dev vxlan0 proto 80 onlink"
check "permanent neighbour" h1 neigh-add vxlan0 10.65.2.0 02:11:22:33:44:55
expect_contains "... present" "$(ip -n "$(lab_ns h1)" neigh show dev vxlan0)" \
  "10.65.2.0 lladdr 02:11:22:33:44:55 PERMANENT"
check "fdb append" h1 fdb-append vxlan0 02:11:22:33:44:55 172.30.0.12
expect_contains "... present" "$(bridge -n "$(lab_ns h1)" fdb show dev vxlan0)" \
  "02:11:22:33:44:55 dst 172.30.0.12 self permanent"
check "fdb delete" h1 fdb-del vxlan0 02:11:22:33:44:55 172.30.0.12
check "neighbour delete" h1 neigh-del vxlan0 10.65.2.0
check "onlink route delete" h1 route-via-onlink-del 10.65.2.0/26 10.65.2.0 vxlan0
check "set MTU" h1 link-mtu vxlan0 1400
expect_contains "... applied" "$(ip -n "$(lab_ns h1)" -o link show vxlan0)" "mtu 1400"
check "set down" h1 link-down vxlan0
expect_lacks "... applied" "$(ip -n "$(lab_ns h1)" -o link show vxlan0)" ",UP"
check "rename" h1 link-rename vxlan0 vxlan9
check "address add" h1 addr-add vxlan9 10.65.2.1/32
expect_contains "... present" "$(ip -n "$(lab_ns h1)" -o addr show dev vxlan9)" "10.65.2.1/32"
run h1 addr-add vxlan9 10.65.2.1/32
expect_eq "address add twice: one line with the kernel's reason" "$ERR" \
  "nltool: cannot add address 10.65.2.1/32 on vxlan9: File exists (kernel: ipv4: Address already assigned)"
check "address delete" h1 addr-del vxlan9 10.65.2.1/32
run "$NLTOOL" -n "$(lab_nspath h1)" link-index vxlan9
check "link-index through a handle opened in h1 from outside" [ "$RC" -eq 0 -a -n "$OUT" ]
check "link delete" h1 link-del vxlan9
run h1 link-del vxlan9
expect_eq "link delete of a missing link" "$ERR" "nltool: cannot delete link vxlan9: No such device"
run "$NLTOOL" -n "$(lab_nspath wa)" route-defaults eth0 4
expect_contains "workload defaults again: route exists (kernel's text included when given)" "$ERR" \
  "cannot add route 169.254.1.1/32 dev eth0 scope link proto 80: File exists"

# ---- detach ----
run h1 detach "$IFA"
check "detach wa" [ "$RC" -eq 0 ]
expect_lacks "detach removed the host interface" "$(links_of h1)" "$IFA"
expect_eq "detach removed the workload interface" "$(links_of wa | tr '\n' ' ')" "lo "
expect_lacks "detach removed the /32 route" "$(ip -n "$(lab_ns h1)" route)" "10.65.1.2"
expect_lacks "detach removed the /128 route" "$(ip -n "$(lab_ns h1)" -6 route)" "fd00:65::2"
check "wb can no longer reach wa" unreachable wb 10.65.1.2
run h1 detach "$IFA"
expect_eq "detach twice: No such device" "$ERR" "nltool: cannot delete link $IFA: No such device"
check "detach wb" h1 detach "$IFB"

# ---- timing ----
run h1 time-attach 50 "$(lab_nspath wt)" calitttttttttt eth0 1500 10.65.9.9
if [ "$RC" -eq 0 ]; then
  ok "time-attach 50 rounds"
  read -r _ med min max <<<"$(echo "$OUT" | grep attach_us)"
  read -r _ dmed dmin dmax <<<"$(echo "$OUT" | grep detach_us)"
  echo "# workload_attach (one IPv4 address): median ${med} us over 50 (min ${min}, max ${max}); workload_detach median ${dmed} us (min ${dmin}, max ${dmax})"
else
  fail "time-attach 50 rounds"
  echo "#   $ERR"
fi
expect_eq "time-attach left nothing behind" "$(links_of wt | tr '\n' ' ')" "lo "

# ---- the root namespace is untouched ----
expect_eq "root namespace: links, addresses and routes unchanged" "$(root_state)" "$ROOT_BEFORE"

tap_done
