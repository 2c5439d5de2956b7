/* Cache -> desired VXLAN overlay of one host (vxlan_calc.h). */
#include "agent/vxlan_calc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"
#include "util/array.h"

void vxlan_mac(const struct ip_addr *ip4, uint8_t mac[6])
{
	mac[0] = 0x0e;
	mac[1] = 0xca;
	memcpy(mac + 2, ip4->bytes, 4);
}

void vxlan_desired_free(struct vxlan_desired *d)
{
	free(d->peers);
	free(d->routes);
	memset(d, 0, sizeof(*d));
}

/* A host's ip_addr_v4, or NULL when it has none (or an invalid one). */
static const struct ip_addr *host_ip4(const struct node_cache *c, const char *host)
{
	char key[KEY_MAX];
	const struct node_kv *kv;

	if (!key_bgp_host(key, host, "ip_addr_v4") || !(kv = node_cache_get(c, key)) || kv->kind != NKV_BGP_HOST_IP ||
	    !kv->valid || kv->ip.family != 4)
		return NULL;
	return &kv->ip;
}

static bool in_vxlan_pool(const struct node_cache *c, const struct cidr *net)
{
	for (size_t i = node_cache_lower_bound(c, KEY_POOL_V4_PREFIX); i < c->n; i++) {
		const struct node_kv *kv = &c->items[i];
		if (strncmp(kv->key, KEY_POOL_V4_PREFIX, strlen(KEY_POOL_V4_PREFIX)) != 0)
			break;
		if (kv->kind == NKV_POOL && kv->valid && kv->pool.vxlan && cidr_contains_cidr(&kv->pool.cidr, net))
			return true;
	}
	return false;
}

/* Whether ip lies in a block affine to host. */
static bool in_own_block(const struct node_cache *c, const char *host, const struct ip_addr *ip)
{
	char prefix[KEY_MAX];
	size_t plen;

	if (!key_fmt(prefix, "/calico/ipam/v2/host/%s/ipv4/block/", host))
		return false;
	plen = strlen(prefix);
	for (size_t i = node_cache_lower_bound(c, prefix); i < c->n; i++) {
		const struct node_kv *kv = &c->items[i];
		if (strncmp(kv->key, prefix, plen) != 0)
			break;
		if (kv->kind == NKV_AFFINITY && kv->valid && cidr_contains(&kv->block, ip))
			return true;
	}
	return false;
}

struct builder {
	struct vxlan_desired *d;
	size_t cap_routes, cap_peers;
};

static int add_route(struct builder *b, const struct cidr *dst, const struct ip_addr *via)
{
	struct vxlan_desired *d = b->d;
	if (array_reserve((void **)&d->routes, &b->cap_routes, d->n_routes + 1, sizeof(*d->routes)) < 0)
		return -ENOMEM;
	d->routes[d->n_routes++] = (struct vxlan_route){ *dst, *via };
	return 0;
}

static int add_peer(struct builder *b, const struct ip_addr *ip)
{
	struct vxlan_desired *d = b->d;
	if (array_reserve((void **)&d->peers, &b->cap_peers, d->n_peers + 1, sizeof(*d->peers)) < 0)
		return -ENOMEM;
	d->peers[d->n_peers].ip = *ip;
	vxlan_mac(ip, d->peers[d->n_peers].mac);
	d->n_peers++;
	return 0;
}

static int cmp_cidr(const struct cidr *a, const struct cidr *b)
{
	int r = ip_cmp(&a->addr, &b->addr);
	return r ? r : a->prefix - b->prefix;
}

static int cmp_route(const void *a, const void *b)
{
	const struct vxlan_route *x = a, *y = b;
	return cmp_cidr(&x->dst, &y->dst);
}

static int cmp_peer(const void *a, const void *b)
{
	return ip_cmp(&((const struct vxlan_peer *)a)->ip, &((const struct vxlan_peer *)b)->ip);
}

/* An endpoint of owner's addresses in a VXLAN pool but outside owner's own
 * blocks (borrowed): a /32 via owner's VTEP. Nothing for this host's own. */
static int borrowed_routes(const struct node_cache *c, const char *host, const struct ip_addr *local,
			   const char *owner, const struct cidr *nets, size_t n, struct builder *b)
{
	const struct ip_addr *via;
	int rc;

	if (!owner[0] || strcmp(owner, host) == 0 || !(via = host_ip4(c, owner)) || ip_cmp(via, local) == 0)
		return 0;
	for (size_t k = 0; k < n; k++) {
		struct cidr one = { nets[k].addr, 32 };
		if (!in_vxlan_pool(c, &one) || in_own_block(c, owner, &one.addr))
			continue;
		if ((rc = add_route(b, &one, via)) < 0)
			return rc;
	}
	return 0;
}

static int collect_routes(const struct node_cache *c, const char *host, const struct ip_addr *local,
			  struct builder *b)
{
	int rc;

