# calicoctl pool: add/remove/show/range add, and refusals that leave the datastore unchanged.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"

"$DSTOOL" put /calico/v1/Ready true

expect_ok "pool add" "" "$CTL" pool add 10.20.0.0/16
expect_ok "pool add several, with flags" "" "$CTL" pool add 10.30.0.0/24 10.31.0.0/26 --nat-outgoing
expect_ok "pool add v6 with vxlan" "" "$CTL" pool add fd00:1::/64 --vxlan
expect_ok "pool show" "+--------------+--------------+
|  IPv4 CIDR   |   Options    |
+--------------+--------------+
| 10.20.0.0/16 |              |
| 10.30.0.0/24 | nat-outgoing |
| 10.31.0.0/26 | nat-outgoing |
+--------------+--------------+
+-------------+---------+
|  IPv6 CIDR  | Options |
+-------------+---------+
| fd00:1::/64 | vxlan   |
+-------------+---------+" "$CTL" pool show
expect_ok "pool show --ipv6" "+-------------+---------+
|  IPv6 CIDR  | Options |
+-------------+---------+
| fd00:1::/64 | vxlan   |
+-------------+---------+" "$CTL" pool show --ipv6
expect_ok "re-adding a pool updates its options" "" "$CTL" pool add 10.20.0.0/16 --nat-outgoing
run "$CTL" pool show --ipv4
case "$OUT" in *"| 10.20.0.0/16 | nat-outgoing |"*) ok "options updated";; *) fail "options updated: $OUT";; esac
expect_eq "stored JSON" "$("$DSTOOL" get /calico/v1/ipam/v4/pool/10.20.0.0-16)" '{"cidr":"10.20.0.0/16","masquerade":true}'
expect_eq "stored vxlan JSON" "$("$DSTOOL" get /calico/v1/ipam/v6/pool/fd00:1::-64)" '{"cidr":"fd00:1::/64","masquerade":false,"vxlan":true}'

expect_refused "too small" "Pool 10.40.0.0/27 is too small: the longest prefix allowed is /26 for IPv4 and /122 for IPv6 (one IPAM block)." "$CTL" pool add 10.40.0.0/27
expect_refused "too small v6" "Pool fd00:2::/123 is too small: the longest prefix allowed is /26 for IPv4 and /122 for IPv6 (one IPAM block)." "$CTL" pool add fd00:2::/123
expect_refused "host bits" "10.40.0.1/24 is not a valid IP prefix: host bits are set (did you mean 10.40.0.0/24?)" "$CTL" pool add 10.40.0.1/24
expect_refused "not a CIDR" "10.40.0.0/33 is not a valid IP prefix." "$CTL" pool add 10.40.0.0/33
expect_refused "junk" "banana is not a valid IP prefix." "$CTL" pool add banana
expect_refused "all or nothing" "banana is not a valid IP prefix." "$CTL" pool add 10.50.0.0/16 banana
expect_refused "overlap with existing" "Cannot add pool 10.20.5.0/24: it overlaps the existing pool 10.20.0.0/16." "$CTL" pool add 10.60.0.0/16 10.20.5.0/24
expect_eq "nothing of the refused batch was written" "$("$DSTOOL" count /calico/v1/ipam/v4/pool/10.60)" 0
expect_refused "overlap among arguments" "Pools 10.70.0.0/16 and 10.70.1.0/24 overlap." "$CTL" pool add 10.70.0.0/16 10.70.1.0/24
expect_refused "loopback" "Pool 127.0.0.0/16 overlaps the reserved range 127.0.0.0/8." "$CTL" pool add 127.0.0.0/16
expect_refused "link-local" "Pool 169.254.0.0/24 overlaps the reserved range 169.254.0.0/16." "$CTL" pool add 169.254.0.0/24
expect_refused "ipip and vxlan" "Choose one of --ipip and --vxlan, not both." "$CTL" pool add 10.80.0.0/16 --ipip --vxlan
expect_refused "ipip on v6" "IP-in-IP is only supported on IPv4 pools." "$CTL" pool add fd00:3::/64 --ipip
if [ -e /sys/module/ipip ] || grep -q tunl0 /proc/net/dev; then
  expect_ok "ipip where the kernel has it" "" "$CTL" pool add 10.80.0.0/16 --ipip
else
  expect_refused "ipip without the kernel module" "Cannot enable IP-in-IP: this kernel has no ipip module (not built in, and none can be loaded); use --vxlan instead." "$CTL" pool add 10.80.0.0/16 --ipip
fi
expect_usage "pool add without CIDR" "$CTL" pool add
expect_usage "unknown option" "$CTL" pool add 10.90.0.0/16 --nat
expect_usage "show with both families" "$CTL" pool show --ipv4 --ipv6
expect_usage "remove with a flag" "$CTL" pool remove 10.20.0.0/16 --ipip

