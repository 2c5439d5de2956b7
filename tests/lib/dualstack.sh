# shellcheck shell=bash
# Dual-stack lab helpers, on top of netns.sh, etcd.sh and multihost.sh (source
# those first, then tap.sh). A workload may have an IPv4 address, an IPv6
# address, or both; matrices name the family a probe uses.
#
#   ds_host_add H IP4 IP6               mh_host_add + IPv6 on the fabric (lab_fabric_v6 once)
#   ds_node_start H [ARGS...]           calicoctl node --ip=IP4 --ip6=IP6 --name=H ARGS
#   ds_workload H NAME FAMILIES [PROFILE]
#                                       FAMILIES 4, 6 or 46: `calicoctl container add <ns> ipv4|ipv6`
#                                       (46: ipv4, then `container <ns> ip add ipv6`), TCP 8080 and
#                                       UDP 5005 servers inside, PROFILE set. Targets for the probes:
#                                       NAME.4 and NAME.6 (and NAME: its first address). Call it
#                                       directly, not in $(...)
#   ds_matrix DESC < TABLE              lines "FROM TO WANT": TO a target (NAME.6, an IP);
#                                       WANT allow (= 111), deny (= 000) or three bits
#                                       "icmp tcp udp" like 110; all pairs in parallel, one TAP
#                                       line per pair; "allow" bits get 3 tries (first packets
#                                       wait for neighbour discovery)
#   ds_addr NAME.FAMILY                 the address of a target
#   ds_blocks H FAMILY                  H's affine blocks of FAMILY (4 or 6), one per line
#   ds_bird_routes H FAMILY             `ip -FAMILY route show proto bird` of H via a next hop

declare -A DS_IP6=()

ds_host_add() {
  local h=$1 ip4=$2 ip6=$3
  [ -n "$LAB_FABRIC" ] || { lab_fabric_add && lab_fabric_v6; } || return 1
  mh_host_add "$h" "$ip4" && lab_host_v6 "$h" "$ip6" || return 1
  DS_IP6[$h]=$ip6
}

ds_node_start() {
  local h=$1; shift
  mh_node_start "$h" --ip6="${DS_IP6[$h]}" "$@"
}

_ds_added_ip() { sed -nE 's/^IP ([^ ]+) added to .*/\1/p' <<<"$1"; }

ds_workload() {
  local h=$1 name=$2 fams=$3 prof=${4:-} ns out ip
  ns=$(lab_nspath "$name")
  case $fams in
  4 | 46) mh_workload "$h" "$name" ipv4 >/dev/null || return 1
    MH_WL_IP[$name.4]=${MH_WL_IP[$name]} ;;
  6) mh_workload "$h" "$name" ipv6 >/dev/null || return 1
    MH_WL_IP[$name.6]=${MH_WL_IP[$name]} ;;
  *) echo "ds_workload: FAMILIES is 4, 6 or 46, not $fams" >&2; return 1 ;;
  esac
  if [ "$fams" = 46 ]; then
    out=$(mh_ctl "$h" container "$ns" ip add ipv6) || { echo "ds: ip add ipv6: $out" >&2; return 1; }
    ip=$(_ds_added_ip "$out")
    [ -n "$ip" ] || { echo "ds: unexpected output of ip add: $out" >&2; return 1; }
    MH_WL_IP[$name.6]=$ip
  fi
  if [ -n "$prof" ]; then
    mh_ctl "$h" container "$ns" profile set "$prof" >/dev/null || return 1
  fi
  echo "# $name on $h: ${MH_WL_IP[$name.4]:-} ${MH_WL_IP[$name.6]:-}"
}

ds_addr() { _mh_target "$1"; }

ds_matrix() {
  local desc=$1 from to want got pids=() n=0 dir bits tries k p
  dir=$(mktemp -d "$LAB_TMP/matrix.XXXXXX")
  while read -r from to want; do
    [ -n "$from" ] || continue
    case "$from" in \#*) continue ;; esac
    case $want in allow) bits="1 1 1" ;; deny) bits="0 0 0" ;; [01][01][01]) bits="${want:0:1} ${want:1:1} ${want:2:1}" ;;
    *) echo "ds_matrix: bad verdict $want" >&2; continue ;; esac
    n=$((n + 1))
    echo "$from $to $want $bits" >"$dir/$n.case"
    (
      tries=1
      [[ $bits == *1* ]] && tries=3
      for ((k = 0; k < tries; k++)); do
        got=$(mh_probe "$from" "$to")
        # only a probe that should pass gets a second try
        [ "$got" = "$bits" ] && break
        [ "$(echo "$got $bits" | awk '{ print ($1 > $4 || $2 > $5 || $3 > $6) }')" = 1 ] && break
      done
      echo "$got" >"$dir/$n.got"
    ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for ((k = 1; k <= n; k++)); do
    read -r from to want bits <"$dir/$k.case"
    bits=$(cut -d' ' -f4- "$dir/$k.case")
    got=$(cat "$dir/$k.got" 2>/dev/null)
    if [ "$got" = "$bits" ]; then
      ok "$desc: $from -> $to $want (icmp tcp udp)"
    else
      fail "$desc: $from -> $to $want (icmp tcp udp)"
      echo "#   got icmp/tcp/udp = $got (1 = through), want $bits; $to = $(ds_addr "$to")"
    fi
  done
  rm -rf "$dir"
}

ds_blocks() {
  mh_ds "$MH_DSTOOL" list "/calico/ipam/v2/host/$1/ipv$2/block/" 2>/dev/null |
    sed -nE "s|^/calico/ipam/v2/host/[^/]+/ipv$2/block/([^[:space:]]+).*|\\1|p" | sed -E 's/-([0-9]+)$/\/\1/'
}

ds_bird_routes() { ip -n "$(lab_ns "$1")" "-$2" route show proto bird | grep ' via '; }
