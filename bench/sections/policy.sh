# shellcheck shell=bash
# Calico's v3 policy model in calico-node (bench/bench_policy.sh, needs root):
# a GlobalNetworkPolicy rewritten -> in the kernel at 1,000 local endpoints and
# at 100 local + 100,000 remote, a remote endpoint's label change -> its set
# elements, the agent's RSS with 1,000 policies, 1,000 rule selectors and
# 100,000 remote endpoints, and iperf3 through 1,000 policies in 3 tiers
# against allow-all. One entry per part (`part`: latency, throughput).
section_policy() {
  local out line
  [ "$(id -u)" -eq 0 ] || { echo "# policy: needs root (network namespaces)" >&2; return 1; }
  out=$("$here/bench_policy.sh" "$build") || return 1
  while IFS= read -r line; do
    [[ "$line" == '{"part":'* ]] && { record policy "$line" || return 1; }
  done <<<"$out"
  return 0
}

table_policy() {
  local line
  printf '%-8s %-8s %12s %10s %12s %10s %8s %8s\n' local remote policy_ms p90_ms label_ms p90_ms cold_ms rss_mb
  while IFS= read -r line; do
    [ "$(sed -nE 's/.*"part":"([a-z]+)".*/\1/p' <<<"$line")" = latency ] || continue
    printf '%-8s %-8s %12s %10s %12s %10s %8s %8s\n' "$(jnum "$line" local)" "$(jnum "$line" remote)" \
      "$(jnum "$line" policy_median_ms)" "$(jnum "$line" policy_p90_ms)" "$(jnum "$line" label_median_ms)" \
      "$(jnum "$line" label_p90_ms)" "$(jnum "$line" cold_ms)" "$(jnum "$line" rss_mb)"
  done < <(entries_of policy)
  echo "goals: policy <= 20 ms both rows; label <= 10 ms at 100,000 remote; RSS <= 96 MB at 100,000 remote"
  while IFS= read -r line; do
    [ "$(sed -nE 's/.*"part":"([a-z]+)".*/\1/p' <<<"$line")" = throughput ] || continue
    printf 'iperf3 (%s x %s s): allow-all %s (%s-%s), 1,000 policies %s (%s-%s) Gbit/s; ratio %s (goal >= 0.95); programmed in %s ms\n' \
      "$(jnum "$line" rounds)" "$(jnum "$line" seconds)" "$(jnum "$line" allow_gbps)" "$(jnum "$line" allow_min)" \
      "$(jnum "$line" allow_max)" "$(jnum "$line" policy_gbps)" "$(jnum "$line" policy_min)" \
      "$(jnum "$line" policy_max)" "$(jnum "$line" ratio)" "$(jnum "$line" programmed_ms)"
  done < <(entries_of policy)
}

SECTIONS+=(policy)
