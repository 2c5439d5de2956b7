# calicoctl profile: add/remove/show, tags, rules (add/remove/show/json/update),
# Calico's messages, and the bad-input catalogue (refused, datastore unchanged).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"

"$DSTOOL" put /calico/v1/Ready true

expect_ok "profile add" "Created profile web" "$CTL" profile add web
expect_refused "profile add twice" "Profile web already exists." "$CTL" profile add web
expect_ok "second profile" "Created profile db.v1_x-y" "$CTL" profile add db.v1_x-y
expect_ok "default tag is the name" "web" "$CTL" profile web tag show
expect_ok "default rules" "Inbound rules:
   1 allow from tag web
Outbound rules:
   1 allow" "$CTL" profile web rule show
expect_ok "profile show table" "+-----------+
|    Name   |
+-----------+
| db.v1_x-y |
| web       |
+-----------+" "$CTL" profile show

# Tags
expect_ok "tag add" "Tag frontend added to profile web" "$CTL" profile web tag add frontend
expect_ok "tag add again is harmless" "Tag frontend is already on profile web" "$CTL" profile web tag add frontend
expect_ok "tag show" "web
frontend" "$CTL" profile web tag show
expect_ok "tag remove" "Tag frontend removed from profile web" "$CTL" profile web tag remove frontend
expect_refused "tag remove absent" "Tag frontend is not on profile web" "$CTL" profile web tag remove frontend

# Rules: every example round-trips through rule add -> rule show.
examples=(
  "allow"
  "deny"
  "allow from tag web"
  "allow tcp to ports 80"
  "allow tcp to ports 80,443"
  "allow tcp from ports 1:1024 tag A cidr 10.0.0.0/8 to ports 80,443 tag B cidr 10.1.0.0/16"
  "allow udp to ports 53"
  "allow icmp"
  "allow icmp type 8"
  "allow icmp type 8 code 0"
  "deny icmpv6 type 128"
  "allow from cidr 192.168.0.0/16"
  "allow to cidr fd80::/64"
  "deny tcp from tag frontend to ports 6379"
  "allow tcp from tag management-ui to ports 9000"
  "allow udp from cidr 10.0.0.0/24 to ports 1000:2000,3000 cidr 10.2.0.0/16"
)
"$CTL" profile add rt >/dev/null
for dir in inbound outbound; do
  for r in "${examples[@]}"; do
    # shellcheck disable=SC2086
    "$CTL" profile rt rule remove $dir $r >/dev/null 2>&1
    # shellcheck disable=SC2086
    run "$CTL" profile rt rule add $dir $r
    [ "$RC" -eq 0 ] || fail "rule add $dir '$r' ($ERR)"
  done
done
run "$CTL" profile rt rule show
shown_in=$(printf '%s\n' "$OUT" | sed -n '/^Inbound rules:/,/^Outbound rules:/p' | grep -E '^ +[0-9]+ ' | sed -E 's/^ +[0-9]+ //')
for r in "${examples[@]}"; do
  if printf '%s\n' "$shown_in" | grep -qxF -- "$r"; then ok "round-trip inbound: $r"; else fail "round-trip inbound: $r"; fi
done
shown_out=$(printf '%s\n' "$OUT" | sed -n '/^Outbound rules:/,$p' | grep -E '^ +[0-9]+ ' | sed -E 's/^ +[0-9]+ //')
expect_eq "outbound holds every example once, in order" "$shown_out" "$(printf '%s\n' "${examples[@]}")"

# --at positions and removal
"$CTL" profile add pos >/dev/null
expect_ok "rule add --at=1" "" "$CTL" profile pos rule add inbound --at=1 deny tcp to ports 22
expect_ok "rule add --at=-1 appends" "" "$CTL" profile pos rule add inbound --at=-1 deny udp
expect_ok "rule add --at 2 (separate value)" "" "$CTL" profile pos rule add inbound --at 2 allow icmp
expect_ok "positions" "Inbound rules:
   1 deny tcp to ports 22
   2 allow icmp
   3 allow from tag pos
   4 deny udp
Outbound rules:
   1 allow" "$CTL" profile pos rule show
