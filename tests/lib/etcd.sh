# Run etcd for tests: one member or a small cluster on 127.0.0.1, on free
# run-unique ports (never 2379/2380, so a developer's etcd is never touched),
# with a mktemp data dir. Only processes started here are ever signalled, by pid.
#
#   etcd_start P              one member; exports P_ENDPOINT (http://127.0.0.1:port),
#                             P_PID, P_DIR, P_CPORT, P_PPORT, P_LOG
#   etcd_restart P            kill -9 the member and start it again: same data dir, same ports
#   etcd_kill P / etcd_resume P   the two halves of that (to write while it is down, ...)
#   etcd_stop [P]             stop P (TERM, up to 5 s, then KILL) and remove its data dir;
#                             no argument: every member started here (use in an EXIT trap)
#   etcd_cluster_start P N    N members P1..PN forming one cluster; exports P_ENDPOINTS
#                             (comma list) and the per-member P<i>_* variables
# Needs curl and /usr/bin/etcd. Source it; it sets no traps of its own: callers
# want `trap etcd_stop EXIT` and `trap 'exit 143' TERM INT` (so EXIT runs on a kill).

ETCD_BIN=${ETCD_BIN:-etcd}
_ETCD_MEMBERS=()

# A port nobody listens on now. Random, so parallel runs rarely pick the same;
# a collision is caught by etcd_start, which then tries other ports.
_etcd_free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    [ "$p" = 2379 ] || [ "$p" = 2380 ] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

_etcd_var() { eval "printf %s \"\${$1_$2:-}\""; }

# _etcd_launch P NAME INITIAL_CLUSTER STATE [TOKEN]: starts the member described by P_* in the
# background. Members of one cluster must share the token.
_etcd_launch() {
  local p=$1 name=$2 cluster=$3 state=$4 token=${5:-$2-$$} cport pport dir
  cport=$(_etcd_var "$p" CPORT); pport=$(_etcd_var "$p" PPORT); dir=$(_etcd_var "$p" DIR)
  "$ETCD_BIN" --name "$name" --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
    --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
    --initial-cluster "$cluster" --initial-cluster-state "$state" --initial-cluster-token "$token" \
    --log-level error >>"$dir/etcd.log" 2>&1 &
  export "${p}_PID=$!"
}

# _etcd_wait_healthy P SECONDS: 0 once /health answers, 1 if the member died or time ran out.
_etcd_wait_healthy() {
  local p=$1 secs=$2 ep pid end
  ep=$(_etcd_var "$p" ENDPOINT); pid=$(_etcd_var "$p" PID)
  end=$((SECONDS + secs))
  # By the clock: /health can block for its whole --max-time while there is no leader.
  while [ "$SECONDS" -lt "$end" ]; do
    if curl -sf --max-time 1 --noproxy '*' "$ep/health" 2>/dev/null | grep -q '"health":"true"'; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.02
  done
  return 1
}

# _etcd_new_member P: picks ports and a data dir, records P as started here.
_etcd_new_member() {
  local p=$1 cport pport dir
  cport=$(_etcd_free_port) || return 1
  pport=$(_etcd_free_port) || return 1
  [ "$cport" = "$pport" ] && { pport=$(_etcd_free_port) || return 1; }
  dir=$(mktemp -d /tmp/calico-etcd.XXXXXX) || return 1
  export "${p}_CPORT=$cport" "${p}_PPORT=$pport" "${p}_DIR=$dir" \
    "${p}_ENDPOINT=http://127.0.0.1:$cport" "${p}_LOG=$dir/etcd.log" "${p}_PID="
  _ETCD_MEMBERS+=("$p")
}

_etcd_forget() {
  local p=$1 keep=() m
  for m in "${_ETCD_MEMBERS[@]}"; do [ "$m" = "$p" ] || keep+=("$m"); done
  _ETCD_MEMBERS=("${keep[@]}")
}

etcd_start() {
  local p=${1:?usage: etcd_start VAR_PREFIX} try
  for try in 1 2 3; do
    _etcd_new_member "$p" || return 1
    _etcd_launch "$p" "$p" "$p=http://127.0.0.1:$(_etcd_var "$p" PPORT)" new
    if _etcd_wait_healthy "$p" 15; then
      return 0
    fi
    echo "# etcd $p did not come up (try $try): $(tail -n 3 "$(_etcd_var "$p" LOG)" 2>/dev/null)" >&2
    etcd_stop "$p"
  done
  return 1
}

