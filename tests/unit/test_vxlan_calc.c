/* The VXLAN overlay calculation without root: cache -> device, routes, peers; workload MTU. */
#include <stdio.h>
#include <string.h>

#include "agent/node_cache.h"
#include "agent/vxlan_calc.h"
#include "tap.h"

#define EP(host, id, ip)                                                                             \
	node_cache_put(&c, "/calico/v1/host/" host "/workload/o/w" id "/endpoint/" id,             \
		       "{\"state\":\"active\",\"name\":\"cali" id "\",\"profile_ids\":[],\"ipv4_nets\":[\"" ip \
		       "/32\"],\"ipv6_nets\":[]}")
#define AFF(host, block) node_cache_put(&c, "/calico/ipam/v2/host/" host "/ipv4/block/" block, "{}")
#define HOSTIP(host, ip) node_cache_put(&c, "/calico/bgp/v1/host/" host "/ip_addr_v4", ip)

static const char *routes_text(const struct vxlan_desired *d, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < d->n_routes && n < len; i++) {
		char dst[CIDR_STR_MAX], via[IP_STR_MAX];
		n += (size_t)snprintf(buf + n, len - n, "%s%s via %s", i ? "; " : "", cidr_format(&d->routes[i].dst, dst),
				      ip_format(&d->routes[i].via, via));
	}
	return buf;
}

static const char *peers_text(const struct vxlan_desired *d, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < d->n_peers && n < len; i++) {
		char ip[IP_STR_MAX];
		const uint8_t *m = d->peers[i].mac;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %02x:%02x:%02x:%02x:%02x:%02x", i ? "; " : "",
				      ip_format(&d->peers[i].ip, ip), m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	return buf;
}

