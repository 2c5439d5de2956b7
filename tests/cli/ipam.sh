# calicoctl ipam: release, info, show, gc (leaked addresses, then empty blocks
# no host needs); pool removal frees empty blocks; a host keeps its emptied block.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"

"$DSTOOL" put /calico/v1/Ready true
"$CTL" pool add 10.20.0.0/24 fd00:20::/120 >/dev/null

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# block_json CIDR AFFINITY ALLOCATIONS(64 comma-separated) UNALLOCATED ATTRIBUTES
block_json() { printf '{"cidr":"%s","affinity":%s,"strictAffinity":false,"allocations":[%s],"unallocated":[%s],"attributes":[%s]}' "$@"; }
nulls() { local n=$1 s="" i; for ((i = 0; i < n; i++)); do s+="${s:+,}null"; done; printf %s "$s"; }
seq_list() { seq -s, "$1" "$2"; }

# 10.20.0.0 h1 (old), 10.20.0.1 h2 (fresh), 10.20.0.2 h3 (old, has an endpoint)
"$DSTOOL" put /calico/ipam/v2/assignment/ipv4/block/10.20.0.0-26 "$(block_json 10.20.0.0/26 '"host:testhost"' \
  "0,1,2,$(nulls 61)" "$(seq_list 3 63)" \
  "{\"handle_id\":\"h1\",\"secondary\":{\"host\":\"testhost\",\"timestamp\":\"2000-01-01T00:00:00Z\"}},{\"handle_id\":\"h2\",\"secondary\":{\"host\":\"testhost\",\"timestamp\":\"$now\"}},{\"handle_id\":\"h3\",\"secondary\":{\"host\":\"testhost\",\"timestamp\":\"2000-01-01T00:00:00Z\"}}")"
"$DSTOOL" put /calico/ipam/v2/host/testhost/ipv4/block/10.20.0.0-26 '{}'
for h in h1 h2 h3; do
  "$DSTOOL" put /calico/ipam/v2/handle/$h "{\"block\":{\"10.20.0.0/26\":1},\"id\":\"$h\"}"
done
"$DSTOOL" put /calico/v1/host/testhost/workload/docker/w1/endpoint/e1 \
  '{"state":"active","name":"cali0ef24b0e6a2","mac":"ee:ee:ee:ee:ee:ee","profile_ids":[],"ipv4_nets":["10.20.0.2/32"],"ipv6_nets":[],"labels":{}}'

expect_ok "info" 'IP 10.20.0.0 is in use with attributes: {"handle_id":"h1","secondary":{"host":"testhost","timestamp":"2000-01-01T00:00:00Z"}}' \
  "$CTL" ipam info 10.20.0.0
expect_refused "info unassigned" "IP address 10.20.0.9 is not currently assigned" "$CTL" ipam info 10.20.0.9
expect_refused "info outside any block" "IP address 10.99.0.9 is not currently assigned" "$CTL" ipam info 10.99.0.9
expect_refused "info bad IP" "banana is not a valid IP address." "$CTL" ipam info banana
expect_ok "show" "+---------------+--------------+-------------+------+------+
|      Pool     |    Block     | Affine host | Used | Free |
+---------------+--------------+-------------+------+------+
| 10.20.0.0/24  | 10.20.0.0/26 | testhost    | 3    | 61   |
| 10.20.0.0/24  | (1 block)    | (1 host)    | 3    | 253  |
| fd00:20::/120 | (0 blocks)   | (0 hosts)   | 0    | 256  |
+---------------+--------------+-------------+------+------+" "$CTL" ipam show

before=$(rev)
expect_ok "gc --dry-run skips fresh addresses and ones with endpoints" "Would release 10.20.0.0 (handle h1)
Would release 1 leaked address." "$CTL" ipam gc --dry-run
expect_ok "gc --dry-run --grace=0" "Would release 10.20.0.0 (handle h1)
Would release 10.20.0.1 (handle h2)
Would release 2 leaked addresses." "$CTL" ipam gc --dry-run --grace=0
expect_eq "dry run writes nothing" "$(rev)" "$before"
expect_ok "gc" "Released 10.20.0.0 (handle h1)
Released 1 leaked address." "$CTL" ipam gc
expect_refused "gc'd address is free" "IP address 10.20.0.0 is not currently assigned" "$CTL" ipam info 10.20.0.0
expect_eq "and its handle is gone" "$("$DSTOOL" count /calico/ipam/v2/handle/h1)" 0
expect_ok "gc again finds nothing" "Released 0 leaked addresses." "$CTL" ipam gc
expect_refused "gc bad grace" "--grace=soon is not a number of seconds." "$CTL" ipam gc --grace=soon

