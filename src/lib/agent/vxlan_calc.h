/* The VXLAN overlay one host wants, computed from the agent's datastore copy
 * (node_cache.h): whether the device vxlan.calico exists, with which source
 * address and MAC, and the routes, neighbours and fdb entries that send
 * traffic for other hosts' blocks (and borrowed addresses) in pools with
 * "vxlan": true through it. Also the MTU workload veths get. Pure logic,
 * tested without root (tests/unit/test_vxlan_calc.c); src/node/vxlan.c
 * programs the result.
 *
 * Scope: VXLAN over IPv4 between hosts' ip_addr_v4, for IPv4 pools. */
#ifndef CALICO_VXLAN_CALC_H
#define CALICO_VXLAN_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"
#include "agent/node_cache.h"
#include "model/overlay.h"

/* A remote host's VTEP: its ip_addr_v4 and the MAC derived from it. */
struct vxlan_peer {
	struct ip_addr ip;
	uint8_t mac[6];
};

/* dst via the VTEP at via (dev vxlan.calico onlink). */
struct vxlan_route {
	struct cidr dst;
	struct ip_addr via;
};

struct vxlan_desired {
	bool device;           /* a VXLAN pool exists and this host has an IPv4 address */
	bool any_vxlan_pool;   /* a VXLAN pool exists (workload MTU overhead) */
	struct ip_addr local;  /* this host's ip_addr_v4 (family 0: none), with or without a VXLAN pool */
	uint8_t mac[6];        /* vxlan_mac(local) */
	struct vxlan_peer *peers; /* sorted by address, one per remote VTEP some route uses */
	size_t n_peers;
	struct vxlan_route *routes; /* sorted by destination; no two alike */
	size_t n_routes;
	char problem[256];     /* why the device is not wanted although a pool asks for it ("" = none) */
};

/* The VTEP MAC of a host, derived from its IPv4 address a.b.c.d as
 * 0e:ca:a:b:c:d: 0x0e has the locally-administered bit set and the multicast
 * bit clear, so it is a valid unicast MAC that no vendor owns. Every host
 * computes every other host's MAC from the address it already knows, so the
 * datastore needs no key for it; two hosts never share an address, so never
 * a MAC. */
void vxlan_mac(const struct ip_addr *ip4, uint8_t mac[6]);

/* The desired overlay of host. For each block affine to another host with an
 * ip_addr_v4 lying in a VXLAN pool: block via that host. For each IPv4
 * address of another host's endpoint lying in a VXLAN pool but not in a block
 * affine to that host (a borrowed address): /32 via that host. out is
 * initialised here and owned by the caller (vxlan_desired_free) on success
 * and failure alike. 0 or -ENOMEM. */
int vxlan_calc(const struct node_cache *c, const char *host, struct vxlan_desired *out);
void vxlan_desired_free(struct vxlan_desired *d);

/* VethMtu of host from the cache: /calico/v1/host/<host>/config/VethMtu, then
 * /calico/v1/config/VethMtu; 0 when unset or not a number in 576..65535. */
unsigned vxlan_configured_veth_mtu(const struct node_cache *c, const char *host);
/* VethMtu text -> value; 0 when not a number in 576..65535. */
unsigned vxlan_parse_veth_mtu(const char *text);

/* The MTU of workload veths: configured (VethMtu) when non-zero; else the
 * host's MTU minus VXLAN_OVERHEAD when a VXLAN pool exists, or the host's MTU;
 * 0 when the host's MTU is unknown (0) too. */
unsigned vxlan_workload_mtu(unsigned configured, unsigned host_mtu, bool any_vxlan_pool);

#endif
