# BIRD config: what the agent pays to render it (bench_bird) against what BIRD
# pays to parse it (bird -p) and to reload it (`configure` on its control
# socket, a config with one peer more each time), for meshes of 10, 100 and
# 1000 hosts (1000 local endpoints, a tenth borrowed). BIRD runs in a
# namespace of its own (its sessions never come up: no peer exists); nothing
# touches the root namespace.
section_bird() {
  local n ns dir pid i t0 t1 out parse reload render rmin bytes
  [ -x "$build/bench_bird" ] || { echo "# bird: $build/bench_bird is not built" >&2; return 1; }
  [ "$(id -u)" -eq 0 ] || { echo "# bird: needs root (a network namespace for BIRD)" >&2; return 1; }
  command -v bird >/dev/null && command -v birdc >/dev/null || { echo "# bird: bird2 is not installed" >&2; return 1; }
  ns="bb$$-bird"
  dir="$TMP/bird"
  mkdir -p "$dir"
  ip netns add "$ns" || return 1
  ip -n "$ns" link set lo up
  local rc=1
  for n in 10 100 1000; do
    out=$("$build/bench_bird" "$n" 1000 "$dir/a.cfg") && "$build/bench_bird" "$((n + 1))" 1000 "$dir/b.cfg" >/dev/null || break
    sed -i "s#/var/log/calico/bird.log#$dir/bird.log#" "$dir/a.cfg" "$dir/b.cfg"
    render=$(jnum "$out" render_ms) rmin=$(jnum "$out" render_min_ms) bytes=$(jnum "$out" bytes)
    t0=$(date +%s%N); for i in 1 2 3 4 5; do bird -p -c "$dir/a.cfg" || break; done; t1=$(date +%s%N)
    parse=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f", d / 5e6 }')
    cp "$dir/a.cfg" "$dir/bird.cfg"
    ip netns exec "$ns" bird -c "$dir/bird.cfg" -s "$dir/bird.ctl" -P "$dir/bird.pid" || break
    for i in $(seq 1 100); do [ -S "$dir/bird.ctl" ] && break; sleep 0.05; done
    pid=$(cat "$dir/bird.pid")
    # 10 reloads alternating between N and N+1 peers; birdc returns once BIRD answered
    t0=$(date +%s%N)
    for i in 1 2 3 4 5 6 7 8 9 10; do
      if [ $((i % 2)) -eq 1 ]; then cp "$dir/b.cfg" "$dir/bird.cfg"; else cp "$dir/a.cfg" "$dir/bird.cfg"; fi
      birdc -s "$dir/bird.ctl" configure | grep -q Reconfigur || echo "# bird: reload $i of $n hosts failed" >&2
    done
    t1=$(date +%s%N)
    reload=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f", d / 10e6 }')
    kill "$pid"; for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rc=0
    record bird "{\"hosts\":$n,\"endpoints\":1000,\"bytes\":$bytes,\"render_ms\":$render,\"render_min_ms\":$rmin,\"bird_parse_ms\":$parse,\"bird_reload_ms\":$reload,\"ratio_reload_render\":$(awk -v a="$reload" -v b="$render" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')}"
  done
  ip netns del "$ns"
  return $rc
}

table_bird() {
  local line
  printf '%-8s %9s %12s %14s %15s %14s\n' hosts bytes render_ms bird_-p_ms reload_ms reload/render
  while IFS= read -r line; do
    printf '%-8s %9s %12s %14s %15s %14s\n' "$(jnum "$line" hosts)" "$(jnum "$line" bytes)" "$(jnum "$line" render_ms)" \
      "$(jnum "$line" bird_parse_ms)" "$(jnum "$line" bird_reload_ms)" "$(jnum "$line" ratio_reload_render)x"
  done < <(entries_of bird)
  echo "(bird -p and reload times include starting a bird/birdc process; reload = configure of a config with one peer more or less)"
}

SECTIONS+=(bird)
