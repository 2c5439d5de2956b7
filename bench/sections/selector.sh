# Label selectors (src/lib/policy): ns per evaluation over 100,000 endpoints
# of 7 labels and 12 selectors, in the two orders the index will use — one
# selector scanned over every endpoint (endpoints come from memory), one
# endpoint re-checked against every selector (in cache) — and µs per parse.
# Pure computation: no root, no namespace.
section_selector() {
  local out
  [ -x "$build/bench_selector" ] || { echo "# selector: $build/bench_selector is not built" >&2; return 1; }
  out=$("$build/bench_selector" "${BENCH_SELECTOR_ENDPOINTS:-100000}" | tail -n 1) && record selector "$out"
}

table_selector() {
  local line
  printf '%-10s %10s %16s %20s %10s\n' endpoints selectors ns/eval_scan ns/eval_endpoint parse_us
  while IFS= read -r line; do
    printf '%-10s %10s %16s %20s %10s\n' "$(jnum "$line" endpoints)" "$(jnum "$line" selectors)" \
      "$(jnum "$line" ns_per_eval_scan)" "$(jnum "$line" ns_per_eval_endpoint)" "$(jnum "$line" parse_us)"
  done < <(entries_of selector)
}

SECTIONS+=(selector)
