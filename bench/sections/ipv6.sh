# Cross-host TCP throughput over IPv6 against IPv4 on the same two dual-stack
# hosts and workloads (calicoctl node --ip --ip6, BIRD in both families), with
# a direct veth pair as the anchor, in one interleaved run
# (bench/bench_ipv6.sh). Needs root, iperf3 and bird.
section_ipv6() {
  local out
  [ -x "$build/calico-node" ] || { echo "# ipv6: calico-node is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# ipv6: needs root (network namespaces)" >&2; return 1; }
  command -v iperf3 >/dev/null || { echo "# ipv6: iperf3 is not installed" >&2; return 1; }
  command -v bird >/dev/null || { echo "# ipv6: bird is not installed" >&2; return 1; }
  out=$("$here/bench_ipv6.sh" "$build" "${BENCH_IPV6_ROUNDS:-5}" "${BENCH_IPV6_SECONDS:-3}" | tail -n 1) &&
    record ipv6 "$out"
}

table_ipv6() {
  local line
  while IFS= read -r line; do
    printf '%-46s %8s %8s %8s %8s\n' "cross-host ($(jnum "$line" rounds) x $(jnum "$line" seconds) s, Gbit/s)" median min max ratio
    printf '%-46s %8s %8s %8s %8s\n' "a  veth pair (anchor)" "$(jnum "$line" a_gbps)" "$(jnum "$line" a_min)" \
      "$(jnum "$line" a_max)" ""
    printf '%-46s %8s %8s %8s %8s\n' "4  workload -> workload over IPv4 (BGP routes)" "$(jnum "$line" ipv4_gbps)" \
      "$(jnum "$line" ipv4_min)" "$(jnum "$line" ipv4_max)" "4/a $(jnum "$line" ratio_ipv4_a)"
    printf '%-46s %8s %8s %8s %8s\n' "6  the same workloads over IPv6" "$(jnum "$line" ipv6_gbps)" \
      "$(jnum "$line" ipv6_min)" "$(jnum "$line" ipv6_max)" "6/a $(jnum "$line" ratio_ipv6_a)"
    echo "(6/4 $(jnum "$line" ratio_ipv6_ipv4); MTU $(jnum "$line" mtu); ready in $(jnum "$line" ready_ms) ms; section took $(jnum "$line" elapsed_s) s)"
  done < <(entries_of ipv6)
}

SECTIONS+=(ipv6)
