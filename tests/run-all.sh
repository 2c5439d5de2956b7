#!/usr/bin/env bash
# Runs every test suite and prints one line `N passed, N failed` last.
# Every suite speaks TAP: lines `ok N - name` / `not ok N - name`.
# A suite that exits non-zero without reporting a failure counts as one failure.
#
# Suites run CHECK_JOBS at a time (default 2): most of a lab suite's time is
# waiting (agents starting, BGP converging, timeouts that prove a drop), and
# every suite already lives in run-unique namespaces, ports and directories, so
# two side by side do not meet. The longest start first (LONG), so that the
# last minutes are not one long suite alone. CHECK_SERIAL names suites to run
# alone at the end instead (none by default: the load loop's memory checks
# read the agent's own heap, which a neighbour does not change).
# CHECK_ONLY="lab/stars unit/test_nft_engine" runs just those.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build-san}" && pwd)
export CALICO_BUILD="$build"
export PATH="$build:$PATH"
# LeakSanitizer on; any leak fails the process that has it.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
JOBS=${CHECK_JOBS:-2}
SERIAL=" ${CHECK_SERIAL:-} "
# measured in a full run on 2 cores, longest first
LONG="lab/catalogue lab/load lab/demo_v3 lab/demo ds/ipam lab/flows lab/cni ds/etcd_tls lab/mesos lab/faults"

passed=0 failed=0
failures=()
outdir=$(mktemp -d)
trap 'rm -rf "$outdir"' EXIT

# suite_exec I NAME CMD...: runs one suite into $outdir/I.out, its exit code
# into $outdir/I.rc (written last: its presence means the suite is over).
suite_exec() {
  local i=$1 name=$2 t0=$SECONDS rc
  shift 2
  "$@" >"$outdir/$i.out" 2>&1 </dev/null
  rc=$?
  echo "# suite $name took $((SECONDS - t0)) s" >>"$outdir/$i.out"
  echo "$rc" >"$outdir/$i.rc.tmp" && mv "$outdir/$i.rc.tmp" "$outdir/$i.rc"
}

# report I NAME: prints a finished suite (whole when it failed, its ok and
# comment lines otherwise) and counts it.
report() {
  local i=$1 name=$2 out="$outdir/$1.out" rc p f
  rc=$(cat "$outdir/$i.rc")
  p=$(grep -cE '^ok ' "$out")
  f=$(grep -cE '^not ok ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $name exited $rc" >>"$out"
  fi
  echo "# suite $name"
  if [ "$f" -ne 0 ]; then
    cat "$out"
    failures+=("$name")
  else
    grep -E '^(ok|# )' "$out" | sed 's/^/  /'
  fi
  passed=$((passed + p)); failed=$((failed + f))
  rm -f "$out" "$outdir/$i.rc"
}

names=() cmds=()
add() { names+=("$1"); shift; cmds+=("$(printf '%q ' "$@")"); }
for t in "$build"/test_*; do
  [ -x "$t" ] || continue
  add "unit/$(basename "$t")" "$t"
done
for dir in ds cli lab; do
  for t in "$here/$dir"/*.sh; do
    [ -f "$t" ] || continue
    add "$dir/$(basename "$t" .sh)" bash "$t"
  done
done

selected() { [ -z "${CHECK_ONLY:-}" ] || [[ " $CHECK_ONLY " == *" $1 "* ]]; }

# Reports every finished suite not yet reported, in the order they end.
declare -A started=()
reap() {
  local i
  for i in "${!started[@]}"; do
    if [ -e "$outdir/$i.rc" ]; then
      wait "${started[$i]}" 2>/dev/null
      report "$i" "${names[$i]}"
      unset "started[$i]"
    fi
  done
}
run_pool() { # run_pool MAX I...: the suites I, at most MAX at a time
  local max=$1 i
  shift
  for i in "$@"; do
    while [ "${#started[@]}" -ge "$max" ]; do
      sleep 0.2
      reap
    done
    eval "suite_exec $i $(printf '%q' "${names[$i]}") ${cmds[$i]}" &
    started[$i]=$!
  done
  while [ "${#started[@]}" -gt 0 ]; do
    sleep 0.2
    reap
  done
}

parallel=() serial=() first=()
for i in "${!names[@]}"; do
  selected "${names[$i]}" || continue
  if [[ "$SERIAL" == *" ${names[$i]} "* ]]; then serial+=("$i"); else parallel+=("$i"); fi
done
# the long ones to the front, in LONG's order
for l in $LONG; do
  for k in "${!parallel[@]}"; do
    if [ "${names[${parallel[$k]}]}" = "$l" ]; then first+=("${parallel[$k]}"); unset "parallel[$k]"; fi
  done
done
parallel=("${first[@]}" "${parallel[@]}")
T0=$SECONDS
run_pool "$JOBS" "${parallel[@]}"
run_pool 1 "${serial[@]}"

if [ ${#failures[@]} -gt 0 ]; then
  echo "# failed suites: ${failures[*]}"
fi
echo "# all suites took $((SECONDS - T0)) s, $JOBS at a time"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
