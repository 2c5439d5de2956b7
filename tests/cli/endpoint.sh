# calicoctl endpoint (show, profile) on records written straight into the
# datastore, and the bad-input catalogue of calicoctl container that needs no
# namespace: every refusal is one line, exit 1, datastore unchanged.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"

"$DSTOOL" put /calico/v1/Ready true
ep() { # HOST ORCH WORKLOAD ID NETS PROFILES
  "$DSTOOL" put "/calico/v1/host/$1/workload/$2/$3/endpoint/$4" \
    "{\"state\":\"active\",\"name\":\"cali${4:0:11}\",\"mac\":\"ee:ee:ee:ee:ee:ee\",\"profile_ids\":[$6],\"ipv4_nets\":[$5],\"ipv6_nets\":[],\"labels\":{}}"
}
ep h1 mesos task1 aaaa1111 '"10.0.0.1/32"' '"web"'
ep h1 mesos task1 aaaa2222 '"10.0.0.2/32"' ''
ep h1 mesos task2 bbbb1111 '"10.0.0.3/32"' ''
ep h2 cni c1 cccc1111 '"10.0.1.1/32"' '"web","db"'
"$DSTOOL" put /calico/v1/host/h2/workload/cni/c2/endpoint/dddd1111 \
  '{"state":"active","name":"calidddd1111","mac":"ee:ee:ee:ee:ee:ee","profile_ids":[],"ipv4_nets":["10.0.1.2/32"],"ipv6_nets":[],"labels":{"tier":"db","app":"pg"}}'
"$CTL" profile add web >/dev/null
"$CTL" profile add db >/dev/null

expect_ok "endpoint show: summary per host and orchestrator" "+----------+-----------------+--------------+--------------+
| Hostname | Orchestrator ID | NumWorkloads | NumEndpoints |
+----------+-----------------+--------------+--------------+
| h1       | mesos           | 2            | 3            |
| h2       | cni             | 2            | 2            |
+----------+-----------------+--------------+--------------+" "$CTL" endpoint show
expect_ok "endpoint show --host filters" "+----------+-----------------+--------------+--------------+
| Hostname | Orchestrator ID | NumWorkloads | NumEndpoints |
+----------+-----------------+--------------+--------------+
| h2       | cni             | 2            | 2            |
+----------+-----------------+--------------+--------------+" "$CTL" endpoint show --host=h2
expect_ok "endpoint show --detailed --workload" "+----------+-----------------+-------------+-------------+-------------+-------------------+----------+--------+--------+
| Hostname | Orchestrator ID | Workload ID | Endpoint ID |  Addresses  |        MAC        | Profiles | State  | Labels |
+----------+-----------------+-------------+-------------+-------------+-------------------+----------+--------+--------+
| h1       | mesos           | task1       | aaaa1111    | 10.0.0.1/32 | ee:ee:ee:ee:ee:ee | web      | active |        |
| h1       | mesos           | task1       | aaaa2222    | 10.0.0.2/32 | ee:ee:ee:ee:ee:ee |          | active |        |
+----------+-----------------+-------------+-------------+-------------+-------------------+----------+--------+--------+" \
  "$CTL" endpoint show --detailed --workload=task1
run "$CTL" endpoint show --detailed --orchestrator=cni --endpoint=cccc1111
case $OUT in *"| h2       | cni             | c1          | cccc1111    | 10.0.1.1/32 |"*"web,db"*) ok "filters combine; profiles joined" ;; *) fail "filters combine ($OUT)" ;; esac
run "$CTL" endpoint show --detailed --workload=c2
case $OUT in *"| active | app=pg,tier=db |"*) ok "labels shown, sorted by key" ;; *) fail "labels shown ($OUT)" ;; esac
"$DSTOOL" put /calico/v1/host/h4/workload/cni/c6/endpoint/eeee6666 \
  '{"state":"active","name":"calieeee6666","mac":"ee:ee:ee:ee:ee:ee","profile_ids":[],"ipv4_nets":["10.0.4.1/32"],"ipv6_nets":["fd00:4::1/128","fd00:4::2/128"],"labels":{}}'
