#!/usr/bin/env bash
# Lab test of calicoctl container: namespaces attached by hand, run from
# inside a lab host namespace so the host-side veths land there.
#   fabric -- h1 (172.30.0.11) -- cali.. <-> wa, wb, ... (workload namespaces)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../lib/netns.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
tap_skip_unless "needs root" root

export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db" HOSTNAME=h1
unset ETCD_ENDPOINTS ETCD_AUTHORITY
CTL="${CALICO_BUILD:?}/calicoctl"
DSTOOL="$CALICO_BUILD/dstool"
ROOT_LINKS=$(ip -o link | awk '{print $2}')

ctl() { lab_exec h1 "$CTL" "$@"; }
run() { OUT=$("$@" 2>"$LAB_TMP/err"); RC=$?; ERR=$(head -n 1 "$LAB_TMP/err"); }
cali_links() { ip -n "$(lab_ns h1)" -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^cali' | sort | tr '\n' ' '; }
used() { "$CTL" ipam show | awk -F'|' '$3 ~ /block/ {s += $5} END {print s + 0}'; }
# expect_refused NAME FIRST_STDERR_LINE CMD...: exit 1, that line, no revision change, no new cali*, no address
expect_refused() {
  local name=$1 want=$2; shift 2
  local rev0 links0 used0
  rev0=$("$DSTOOL" rev); links0=$(cali_links); used0=$(used)
  run "$@"
  if [ "$RC" -eq 1 ] && [ "$ERR" = "$want" ] && [ "$("$DSTOOL" rev)" = "$rev0" ] && [ "$(cali_links)" = "$links0" ] &&
    [ "$(used)" = "$used0" ]; then
    ok "$name"
  else
    fail "$name"; printf '#   rc=%s stderr: %s\n#   want: %s\n' "$RC" "$ERR" "$want"
  fi
}

lab_fabric_add && lab_host_add h1 172.30.0.11 || { echo "Bail out! cannot build the lab"; exit 1; }
for w in wa wb wc wd; do lab_workload_ns $w || { echo "Bail out! cannot add $w"; exit 1; }; done
WA=$(lab_nspath wa) WB=$(lab_nspath wb) WC=$(lab_nspath wc) WD=$(lab_nspath wd)
"$CTL" pool add 10.65.0.0/16 fd00:65::/64 >/dev/null || echo "# pool add failed"

# ---- add ----
run ctl container add "$WA" 10.65.0.2
expect_eq "add wa with an exact address" "$OUT" "IP 10.65.0.2 added to $WA"
run ctl container add "$(lab_ns wb)" ipv4
check "add wb (bare netns name) auto-assigns" contains "$OUT" "added to $(lab_ns wb)"
IPB=$(echo "$OUT" | awk '{print $2}')
REC=$("$DSTOOL" list /calico/v1/host/h1/workload/calicoctl/$(lab_ns wa)/endpoint/)
expect_contains "endpoint record of wa (orchestrator calicoctl, workload = netns name)" "$REC" '"ipv4_nets":["10.65.0.2/32"]'
expect_contains "... with no profiles yet" "$REC" '"profile_ids":[]'
IFA=$(echo "$REC" | grep -o '"name":"cali[0-9a-f]*"' | cut -d'"' -f4)
check "host side $IFA is in h1" [ -n "$(ip -n "$(lab_ns h1)" -o link show "$IFA")" ]
check "... and not in the root namespace" [ -z "$(ip -o link show "$IFA" 2>/dev/null)" ]
expect_contains "wa has 10.65.0.2/32 on eth0" "$(ip -n "$(lab_ns wa)" -o addr show dev eth0)" "inet 10.65.0.2/32"
expect_contains "wa routes via 169.254.1.1" "$(ip -n "$(lab_ns wa)" route)" "default via 169.254.1.1 dev eth0"
expect_contains "h1 routes 10.65.0.2 to $IFA" "$(ip -n "$(lab_ns h1)" route show proto 80)" "10.65.0.2 dev $IFA scope link"
check "ping wa -> wb (no agent: no policy yet)" lab_ping wa "$IPB"
expect_contains "endpoint show lists both" "$("$CTL" endpoint show)" "| h1       | calicoctl       | 2            | 2            |"
run ctl container "$WA" endpoint show
expect_contains "container endpoint show" "$OUT" "| 10.65.0.2/32 |"

# ---- refused, nothing left behind ----
expect_refused "second add" "Container $WA already has Calico networking." ctl container add "$WA" ipv4
expect_refused "address in use" "IP address 10.65.0.2 is already in use." ctl container add "$WC" 10.65.0.2
expect_refused "address outside every pool" "10.99.0.1 is not in any configured pool" ctl container add "$WC" 10.99.0.1
expect_refused "CIDR that is no pool" "192.168.0.0/16 is not a configured pool." ctl container add "$WC" 192.168.0.0/16
expect_refused "missing namespace" "Container /var/run/netns/nope-$$ not found: no network namespace at /var/run/netns/nope-$$." \
  ctl container add /var/run/netns/nope-$$ ipv4
ip -n "$(lab_ns wd)" link add eth0 type veth peer name eth0p
rev0=$("$DSTOOL" rev); links0=$(cali_links); used0=$(used)
run ctl container add "$WD" 10.65.0.50
check "failure midway (wd already has eth0) exits 1" [ "$RC" -eq 1 ]
expect_contains "... saying why" "$ERR" "File exists"
expect_eq "... no host interface left" "$(cali_links)" "$links0"
expect_eq "... no address left in IPAM" "$(used)" "$used0"
expect_eq "... no endpoint record" "$("$DSTOOL" count /calico/v1/host/h1/workload/calicoctl/$(lab_ns wd)/)" "0"
run ctl container add "$WD" ipv4 --interface=eth1
expect_contains "--interface picks the container side's name" "$OUT" "added to $WD"
check "... eth1 in wd" [ -n "$(ip -n "$(lab_ns wd)" -o link show eth1)" ]

# ---- ip add / remove ----
run ctl container "$WA" ip add ipv6
expect_contains "ip add ipv6" "$OUT" "added to $WA"
IP6=$(echo "$OUT" | awk '{print $2}')
expect_contains "wa has the /128" "$(ip -n "$(lab_ns wa)" -6 addr show dev eth0)" "inet6 $IP6/128"
expect_contains "h1 routes it" "$(ip -n "$(lab_ns h1)" -6 route show proto 80)" "$IP6 dev $IFA"
expect_contains "wa has the IPv6 default route" "$(ip -n "$(lab_ns wa)" -6 route)" "default via fe80::ecee:eeff:feee:eeee"
run ctl container "$WA" ip add 10.65.0.3
expect_eq "ip add exact" "$OUT" "IP 10.65.0.3 added to $WA"
expect_contains "record lists both IPv4 addresses" "$("$DSTOOL" list /calico/v1/host/h1/workload/calicoctl/$(lab_ns wa)/)" \
  '"ipv4_nets":["10.65.0.2/32","10.65.0.3/32"]'
expect_refused "ip add in use" "IP address $IPB is already in use." ctl container "$WA" ip add "$IPB"
expect_refused "ip add already on it" "IP 10.65.0.3 is already assigned to $WA." ctl container "$WA" ip add 10.65.0.3
run ctl container "$WA" ip remove 10.65.0.3
expect_eq "ip remove" "$OUT" "IP 10.65.0.3 removed from $WA"
check "... gone from wa" [ -z "$(ip -n "$(lab_ns wa)" addr show to 10.65.0.3/32)" ]
check "... gone from h1's routes" [ -z "$(ip -n "$(lab_ns h1)" route show 10.65.0.3)" ]
run "$CTL" ipam info 10.65.0.3
check "... released" [ "$RC" -eq 1 ]
expect_refused "ip remove not on it" "IP 10.65.0.3 is not assigned to $WA." ctl container "$WA" ip remove 10.65.0.3

# ---- profiles ----
"$CTL" profile add web >/dev/null
expect_eq "profile append" "$(ctl container "$WA" profile append web)" "Profile(s) web appended."
expect_contains "... stored" "$("$DSTOOL" list /calico/v1/host/h1/workload/calicoctl/$(lab_ns wa)/)" '"profile_ids":["web"]'

# ---- remove ----
run ctl container remove "$WA"
expect_eq "remove wa" "$OUT" "Removed Calico from $WA"
check "... veth gone" [ -z "$(ip -n "$(lab_ns h1)" -o link show "$IFA" 2>/dev/null)" ]
expect_eq "... record gone" "$("$DSTOOL" count /calico/v1/host/h1/workload/calicoctl/$(lab_ns wa)/)" "0"
run "$CTL" ipam info 10.65.0.2
check "... addresses released" [ "$RC" -eq 1 ]
expect_eq "... wa has only lo" "$(ip -n "$(lab_ns wa)" -o link | awk -F': ' '{print $2}')" "lo"
expect_refused "remove again" "Container $WA has no Calico networking." ctl container remove "$WA"

# A namespace that is gone: /proc/PID/ns/net of a process with its own namespace.
unshare -n sleep 60 &
SPID=$!
LAB_PIDS+=("$SPID")
sleep 0.2
run ctl container add "/proc/$SPID/ns/net" ipv4
expect_contains "add /proc/PID/ns/net" "$OUT" "added to /proc/$SPID/ns/net"
IPP=$(echo "$OUT" | awk '{print $2}')
expect_eq "... workload id pid-PID" "$("$DSTOOL" count /calico/v1/host/h1/workload/calicoctl/pid-$SPID/)" "1"
kill "$SPID"; wait "$SPID" 2>/dev/null
run ctl container remove "/proc/$SPID/ns/net"
expect_eq "remove after the namespace died" "$OUT" "Removed Calico from /proc/$SPID/ns/net"
run "$CTL" ipam info "$IPP"
check "... address released" [ "$RC" -eq 1 ]

for w in "$WB" "$WD"; do ctl container remove "$w" >/dev/null; done
expect_eq "everything removed: no cali* in h1" "$(cali_links)" ""
expect_eq "... no address in IPAM" "$(used)" "0"
expect_eq "root namespace untouched" "$(ip -o link | awk '{print $2}')" "$ROOT_LINKS"
tap_done
