#!/usr/bin/env bash
# Runs every benchmark and records the figures:   bench/run-all.sh BUILDDIR
# (`make bench`). Writes bench/results/latest.json, one array of entries each
# tagged with its section, plus the machine, date and git commit of the run,
# and prints a readable table per section.
#
# Adding a benchmark: a file bench/sections/NAME.sh with a function
# section_NAME that runs a binary or script and calls
# `record NAME '<one JSON object>'` per result, optionally `table_NAME` to
# print it, and `SECTIONS+=(NAME)`. Nothing else changes.
# BENCH_ONLY="ipam cni" runs only those sections (results file: only those).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:?usage: bench/run-all.sh BUILDDIR}" && pwd)
source "$root/tests/lib/etcd.sh"

TMP=$(mktemp -d /tmp/calico-bench.XXXXXX)
cleanup() { etcd_stop; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 143' TERM INT
unset CALICO_DATASTORE ETCD_ENDPOINTS ETCD_AUTHORITY ETCD_CA_CERT_FILE ETCD_CERT_FILE ETCD_KEY_FILE

SECTIONS=(datastore ipam agent scale throughput)
ENTRIES="$TMP/entries"   # one JSON object per line, section first
: >"$ENTRIES"
FAILED=()

# record SECTION JSON: keeps a result (a single-line JSON object) under SECTION.
record() {
  local section=$1 json=$2
  if [[ ! "$json" =~ ^\{.*\}$ ]]; then
    echo "# $section: not a JSON object: $json" >&2
    return 1
  fi
  printf '{"section":"%s",%s\n' "$section" "${json#\{}" >>"$ENTRIES"
}

# jnum JSON KEY: the number at KEY in a flat JSON object ("" if absent).
jnum() { sed -nE "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"?(-?[0-9.eE+]+)\"?.*/\1/p" <<<"$1"; }
entries_of() { grep "^{\"section\":\"$1\"," "$ENTRIES"; }

# ---- datastore: put/get/cas per second on each backend ----
section_datastore() {
  local out
  [ -x "$build/bench_ds" ] || { echo "# datastore: $build/bench_ds is not built" >&2; return 1; }
  out=$(CALICO_DATASTORE="sqlite:$TMP/bench.db" "$build/bench_ds" | tail -n 1) &&
    record datastore "$out" || return 1
  etcd_start BENCH_ETCD || { echo "# datastore: etcd did not start" >&2; return 1; }
  out=$(ETCD_ENDPOINTS=$BENCH_ETCD_ENDPOINT "$build/bench_ds" | tail -n 1) && record datastore "$out"
  local rc=$?
  etcd_stop BENCH_ETCD
  return $rc
}

table_datastore() {
  local sq et line b
  printf '%-10s %12s %12s %12s\n' backend put/s get/s cas/s
  while IFS= read -r line; do
    b=$(sed -nE 's/.*"backend"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' <<<"$line")
    printf '%-10s %12.0f %12.0f %12.0f\n' "$b" "$(jnum "$line" put_per_s)" "$(jnum "$line" get_per_s)" \
      "$(jnum "$line" cas_per_s)"
    case "$b" in sqlite*) sq=$line ;; etcd*) et=$line ;; esac
  done < <(entries_of datastore)
  if [ -n "${sq:-}" ] && [ -n "${et:-}" ]; then
    printf '%-10s' sqlite/etcd
    for k in put_per_s get_per_s cas_per_s; do
      awk -v a="$(jnum "$sq" $k)" -v b="$(jnum "$et" $k)" 'BEGIN { if (b > 0) printf " %11.1fx", a / b; else printf " %12s", "-" }'
    done
    echo
  fi
}

# ---- ipam: auto-assigns per second, 1 and 8 processes, on each backend ----
section_ipam() {
  local out
  [ -x "$build/bench_ipam" ] || { echo "# ipam: $build/bench_ipam is not built" >&2; return 1; }
  out=$(CALICO_DATASTORE="sqlite:$TMP/bench-ipam.db" "$build/bench_ipam" 2000 | tail -n 1) &&
    record ipam "$out" || return 1
  etcd_start BENCH_IPAM_ETCD || { echo "# ipam: etcd did not start" >&2; return 1; }
  out=$(ETCD_ENDPOINTS=$BENCH_IPAM_ETCD_ENDPOINT "$build/bench_ipam" 800 | tail -n 1) && record ipam "$out"
  local rc=$?
  etcd_stop BENCH_IPAM_ETCD
  return $rc
}