expect_ok "release" "Address successfully released" "$CTL" ipam release 10.20.0.1
expect_refused "release again" "IP address 10.20.0.1 is not currently assigned" "$CTL" ipam release 10.20.0.1
expect_refused "release bad IP" "10.20.0.300 is not a valid IP address." "$CTL" ipam release 10.20.0.300
expect_refused "release v6 never assigned" "IP address fd00:20::5 is not currently assigned" "$CTL" ipam release fd00:20::5
expect_usage "ipam alone" "$CTL" ipam
expect_usage "ipam release without IP" "$CTL" ipam release
expect_usage "ipam show with gc option" "$CTL" ipam show --dry-run

# Pool removal: an address in use stays; an empty block of a removed pool is freed.
"$CTL" pool add 10.30.0.0/24 >/dev/null
"$DSTOOL" put /calico/ipam/v2/assignment/ipv4/block/10.30.0.64-26 "$(block_json 10.30.0.64/26 '"host:other"' \
  "$(nulls 64)" "$(seq_list 0 63)" "")"
"$DSTOOL" put /calico/ipam/v2/host/other/ipv4/block/10.30.0.64-26 '{}'
expect_ok "pool remove (block in use)" "" "$CTL" pool remove 10.20.0.0/24
expect_ok "the address in use stays valid" - "$CTL" ipam info 10.20.0.2
expect_ok "show lists it under the removed pool" - "$CTL" ipam show
case "$OUT" in *"| (removed pool) | 10.20.0.0/26  | testhost    | 1    | 63   |"*) ok "removed pool row";; *) fail "removed pool row: $OUT";; esac
expect_ok "pool remove (empty block)" "" "$CTL" pool remove 10.30.0.0/24
expect_eq "empty block of the removed pool freed" "$("$DSTOOL" count /calico/ipam/v2/assignment/ipv4/block/10.30.)" 0
expect_eq "with its affinity" "$("$DSTOOL" count /calico/ipam/v2/host/other/)" 0
expect_ok "release the last address" "Address successfully released" "$CTL" ipam release 10.20.0.2
expect_eq "its block is freed" "$("$DSTOOL" count /calico/ipam/v2/assignment/)" 0
expect_eq "no affinity left" "$("$DSTOOL" count /calico/ipam/v2/host/)" 0
expect_eq "no handle left" "$("$DSTOOL" count /calico/ipam/v2/handle/)" 0

# IPv6: a block of a /64 pool, info, show (a /64 holds 2^64 addresses: more
# than 64 bits count), gc and release.
"$CTL" pool add fd00:21::/64 >/dev/null
"$DSTOOL" put /calico/ipam/v2/assignment/ipv6/block/fd00:21::-122 "$(block_json fd00:21::/122 '"host:testhost"' \
  "0,1,$(nulls 62)" "$(seq_list 2 63)" \
  "{\"handle_id\":\"h6a\",\"secondary\":{\"host\":\"testhost\",\"timestamp\":\"2000-01-01T00:00:00Z\"}},{\"handle_id\":\"h6b\",\"secondary\":{\"host\":\"testhost\",\"timestamp\":\"2000-01-01T00:00:00Z\"}}")"
"$DSTOOL" put /calico/ipam/v2/host/testhost/ipv6/block/fd00:21::-122 '{}'
"$DSTOOL" put /calico/ipam/v2/handle/h6a '{"block":{"fd00:21::/122":1},"id":"h6a"}'
"$DSTOOL" put /calico/ipam/v2/handle/h6b '{"block":{"fd00:21::/122":1},"id":"h6b"}'
"$DSTOOL" put /calico/v1/host/testhost/workload/cni/c6/endpoint/e6 \
  '{"state":"active","name":"cali0ef24b0e6a6","mac":"ee:ee:ee:ee:ee:ee","profile_ids":[],"ipv4_nets":[],"ipv6_nets":["fd00:21::1/128"],"labels":{}}'
