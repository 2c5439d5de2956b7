# calicoctl bgp (peers, node-mesh, default AS incl. asdot), config, version.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/cli.sh"

expect_ok "no peers" "No global IPv4 BGP Peers defined.
No global IPv6 BGP Peers defined." "$CTL" bgp peer show
expect_ok "peer add" "" "$CTL" bgp peer add 192.0.2.1 as 64512
expect_ok "peer add asdot" "" "$CTL" bgp peer add 2001:db8::1 as 1.10
expect_eq "peer JSON" "$("$DSTOOL" get /calico/bgp/v1/global/peer_v4/192.0.2.1)" '{"ip":"192.0.2.1","as_num":64512}'
expect_eq "asdot stored as asplain" "$("$DSTOOL" get /calico/bgp/v1/global/peer_v6/2001:db8::1)" '{"ip":"2001:db8::1","as_num":65546}'
expect_ok "peer show --ipv4" "+----------------------+--------+
| Global IPv4 BGP Peer | AS Num |
+----------------------+--------+
| 192.0.2.1            | 64512  |
+----------------------+--------+" "$CTL" bgp peer show --ipv4
expect_refused "peer bad IP" "Invalid IP address specified: 192.0.2" "$CTL" bgp peer add 192.0.2 as 64512
expect_refused "peer bad AS" "Invalid AS Number specified: 0 (asplain 1-4294967295 or asdot 1.10)" "$CTL" bgp peer add 192.0.2.2 as 0
expect_refused "peer AS too big" "Invalid AS Number specified: 4294967296 (asplain 1-4294967295 or asdot 1.10)" "$CTL" bgp peer add 192.0.2.2 as 4294967296
expect_refused "peer bad asdot" "Invalid AS Number specified: 1.65536 (asplain 1-4294967295 or asdot 1.10)" "$CTL" bgp peer add 192.0.2.2 as 1.65536
expect_usage "peer add without 'as'" "$CTL" bgp peer add 192.0.2.2 64512
expect_ok "peer remove" "BGP peer removed from global configuration" "$CTL" bgp peer remove 192.0.2.1
expect_refused "peer remove absent" "192.0.2.1 is not a globally configured peer." "$CTL" bgp peer remove 192.0.2.1

# calicoctl node bgp peer: this host's own peers (HOSTNAME=testhost)
expect_ok "node peer show, none" "No IPv4 BGP Peers defined for this node.
No IPv6 BGP Peers defined for this node." "$CTL" node bgp peer show
expect_ok "node peer add" "" "$CTL" node bgp peer add 192.0.2.9 as 64513
expect_eq "node peer JSON under the host" "$("$DSTOOL" get /calico/bgp/v1/host/testhost/peer_v4/192.0.2.9)" \
  '{"ip":"192.0.2.9","as_num":64513}'
expect_ok "node peer show --ipv4" "+-----------------------------+--------+
| Node specific IPv4 BGP Peer | AS Num |
+-----------------------------+--------+
| 192.0.2.9                   | 64513  |
+-----------------------------+--------+" "$CTL" node bgp peer show --ipv4
expect_ok "a node peer is not global" "No global IPv4 BGP Peers defined." "$CTL" bgp peer show --ipv4
expect_refused "node peer bad IP" "Invalid IP address specified: 192.0.2.300" "$CTL" node bgp peer add 192.0.2.300 as 64512
expect_usage "node peer without AS" "$CTL" node bgp peer add 192.0.2.9
expect_usage "node bgp without peer" "$CTL" node bgp mesh
expect_ok "node peer remove" "BGP peer removed from node configuration" "$CTL" node bgp peer remove 192.0.2.9
expect_refused "node peer remove absent" "192.0.2.9 is not a configured peer for this node." "$CTL" node bgp peer remove 192.0.2.9

expect_ok "node-mesh default on" "on" "$CTL" bgp node-mesh
expect_ok "node-mesh off" "" "$CTL" bgp node-mesh off
expect_ok "node-mesh shows off" "off" "$CTL" bgp node-mesh
expect_eq "node_mesh JSON" "$("$DSTOOL" get /calico/bgp/v1/global/node_mesh)" '{"enabled":false}'
expect_usage "node-mesh bad word" "$CTL" bgp node-mesh maybe
expect_ok "default AS" "64511" "$CTL" bgp default-node-as
expect_ok "set default AS asdot" "" "$CTL" bgp default-node-as 1.1
expect_ok "default AS stored asplain" "65537" "$CTL" bgp default-node-as
expect_refused "default AS bad" "Invalid AS Number specified: x (asplain 1-4294967295 or asdot 1.10)" "$CTL" bgp default-node-as x

expect_ok "config unset shows default" "Value is not set (default DROP)" "$CTL" config felix DefaultEndpointToHostAction
expect_ok "config set" "" "$CTL" config felix DefaultEndpointToHostAction RETURN
expect_ok "config get" "RETURN" "$CTL" config felix DefaultEndpointToHostAction
expect_eq "config key" "$("$DSTOOL" get /calico/v1/config/DefaultEndpointToHostAction)" RETURN
expect_refused "config bad value" 'invalid value "MAYBE" for DefaultEndpointToHostAction: expected one of DROP, RETURN, ACCEPT' "$CTL" config felix DefaultEndpointToHostAction MAYBE
expect_refused "config unknown name" "Unknown felix config name NoSuchThing; use --force to set it anyway." "$CTL" config felix NoSuchThing 1
expect_ok "config unknown with --force" "" "$CTL" config felix NoSuchThing 1 --force
expect_ok "node config uses this host" "" "$CTL" config node felix LogSeverityScreen debug
expect_eq "node config key" "$("$DSTOOL" get /calico/v1/host/testhost/config/LogSeverityScreen)" debug
expect_ok "node config for another host" "" "$CTL" config node felix LogSeverityScreen info --hostname=h2
expect_eq "other host's key" "$("$DSTOOL" get /calico/v1/host/h2/config/LogSeverityScreen)" info
expect_ok "bgp loglevel" "" "$CTL" config bgp loglevel debug
expect_eq "bgp loglevel key" "$("$DSTOOL" get /calico/bgp/v1/global/loglevel)" debug
expect_ok "config remove" "" "$CTL" config felix DefaultEndpointToHostAction --remove
expect_ok "config removed" "Value is not set (default DROP)" "$CTL" config felix DefaultEndpointToHostAction
expect_refused "config bad number" 'invalid value "10x" for ReportingIntervalSecs: expected a whole number from 0 to 86400' "$CTL" config felix ReportingIntervalSecs 10x
expect_usage "config value and --remove" "$CTL" config felix LogSeverityScreen info --remove
expect_usage "config --hostname without node" "$CTL" config felix LogSeverityScreen info --hostname=h2

expect_ok "version" "calicoctl version 0.1.0" "$CTL" version

# An unreachable etcd is a clear one-line error, exit 1.
run env -u CALICO_DATASTORE ETCD_ENDPOINTS=http://127.0.0.1:9 "$CTL" profile show
case "$ERR" in "Error: "*"cannot reach etcd at http://127.0.0.1:9"*) ok "unreachable etcd message: $ERR";; *) fail "unreachable etcd message: rc=$RC $ERR";; esac
expect_eq "unreachable etcd exits 1" "$RC" 1

tap_done