table_ipam() {
  local line b
  printf '%-10s %14s %14s %11s
' backend "allocs/s x1" "allocs/s x8" duplicates
  while IFS= read -r line; do
    b=$(sed -nE 's/.*"backend"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' <<<"$line")
    printf '%-10s %14.0f %14.0f %11s\n' "$b" "$(jnum "$line" per_s_1)" "$(jnum "$line" per_s_8)" \
      "$(jnum "$line" duplicates)"
  done < <(entries_of ipam)
}

# ---- agent: calico-node with 1000 endpoints and 1000 profiles (needs root) ----
section_agent() {
  local out
  [ -x "$build/calico-node" ] && [ -x "$build/bench_agent" ] ||
    { echo "# agent: calico-node or bench_agent is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# agent: needs root (network namespaces)" >&2; return 1; }
  out=$("$here/bench_agent.sh" "$build" 1000 | tail -n 1) && record agent "$out"
}

table_agent() {
  local line
  printf '%-28s %10s %10s\n' measure value goal
  while IFS= read -r line; do
    printf '%-28s %10s %10s\n' "endpoints / profiles" "$(jnum "$line" endpoints)/$(jnum "$line" profiles)" ""
    printf '%-28s %10s %10s\n' "full resync, cold (ms)" "$(jnum "$line" resync_cold_ms)" "<= 1000"
    printf '%-28s %10s %10s\n' "full resync, warm (ms)" "$(jnum "$line" resync_warm_ms)" "<= 1000"
    printf '%-28s %10s %10s\n' "profile change median (ms)" "$(jnum "$line" change_median_ms)" "<= 50"
    printf '%-28s %10s %10s\n' "profile change p90 (ms)" "$(jnum "$line" change_p90_ms)" ""
    printf '%-28s %10s %10s\n' "resident memory (MB)" "$(jnum "$line" rss_mb)" "<= 50"
  done < <(entries_of agent)
}

# ---- scale: calico-node at cluster scale, the shapes side by side (needs root) ----
SCALE_SHAPES=${SCALE_SHAPES:-"1000:0 5000:0 100:1000 100:20000 100:100000"}
section_scale() {
  local out shape
  [ -x "$build/calico-node" ] && [ -x "$build/bench_agent" ] && [ -x "$build/nodetool" ] ||
    { echo "# scale: calico-node, bench_agent or nodetool is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# scale: needs root (network namespaces)" >&2; return 1; }
  for shape in $SCALE_SHAPES; do
    out=$("$here/bench_scale.sh" "$build" "${shape%%:*}" "${shape##*:}" | tail -n 1) || return 1
    record scale "$out"
  done
}

table_scale() {
  local line small="" big=""
  printf '%-8s %-8s %10s %10s %10s %8s %8s %8s %10s\n' local remote change_ms applied_ms join_ms cold_ms warm_ms rss_mb warm_bytes
  while IFS= read -r line; do
    printf '%-8s %-8s %10s %10s %10s %8s %8s %8s %10s\n' "$(jnum "$line" local)" "$(jnum "$line" remote)" \
      "$(jnum "$line" change_median_ms)" "$(jnum "$line" change_applied_median_ms)" "$(jnum "$line" join_median_ms)" "$(jnum "$line" cold_ms)" \
      "$(jnum "$line" warm_ms)" "$(jnum "$line" rss_mb)" "$(jnum "$line" warm_script_bytes)"
    [ "$(jnum "$line" remote)" = 1000 ] && small=$(jnum "$line" change_median_ms)
    [ "$(jnum "$line" remote)" = 100000 ] && big=$(jnum "$line" change_median_ms)
  done < <(entries_of scale)
  [ -n "$small" ] && [ -n "$big" ] &&
    awk -v a="$big" -v b="$small" 'BEGIN { printf "slope (change at 100,000 remote / at 1,000): %.2f (goal <= 1.5)\n", a / b }'
  echo "goals: change <= 10 ms every row; join <= 10 ms at 100,000 remote; cold <= 1000 ms at 1,000 local, <= 2000 ms at 100,000 remote; RSS <= 60 MB at 5,000 local, <= 64 MB at 100,000 remote"
}

