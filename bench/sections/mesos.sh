# ---- mesos: calico_mesos allocate + isolate until traffic passes, against the
# reference CNI bridge + host-local ADD in the same run (needs root) ----
section_mesos() {
	local line
	[ -x "$build/calico_mesos" ] && [ -x "$build/bench_mesos" ] && [ -x "$build/calico-node" ] ||
		{ echo "# mesos: calico_mesos, bench_mesos or calico-node is not built" >&2; return 1; }
	[ "$(id -u)" -eq 0 ] || { echo "# mesos: needs root (network namespaces)" >&2; return 1; }
	[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && command -v etcd >/dev/null ||
		{ echo "# mesos: needs containernetworking-plugins and etcd" >&2; return 1; }
	"$here/bench_mesos.sh" "$build" "${BENCH_MESOS_N:-200}" 8 >"$TMP/mesos.out"
	local rc=$?
	while IFS= read -r line; do record mesos "$line"; done <"$TMP/mesos.out"
	return $rc
}

table_mesos() {
	local line v ref_seq="" ref_par=""
	printf '%-24s %-10s %9s %9s %9s %9s %9s %9s %5s\n' variant backend "seq med" "seq p99" "x8 med" "x8 p99" \
		"seq call" "x8 call" fails
	while IFS= read -r line; do
		v=$(sed -nE 's/.*"variant":"([^"]*)".*/\1/p' <<<"$line")
		printf '%-24s %-10s %9s %9s %9s %9s %9s %9s %5s\n' "$v" \
			"$(sed -nE 's/.*"backend":"([^"]*)".*/\1/p' <<<"$line")" \
			"$(jnum "$line" seq_median_ms)" "$(jnum "$line" seq_p99_ms)" "$(jnum "$line" par_median_ms)" \
			"$(jnum "$line" par_p99_ms)" "$(jnum "$line" seq_call_median_ms)" "$(jnum "$line" par_call_median_ms)" \
			"$(jnum "$line" failures)"
		case $v in cni*) ref_seq=$(jnum "$line" seq_median_ms); ref_par=$(jnum "$line" par_median_ms) ;; esac
	done < <(entries_of mesos)
	echo "(ms from the request to traffic passing; call = inside the plugin processes; $(entries_of mesos | head -n 1 | sed -nE 's/.*"n":([0-9]+).*/\1/p') rounds each)"
	[ -n "$ref_seq" ] || return 0
	while IFS= read -r line; do
		case $line in *'"variant":"calico_mesos"'*) ;; *) continue ;; esac
		awk -v b="$(sed -nE 's/.*"backend":"([^"]*)".*/\1/p' <<<"$line")" -v s="$(jnum "$line" seq_median_ms)" \
			-v p="$(jnum "$line" par_median_ms)" -v rs="$ref_seq" -v rp="$ref_par" \
			'BEGIN { printf "calico_mesos on %s / CNI bridge: median %.2fx sequential, %.2fx 8 at a time (goal <= 0.5)\n", b, s / rs, p / rp }'
	done < <(entries_of mesos)
}

SECTIONS+=(mesos)