"$DSTOOL" put /calico/v1/host/h4/workload/cni/c7/endpoint/eeee7777 \
  '{"state":"active","name":"calieeee7777","mac":"ee:ee:ee:ee:ee:ee","profile_ids":[],"ipv4_nets":[],"ipv6_nets":["fd00:4::7/128"],"labels":{}}'
expect_ok "endpoint show --detailed: IPv4 then IPv6 addresses; an IPv6-only endpoint" "+----------+-----------------+-------------+-------------+-----------------------------------------+-------------------+----------+--------+--------+
| Hostname | Orchestrator ID | Workload ID | Endpoint ID |                Addresses                |        MAC        | Profiles | State  | Labels |
+----------+-----------------+-------------+-------------+-----------------------------------------+-------------------+----------+--------+--------+
| h4       | cni             | c6          | eeee6666    | 10.0.4.1/32,fd00:4::1/128,fd00:4::2/128 | ee:ee:ee:ee:ee:ee |          | active |        |
| h4       | cni             | c7          | eeee7777    | fd00:4::7/128                           | ee:ee:ee:ee:ee:ee |          | active |        |
+----------+-----------------+-------------+-------------+-----------------------------------------+-------------------+----------+--------+--------+" \
  "$CTL" endpoint show --detailed --host=h4
expect_ok "endpoint show: the dual-stack host counted" "+----------+-----------------+--------------+--------------+
| Hostname | Orchestrator ID | NumWorkloads | NumEndpoints |
+----------+-----------------+--------------+--------------+
| h4       | cni             | 2            | 2            |
+----------+-----------------+--------------+--------------+" "$CTL" endpoint show --host=h4
"$DSTOOL" del /calico/v1/host/h4/workload/cni/c6/endpoint/eeee6666
"$DSTOOL" del /calico/v1/host/h4/workload/cni/c7/endpoint/eeee7777
run "$CTL" endpoint show --host=nobody --detailed
expect_eq "no match: an empty table" "$(printf '%s\n' "$OUT" | wc -l)" "4"

# endpoint <ID> profile
expect_ok "profile show" "+------+
| Name |
+------+
| web  |
+------+" "$CTL" endpoint aaaa1111 profile show
expect_ok "profile append" "Profile(s) db appended." "$CTL" endpoint aaaa1111 profile append db
expect_refused "profile append twice" "Profile db is already in endpoint profile list." \
  "$CTL" endpoint aaaa1111 profile append db
expect_refused "profile append missing profile" "Profile nope not found." "$CTL" endpoint aaaa1111 profile append nope
expect_refused "profile append bad name" \
  "Invalid profile name \"a/b\": names are 1-40 characters of letters, digits, '.', '_' and '-'." \
  "$CTL" endpoint aaaa1111 profile append a/b
expect_ok "profile remove" "Profile(s) web removed." "$CTL" endpoint aaaa1111 profile remove web
expect_refused "profile remove absent" "Profile web is not in endpoint profile list." \
  "$CTL" endpoint aaaa1111 profile remove web
expect_ok "profile set" "Profile(s) web, db set." "$CTL" endpoint aaaa2222 profile set web db
expect_eq "set is stored in order" "$("$DSTOOL" get /calico/v1/host/h1/workload/mesos/task1/endpoint/aaaa2222 | grep -o '"profile_ids":\[[^]]*\]')" \
  '"profile_ids":["web","db"]'
expect_ok "profile set with none clears" "Profiles cleared." "$CTL" endpoint aaaa2222 profile set
expect_refused "unknown endpoint" "Endpoint nope not found." "$CTL" endpoint nope profile show
ep h3 cni c9 aaaa1111 '"10.0.3.1/32"' ''
expect_refused "an id on two hosts is ambiguous" "Multiple endpoints found with ID aaaa1111; they are on several hosts." \
  "$CTL" endpoint aaaa1111 profile show
