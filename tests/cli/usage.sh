# calicoctl's top level: an unknown command gets one line and a hint, a known
# command used wrongly gets its own usage, --help the whole of it.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"

HINT="See 'calicoctl --help'."

# unknown NAME SHOWN ARG...: exit 1, stdout empty, stderr exactly the one line
# naming SHOWN
unknown() {
	local name=$1 want="Unknown command: $2. $HINT"
	shift 2
	run "$CTL" "$@"
	if [ "$RC" -eq 1 ] && [ -z "$OUT" ] && [ "$ERR" = "$want" ]; then
		ok "$name"
	else
		fail "$name"
		printf '#   rc=%s\n#   stdout: %s\n#   stderr: %s\n#   want:   %s\n' "$RC" "$OUT" "$(head -c 400 <<<"$ERR")" "$want"
	fi
}

rev0=$(rev)
unknown "unknown command: one line and the hint, nothing else" frob frob
unknown "... with arguments after it" frob frob pool add 10.0.0.0/16
unknown "... an unknown option in the command's place" --frob --frob
unknown "... a known command's name in the wrong case" Pool Pool
unknown "... shell metacharacters printed as given" '$(reboot);|&' '$(reboot);|&'
long=$(printf 'y%.0s' $(seq 1 300))
unknown "... a 300-character name is cut at 256, the hint kept" "${long:0:256}" "$long"
expect_eq "unknown commands changed nothing" "$(rev)" "$rev0"

# a known command's usage error: its line, then its usage, and only its own
run "$CTL" pool frob
expect_eq "pool frob: exit 1, nothing on stdout" "$RC/$OUT" "1/"
expect_eq "... its first line names the arguments" "$(head -n 1 <<<"$ERR")" "Invalid arguments for calicoctl pool: pool frob"
expect_eq "... then pool's usage, whole" "$(tail -n +2 <<<"$ERR")" "calicoctl: Calico networking for Mesos, Docker and CNI.

Usage:
  calicoctl pool add <CIDRS>... [--ipip] [--vxlan] [--nat-outgoing]
  calicoctl pool remove <CIDRS>...
  calicoctl pool range add <START_IP> <END_IP> [--ipip] [--vxlan] [--nat-outgoing]
  calicoctl pool show [--ipv4 | --ipv6]"
expect_usage "profile with no subcommand: its usage" "$CTL" profile
run "$CTL" profile
case $ERR in
*"calicoctl profile add <PROFILE>"*) ok "... the profile usage" ;;
*) fail "... the profile usage: $ERR" ;;
esac
case $ERR in
*"calicoctl pool"* | *"calicoctl node"*) fail "... and no other command's: $ERR" ;;
*) ok "... and no other command's" ;;
esac
expect_usage "bgp peer with too few words: bgp's usage" "$CTL" bgp peer add 192.0.2.1

# no command at all is a usage error too: the whole usage
run "$CTL"
expect_eq "no command: exit 1, 'No command given.' first" "$RC/$(head -n 1 <<<"$ERR")" "1/No command given."
case $ERR in
*"calicoctl profile show"*"calicoctl pool add"*"calicoctl version"*"ETCD_ENDPOINTS"*) ok "... then every command's usage" ;;
*) fail "... then every command's usage: $ERR" ;;
esac
run "$CTL" --help
case $ERR in
*"calicoctl profile show"*"calicoctl version"*) expect_eq "--help: exit 0, the whole usage" "$RC" 0 ;;
*) fail "--help: exit 0, the whole usage: rc=$RC $ERR" ;;
esac

tap_done
