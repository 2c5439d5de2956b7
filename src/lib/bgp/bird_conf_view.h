/* What BIRD's config says for one host, per address family, gathered from
 * the agent's cache (bird_conf_view.c) before any text is written
 * (bird_conf.c). Pure logic. */
#ifndef CALICO_BIRD_CONF_VIEW_H
#define CALICO_BIRD_CONF_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"
#include "agent/node_cache.h"

enum bird_peer_kind {
	BIRD_PEER_MESH,   /* another Calico host of the node-to-node mesh */
	BIRD_PEER_NODE,   /* /calico/bgp/v1/host/<this host>/peer_v4/<ip> */
	BIRD_PEER_GLOBAL, /* /calico/bgp/v1/global/peer_v4/<ip> */
};

struct bird_peer {
	enum bird_peer_kind kind;
	struct ip_addr ip;
	uint32_t as_num;
	const char *host;    /* mesh: the other host's name (points into the cache) */
	bool passive;        /* mesh: this host has the higher address of the pair */
	bool shadowed;       /* the same address is already a peer of a more specific kind */
};

struct bird_family {
	int family;             /* 4 or 6 */
	bool enabled;           /* this host has an address of the family */
	struct ip_addr local;
	struct cidr *pools;     /* without VXLAN, sorted */
	size_t n_pools;
	struct cidr *vxlan_pools; /* with VXLAN (the agent routes them, not BGP), sorted */
	size_t n_vxlan_pools;
	struct cidr *blocks;    /* affine to this host, inside pools above, sorted */
	size_t n_blocks;
	struct ip_addr *borrowed; /* this host's workload addresses in pools but outside its blocks, sorted */
	size_t n_borrowed;
	struct bird_peer *peers;  /* mesh, then node, then global; each sorted by address */
	size_t n_peers;
};

struct bird_view {
	char host[256];
	uint32_t as_num;  /* this host's: its own, else the global one, else 64511 */
	bool mesh;
	struct bird_family v4, v6;
};

/* 0, -ENOENT (no ip_addr_v4 for host: message in err), -ENOMEM. The view
 * borrows strings from the cache: free the view first. */
int bird_view_build(const struct node_cache *c, const char *host, struct bird_view *v, char *err, size_t errlen);
void bird_view_free(struct bird_view *v);

#endif
