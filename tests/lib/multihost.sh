# A lab of several Calico hosts on one fabric, on top of netns.sh and etcd.sh
# (source those first, then tap.sh). Each host is a namespace on the fabric
# bridge running `calicoctl node --ip=<fabric ip> --name=<host>` with its own
# CALICO_RUN_DIR/LOG_DIR/STATE_DIR under $LAB_TMP/mh/<host> and HOSTNAME=<host>;
# all hosts share one datastore: a SQLite file, or a 3-member etcd cluster whose
# members run in namespaces of their own on the fabric (the hosts cannot reach
# the root namespace's 127.0.0.1).
#
#   mh_datastore_sqlite                 CALICO_DATASTORE=sqlite:$LAB_TMP/calico.db
#   mh_datastore_etcd [N]               N (3) etcd members e1..eN at 172.30.0.21.. in namespaces;
#                                       exports ETCD_ENDPOINTS; members are MH_ETCD1..N for etcd_ns_*
#   mh_host_add H IP                    a host namespace on the fabric (lab_host_add) and its dirs
#   mh_env H                            the env assignments that make a process "on H"
#   mh_ctl H ARGS...                    calicoctl ARGS in H's namespace with H's env
#   mh_ds ARGS...                       run a datastore tool (dstool, calicoctl profile ...) where the
#                                       datastore is reachable: the fabric namespace
#   mh_node_start H [ARGS...]           calicoctl node --ip=<H's ip> --name=H ARGS; records the pids
#   mh_node_stop H [--force]            calicoctl node stop [--force] on H
#   mh_workload H NAME [POOL_OR_IP]     a workload namespace NAME attached on H with
#                                       `calicoctl container add`, a TCP (8080) and a UDP (5005) server
#                                       inside; echoes "# NAME on H: IP" and keeps the IP in
#                                       MH_WL_IP[NAME] (host in MH_WL_HOST[NAME]). Call it directly,
#                                       not in $(...): a subshell would lose those records and the
#                                       servers' pids
#   mh_wl_remove NAME                   calicoctl container remove on its host
#   mh_probe FROM TO_NAME_OR_IP         "icmp tcp udp" results as "1 1 0" (1 = got through)
#   mh_matrix DESC < TABLE              lines "FROM TO allow|deny": ping + tcp + udp from FROM to TO,
#                                       all pairs in parallel; one TAP line per pair
#   mh_probe_loop NAME FROM TO          background TCP probe FROM -> TO every 100 ms (500 ms timeout)
#   mh_probe_stop NAME                  stops it; echoes "<probes> <failures>"
#   mh_probe_expect NAME TEXT MIN       waits (30 s at most) until the loop has made MIN probes,
#                                       stops it, and prints one TAP line: MIN or more, none failed.
#                                       The window is counted in probes, not seconds, because a
#                                       busy machine probes slower.
#   mh_blocks H                         H's affine IPv4 blocks, one per line (from the datastore)
#   mh_bird_routes H                    `ip route show proto bird` in H that go via a next hop
#   mh_wait SECS CMD...                 until CMD succeeds (by the clock), polling every 50 ms
#   mh_stop_all                         node stop --force on every host, then mh_reap (keeps etcd)
#   mh_finish                           mh_stop_all, then TAP lines: no daemon left, root links
#                                       unchanged, no sanitizer report
#   mh_sanitizer_check                  one TAP line: no ASan/UBSan/LSan report in any host's logs
#   mh_cleanup                          the EXIT trap: stop every host (calicoctl, then pid files:
#                                       only pids whose cmdline is calico-node or bird), etcd, lab
#
# Lab rules (DESIGN §9): everything lives in run-unique namespaces removed at
# exit; processes are ended by pid only, never by name.

_mh_root_links() { ip -o link show | awk '{ print $2 }' | sort | tr '\n' ' '; }
MH_ROOT_LINKS=$(_mh_root_links)
declare -A MH_IP=() MH_WL_IP=() MH_WL_HOST=()
MH_HOSTS=()
MH_ETCD_N=0
MH_CTL="${CALICO_BUILD:?}/calicoctl"
MH_DSTOOL="$CALICO_BUILD/dstool"
MH_TCP_PORT=8080
MH_UDP_PORT=5005
unset ETCD_ENDPOINTS ETCD_AUTHORITY CALICO_DATASTORE
export NO_DEFAULT_POOLS=1

mh_datastore_sqlite() { export CALICO_DATASTORE="sqlite:$LAB_TMP/calico.db"; }

mh_datastore_etcd() {
  local n=${1:-3} i members=()
  [ -n "$LAB_FABRIC" ] || lab_fabric_add || return 1
  for ((i = 1; i <= n; i++)); do
    lab_host_add "e$i" "172.30.0.$((20 + i))" || return 1
    members+=("$(lab_ns "e$i"):172.30.0.$((20 + i))")
  done
  etcd_cluster_start_ns MH_ETCD "${members[@]}" || return 1
  MH_ETCD_N=$n
  unset CALICO_DATASTORE
  export ETCD_ENDPOINTS=$MH_ETCD_ENDPOINTS
}