# SIGKILL, as a crash; the data dir stays.
etcd_kill() {
  local p=${1:?} pid
  pid=$(_etcd_var "$p" PID)
  [ -n "$pid" ] || return 0
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  export "${p}_PID="
}

# Start a killed member again on the same data dir and ports.
etcd_resume() {
  local p=${1:?} cluster
  cluster=$(_etcd_var "$p" CLUSTER)
  [ -n "$cluster" ] || cluster="$p=http://127.0.0.1:$(_etcd_var "$p" PPORT)"
  _etcd_launch "$p" "$p" "$cluster" existing "$(_etcd_var "$p" TOKEN)"
  _etcd_wait_healthy "$p" 20
}

etcd_restart() {
  etcd_kill "${1:?usage: etcd_restart VAR_PREFIX}"
  etcd_resume "$1"
}

# TERM, then up to 5 s (a member that lost its peers can take seconds), then KILL.
_etcd_stop_one() {
  local p=$1 pid dir i
  pid=$(_etcd_var "$p" PID); dir=$(_etcd_var "$p" DIR)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  fi
  case "$dir" in /tmp/calico-etcd.*) rm -rf "$dir" ;; esac
  export "${p}_PID="
  _etcd_forget "$p"
}

etcd_stop() {
  local m
  if [ $# -gt 0 ]; then
    _etcd_stop_one "$1"
  else
    for m in "${_ETCD_MEMBERS[@]}"; do _etcd_stop_one "$m"; done
  fi
  return 0
}

# _etcd_wait_members P N WAIT: WAIT (_etcd_wait_healthy or _etcd_ns_wait_healthy)
# gives each of P1..PN 30 s to come up; the first that does not is reported
# with the end of its log.
_etcd_wait_members() {
  local p=$1 n=$2 wait=$3 i
  for ((i = 1; i <= n; i++)); do
    if ! "$wait" "$p$i" 30; then
      echo "# etcd member $p$i did not come up: $(tail -n 3 "$(_etcd_var "$p$i" LOG)" 2>/dev/null)" >&2
      return 1
    fi
  done
}

etcd_cluster_start() {
  local p=${1:?usage: etcd_cluster_start VAR_PREFIX N} n=${2:-3} i cluster="" eps=""
  for ((i = 1; i <= n; i++)); do
    _etcd_new_member "$p$i" || return 1
    cluster+="${cluster:+,}$p$i=http://127.0.0.1:$(_etcd_var "$p$i" PPORT)"
    eps+="${eps:+,}$(_etcd_var "$p$i" ENDPOINT)"
  done
  for ((i = 1; i <= n; i++)); do
    export "$p${i}_CLUSTER=$cluster" "$p${i}_TOKEN=$p-$$"
    _etcd_launch "$p$i" "$p$i" "$cluster" new "$p-$$"
  done
  _etcd_wait_members "$p" "$n" _etcd_wait_healthy || return 1
  export "${p}_ENDPOINTS=$eps"
}

# ---- members inside network namespaces (a lab on a fabric) ----
# Namespaces cannot reach the root namespace's 127.0.0.1, so a lab whose hosts
# are namespaces runs its members in namespaces of their own, on fabric
# addresses. Each member has its own namespace, hence fixed ports.
#
#   etcd_cluster_start_ns P NS:IP...   one member per NS (a full namespace name), listening on
#                                      IP:23790 (clients) and IP:23800 (peers); exports P_ENDPOINTS and
#                                      P<i>_{PID,DIR,NS,ENDPOINT,LOG,CLUSTER,TOKEN}; etcd_stop stops them
#   etcd_ns_kill P<i>                  SIGKILL (a crash); the data dir stays
#   etcd_ns_resume P<i>...             start them again on their data dirs, wait until healthy
#   etcd_ns_healthy P<i>               0 when the member answers /health with "true"
#   etcd_ns_leader P                   the P<i> that is the cluster's leader now (empty if none answers)
ETCD_NS_CPORT=${ETCD_NS_CPORT:-23790}
ETCD_NS_PPORT=${ETCD_NS_PPORT:-23800}

_etcd_ns_launch() {
  local p=$1 ns ip dir
  ns=$(_etcd_var "$p" NS); ip=$(_etcd_var "$p" IP); dir=$(_etcd_var "$p" DIR)
  # ip netns exec execs etcd: $! is etcd's own pid.
  ip netns exec "$ns" "$ETCD_BIN" --name "$p" --data-dir "$dir/data" \
    --listen-client-urls "http://$ip:$ETCD_NS_CPORT" --advertise-client-urls "http://$ip:$ETCD_NS_CPORT" \
    --listen-peer-urls "http://$ip:$ETCD_NS_PPORT" --initial-advertise-peer-urls "http://$ip:$ETCD_NS_PPORT" \
    --initial-cluster "$(_etcd_var "$p" CLUSTER)" --initial-cluster-state "$2" \
    --initial-cluster-token "$(_etcd_var "$p" TOKEN)" --log-level error >>"$dir/etcd.log" 2>&1 &
  export "${p}_PID=$!"
}

etcd_ns_healthy() {
  local p=$1
  ip netns exec "$(_etcd_var "$p" NS)" curl -sf --max-time 1 --noproxy '*' "$(_etcd_var "$p" ENDPOINT)/health" \
    2>/dev/null | grep -q '"health":"true"'
}

_etcd_ns_wait_healthy() {
  local p=$1 end=$((SECONDS + $2)) pid
  pid=$(_etcd_var "$p" PID)
  while [ "$SECONDS" -lt "$end" ]; do
    etcd_ns_healthy "$p" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

etcd_cluster_start_ns() {
  local p=${1:?usage: etcd_cluster_start_ns VAR_PREFIX NS:IP...} i=0 arg cluster="" eps="" dir n
  shift
  for arg in "$@"; do
    i=$((i + 1))
    dir=$(mktemp -d /tmp/calico-etcd.XXXXXX) || return 1
    export "$p${i}_NS=${arg%%:*}" "$p${i}_IP=${arg#*:}" "$p${i}_DIR=$dir" "$p${i}_LOG=$dir/etcd.log" \
      "$p${i}_ENDPOINT=http://${arg#*:}:$ETCD_NS_CPORT" "$p${i}_PID="
    _ETCD_MEMBERS+=("$p$i")
    cluster+="${cluster:+,}$p$i=http://${arg#*:}:$ETCD_NS_PPORT"
    eps+="${eps:+,}http://${arg#*:}:$ETCD_NS_CPORT"
  done
  n=$i
  for ((i = 1; i <= n; i++)); do
    export "$p${i}_CLUSTER=$cluster" "$p${i}_TOKEN=$p-$$"
    _etcd_ns_launch "$p$i" new
  done
  _etcd_wait_members "$p" "$n" _etcd_ns_wait_healthy || return 1
  export "${p}_ENDPOINTS=$eps"
}

etcd_ns_kill() { etcd_kill "$@"; }

# All given members are started before any is waited for: after a full stop,
# none is healthy until a quorum is back.
etcd_ns_resume() {
  local p rc=0
  for p in "${@:?usage: etcd_ns_resume P<i>...}"; do _etcd_ns_launch "$p" existing; done
  for p in "$@"; do _etcd_ns_wait_healthy "$p" 20 || rc=1; done
  return $rc
}

# The member whose id is the leader id it reports.
etcd_ns_leader() {
  local p=${1:?} i st id leader
  for ((i = 1; ; i++)); do
    [ -n "$(_etcd_var "$p$i" NS)" ] || break
    [ -n "$(_etcd_var "$p$i" PID)" ] || continue
    st=$(ip netns exec "$(_etcd_var "$p$i" NS)" curl -sf --max-time 1 --noproxy '*' -X POST -d '{}' \
      "$(_etcd_var "$p$i" ENDPOINT)/v3/maintenance/status" 2>/dev/null) || continue
    id=$(sed -nE 's/.*"member_id":"?([0-9]+).*/\1/p' <<<"$st")
    leader=$(sed -nE 's/.*"leader":"?([0-9]+).*/\1/p' <<<"$st")
    if [ -n "$id" ] && [ "$id" = "$leader" ]; then
      echo "$p$i"
      return 0
    fi
  done
  return 1
}

# ---- one member with TLS and client-certificate authentication ----
#   etcd_tls_certs DIR        a throw-away CA (ca.crt/key), a server certificate for
#                             127.0.0.1 (server.*), a client certificate it signed
#                             (client.*), and a client certificate from another CA
#                             the server must refuse (rogue.*, rogue-ca.*); EC P-256, 1 day
#   etcd_tls_start P DIR      like etcd_start, but clients speak https with
#                             --client-cert-auth against DIR's CA; P_ENDPOINT is https://...
# Needs openssl.
_etcd_tls_sign() { # DIR NAME CA CN USAGE [SAN]
  local d=$1
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$4" \
    -keyout "$d/$2.key" -out "$d/$2.csr" 2>/dev/null &&
    printf 'extendedKeyUsage=%s\n%s' "$5" "${6:+subjectAltName=$6
}" >"$d/$2.ext" &&
    openssl x509 -req -in "$d/$2.csr" -CA "$d/$3.crt" -CAkey "$d/$3.key" -CAcreateserial -days 1 \
      -extfile "$d/$2.ext" -out "$d/$2.crt" 2>/dev/null
}

etcd_tls_certs() {
  local d=${1:?usage: etcd_tls_certs DIR} ca
  for ca in ca rogue-ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=calico test $ca" \
      -keyout "$d/$ca.key" -out "$d/$ca.crt" 2>/dev/null || return 1
  done
  # clientAuth too: etcd's JSON gateway reaches its own gRPC server with the
  # server certificate as a client certificate (with --client-cert-auth, a
  # server certificate without it makes every gateway call fail with code 14)
  _etcd_tls_sign "$d" server ca 127.0.0.1 serverAuth,clientAuth IP:127.0.0.1 &&
    _etcd_tls_sign "$d" client ca calico clientAuth &&
    _etcd_tls_sign "$d" rogue rogue-ca calico clientAuth &&
    chmod 600 "$d"/*.key
}

_etcd_tls_healthy() {
  local p=$1 d=$2 end=$((SECONDS + 15)) pid
  pid=$(_etcd_var "$p" PID)
  while [ "$SECONDS" -lt "$end" ]; do
    curl -sf --max-time 1 --noproxy '*' --cacert "$d/ca.crt" --cert "$d/client.crt" --key "$d/client.key" \
      "$(_etcd_var "$p" ENDPOINT)/health" 2>/dev/null | grep -q '"health":"true"' && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

etcd_tls_start() {
  local p=${1:?usage: etcd_tls_start VAR_PREFIX CERT_DIR} d=${2:?usage: etcd_tls_start VAR_PREFIX CERT_DIR} try cport dir
  for try in 1 2 3; do
    _etcd_new_member "$p" || return 1
    cport=$(_etcd_var "$p" CPORT); dir=$(_etcd_var "$p" DIR)
    export "${p}_ENDPOINT=https://127.0.0.1:$cport"
    "$ETCD_BIN" --name "$p" --data-dir "$dir/data" \
      --listen-client-urls "https://127.0.0.1:$cport" --advertise-client-urls "https://127.0.0.1:$cport" \
      --listen-peer-urls "http://127.0.0.1:$(_etcd_var "$p" PPORT)" \
      --initial-advertise-peer-urls "http://127.0.0.1:$(_etcd_var "$p" PPORT)" \
      --initial-cluster "$p=http://127.0.0.1:$(_etcd_var "$p" PPORT)" --initial-cluster-state new \
      --cert-file "$d/server.crt" --key-file "$d/server.key" --trusted-ca-file "$d/ca.crt" --client-cert-auth \
      --log-level error >>"$dir/etcd.log" 2>&1 &
    export "${p}_PID=$!"
    _etcd_tls_healthy "$p" "$d" && return 0
    echo "# etcd $p (TLS) did not come up (try $try): $(tail -n 3 "$dir/etcd.log" 2>/dev/null)" >&2
    etcd_stop "$p"
  done
  return 1
}
