# ---- load: endpoints created and deleted in rounds through the CNI plugins with calico-node
# programming them (tests/lab/load.sh, needs root): churn rate, the agent's memory and fds ----
section_load() {
  local line
  [ -x "$build/calico" ] && [ -x "$build/calico-ipam" ] && [ -x "$build/calico-node" ] ||
    { echo "# load: calico, calico-ipam or calico-node is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# load: needs root (network namespaces)" >&2; return 1; }
  line=$(CALICO_BUILD="$build" PATH="$build:$PATH" LOAD_ENDPOINTS="${BENCH_LOAD_N:-200}" \
    LOAD_SECONDS="${BENCH_LOAD_SECONDS:-60}" LOAD_BATCH="${BENCH_LOAD_PAR:-8}" bash "$root/tests/lab/load.sh" 2>/dev/null |
    sed -n 's/^# figures //p')
  [ -n "$line" ] && record load "$line"
}

table_load() {
  local line
  printf '%9s %8s %6s %6s %9s %9s %12s %12s %10s %10s %7s\n' endpoints parallel rounds secs "add ms" "del ms" \
    "rss warm kB" "rss end kB" "heap warm" "heap end" fds
  while IFS= read -r line; do
    printf '%9s %8s %6s %6s %9s %9s %12s %12s %10s %10s %3s->%-3s\n' "$(jnum "$line" endpoints)" "$(jnum "$line" parallel)" \
      "$(jnum "$line" rounds)" "$(jnum "$line" seconds)" "$(jnum "$line" add_ms_per_endpoint)" \
      "$(jnum "$line" del_ms_per_endpoint)" "$(jnum "$line" rss_kb_warm)" "$(jnum "$line" rss_kb_end)" \
      "$(jnum "$line" heap_b_warm)" "$(jnum "$line" heap_b_end)" "$(jnum "$line" fds_warm)" "$(jnum "$line" fds_end)"
  done < <(entries_of load)
  echo "(per endpoint: wall time of a phase / endpoints, ADD including the wait for calico-node's status; memory at rest after the warm-up round and at the end)"
}

SECTIONS+=(load)