expect_usage "endpoint: no words" "$CTL" endpoint
expect_usage "endpoint profile: bad verb" "$CTL" endpoint aaaa1111 profile frob
expect_usage "endpoint show: unknown option" "$CTL" endpoint show --frob
expect_usage "endpoint profile: --detailed does not fit" "$CTL" endpoint aaaa1111 profile show --detailed

# calicoctl container: refused before anything is touched
"$CTL" pool add 10.65.0.0/16 >/dev/null
NS=/var/run/netns/calico-no-such-ns-$$
expect_usage "container: no words" "$CTL" container
expect_usage "container add: missing address" "$CTL" container add x
expect_usage "container add: unknown option" "$CTL" container add x ipv4 --frob
expect_refused "container add: missing namespace" \
  "Container $NS not found: no network namespace at $NS." "$CTL" container add "$NS" ipv4
expect_refused "container add: bare name resolves under /var/run/netns" \
  "Container calico-no-such-$$ not found: no network namespace at /var/run/netns/calico-no-such-$$." \
  "$CTL" container add "calico-no-such-$$" ipv4
expect_refused "container add: a path that is no namespace" \
  "Invalid container \"/tmp/x\": give a network namespace as /var/run/netns/NAME, /proc/PID/ns/net or NAME." \
  "$CTL" container add /tmp/x ipv4
expect_refused "container add: a name with odd characters" \
  "Invalid container \"a b\": give a network namespace as /var/run/netns/NAME, /proc/PID/ns/net or NAME." \
  "$CTL" container add "a b" ipv4
expect_refused "container add: bad IP" \
  "10.0.0.300 is not a valid IP address (give an address, a pool CIDR, ipv4 or ipv6)." \
  "$CTL" container add "$NS" 10.0.0.300
expect_refused "container add: bad CIDR" "10.0.0.0/33 is not a valid IP address or CIDR." \
  "$CTL" container add "$NS" 10.0.0.0/33
expect_refused "container add: bad IPv6 address" \
  "fd00::zz is not a valid IP address (give an address, a pool CIDR, ipv4 or ipv6)." \
  "$CTL" container add "$NS" fd00::zz
expect_refused "container add: bad IPv6 CIDR" "fd00::/129 is not a valid IP address or CIDR." \
  "$CTL" container add "$NS" fd00::/129
expect_refused "container add: not a family" \
  "ipv5 is not a valid IP address (give an address, a pool CIDR, ipv4 or ipv6)." "$CTL" container add "$NS" ipv5
expect_refused "container ip add: ipv6 to nothing attached" "Container $NS has no Calico networking." \
  "$CTL" container "$NS" ip add ipv6
expect_refused "container ip remove: not an IPv6 address" "fd00::/64 is not a valid IP address." \
  "$CTL" container "$NS" ip remove fd00::/64
expect_refused "container add: bad interface" \
  "Invalid interface name \"a/b\": 1-15 characters, no '/', ':' or spaces." \
  "$CTL" container add "$NS" ipv4 --interface=a/b
expect_refused "container add: interface name too long" \
  "Invalid interface name \"eth0123456789012\": 1-15 characters, no '/', ':' or spaces." \
  "$CTL" container add "$NS" ipv4 --interface=eth0123456789012
expect_refused "container add: our own namespace" \
  "Container /proc/$$/ns/net is the network namespace calicoctl runs in, not a container." \
  "$CTL" container add "/proc/$$/ns/net" ipv4
expect_refused "container remove: nothing attached" "Container $NS has no Calico networking." \
  "$CTL" container remove "$NS"
expect_refused "container ip add: nothing attached" "Container $NS has no Calico networking." \
  "$CTL" container "$NS" ip add 10.65.0.9
expect_refused "container ip remove: not an address" "ipv4 is not a valid IP address." \
  "$CTL" container "$NS" ip remove ipv4
expect_refused "container endpoint show: nothing attached" "Container $NS has no Calico networking." \
  "$CTL" container "$NS" endpoint show
expect_usage "container profile: bad verb" "$CTL" container "$NS" profile frob
run "$CTL" ipam show
case $OUT in *"(0 blocks)"*) ok "no address leaked" ;; *) fail "no address leaked ($OUT)" ;; esac

tap_done
