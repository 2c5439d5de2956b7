#!/usr/bin/env bash
# Runs every libFuzzer target for FUZZ_SECONDS each (default 60), starting
# from its seed corpus in fuzz/corpus/<name>/ (new inputs found go to a
# scratch copy, so the tree only holds the seeds). Prints per target the
# executions and the crashes found; crash inputs are kept in
# fuzz/findings/<name>/ for replay (`build-fuzz/fuzz_X fuzz/findings/X/crash-*`).
#   fuzz/run.sh BUILD_FUZZ_DIR [TARGET...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: fuzz/run.sh BUILD_FUZZ_DIR [TARGET...]}" && pwd)
shift
secs=${FUZZ_SECONDS:-60}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for b in "$build"/fuzz_*; do [ -x "$b" ] && targets+=("$(basename "$b" | sed 's/^fuzz_//')"); done
fi
work=$(mktemp -d /tmp/calico-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
total_crashes=0
printf '%-16s %12s %8s %8s\n' target executions crashes corpus
for t in "${targets[@]}"; do
  bin="$build/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz: $bin is not built" >&2; total_crashes=$((total_crashes + 1)); continue; }
  mkdir -p "$work/$t" "$here/findings/$t"
  cp -r "$here/corpus/$t/." "$work/$t/" 2>/dev/null
  "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$here/findings/$t/" \
    -max_len=4096 -timeout=10 "$work/$t" >"$work/$t.log" 2>&1
  execs=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+).*/\1/p' "$work/$t.log" | tail -n 1)
  crashes=$(find "$here/findings/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  printf '%-16s %12s %8s %8s\n' "$t" "${execs:-?}" "$crashes" "$(ls "$work/$t" | wc -l)"
  if [ "$crashes" -gt 0 ]; then
    grep -E 'ERROR|invariant|SUMMARY' "$work/$t.log" | head -n 5 | sed 's/^/    /'
  fi
  total_crashes=$((total_crashes + crashes))
done
echo "fuzz: $total_crashes finding(s)"
[ "$total_crashes" -eq 0 ]
