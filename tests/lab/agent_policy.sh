#!/usr/bin/env bash
# calico-node with real traffic: one host, five workloads, a connectivity
# matrix (TCP, UDP, ICMP, both directions) over profiles read from the
# datastore and programmed by the agent.
#
#   h1 (172.30.0.11) -- wa 10.65.0.2 [pa]        -- wd 10.65.0.5 [pd] (pd deleted later)
#                    -- wb 10.65.0.3 [pb]        -- we 10.65.0.6 []   (no profile)
#                    -- wc 10.65.0.4 [pc1, pc2]  -- wf 10.65.0.7 cali veth, no endpoint record
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || [ ! -x "${CALICO_BUILD:-}/calico-node" ]; then
	echo "1..0 # SKIP needs root, nft and calico-node"
	exit 0
fi
. "$here/../lib/netns.sh"
. "$here/../lib/agent.sh"

# ok DESC PROBE...: allowed (a first packet may wait for ARP: up to 3 tries)
allowed() { local d=$1 i; shift; for i in 1 2 3; do "$@" && { ok "$d"; return; }; done; fail "$d"; }
denied() { local d=$1; shift; if "$@"; then fail "$d"; else ok "$d"; fi; }

lab_host_add h1 172.30.0.11 || { fail "topology"; tap_done; exit 1; }
AGENT_HOST=h1
profile_put pa '["pa"]' \
	'[{"action":"allow","protocol":"tcp","src_tag":"pb","dst_ports":[8080]},
	  {"action":"allow","protocol":"udp","dst_ports":["5000:5010"]},
	  {"action":"allow","protocol":"icmp","icmp_type":8,"src_tag":"pb"}]' \
	'[{"action":"deny","protocol":"tcp","dst_ports":[9090]},{"action":"allow"}]' &&
profile_put pb '["pb"]' '[{"action":"allow","src_tag":"pa"}]' \
	'[{"action":"deny","protocol":"udp","dst_tag":"pc"},{"action":"allow"}]' &&
profile_put pc1 '["pc1"]' '[{"action":"deny","protocol":"tcp","src_net":"10.65.0.2/32"}]' '[{"action":"allow"}]' &&
profile_put pc2 '["pc"]' '[{"action":"allow","protocol":"tcp","dst_ports":[8080]},{"action":"allow","protocol":"udp"},{"action":"allow","protocol":"icmp"}]' \
	'[{"action":"allow"}]' &&
profile_put pd '["pd"]' '[{"action":"allow"}]' '[{"action":"allow"}]' || { fail "profiles written"; tap_done; exit 1; }

wl_add wa 10.65.0.2 '["pa"]' && wl_add wb 10.65.0.3 '["pb"]' && wl_add wc 10.65.0.4 '["pc1","pc2"]' &&
	wl_add wd 10.65.0.5 '["pd"]' && wl_add we 10.65.0.6 '[]' && wl_add wf 10.65.0.7 none ||
	{ fail "workloads attached"; tap_done; exit 1; }
# an address wa may hold but its endpoint record does not list: a forged source
ip -n "$(lab_ns wa)" addr add 10.65.0.99/32 dev eth0
for w in wa wb wc wd we wf; do
	lab_tcp_server "$w" 8080 && lab_tcp_server "$w" 9090 && lab_udp_echo "$w" 5005 && lab_udp_echo "$w" 6000
done
lab_tcp_server h1 7070

agent_start h1
check "agent ready" agent_wait_ready 10
for w in wa wb wc wd we; do
	check "status of $w is up" wl_wait_status "$w" up 5
done

