#!/usr/bin/env bash
# Faults in a 3-host lab with a 3-member etcd cluster (see multihost.sh):
#   1. `calicoctl node stop` on h3 (agent and BIRD): traffic between h1 and h2
#      does not miss a probe while it happens, and traffic to h3's workloads
#      keeps flowing with h3's routes left on the peers (graceful restart);
#      h3 comes back with `calicoctl node`.
#   2. etcd member e1 (every client's first endpoint) killed: a new endpoint is
#      created and a new rule changes traffic.
#   3. all of etcd killed: established workloads keep talking, a new endpoint
#      is refused with one clear line and leaves no interface and no address;
#      when etcd returns the agents resync, a new endpoint works and a policy
#      change applies.
#
#   h1: a1 [pa]   h2: a2 [pa] b2 [pb]   h3: a3 [pa]
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
tap_skip_unless "needs root, bird, etcd and calico-node" root cmd:bird cmd:etcd "exe:${CALICO_BUILD:-}/calico-node"
. "$here/../lib/netns.sh"
. "$here/../lib/etcd.sh"
. "$here/../lib/multihost.sh"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
HOSTS=(h1 h2 h3)
GR_CHECK_SECS=${GR_CHECK_SECS:-8}
bail() { fail "$1"; mh_dump_logs; tap_done; exit 1; }
through() { [ "$(mh_probe "$1" "$2")" = "1 1 1" ]; }
blocked() { [ "$(mh_probe "$1" "$2")" = "0 0 0" ]; }
alive() { [ -n "$1" ] && mh_alive "$1"; }
pid_in() { head -n 1 "$(mh_dir "$1")/run/$2.pid" 2>/dev/null; }
run() { OUT=$("$@" 2>"$LAB_TMP/err"); RC=$?; ERR=$(cat "$LAB_TMP/err"); }

