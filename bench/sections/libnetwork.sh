# ---- libnetwork: docker run / rm against a real dockerd, on a calico-libnetwork
# network, on Docker's own bridge network and with --net none, in one run
# (bench_libnetwork.sh; needs root and docker.io) ----
section_libnetwork() {
	local line
	[ -x "$build/calico-libnetwork" ] && [ -x "$build/calicoctl" ] ||
		{ echo "# libnetwork: calico-libnetwork or calicoctl is not built" >&2; return 1; }
	[ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/dockerd ] && command -v busybox >/dev/null ||
		{ echo "# libnetwork: needs root, docker.io and busybox" >&2; return 1; }
	"$here/bench_libnetwork.sh" "$build" "${BENCH_LIBNETWORK_N:-30}" >"$TMP/libnetwork.out"
	local rc=$?
	while IFS= read -r line; do record libnetwork "$line"; done <"$TMP/libnetwork.out"
	return $rc
}

table_libnetwork() {
	local line v ref=""
	printf '%-8s %10s %10s %10s %10s %6s\n' network "run med" "run p90" "rm med" "rm p90" fails
	while IFS= read -r line; do
		v=$(sed -nE 's/.*"variant":"([^"]*)".*/\1/p' <<<"$line")
		printf '%-8s %10s %10s %10s %10s %6s\n' "$v" "$(jnum "$line" run_median_ms)" "$(jnum "$line" run_p90_ms)" \
			"$(jnum "$line" rm_median_ms)" "$(jnum "$line" rm_p90_ms)" "$(jnum "$line" failures)"
		[ "$v" = bridge ] && ref=$line
	done < <(entries_of libnetwork)
	echo "(ms of docker run -d / docker rm -f, interleaved rounds)"
	line=$(entries_of libnetwork | grep '"variant":"calico"')
	[ -n "$ref" ] && [ -n "$line" ] &&
		awk -v c="$(jnum "$line" run_median_ms)" -v b="$(jnum "$ref" run_median_ms)" \
			-v cr="$(jnum "$line" rm_median_ms)" -v br="$(jnum "$ref" rm_median_ms)" \
			'BEGIN { if (b > 0 && br > 0) printf "calico / bridge: docker run %.2fx, docker rm %.2fx\n", c / b, cr / br }'
}

SECTIONS+=(libnetwork)