# ---- the matrix ----
allowed "wb->wa tcp 8080: src tag + port" lab_tcp wb 10.65.0.2 8080
denied "wb->wa tcp 9090: no rule for the port" lab_tcp wb 10.65.0.2 9090
denied "wc->wa tcp 8080: not in the source tag" lab_tcp wc 10.65.0.2 8080
allowed "wb->wa udp 5005: inside the port range" lab_udp wb 10.65.0.2 5005
denied "wb->wa udp 6000: outside the port range" lab_udp wb 10.65.0.2 6000
allowed "wb->wa icmp echo: icmp type + src tag" lab_ping wb 10.65.0.2
denied "wc->wa icmp echo: not in the source tag" lab_ping wc 10.65.0.2
allowed "wa->wb tcp 8080: outbound allow, inbound from tag" lab_tcp wa 10.65.0.3 8080
denied "wa->wb tcp 9090: outbound deny before allow" lab_tcp wa 10.65.0.3 9090
allowed "wa->wb icmp echo" lab_ping wa 10.65.0.3
allowed "wa->wb udp 6000" lab_udp wa 10.65.0.3 6000
denied "wa->wc tcp 8080: first profile's cidr deny wins over the second's allow" lab_tcp wa 10.65.0.4 8080
allowed "wb->wc tcp 8080: second profile allows" lab_tcp wb 10.65.0.4 8080
allowed "wa->wc udp 5005" lab_udp wa 10.65.0.4 5005
denied "wb->wc udp 5005: outbound deny by destination tag" lab_udp wb 10.65.0.4 5005
allowed "wb->wc icmp echo: outbound allow after the udp deny" lab_ping wb 10.65.0.4
allowed "wa->wd tcp 8080: inbound allow all" lab_tcp wa 10.65.0.5 8080
allowed "wd->wc tcp 8080: outbound allow all" lab_tcp wd 10.65.0.4 8080
denied "wd->wa tcp 8080: inbound is not outbound" lab_tcp wd 10.65.0.2 8080
denied "wa->we tcp 8080: endpoint without profile" lab_tcp wa 10.65.0.6 8080
denied "we->wc tcp 8080: endpoint without profile sends nothing" lab_tcp we 10.65.0.4 8080
denied "wa->wf tcp 8080: cali veth without endpoint" lab_tcp wa 10.65.0.7 8080
denied "wf->wc tcp 8080: cali veth without endpoint" lab_tcp wf 10.65.0.4 8080
denied "wa->wb icmp from a forged source" lab_exec wa timeout 2 busybox ping -c 1 -W 1 -I 10.65.0.99 10.65.0.3 >/dev/null 2>&1
denied "wa->host tcp: DefaultEndpointToHostAction DROP" lab_tcp wa 172.30.0.11 7070

# ---- changes ----
n=$(agent_metric calico_nft_applies_total)
profile_put pa '["pa"]' \
	'[{"action":"allow","protocol":"tcp","src_tag":"pb","dst_ports":[8080,9090]},
	  {"action":"allow","protocol":"udp","dst_ports":["5000:5010"]},
	  {"action":"allow","protocol":"icmp","icmp_type":8,"src_tag":"pb"}]' \
	'[{"action":"deny","protocol":"tcp","dst_ports":[9090]},{"action":"allow"}]'
check "rule change programmed" agent_wait_applied "$n"
allowed "wb->wa tcp 9090 after the rule change (new connection)" lab_tcp wb 10.65.0.2 9090
allowed "wb->wa tcp 8080 still" lab_tcp wb 10.65.0.2 8080

n=$(agent_metric calico_nft_applies_total)
profile_del pd
check "profile deletion programmed" agent_wait_applied "$n"
denied "wa->wd tcp 8080 after its profile was deleted" lab_tcp wa 10.65.0.5 8080
denied "wd->wc tcp 8080 after its profile was deleted" lab_tcp wd 10.65.0.4 8080

n=$(agent_metric calico_nft_applies_total)
"$DSTOOL" put /calico/v1/host/h1/config/DefaultEndpointToHostAction ACCEPT
check "host action change programmed" agent_wait_applied "$n"
allowed "wa->host tcp: DefaultEndpointToHostAction ACCEPT" lab_tcp wa 172.30.0.11 7070
denied "we->host tcp: no profile, no outbound allow" lab_tcp we 172.30.0.11 7070

n=$(agent_metric calico_nft_applies_total)
"$DSTOOL" put /calico/v1/config/DefaultEndpointToHostAction BOGUS
sleep 0.3
allowed "a bad config value keeps the previous config" lab_tcp wa 172.30.0.11 7070
check "the bad value is logged" grep -q 'keeping the previous configuration: /calico/v1/config/DefaultEndpointToHostAction' "$AGENT_LOG"

# an endpoint record removed: its traffic stops, its status key goes
n=$(agent_metric calico_nft_applies_total)
"$CALICO_BUILD/nodetool" del "$(wl_key wb)"
check "endpoint removal programmed" agent_wait_applied "$n"
denied "wa->wb tcp 8080 after wb's endpoint record went" lab_tcp wa 10.65.0.3 8080
_gone() { ! "$DSTOOL" get "$(wl_status_key wb)" >/dev/null 2>&1; }
check "wb's status key is deleted" agent_until 5 _gone

check "metrics: endpoints" test "$(agent_metric calico_endpoints)" = 4
check "liveness 200" test "$(agent_http /liveness)" = 200
check "agent exits 0 on SIGTERM" agent_stop TERM
allowed "the dataplane stays after the agent stopped" lab_udp wa 10.65.0.4 5005
denied "and so does its policy" lab_tcp wa 10.65.0.4 8080
check "pid file removed on exit" test ! -e "$LAB_TMP/run/calico-node.pid"
if [ "$TAP_FAILED" -ne 0 ]; then sed 's/^/# /' "$AGENT_LOG" | tail -40; fi
tap_done