mh_host_add() {
  local h=$1 ip=$2
  lab_host_add "$h" "$ip" || return 1
  mkdir -p "$LAB_TMP/mh/$h/run" "$LAB_TMP/mh/$h/log" "$LAB_TMP/mh/$h/state" || return 1
  MH_IP[$h]=$ip
  MH_HOSTS+=("$h")
}

mh_dir() { echo "$LAB_TMP/mh/$1"; }

mh_env() {
  local d
  d=$(mh_dir "$1")
  echo "CALICO_RUN_DIR=$d/run CALICO_LOG_DIR=$d/log CALICO_STATE_DIR=$d/state HOSTNAME=$1"
}

mh_exec() {
  local h=$1; shift
  # shellcheck disable=SC2046 # mh_env's words are NAME=VALUE pairs without spaces
  lab_exec "$h" env $(mh_env "$h") "$@"
}

mh_ctl() { local h=$1; shift; mh_exec "$h" "$MH_CTL" "$@"; }

mh_ds() { lab_exec "$LAB_FABRIC" "$@"; }

mh_node_start() {
  local h=$1; shift
  mh_ctl "$h" node --ip="${MH_IP[$h]}" --name="$h" "$@"
}

mh_node_stop() { mh_ctl "$1" node stop ${2:+"$2"}; }

mh_workload() {
  local h=$1 name=$2 what=${3:-ipv4} out ip
  lab_workload_ns "$name" || return 1
  out=$(mh_ctl "$h" container add "$(lab_nspath "$name")" "$what") || return 1
  ip=$(sed -nE 's/^IP ([^ ]+) added to .*/\1/p' <<<"$out")
  [ -n "$ip" ] || { echo "mh: unexpected output of container add: $out" >&2; return 1; }
  MH_WL_IP[$name]=$ip
  MH_WL_HOST[$name]=$h
  lab_tcp_server "$name" "$MH_TCP_PORT" && lab_udp_echo "$name" "$MH_UDP_PORT" || return 1
  echo "# $name on $h: $ip"
}

mh_wl_remove() { mh_ctl "${MH_WL_HOST[$1]}" container remove "$(lab_nspath "$1")"; }

_mh_target() { if [ -n "${MH_WL_IP[$1]:-}" ]; then echo "${MH_WL_IP[$1]}"; else echo "$1"; fi; }

# One try per protocol; an "allowed" verdict may need a second try while ARP
# resolves, which mh_matrix gives it.
mh_probe() {
  local from=$1 ip i c t u
  ip=$(_mh_target "$2")
  lab_ping "$from" "$ip" && i=1 || i=0
  lab_tcp "$from" "$ip" "$MH_TCP_PORT" && t=1 || t=0
  lab_udp "$from" "$ip" "$MH_UDP_PORT" && u=1 || u=0
  echo "$i $t $u"
}