# ---- throughput: iperf3 between workloads, veth anchor vs routed path with policy (needs root) ----
section_throughput() {
  local out
  [ -x "$build/calico-node" ] && [ -x "$build/nodetool" ] ||
    { echo "# throughput: calico-node or nodetool is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# throughput: needs root (network namespaces)" >&2; return 1; }
  command -v iperf3 >/dev/null || { echo "# throughput: iperf3 is not installed" >&2; return 1; }
  out=$("$here/bench_throughput.sh" "$build" | tail -n 1) && record throughput "$out"
}

table_throughput() {
  local line
  while IFS= read -r line; do
    printf '%-44s %8s %8s %8s %8s\n' "variant ($(jnum "$line" rounds) x $(jnum "$line" seconds) s, Gbit/s)" median min max ratio
    printf '%-44s %8s %8s %8s %8s\n' "a  veth pair (anchor)" "$(jnum "$line" a_gbps)" "$(jnum "$line" a_min)" \
      "$(jnum "$line" a_max)" ""
    printf '%-44s %8s %8s %8s %8s\n' "b  routed, one allow-all profile" "$(jnum "$line" b_gbps)" "$(jnum "$line" b_min)" \
      "$(jnum "$line" b_max)" "b/a $(jnum "$line" ratio_b_a)"
    printf '%-44s %8s %8s %8s %8s\n' "c  routed, $(jnum "$line" rules) rules, $(jnum "$line" members) members" \
      "$(jnum "$line" c_gbps)" "$(jnum "$line" c_min)" "$(jnum "$line" c_max)" "c/b $(jnum "$line" ratio_c_b)"
    echo "(goal c/b >= 0.95; agents programmed in $(jnum "$line" programmed_ms) ms; section took $(jnum "$line" elapsed_s) s)"
  done < <(entries_of throughput)
}

# ---- sections in their own files: bench/sections/NAME.sh defines section_NAME
# (and table_NAME) and appends NAME to SECTIONS ----
for f in "$here"/sections/*.sh; do
  [ -f "$f" ] && source "$f"
done

# ---- run ----
[ -n "${BENCH_ONLY:-}" ] && read -r -a SECTIONS <<<"$BENCH_ONLY"
for s in "${SECTIONS[@]}"; do
  echo "== $s"
  if ! "section_$s"; then FAILED+=("$s"); fi
  if declare -F "table_$s" >/dev/null; then "table_$s"; else entries_of "$s"; fi
  echo
done

# ---- results file ----
json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
cpu=$(sed -nE 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ] && commit="$commit-dirty"
machine="$(uname -srm), $(nproc) cpu, ${cpu:-unknown cpu}, $(hostname)"
mkdir -p "$here/results"
[ -f "$here/results/latest.json" ] && cp "$here/results/latest.json" "$TMP/previous.json"
{
  echo "["
  first=1
  while IFS= read -r e; do
    [ $first -eq 1 ] || echo ","
    first=0
    printf '  {"machine":"%s","date":"%s","commit":"%s",%s' "$(json_str "$machine")" \
      "$(date -u +%FT%TZ)" "$commit" "${e#\{}"
  done <"$ENTRIES"
  echo
  echo "]"
} >"$here/results/latest.json"
# BENCH_ONLY runs replace only their own sections' entries in the results file.
if [ -n "${BENCH_ONLY:-}" ] && [ -f "$TMP/previous.json" ] && command -v jq >/dev/null; then
  ran=$(printf '%s\n' "${SECTIONS[@]}" | jq -R . | jq -s .)
  # One entry per line, as a full run writes them (diffs stay readable).
  jq -c --argjson ran "$ran" --slurpfile prev "$TMP/previous.json" \
    '($prev[0] | map(select(.section as $s | $ran | index($s) | not))) + . | .[]' "$here/results/latest.json" |
    awk 'BEGIN { print "[" } NR > 1 { print last "," } { last = "  " $0 } END { if (NR) print last; print "]" }' \
      >"$TMP/merged.json" && mv "$TMP/merged.json" "$here/results/latest.json"
fi
echo "results: $here/results/latest.json ($(jq length "$here/results/latest.json" 2>/dev/null || wc -l <"$ENTRIES") entries)"
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "# failed sections: ${FAILED[*]}"
  exit 1
fi
