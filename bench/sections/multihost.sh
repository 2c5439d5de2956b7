# Route-install time for a new host: h1 and h2 run (calicoctl node, one
# workload each) on a 3-member etcd cluster in lab namespaces; per repetition
# h3 is started from nothing (`calicoctl node` + `calicoctl container add`) and
# the time is taken from the start of `calicoctl node` until BOTH h1 and h2
# have a BIRD route via h3 (its block), polled every 15 ms. Between
# repetitions h3 is stopped and removed (`node stop --force`, `node remove`),
# and the routes are gone from h1 and h2 before the next start.
# MULTIHOST_REPS (default 5) repetitions; median, min, max.
SECTIONS+=(multihost)

# Runs in a subshell of its own: the lab libraries install EXIT traps, which
# must clean up the lab and not replace run-all.sh's trap.
_multihost_lab() {
  local reps=$1 out=$2
  set +e
  export CALICO_BUILD=$build PATH="$build:$PATH"
  . "$root/tests/lib/netns.sh"
  . "$root/tests/lib/etcd.sh"
  . "$root/tests/lib/multihost.sh"
  now_ms() { echo $(($(date +%s%N) / 1000000)); }
  via_h3() { ip -n "$(lab_ns "$1")" -4 route show proto bird | grep -q " via ${MH_IP[h3]} "; }
  lab_fabric_add && mh_datastore_etcd 3 || { echo "# multihost: etcd cluster did not start" >&2; return 1; }
  mh_host_add h1 172.30.0.11 && mh_host_add h2 172.30.0.12 && mh_host_add h3 172.30.0.13 || return 1
  mh_ds "$MH_CTL" pool add 10.65.0.0/16 >/dev/null || return 1
  mh_node_start h1 >/dev/null && mh_node_start h2 >/dev/null || { echo "# multihost: h1/h2 did not start" >&2; return 1; }
  mh_workload h1 w1 >/dev/null && mh_workload h2 w2 >/dev/null || return 1
  local r t0 t_node t_wl t_done deadline h
  for ((r = 1; r <= reps; r++)); do
    # the poller: writes the time at which h1 and h2 both have the route
    rm -f "$TMP/mh-done"
    (
      local seen1=0 seen2=0 end=$(($(now_ms) + 60000))
      while [ "$(now_ms)" -lt "$end" ]; do
        [ $seen1 = 1 ] || { via_h3 h1 && seen1=1; }
        [ $seen2 = 1 ] || { via_h3 h2 && seen2=1; }
        [ $seen1$seen2 = 11 ] && { now_ms >"$TMP/mh-done"; exit 0; }
        sleep 0.015
      done
    ) &
    local poller=$!
    t0=$(now_ms)
    mh_node_start h3 >/dev/null || { echo "# multihost: h3 did not start" >&2; kill "$poller"; return 1; }
    t_node=$(now_ms)
    mh_workload h3 "w3r$r" >/dev/null || { kill "$poller"; return 1; }
    t_wl=$(now_ms)
    wait "$poller"
    t_done=$(cat "$TMP/mh-done" 2>/dev/null)
    if [ -z "$t_done" ]; then
      echo "# multihost: rep $r: h3's route never reached h1 and h2" >&2
      return 1
    fi
    echo "$((t_done - t0)) $((t_node - t0)) $((t_wl - t_node))" >>"$out"
    # undo: h3 leaves; its routes must be gone before the next start
    mh_wl_remove "w3r$r" >/dev/null
    mh_node_stop h3 --force >/dev/null
    mh_reap h3 2>/dev/null
    mh_ctl h3 node remove >/dev/null || echo "# multihost: node remove on h3 failed" >&2
    deadline=$(($(now_ms) + 60000))
    for h in h1 h2; do
      while via_h3 "$h"; do
        [ "$(now_ms)" -lt "$deadline" ] || { echo "# multihost: h3's routes stay on $h" >&2; return 1; }
        sleep 0.05
      done
    done
  done
}

section_multihost() {
  local reps=${MULTIHOST_REPS:-5} raw="$TMP/multihost.raw"
  if [ "$(id -u)" -ne 0 ] || ! command -v bird >/dev/null || [ ! -x "$build/calico-node" ]; then
    echo "# multihost: needs root, bird and calico-node" >&2
    return 1
  fi
  : >"$raw"
  # stdout to a file: a daemon that kept it would hold a $(...) open forever
  (_multihost_lab "$reps" "$raw") >"$TMP/multihost.log" 2>&1
  local rc=$?
  grep '^# multihost' "$TMP/multihost.log" >&2
  [ "$rc" -eq 0 ] && [ "$(wc -l <"$raw")" -eq "$reps" ] || return 1
  local stats
  stats=$(awk '{ d[NR] = $1; n[NR] = $2; w[NR] = $3 }
    function med(a, k,   i, j, t, b) { for (i = 1; i <= k; i++) b[i] = a[i]
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
      return k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2 }
    END { min = d[1]; max = d[1]; all = ""
      for (i = 1; i <= NR; i++) { if (d[i] < min) min = d[i]; if (d[i] > max) max = d[i]; all = all (i > 1 ? "," : "") d[i] }
      printf "\"median_ms\":%s,\"min_ms\":%s,\"max_ms\":%s,\"runs_ms\":[%s],\"node_cmd_median_ms\":%s,\"container_add_median_ms\":%s",
        med(d, NR), min, max, all, med(n, NR), med(w, NR) }' "$raw")
  record multihost "{\"what\":\"new host: calicoctl node start -> its block route on both other hosts\",\"datastore\":\"etcd 3 members\",\"reps\":$reps,$stats}"
}

table_multihost() {
  local line
  printf '%-52s %10s %8s %8s %12s %14s\n' "new host h3 -> route on h1 and h2" median_ms min_ms max_ms node_cmd_ms container_add_ms
  while IFS= read -r line; do
    printf '%-52s %10s %8s %8s %12s %14s\n' "($(jnum "$line" reps) runs, etcd)" "$(jnum "$line" median_ms)" \
      "$(jnum "$line" min_ms)" "$(jnum "$line" max_ms)" "$(jnum "$line" node_cmd_median_ms)" \
      "$(jnum "$line" container_add_median_ms)"
  done < <(entries_of multihost)
}