# mh_matrix DESC, table on stdin. Each pair runs in its own background job
# (denied probes wait for their timeouts, so doing them one after another
# would take minutes); "allow" gets up to 3 tries for the first packets.
mh_matrix() {
  local desc=$1 from to want line got pids=() n=0 dir want_bits tries
  dir=$(mktemp -d "$LAB_TMP/matrix.XXXXXX")
  while read -r from to want; do
    [ -n "$from" ] || continue
    case "$from" in \#*) continue ;; esac
    n=$((n + 1))
    echo "$from $to $want" >"$dir/$n.case"
    (
      tries=1
      [ "$want" = allow ] && tries=3
      for ((k = 0; k < tries; k++)); do
        got=$(mh_probe "$from" "$to")
        [ "$want" = allow ] && [ "$got" = "1 1 1" ] && break
      done
      echo "$got" >"$dir/$n.got"
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for ((k = 1; k <= n; k++)); do
    read -r from to want <"$dir/$k.case"
    got=$(cat "$dir/$k.got" 2>/dev/null)
    want_bits="0 0 0"
    [ "$want" = allow ] && want_bits="1 1 1"
    if [ "$got" = "$want_bits" ]; then
      ok "$desc: $from -> $to $want (icmp tcp udp)"
    else
      fail "$desc: $from -> $to $want (icmp tcp udp)"
      echo "#   got icmp/tcp/udp = $got (1 = through), want $want_bits"
    fi
  done
  rm -rf "$dir"
}

mh_probe_loop() {
  local name=$1 from=$2 ip
  ip=$(_mh_target "$3")
  : >"$LAB_TMP/probe-$name.log"
  (
    while [ ! -e "$LAB_TMP/probe-$name.stop" ]; do
      lab_exec "$from" "$LABNET" tcp-probe "$ip" "$MH_TCP_PORT" 500 2>/dev/null
      echo $? >>"$LAB_TMP/probe-$name.log"
      sleep 0.1
    done
  ) &
  LAB_PIDS+=($!)
  eval "MH_PROBE_PID_$name=$!"
}

mh_probe_stop() {
  local name=$1 pid
  eval "pid=\${MH_PROBE_PID_$name:-}"
  touch "$LAB_TMP/probe-$name.stop"
  [ -n "$pid" ] && wait "$pid" 2>/dev/null
  echo "$(wc -l <"$LAB_TMP/probe-$name.log") $(grep -cv '^0$' "$LAB_TMP/probe-$name.log")"
}

mh_probe_expect() {
  local name=$1 text=$2 min=$3 log="$LAB_TMP/probe-$1.log" counts n f
  mh_wait 30 eval '[ "$(wc -l <"$log")" -ge "$min" ]'
  counts=$(mh_probe_stop "$name")
  n=${counts% *} f=${counts#* }
  if [ "$n" -ge "$min" ] && [ "$f" -eq 0 ]; then ok "$text ($n probes)"; else
    fail "$text"
    echo "#   $f of $n probes failed"
  fi
}

mh_blocks() {
  mh_ds "$MH_DSTOOL" list "/calico/ipam/v2/host/$1/ipv4/block/" 2>/dev/null |
    sed -nE 's|^/calico/ipam/v2/host/[^/]+/ipv4/block/([^[:space:]]+).*|\1|p' | tr - /
}

mh_bird_routes() { ip -n "$(lab_ns "$1")" -4 route show proto bird | grep ' via '; }

# By the clock: a CMD that itself waits (a denied probe) must not stretch SECS.
mh_wait() {
  local end; end=$(($(date +%s%N) / 1000000 + $1 * 1000)); shift
  while :; do
    "$@" && return 0
    [ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
    sleep 0.05
  done
}

# The pid in FILE, if its argv[0] is calico-node or bird (any directory):
# a pid file left over from an earlier run must never make us kill a stranger.
_mh_pid_of_ours() {
  local pid cmd
  pid=$(head -n 1 "$1" 2>/dev/null | tr -dc 0-9)
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)
  case "${cmd##*/}" in calico-node | bird) echo "$pid" ;; *) return 1 ;; esac
}

# Kill what is left of H's daemons (after a failed or refused node stop).
mh_reap() {
  local h=$1 f pid i
  for f in "$(mh_dir "$h")"/run/*.pid; do
    [ -e "$f" ] || continue
    pid=$(_mh_pid_of_ours "$f") || continue
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 40; i++)); do mh_alive "$pid" || break; sleep 0.05; done
    mh_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    echo "# mh: $h: killed leftover ${f##*/} pid $pid" >&2
  done
}

# A zombie is gone: the daemons are reparented when calicoctl exits, and who
# reaps them (and when) is not ours to decide.
mh_alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }

# Every calico-node and bird pid of every host, from their pid files.
mh_daemon_pids() {
  local h f
  for h in "${MH_HOSTS[@]}"; do
    for f in "$(mh_dir "$h")"/run/*.pid; do [ -e "$f" ] && _mh_pid_of_ours "$f"; done
  done
  return 0
}

# mh_finish: stops every host and reports, as TAP lines, that no daemon is left,
# that the root namespace's links are those of MH_ROOT_LINKS (taken when this
# file was sourced) and that no sanitizer complained.
mh_finish() {
  local pids left="" p
  pids=$(mh_daemon_pids)
  mh_stop_all
  for p in $pids; do mh_alive "$p" && left+=" $p"; done
  expect_eq "every calico-node and bird stopped" "$left" ""
  expect_eq "the root namespace's links are unchanged" "$(_mh_root_links)" "$MH_ROOT_LINKS"
  mh_sanitizer_check
}

mh_stop_all() {
  local h out
  for h in "${MH_HOSTS[@]}"; do
    out=$(mh_ctl "$h" node stop --force 2>&1) || echo "# mh: $h: node stop --force: $out" | head -n 3 >&2
    mh_reap "$h"
  done
}

mh_sanitizer_check() {
  local hits
  hits=$(grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$LAB_TMP"/mh/*/log/* 2>/dev/null)
  if [ -z "$hits" ]; then
    ok "no sanitizer report in any host's logs"
  else
    fail "no sanitizer report in any host's logs"
    echo "$hits" | sed 's/^/#   /'
  fi
}

# On failure: the last lines of every host's logs, for the reader of the TAP output.
mh_dump_logs() {
  local f
  for f in "$LAB_TMP"/mh/*/log/*; do
    [ -f "$f" ] || continue
    echo "# ---- ${f#$LAB_TMP/} ----"
    tail -n "${1:-15}" "$f" | sed 's/^/#   /'
  done
}

mh_cleanup() {
  local rc=$?
  mh_stop_all
  etcd_stop
  lab_cleanup
  return $rc
}

trap mh_cleanup EXIT
