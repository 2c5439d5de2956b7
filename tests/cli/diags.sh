# calicoctl checksystem and diags: what they report, what they leave behind
# (nothing in the namespace they run in; one tar.gz in /tmp for diags).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"
export CALICO_LOG_DIR="$CLI_TMP/log" CALICO_RUN_DIR="$CLI_TMP/run" CALICO_STATE_DIR="$CLI_TMP/state"

expect_usage "checksystem: extra word" "$CTL" checksystem now
if [ "$(id -u)" -eq 0 ]; then
  links0=$(ip -o link | awk '{print $2}')
  run "$CTL" checksystem
  if [ "$RC" -eq 0 ]; then
    expect_eq "checksystem: all requirements met" "$(printf '%s\n' "$OUT" | tail -n 1)" "System meets all requirements"
  else
    expect_eq "checksystem: problems are reported one per line, exit 1" "$RC:$([ -n "$ERR" ] && echo lines)" "1:lines"
  fi
  expect_eq "checksystem: no interface left in this namespace" "$(ip -o link | awk '{print $2}')" "$links0"
  run nft list table inet calico_check
  expect_eq "checksystem: no nftables table left in this namespace" "$RC" "1"
else
  ok "# SKIP checksystem needs root"
fi

"$DSTOOL" put /calico/v1/Ready true
"$CTL" profile add diagprof >/dev/null
mkdir -p "$CALICO_LOG_DIR" && echo "agent log line" >"$CALICO_LOG_DIR/calico-node.log"
run "$CTL" diags
TGZ=$(printf '%s\n' "$OUT" | sed -n 's/^Diags saved to \(\/tmp\/[^ ]*\.tar\.gz\).*/\1/p')
check "diags: prints the path of a tar.gz in /tmp" [ "$RC" -eq 0 -a -f "$TGZ" ]
if [ -f "$TGZ" ]; then
  LIST=$(tar tzf "$TGZ")
  for f in ip-addr-4.txt ip-addr-6.txt ip-route-4.txt ip-route-6.txt ip-neigh-4.txt ip-neigh-6.txt ip-link.txt \
    nft-ruleset.txt datastore.txt calicoctl-status.txt calicoctl-pool-show.txt calicoctl-profile-show.txt \
    logs/calico-node.log; do
    case $LIST in *"diagnostics/$f"*) ok "diags: holds $f" ;; *) fail "diags: holds $f" ;; esac
  done
  expect_eq "diags: datastore dump has the keys" \
    "$(tar xzOf "$TGZ" diagnostics/datastore.txt | grep -c -e '^/calico/v1/Ready = true$' -e '^/calico/v1/policy/profile/diagprof/tags')" "2"
  expect_eq "diags: calicoctl views" "$(tar xzOf "$TGZ" diagnostics/calicoctl-profile-show.txt | grep -c diagprof)" "1"
  expect_eq "diags: the logs" "$(tar xzOf "$TGZ" diagnostics/logs/calico-node.log)" "agent log line"
  check "diags: the work directory is gone" [ ! -d "${TGZ%.tar.gz}" ]
  rm -f "$TGZ"
fi
run "$CTL" diags --log-dir="$CLI_TMP/nope"
case $ERR in *"Warning: no log directory $CLI_TMP/nope"*) ok "diags --log-dir: a missing directory is a warning" ;; *) fail "diags --log-dir ($ERR)" ;; esac
TGZ=$(printf '%s\n' "$OUT" | sed -n 's/^Diags saved to \(\/tmp\/[^ ]*\.tar\.gz\).*/\1/p')
[ -n "$TGZ" ] && rm -f "$TGZ"
expect_usage "diags: unknown option" "$CTL" diags --frob
tap_done