int main(void)
{
	struct node_cache c;
	struct vxlan_desired d;
	char buf[1024];
	uint8_t mac[6];
	struct ip_addr ip;

	ip_parse("172.31.1.2", &ip);
	vxlan_mac(&ip, mac);
	CHECK(mac[0] == 0x0e && mac[1] == 0xca && mac[2] == 172 && mac[3] == 31 && mac[4] == 1 && mac[5] == 2,
	      "MAC 0e:ca:<ip> from the host address");
	CHECK((mac[0] & 1) == 0 && (mac[0] & 2) == 2, "... unicast, locally administered");

	node_cache_init(&c);
	HOSTIP("h1", "172.31.1.2");
	HOSTIP("h2", "172.31.2.2");
	HOSTIP("h3", "172.31.3.2");
	AFF("h1", "10.65.1.0-26");
	AFF("h2", "10.65.2.0-26");
	AFF("h2", "10.66.0.0-26"); /* plain pool: BGP's, not ours */
	AFF("h3", "10.65.3.0-26");
	EP("h1", "e1", "10.65.1.1");
	EP("h2", "e2", "10.65.2.1");
	EP("h2", "e3", "10.65.1.9");  /* borrowed from h1's block */
	EP("h3", "e4", "10.65.9.9");  /* borrowed from a block of nobody */
	EP("h3", "e5", "10.66.0.77"); /* plain pool */

	CHECK(vxlan_calc(&c, "h1", &d) == 0 && !d.device && !d.any_vxlan_pool && d.n_routes == 0,
	      "no VXLAN pool: no device, no routes");
	vxlan_desired_free(&d);

	node_cache_put(&c, "/calico/v1/ipam/v4/pool/10.66.0.0-16", "{\"cidr\":\"10.66.0.0/16\"}");
	node_cache_put(&c, "/calico/v1/ipam/v4/pool/10.65.0.0-16", "{\"cidr\":\"10.65.0.0/16\",\"vxlan\":true}");
	CHECK(vxlan_calc(&c, "h1", &d) == 0 && d.device && d.any_vxlan_pool, "VXLAN pool: device wanted on h1");
	CHECK_STR(ip_format(&d.local, buf), "172.31.1.2", "... local = h1's ip_addr_v4");
	CHECK(d.mac[0] == 0x0e && d.mac[5] == 2, "... its own MAC derived the same way");
	CHECK_STR(routes_text(&d, buf, sizeof(buf)),
		  "10.65.1.9/32 via 172.31.2.2; 10.65.2.0/26 via 172.31.2.2; 10.65.3.0/26 via 172.31.3.2; "
		  "10.65.9.9/32 via 172.31.3.2",
		  "h1: remote VXLAN blocks, borrowed /32s of others; not its own block, not the plain pool's");
	CHECK_STR(peers_text(&d, buf, sizeof(buf)), "172.31.2.2 0e:ca:ac:1f:02:02; 172.31.3.2 0e:ca:ac:1f:03:02",
		  "h1: one peer per remote VTEP");
	vxlan_desired_free(&d);

	CHECK(vxlan_calc(&c, "h2", &d) == 0 && d.device, "h2 wants the device");
	CHECK_STR(routes_text(&d, buf, sizeof(buf)),
		  "10.65.1.0/26 via 172.31.1.2; 10.65.3.0/26 via 172.31.3.2; 10.65.9.9/32 via 172.31.3.2",
		  "h2: its own borrowed address (10.65.1.9) stays local");
	vxlan_desired_free(&d);

	/* a host without an address: its blocks cannot be reached, and it gets no device */
	AFF("h4", "10.65.4.0-26");
	EP("h4", "e6", "10.65.4.1");
	CHECK(vxlan_calc(&c, "h4", &d) == 0 && !d.device && d.any_vxlan_pool, "h4 (no ip_addr_v4): no device");
	CHECK(strstr(d.problem, "host h4 has no IPv4 address") != NULL, "... and says why: %s", d.problem);
	vxlan_desired_free(&d);
	CHECK(vxlan_calc(&c, "h1", &d) == 0 && d.n_routes == 4, "h1 has no route to h4's block (no next hop)");
	vxlan_desired_free(&d);

	/* the agent's cache knows its host and keeps other hosts' endpoints
	 * compact: the borrowed /32s must come out the same */
	{
		struct node_cache agent;
		node_cache_init(&agent);
		node_cache_set_host(&agent, "h1");
		for (size_t i = 0; i < c.n; i++)
			node_cache_put(&agent, c.items[i].key, c.items[i].value);
		CHECK(vxlan_calc(&agent, "h1", &d) == 0, "h1's own cache (other hosts' endpoints compact)");
		CHECK_STR(routes_text(&d, buf, sizeof(buf)),
			  "10.65.1.9/32 via 172.31.2.2; 10.65.2.0/26 via 172.31.2.2; 10.65.3.0/26 via 172.31.3.2; "
			  "10.65.9.9/32 via 172.31.3.2",
			  "... the same routes, borrowed /32s of others included");
		vxlan_desired_free(&d);
		node_cache_free(&agent);
	}

	/* the same block claimed by two hosts: one route, the lowest next hop, whatever the order */
	AFF("h3", "10.65.2.0-26");
	CHECK(vxlan_calc(&c, "h1", &d) == 0, "block claimed twice");
	CHECK_STR(routes_text(&d, buf, sizeof(buf)),
		  "10.65.1.9/32 via 172.31.2.2; 10.65.2.0/26 via 172.31.2.2; 10.65.3.0/26 via 172.31.3.2; "
		  "10.65.9.9/32 via 172.31.3.2",
		  "... one route for it");
	vxlan_desired_free(&d);
	node_cache_del(&c, "/calico/ipam/v2/host/h3/ipv4/block/10.65.2.0-26");

	/* a host whose address is the local one (misconfiguration): no route to ourselves */
	HOSTIP("h5", "172.31.1.2");
	AFF("h5", "10.65.5.0-26");
	CHECK(vxlan_calc(&c, "h1", &d) == 0 && d.n_routes == 4, "no route via our own address");
	vxlan_desired_free(&d);

	/* removing the pool removes everything */
	node_cache_del(&c, "/calico/v1/ipam/v4/pool/10.65.0.0-16");
	CHECK(vxlan_calc(&c, "h1", &d) == 0 && !d.device && d.n_routes == 0 && d.n_peers == 0,
	      "pool gone: no device, routes or peers");
	vxlan_desired_free(&d);

	/* MTU */
	CHECK(vxlan_configured_veth_mtu(&c, "h1") == 0, "VethMtu unset");
	node_cache_put(&c, "/calico/v1/config/VethMtu", "1400");
	CHECK(vxlan_configured_veth_mtu(&c, "h1") == 1400, "global VethMtu");
	node_cache_put(&c, "/calico/v1/host/h1/config/VethMtu", "1300");
	CHECK(vxlan_configured_veth_mtu(&c, "h1") == 1300 && vxlan_configured_veth_mtu(&c, "h2") == 1400,
	      "per-host VethMtu overrides the global one, for that host only");
	node_cache_put(&c, "/calico/v1/host/h1/config/VethMtu", "12x");
	CHECK(vxlan_configured_veth_mtu(&c, "h1") == 1400, "a bad per-host value falls back to the global one");
	CHECK(vxlan_parse_veth_mtu("575") == 0 && vxlan_parse_veth_mtu("576") == 576 &&
		      vxlan_parse_veth_mtu("65536") == 0 && vxlan_parse_veth_mtu("+1500") == 0 &&
		      vxlan_parse_veth_mtu("") == 0,
	      "VethMtu range 576..65535, digits only");
	CHECK(vxlan_workload_mtu(0, 1500, false) == 1500, "no VXLAN: the host's MTU");
	CHECK(vxlan_workload_mtu(0, 1500, true) == 1450, "VXLAN: host MTU - 50");
	CHECK(vxlan_workload_mtu(0, 9000, true) == 8950, "jumbo host with VXLAN: 8950");
	CHECK(vxlan_workload_mtu(1400, 1500, true) == 1400, "VethMtu wins");
	CHECK(vxlan_workload_mtu(0, 0, true) == 0, "unknown host MTU: 0 (kernel default)");
	node_cache_free(&c);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
