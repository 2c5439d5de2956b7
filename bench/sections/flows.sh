# shellcheck shell=bash
# The cost of flow logs (bench/bench_flows.sh, needs root): iperf3 between two
# workloads with flow logs on and off (goal >= 0.97), calico-node's RSS with
# 10,000 live connections on and off, and the new connections a second the
# agent on one core attributes before its drop counters move. One entry per
# part (`part`: throughput, rss, rate).
section_flows() {
  local out line
  [ "$(id -u)" -eq 0 ] || { echo "# flows: needs root (network namespaces)" >&2; return 1; }
  out=$("$here/bench_flows.sh" "$build") || return 1
  while IFS= read -r line; do
    [[ "$line" == '{"part":'* ]] && { record flows "$line" || return 1; }
  done <<<"$out"
  return 0
}

table_flows() {
  local line part
  while IFS= read -r line; do
    part=$(sed -nE 's/.*"part":"([a-z]+)".*/\1/p' <<<"$line")
    case $part in
    throughput)
      printf 'iperf3 (%s x %s s): flows on %s (%s-%s), off %s (%s-%s) Gbit/s; ratio %s (goal >= 0.97)\n' \
        "$(jnum "$line" rounds)" "$(jnum "$line" seconds)" "$(jnum "$line" on_gbps)" "$(jnum "$line" on_min)" \
        "$(jnum "$line" on_max)" "$(jnum "$line" off_gbps)" "$(jnum "$line" off_min)" "$(jnum "$line" off_max)" \
        "$(jnum "$line" ratio)" ;;
    rss)
      printf 'agent RSS at %s live connections (%s tracked): flows on %s MB, off %s MB (idle %s / %s MB)\n' \
        "$(jnum "$line" connections)" "$(jnum "$line" tracked)" "$(jnum "$line" on_mb)" "$(jnum "$line" off_mb)" \
        "$(jnum "$line" on_idle_mb)" "$(jnum "$line" off_idle_mb)" ;;
    rate)
      printf 'attributed on one core: %s connections/s (asked %s/s), no drop; next %s/s (made %s/s): drops +%s, connections without records %s; records beyond the connections made (all rates) %s\n' \
        "$(jnum "$line" attributed_per_s)" "$(jnum "$line" attributed_target)" "$(jnum "$line" next_target)" \
        "$(jnum "$line" next_per_s)" "$(jnum "$line" next_drops)" "$(jnum "$line" next_missing)" "$(jnum "$line" extra_records)"
      printf '  steps (asked:made/s:completed:dst:src:drops:failed:agent CPU %%): %s\n' \
        "$(sed -nE 's/.*"steps":"([^"]*)".*/\1/p' <<<"$line")" ;;
    esac
  done < <(entries_of flows)
}

SECTIONS+=(flows)