expect_ok "info v6" 'IP fd00:21:: is in use with attributes: {"handle_id":"h6a","secondary":{"host":"testhost","timestamp":"2000-01-01T00:00:00Z"}}' \
  "$CTL" ipam info fd00:21::
expect_refused "info v6 unassigned" "IP address fd00:21::2 is not currently assigned" "$CTL" ipam info fd00:21::2
expect_ok "show v6: the /64's free count is exact (2^64 - 2)" "+---------------+---------------+-------------+------+----------------------+
|      Pool     |     Block     | Affine host | Used |         Free         |
+---------------+---------------+-------------+------+----------------------+
| fd00:20::/120 | (0 blocks)    | (0 hosts)   | 0    | 256                  |
| fd00:21::/64  | fd00:21::/122 | testhost    | 2    | 62                   |
| fd00:21::/64  | (1 block)     | (1 host)    | 2    | 18446744073709551614 |
+---------------+---------------+-------------+------+----------------------+" "$CTL" ipam show
expect_ok "gc v6 --dry-run: the address of an endpoint's ipv6_nets stays" "Would release fd00:21:: (handle h6a)
Would release 1 leaked address." "$CTL" ipam gc --dry-run
expect_ok "release v6" "Address successfully released" "$CTL" ipam release fd00:21::
expect_eq "its handle is gone" "$("$DSTOOL" count /calico/ipam/v2/handle/h6a)" 0
expect_ok "release the other v6" "Address successfully released" "$CTL" ipam release fd00:21::1
expect_eq "the emptied v6 block stays" "$("$DSTOOL" count /calico/ipam/v2/assignment/ipv6/)" 1
expect_eq "affine to its host" "$("$DSTOOL" count /calico/ipam/v2/host/testhost/ipv6/)" 1
expect_ok "gc leaves a host its last block" "Released 0 leaked addresses." "$CTL" ipam gc
# Two more empty blocks: one of testhost's (now it has two), one without affinity.
"$DSTOOL" put /calico/ipam/v2/assignment/ipv6/block/fd00:21::40-122 "$(block_json fd00:21::40/122 '"host:testhost"' \
  "$(nulls 64)" "$(seq_list 0 63)" "")"
"$DSTOOL" put /calico/ipam/v2/host/testhost/ipv6/block/fd00:21::40-122 '{}'
"$DSTOOL" put /calico/ipam/v2/assignment/ipv6/block/fd00:21::80-122 "$(block_json fd00:21::80/122 null \
  "$(nulls 64)" "$(seq_list 0 63)" "")"
before=$(rev)
expect_ok "gc --dry-run names the empty blocks it would give back" "Would release 0 leaked addresses.
Would free empty block fd00:21::/122 (host testhost)
Would free empty block fd00:21::80/122 (no affinity)
Would free 2 empty blocks." "$CTL" ipam gc --dry-run
expect_eq "and writes nothing" "$(rev)" "$before"
expect_ok "gc gives them back" "Released 0 leaked addresses.
Freed empty block fd00:21::/122 (host testhost)
Freed empty block fd00:21::80/122 (no affinity)
Freed 2 empty blocks." "$CTL" ipam gc
expect_eq "testhost keeps one v6 block" "$("$DSTOOL" count /calico/ipam/v2/host/testhost/ipv6/)" 1
expect_eq "one v6 block left" "$("$DSTOOL" count /calico/ipam/v2/assignment/ipv6/)" 1
"$CTL" pool add fd00:30::/48 >/dev/null
run "$CTL" ipam show
case "$OUT" in *"| fd00:30::/48  | (0 blocks)"*"| (0 hosts)   | 0    | 1208925819614629174706176 |"*) ok "a /48's free count (2^80)";;
  *) fail "a /48's free count: $OUT";; esac
tap_done