expect_ok "duplicate rule skipped" "Rule already present, skipping." "$CTL" profile pos rule add inbound allow icmp
expect_ok "remove by match" "" "$CTL" profile pos rule remove inbound deny udp
expect_ok "remove by position" "" "$CTL" profile pos rule remove inbound --at=1
expect_ok "after removals" "Inbound rules:
   1 allow icmp
   2 allow from tag pos
Outbound rules:
   1 allow" "$CTL" profile pos rule show
expect_refused "remove out of range" "Rule position out-of-range." "$CTL" profile pos rule remove inbound --at=9
expect_refused "add out of range" "Rule position out-of-range." "$CTL" profile pos rule add inbound --at=9 allow
expect_refused "remove missing rule" "Rule not found." "$CTL" profile pos rule remove outbound deny
expect_refused "bad position" 'Invalid position "x": give a non-zero whole number' "$CTL" profile pos rule add inbound --at=x allow
expect_refused "position 0" 'Invalid position "0": give a non-zero whole number' "$CTL" profile pos rule remove inbound --at=0

# rule json shows DESIGN §2's keys; rule update reads it back
run "$CTL" profile pos rule json
expect_eq "rule json" "$OUT" '{
  "id": "pos",
  "inbound_rules": [
    {
      "action": "allow",
      "protocol": "icmp"
    },
    {
      "action": "allow",
      "src_tag": "pos"
    }
  ],
  "outbound_rules": [
    {
      "action": "allow"
    }
  ]
}'
json_before=$OUT
new='{"id":"pos","inbound_rules":[{"action":"deny","protocol":"tcp","dst_ports":[22,"8000:8080"]}],"outbound_rules":[]}'
run "$CTL" profile pos rule update <<<"$new"
expect_eq "rule update accepted" "$RC" 0
expect_ok "rule update applied" "Inbound rules:
   1 deny tcp to ports 22,8000:8080
Outbound rules:" "$CTL" profile pos rule show
run "$CTL" profile pos rule update <<<"$json_before"
expect_eq "rule json output feeds rule update" "$RC" 0

# Bad input: one clear line, exit 1, nothing written.
run "$CTL" profile pos rule update <<<'{"id":"pos","inbound_rules":['
case "$ERR" in "Invalid rules JSON: "*) ok "truncated JSON names the problem";; *) fail "truncated JSON message: $ERR";; esac
for bad in \
  '{"id":"pos","inbound_rules":[{"action":"allow","bogus":1}],"outbound_rules":[]}' \
  '{"id":"pos","inbound_rules":[{"action":"allow","protocol":"tcp","dst_ports":[70000]}],"outbound_rules":[]}' \
  '{"id":"pos","inbound_rules":[{"action":"allow","protocol":"tcp","dst_ports":["80:70"]}],"outbound_rules":[]}' \
  '{"id":"pos","inbound_rules":[{"action":"allow","protocol":"icmp","icmp_type":255}],"outbound_rules":[]}' \
  '{"id":"pos","inbound_rules":[{"action":"allow","protocol":"icmp","dst_ports":[80]}],"outbound_rules":[]}' \
  '{"id":"pos","inbound_rules":[{"action":"allow","src_net":"10.0.0.0/33"}],"outbound_rules":[]}' \
  '{"id":"pos","inbound_rules":[{"action":"maybe"}],"outbound_rules":[]}' \
  '{"id":"pos","inbound_rules":{"action":"allow"},"outbound_rules":[]}' \
  '{"id":"other","inbound_rules":[],"outbound_rules":[]}' \
  '[]' '' 'null' '{"id":"pos","inbound_rules":[{"action":"allow","protocol":"tcp","src_tag":"bad tag!"}],"outbound_rules":[]}'; do
  before=$(rev)
  run "$CTL" profile pos rule update <<<"$bad"
  lines=$(printf '%s\n' "$ERR" | wc -l)
  if [ "$RC" -eq 1 ] && [ "$lines" -eq 1 ] && [ "$(rev)" = "$before" ] && case "$ERR" in "Invalid rules JSON: "*) true;; *) false;; esac; then
    ok "update refused: $bad -> $ERR"
  else
    fail "update refused: $bad (rc=$RC, stderr=$ERR)"
  fi
done