	for (size_t i = 0; i < c->n; i++) {
		const struct node_kv *kv = &c->items[i];
		const struct ip_addr *via;

		if (!kv->valid)
			continue;
		if (kv->kind == NKV_AFFINITY) {
			if (strcmp(kv->host, host) == 0 || kv->block.addr.family != 4 || !in_vxlan_pool(c, &kv->block) ||
			    !(via = host_ip4(c, kv->host)) || ip_cmp(via, local) == 0)
				continue;
			if ((rc = add_route(b, &kv->block, via)) < 0)
				return rc;
		} else if (kv->kind == NKV_ENDPOINT) {
			if ((rc = borrowed_routes(c, host, local, kv->host, kv->ep.ipv4_nets, kv->ep.n_ipv4_nets, b)) < 0)
				return rc;
		}
	}
	/* other hosts' endpoints, when the cache keeps them compact (it has a host) */
	for (size_t i = 0; c->host[0] && i < c->cap_eps; i++) {
		const struct node_ep *ep = c->eps[i];
		struct cidr nets[16];
		size_t n = 0;
		if (!ep || ep->local || !ep->valid)
			continue;
		const char *owner = name_table_name(&c->names, ep->host);
		for (size_t k = 0; k < ep->n_addrs; k++) {
			if (ep->addrs[k].family != 4)
				continue;
			nets[n++] = (struct cidr){ ep->addrs[k], 32 };
			if (n == sizeof(nets) / sizeof(nets[0]) || k + 1 == ep->n_addrs) {
				if ((rc = borrowed_routes(c, host, local, owner, nets, n, b)) < 0)
					return rc;
				n = 0;
			}
		}
		if (n && (rc = borrowed_routes(c, host, local, owner, nets, n, b)) < 0)
			return rc;
	}
	return 0;
}

/* Two hosts claiming one destination (a block re-assigned, an address in two
 * records for a moment): keep one, the lowest next hop, so that every agent
 * picks the same one whatever order events came in. */
static void dedupe_routes(struct vxlan_desired *d)
{
	size_t n = 0;

	if (d->n_routes)
		qsort(d->routes, d->n_routes, sizeof(*d->routes), cmp_route);
	for (size_t i = 0; i < d->n_routes; i++) {
		if (n && cmp_cidr(&d->routes[n - 1].dst, &d->routes[i].dst) == 0) {
			if (ip_cmp(&d->routes[i].via, &d->routes[n - 1].via) < 0)
				d->routes[n - 1].via = d->routes[i].via;
			continue;
		}
		d->routes[n++] = d->routes[i];
	}
	d->n_routes = n;
}

static int collect_peers(struct builder *b)
{
	struct vxlan_desired *d = b->d;
	int rc;

	for (size_t i = 0; i < d->n_routes; i++) {
		bool seen = false;
		for (size_t k = 0; k < d->n_peers && !seen; k++)
			seen = ip_cmp(&d->peers[k].ip, &d->routes[i].via) == 0;
		if (!seen && (rc = add_peer(b, &d->routes[i].via)) < 0)
			return rc;
	}
	if (d->n_peers)
		qsort(d->peers, d->n_peers, sizeof(*d->peers), cmp_peer);
	return 0;
}

int vxlan_calc(const struct node_cache *c, const char *host, struct vxlan_desired *out)
{
	struct builder b = { out, 0, 0 };
	const struct ip_addr *local;
	bool v4_pool = false;
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->n; i++) {
		const struct node_kv *kv = &c->items[i];
		if (kv->kind == NKV_POOL && kv->valid && kv->pool.vxlan) {
			out->any_vxlan_pool = true;
			v4_pool |= kv->pool.cidr.addr.family == 4;
		}
	}
	if ((local = host_ip4(c, host)))
		out->local = *local;
	if (!v4_pool)
		return 0;
	if (!local) {
		snprintf(out->problem, sizeof(out->problem),
			 "a VXLAN pool exists but host %s has no IPv4 address (/calico/bgp/v1/host/%s/ip_addr_v4)",
			 host, host);
		return 0;
	}
	out->device = true;
	vxlan_mac(local, out->mac);
	if ((rc = collect_routes(c, host, local, &b)) < 0)
		return rc;
	dedupe_routes(out);
	return collect_peers(&b);
}

unsigned vxlan_parse_veth_mtu(const char *text)
{
	char *end;
	unsigned long v;

	if (!text || *text < '0' || *text > '9')
		return 0;
	v = strtoul(text, &end, 10);
	return !*end && v >= 576 && v <= 65535 ? (unsigned)v : 0;
}

unsigned vxlan_configured_veth_mtu(const struct node_cache *c, const char *host)
{
	char key[KEY_MAX];
	const struct node_kv *kv;
	unsigned v;

	if (key_host_config(key, host, "VethMtu") && (kv = node_cache_get(c, key)) &&
	    (v = vxlan_parse_veth_mtu(kv->value)))
		return v;
	if (key_config(key, "VethMtu") && (kv = node_cache_get(c, key)) && (v = vxlan_parse_veth_mtu(kv->value)))
		return v;
	return 0;
}

unsigned vxlan_workload_mtu(unsigned configured, unsigned host_mtu, bool any_vxlan_pool)
{
	if (configured)
		return configured;
	if (!host_mtu)
		return 0;
	if (any_vxlan_pool)
		return host_mtu > VXLAN_OVERHEAD + 576 ? host_mtu - VXLAN_OVERHEAD : 576;
	return host_mtu;
}
