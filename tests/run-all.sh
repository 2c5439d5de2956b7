#!/usr/bin/env bash
# Runs every test suite and prints one line `N passed, N failed` last.
# Every suite speaks TAP: lines `ok N - name` / `not ok N - name`.
# A suite that exits non-zero without reporting a failure counts as one failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build-san}" && pwd)
export CALICO_BUILD="$build"
export PATH="$build:$PATH"
# LeakSanitizer on; any leak fails the process that has it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

passed=0 failed=0
failures=()

run_suite() {
  local name=$1; shift
  local out rc p f t0=$SECONDS
  out=$(mktemp)
  echo "# suite $name"
  "$@" >"$out" 2>&1
  rc=$?
  echo "# suite $name took $((SECONDS - t0)) s" >>"$out"
  p=$(grep -cE '^ok ' "$out")
  f=$(grep -cE '^not ok ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $name exited $rc" >>"$out"
  fi
  if [ "$f" -ne 0 ]; then
    cat "$out"
    failures+=("$name")
  else
    grep -E '^(ok|# )' "$out" | sed 's/^/  /'
  fi
  passed=$((passed + p)); failed=$((failed + f))
  rm -f "$out"
}

for t in "$build"/test_*; do
  [ -x "$t" ] || continue
  run_suite "unit/$(basename "$t")" "$t"
done
for dir in ds cli lab; do
  for t in "$here/$dir"/*.sh; do
    [ -f "$t" ] || continue
    run_suite "$dir/$(basename "$t" .sh)" bash "$t"
  done
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "# failed suites: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