# IPv6: one block (/122) is the smallest pool; reserved ranges; one line per refusal
expect_ok "v6 pool of one /122 block" "" "$CTL" pool add fd00:5::/122
expect_ok "v6 and v4 pools in one add" "" "$CTL" pool add fd00:5::40/122 10.110.0.0/24 --nat-outgoing
run "$CTL" pool show --ipv6
case "$OUT" in *"| fd00:5::/122   |              |"*"| fd00:5::40/122 | nat-outgoing |"*) ok "pool show --ipv6 lists the /122s";;
  *) fail "pool show --ipv6 lists the /122s: $OUT";; esac
case "$OUT" in *10.110*) fail "pool show --ipv6 shows no IPv4 pool";; *) ok "pool show --ipv6 shows no IPv4 pool";; esac
run "$CTL" pool show --ipv4
case "$OUT" in *fd00*) fail "pool show --ipv4 shows no IPv6 pool";; *"| 10.110.0.0/24 "*) ok "pool show --ipv4 shows no IPv6 pool";;
  *) fail "pool show --ipv4: $OUT";; esac
expect_refused "v6 overlap with two existing pools: one line" \
  "Cannot add pool fd00:5::/120: it overlaps the existing pool fd00:5::/122." "$CTL" pool add fd00:5::/120
expect_eq "... and only one" "$(printf '%s\n' "$ERR" | wc -l)" 1
expect_refused "v6 host bits" "fd00:5::1/64 is not a valid IP prefix: host bits are set (did you mean fd00:5::/64?)" \
  "$CTL" pool add fd00:5::1/64
expect_refused "v6 link-local" "Pool fe80::/64 overlaps the reserved range fe80::/10." "$CTL" pool add fe80::/64
expect_refused "v6 multicast" "Pool ff02::/16 overlaps the reserved range ff00::/8." "$CTL" pool add ff02::/16
expect_refused "v4-mapped v6" "Pool ::ffff:10.0.0.0/120 overlaps the reserved range ::ffff:0:0/96." \
  "$CTL" pool add ::ffff:10.0.0.0/120
expect_refused "v6 all or nothing" "Pool fe80::/64 overlaps the reserved range fe80::/10." \
  "$CTL" pool add fd00:9::/64 fe80::/64
expect_ok "v6 range add" "" "$CTL" pool range add fd00:7:: fd00:7::ff
run "$CTL" pool show --ipv6
case "$OUT" in *"| fd00:7::/120 "*) ok "v6 range became one /120";; *) fail "v6 range add result: $OUT";; esac
expect_refused "v6 range not on block boundaries" \
  "Cannot create range fd00:8::1-fd00:8::ff: pools are made of whole blocks of 64 addresses, so the range must start on a multiple of 64 and end just before one." \
  "$CTL" pool range add fd00:8::1 fd00:8::ff
expect_ok "v6 pool remove" "" "$CTL" pool remove fd00:5::/122 fd00:5::40/122 fd00:7::/120
expect_eq "... gone from the datastore" "$("$DSTOOL" count /calico/v1/ipam/v6/pool/fd00:5)$("$DSTOOL" count /calico/v1/ipam/v6/pool/fd00:7)" 00
expect_refused "v6 remove unknown" "fd00:5::/122 is not a configured pool." "$CTL" pool remove fd00:5::/122

expect_ok "range add" "" "$CTL" pool range add 10.100.0.0 10.100.1.255
run "$CTL" pool show --ipv4
case "$OUT" in *"| 10.100.0.0/23 |"*) ok "range became one /23";; *) fail "range add result: $OUT";; esac
expect_ok "range add splitting" "" "$CTL" pool range add 10.101.0.64 10.101.0.255
run "$CTL" pool show --ipv4
case "$OUT" in *"| 10.101.0.64/26 "*"| 10.101.0.128/25 "*) ok "range split into /26 and /25";; *) fail "range split: $OUT";; esac
expect_refused "range not on block boundaries" "Cannot create range 10.102.0.1-10.102.0.200: pools are made of whole blocks of 64 addresses, so the range must start on a multiple of 64 and end just before one." "$CTL" pool range add 10.102.0.1 10.102.0.200
expect_refused "range reversed" "Cannot create range: 10.103.1.0 must not come after 10.103.0.0." "$CTL" pool range add 10.103.1.0 10.103.0.0
expect_refused "range mixed families" "Cannot mix IPv4 and IPv6 in a range." "$CTL" pool range add 10.103.0.0 fd00::1
expect_refused "range bad address" "10.103.0.x is not a valid IP address." "$CTL" pool range add 10.103.0.x 10.103.0.255

expect_ok "pool remove" "" "$CTL" pool remove 10.30.0.0/24 10.31.0.0/26
expect_refused "remove unknown" "10.30.0.0/24 is not a configured pool." "$CTL" pool remove 10.20.0.0/16 10.30.0.0/24
expect_eq "remove is all or nothing" "$("$DSTOOL" count /calico/v1/ipam/v4/pool/10.20.0.0-16)" 1
expect_refused "remove junk" "nope is not a valid IP prefix." "$CTL" pool remove nope

tap_done