long=$(printf 'a%.0s' $(seq 41))
expect_refused "name over 40 characters" "Invalid profile name \"$long\": names are 1-40 characters of letters, digits, '.', '_' and '-'." "$CTL" profile add "$long"
expect_ok "name of exactly 40 characters" "Created profile ${long:1}" "$CTL" profile add "${long:1}"
expect_refused "name with a slash" "Invalid profile name \"a/b\": names are 1-40 characters of letters, digits, '.', '_' and '-'." "$CTL" profile add a/b
expect_refused "name with a space" "Invalid profile name \"a b\": names are 1-40 characters of letters, digits, '.', '_' and '-'." "$CTL" profile add "a b"
expect_refused "empty name" "Invalid profile name \"\": names are 1-40 characters of letters, digits, '.', '_' and '-'." "$CTL" profile add ""
expect_refused "bad tag" "Invalid tag \"x!\": tags are 1-40 characters of letters, digits, '.', '_' and '-'." "$CTL" profile web tag add 'x!'
expect_refused "rule on missing profile" "Profile nosuch not found." "$CTL" profile nosuch rule add inbound allow
expect_refused "tag on missing profile" "Profile nosuch not found." "$CTL" profile nosuch tag add x
expect_refused "remove missing profile" "Profile nosuch not found." "$CTL" profile remove nosuch
for words in "allow tcp to ports 70000" "allow tcp to ports 80:70" "allow icmp type 255" "allow icmp to ports 80" \
             "allow from cidr 10.0.0.0/33" "allow from cidr 10.0.0.1/8" "allow tcp form tag a" "allow tcp to tag" \
             "allow udp from ports" "allow icmp type 8 code 256" "permit" "allow tcp to ports 80 to ports 81" "allow tag x"; do
  before=$(rev)
  # shellcheck disable=SC2086
  run "$CTL" profile web rule add inbound $words
  lines=$(printf '%s\n' "$ERR" | wc -l)
  if [ "$RC" -eq 1 ] && [ "$(rev)" = "$before" ] && case "$ERR" in "Invalid rule: "*) [ "$lines" -eq 1 ];; Usage:*) true;; *) false;; esac; then
    ok "rule refused: $words -> $(printf '%s' "$ERR" | head -n1)"
  else
    fail "rule refused: $words (rc=$RC, stderr=$ERR)"
  fi
done
expect_usage "profile with no words" "$CTL" profile
expect_usage "unknown option" "$CTL" profile show --bogus
expect_usage "rule add without direction" "$CTL" profile web rule add allow
expect_usage "rule remove with both --at and a rule" "$CTL" profile web rule remove inbound --at=1 allow
expect_usage "option in the wrong form" "$CTL" profile add x --detailed
expect_refused "unknown command: one line and a hint" "Unknown command: frobnicate. See 'calicoctl --help'." "$CTL" frobnicate

# Removal refuses while endpoints use the profile, unless --no-check (fresh datastore, so the table is exact).
export CALICO_DATASTORE="sqlite:$CLI_TMP/second.db"
"$CTL" profile add web >/dev/null
"$CTL" profile add db.v1_x-y >/dev/null
"$DSTOOL" put /calico/v1/host/h1/workload/docker/w1/endpoint/e1 \
  '{"state":"active","name":"cali0123456789a","mac":"ee:ee:ee:ee:ee:ee","profile_ids":["web"],"ipv4_nets":["10.0.0.1/32"],"ipv6_nets":[],"labels":{}}'
expect_refused "remove in-use profile" "Profile web is in use by 1 endpoint(s); not removing it (use --no-check to remove it anyway)." "$CTL" profile remove web
expect_ok "show --detailed" "+-----------+------+-----------------+-------------+-------------+--------+
|    Name   | Host | Orchestrator ID | Workload ID | Endpoint ID | State  |
+-----------+------+-----------------+-------------+-------------+--------+
| db.v1_x-y |      |                 |             |             |        |
| web       | h1   | docker          | w1          | e1          | active |
+-----------+------+-----------------+-------------+-------------+--------+" "$CTL" profile show --detailed
expect_ok "remove with --no-check" "Deleted profile web" "$CTL" profile remove web --no-check
expect_refused "removed profile is gone" "Profile web not found." "$CTL" profile web rule show
expect_eq "no keys left of the removed profile" "$("$DSTOOL" count /calico/v1/policy/profile/web/)" 0

tap_done
