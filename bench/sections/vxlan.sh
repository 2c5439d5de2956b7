# Cross-host TCP throughput: native routing and VXLAN, each against a direct
# veth pair, in one interleaved run (bench/bench_vxlan.sh). Needs root and iperf3.
section_vxlan() {
  local out
  [ -x "$build/calico-node" ] || { echo "# vxlan: calico-node is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# vxlan: needs root (network namespaces)" >&2; return 1; }
  command -v iperf3 >/dev/null || { echo "# vxlan: iperf3 is not installed" >&2; return 1; }
  out=$("$here/bench_vxlan.sh" "$build" "${BENCH_VXLAN_ROUNDS:-5}" "${BENCH_VXLAN_SECONDS:-3}" | tail -n 1) &&
    record vxlan "$out"
}

table_vxlan() {
  local line
  while IFS= read -r line; do
    printf '%-46s %8s %8s %8s %8s\n' "cross-host ($(jnum "$line" rounds) x $(jnum "$line" seconds) s, Gbit/s)" median min max ratio
    printf '%-46s %8s %8s %8s %8s\n' "a  veth pair (anchor)" "$(jnum "$line" a_gbps)" "$(jnum "$line" a_min)" \
      "$(jnum "$line" a_max)" ""
    printf '%-46s %8s %8s %8s %8s\n' "n  native routing (static block routes)" "$(jnum "$line" native_gbps)" \
      "$(jnum "$line" native_min)" "$(jnum "$line" native_max)" "n/a $(jnum "$line" ratio_native_a)"
    printf '%-46s %8s %8s %8s %8s\n' "v  VXLAN (vxlan.calico, MTU $(jnum "$line" vxlan_mtu))" "$(jnum "$line" vxlan_gbps)" \
      "$(jnum "$line" vxlan_min)" "$(jnum "$line" vxlan_max)" "v/a $(jnum "$line" ratio_vxlan_a)"
    echo "(v/n $(jnum "$line" ratio_vxlan_native); agents programmed in $(jnum "$line" programmed_ms) ms; section took $(jnum "$line" elapsed_s) s)"
  done < <(entries_of vxlan)
}

SECTIONS+=(vxlan)
