# ---- cni: ADD until traffic passes, calico+calico-ipam (SQLite, etcd) vs bridge+host-local (needs root) ----
section_cni() {
  local line
  [ -x "$build/calico" ] && [ -x "$build/calico-ipam" ] && [ -x "$build/calico-node" ] && [ -x "$build/bench_mesos" ] ||
    { echo "# cni: calico, calico-ipam, calico-node or bench_mesos is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# cni: needs root (network namespaces)" >&2; return 1; }
  [ -x /usr/lib/cni/bridge ] || { echo "# cni: Debian's containernetworking-plugins are not installed" >&2; return 1; }
  while IFS= read -r line; do
    record cni "$line" || return 1
  done < <("$here/bench_cni.sh" "$build" "${BENCH_CNI_N:-200}" "${BENCH_CNI_PAR:-8}" | grep '^{')
  [ -n "$(entries_of cni)" ]
}

table_cni() {
  local line ref="" v b
  printf '%-20s %-10s %9s %9s %9s %9s %9s %9s\n' variant backend "seq med" "seq p99" "par med" "par p99" "seq/ref" "par/ref"
  ref=$(entries_of cni | grep '"bridge+host-local"' | head -n 1)
  while IFS= read -r line; do
    v=$(sed -nE 's/.*"variant"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' <<<"$line")
    b=$(sed -nE 's/.*"backend"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' <<<"$line")
    printf '%-20s %-10s %9s %9s %9s %9s' "$v" "$b" "$(jnum "$line" seq_median_ms)" "$(jnum "$line" seq_p99_ms)" \
      "$(jnum "$line" par_median_ms)" "$(jnum "$line" par_p99_ms)"
    if [ -n "$ref" ]; then
      awk -v a="$(jnum "$line" seq_median_ms)" -v r="$(jnum "$ref" seq_median_ms)" -v p="$(jnum "$line" par_median_ms)" \
        -v q="$(jnum "$ref" par_median_ms)" 'BEGIN { printf " %9.2f %9.2f", (r > 0 ? a / r : 0), (q > 0 ? p / q : 0) }'
    fi
    echo
  done < <(entries_of cni)
  echo "(ms from ADD to the first answer of the new container; goal: calico median <= 0.5 x bridge+host-local)"
}

SECTIONS+=(cni)