# ---- the lab ----
T0=$SECONDS
lab_fabric_add && mh_datastore_etcd 3 || bail "etcd cluster"
for i in 1 2 3; do mh_host_add "h$i" "172.30.0.1$i" || bail "host h$i"; done
mh_ds "$MH_CTL" pool add 10.65.0.0/16 >/dev/null || bail "pool"
for h in "${HOSTS[@]}"; do mh_node_start "$h" >/dev/null || bail "node $h"; done
mh_ds "$MH_CTL" profile add pa >/dev/null && mh_ds "$MH_CTL" profile add pb >/dev/null || bail "profiles"
for w in h1:a1 h2:a2 h2:b2 h3:a3; do
	h=${w%:*} n=${w#*:}
	mh_workload "$h" "$n" 10.65.0.0/16 && mh_ctl "$h" container "$(lab_nspath "$n")" profile set "p${n%?}" >/dev/null ||
		bail "workload $n"
done
check "the lab converges: a1 <-> a3, a1 <-> a2 across hosts" \
	mh_wait 20 eval 'through a1 a3 && through a3 a1 && through a1 a2 && through a2 a1'
echo "# lab up in $((SECONDS - T0)) s"

# ---- 1. calicoctl node stop on h3 ----
B3=$(mh_blocks h3 | head -n 1)
NODE3=$(pid_in h3 calico-node) BIRD3=$(pid_in h3 bird)
check "h3 runs calico-node and bird" eval 'alive "$NODE3" && alive "$BIRD3"'
mh_probe_loop h1h2 a1 a2
mh_probe_loop h2h1 a2 a1
mh_probe_loop toh3 a1 a3
sleep 1
run mh_node_stop h3 --force
expect_eq "node stop on h3" "$RC:$OUT" "0:Node stopped"
check "... calico-node is gone" mh_wait 5 eval '! alive "$NODE3"'
check "... BIRD is gone" mh_wait 5 eval '! alive "$BIRD3"'
sleep "$GR_CHECK_SECS"
for h in h1 h2; do
	check "$h keeps h3's block $B3 for the graceful-restart time" eval 'mh_bird_routes "$h" | grep -q "^$B3 via ${MH_IP[h3]} "'
done
mh_probe_expect h1h2 "h1 <-> h2 unaffected while h3 stops" $((GR_CHECK_SECS * 2))
mh_probe_expect h2h1 "... and the other way" $((GR_CHECK_SECS * 2))
mh_probe_expect toh3 "a1 -> a3 on the stopped host keeps flowing for ${GR_CHECK_SECS} s" $((GR_CHECK_SECS * 2))
check "h3 starts again" eval 'mh_node_start h3 >/dev/null'
check "... and a1 <-> a3 still pass" mh_wait 15 eval 'through a1 a3 && through a3 a1'

# ---- 2. one etcd member killed ----
echo "# etcd leader before the kill: $(etcd_ns_leader MH_ETCD)"
etcd_ns_kill MH_ETCD1
check "e1 is down" eval '! etcd_ns_healthy MH_ETCD1'
check "new endpoint n1 on h1 with e1 down" eval 'mh_workload h1 n1 10.65.0.0/16 && mh_ctl h1 container "$(lab_nspath n1)" profile set pa >/dev/null'
check "... programmed: a3 -> n1 and n1 -> a2 pass" mh_wait 15 eval 'through a3 n1 && through n1 a2'
check "before the rule: a1 -> b2 blocked" blocked a1 b2
check "rule add with e1 down" eval 'mh_ds "$MH_CTL" profile pb rule add inbound allow from tag pa >/dev/null'
check "... applies: a1 -> b2 and a3 -> b2 pass" mh_wait 15 eval 'through a1 b2 && through a3 b2'
check "e1 comes back" etcd_ns_resume MH_ETCD1

# ---- 3. all of etcd killed ----
resyncs() { grep -c 'is back: resynced' "$(mh_dir "$1")/log/calico-node.log"; }
declare -A RESYNCS=()
for h in "${HOSTS[@]}"; do RESYNCS[$h]=$(resyncs "$h"); done
for i in 1 2 3; do etcd_ns_kill "MH_ETCD$i"; done
mh_probe_loop p1 a1 a3
mh_probe_loop p2 a3 b2
mh_probe_loop p3 n1 a2
lab_workload_ns x1
LINKS_BEFORE=$(ip -n "$(lab_ns h2)" -o link show | awk '{ print $2 }')
run mh_ctl h2 container add "$(lab_nspath x1)" 10.65.0.0/16
expect_eq "new endpoint without etcd: refused" "$RC" 1
expect_eq "... with one line on stderr" "$(printf '%s\n' "$ERR" | wc -l)" 1
case "$ERR" in
"Error: "*"cannot reach etcd at "*"connection refused") ok "... that says etcd cannot be reached" ;;
*) fail "... that says etcd cannot be reached"; echo "#   got: $ERR" ;;
esac
echo "# $ERR"
expect_eq "... and nothing on stdout" "$OUT" ""
expect_eq "... no interface left on h2" "$(ip -n "$(lab_ns h2)" -o link show | awk '{ print $2 }')" "$LINKS_BEFORE"
expect_eq "... no interface in the workload" "$(ip -n "$(lab_ns x1)" -o link show | awk '{ print $2 }')" "lo:"
expect_eq "... no address in the workload" "$(ip -n "$(lab_ns x1)" -o addr show | grep -cv ' lo ')" 0
sleep 2
for h in "${HOSTS[@]}"; do check "$h's calico-node rides it out" alive "$(pid_in "$h" calico-node)"; done
mh_probe_expect p1 "a1 -> a3 flows without etcd" 10
mh_probe_expect p2 "a3 -> b2 (the rule added in 2) flows without etcd" 10
mh_probe_expect p3 "n1 -> a2 flows without etcd" 10
check "etcd returns" etcd_ns_resume MH_ETCD1 MH_ETCD2 MH_ETCD3
resynced() { [ "$(resyncs "$1")" -gt "${RESYNCS[$1]}" ]; }
for h in "${HOSTS[@]}"; do check "$h's agent resyncs" mh_wait 15 resynced "$h"; done
run mh_ctl h2 container add "$(lab_nspath x1)" 10.65.0.0/16
expect_eq "new endpoint after recovery" "$RC" 0
mh_ctl h2 container "$(lab_nspath x1)" profile set pa >/dev/null
lab_tcp_server x1 "$MH_TCP_PORT" && lab_udp_echo x1 "$MH_UDP_PORT"
MH_WL_IP[x1]=$(sed -nE 's/^IP ([^ ]+) added.*/\1/p' <<<"$OUT")
check "... reachable: a1 -> x1, x1 -> a3" mh_wait 15 eval 'through a1 x1 && through x1 a3'
check "rule remove after recovery" eval 'mh_ds "$MH_CTL" profile pb rule remove inbound allow from tag pa >/dev/null'
check "... applies: a1 -> b2 blocked again" mh_wait 15 blocked a1 b2

mh_finish
[ "$TAP_FAILED" -eq 0 ] || mh_dump_logs 20
echo "# suite took $((SECONDS - T0)) s"
tap_done
