/* The agent's cache -> what BIRD's config of one host says (bird_conf_view.h). */
#include "bgp/bird_conf_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bird_conf.h"
#include "model/keys.h"

#define AFFINITY_PREFIX "/calico/ipam/v2/host/"

/* Grows *items (of size sz) by one zeroed element; NULL on ENOMEM. */
static void *push(void **items, size_t *n, size_t sz)
{
	char *p = realloc(*items, (*n + 1) * sz);
	if (!p)
		return NULL;
	*items = p;
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The decoded entry of key when it is there and valid. */
static const struct node_kv *valid_kv(const struct node_cache *c, const char *key)
{
	const struct node_kv *kv = key ? node_cache_get(c, key) : NULL;
	return kv && kv->valid ? kv : NULL;
}

static uint32_t host_as(const struct node_cache *c, const char *host, uint32_t global_as)
{
	char key[KEY_MAX];
	const struct node_kv *kv = valid_kv(c, key_bgp_host(key, host, "as_num"));
	return kv && kv->kind == NKV_BGP_AS ? kv->as_num : global_as;
}

static bool host_ip(const struct node_cache *c, const char *host, int family, struct ip_addr *out)
{
	char key[KEY_MAX];
	const struct node_kv *kv = valid_kv(c, key_bgp_host(key, host, family == 4 ? "ip_addr_v4" : "ip_addr_v6"));
	if (!kv || kv->kind != NKV_BGP_HOST_IP || kv->ip.family != family)
		return false;
	*out = kv->ip;
	return true;
}

static int cmp_cidr(const void *a, const void *b)
{
	const struct cidr *x = a, *y = b;
	int r = ip_cmp(&x->addr, &y->addr);
	return r ? r : (x->prefix > y->prefix) - (x->prefix < y->prefix);
}

static int cmp_ip(const void *a, const void *b)
{
	return ip_cmp(a, b);
}

static int cmp_peer(const void *a, const void *b)
{
	const struct bird_peer *x = a, *y = b;
	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	return ip_cmp(&x->ip, &y->ip);
}

static bool in_any(const struct cidr *set, size_t n, const struct ip_addr *ip)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&set[i], ip))
			return true;
	return false;
}

static struct bird_family *fam_of(struct bird_view *v, int family)
{
	return family == 6 ? &v->v6 : &v->v4;
}

/* Pools without VXLAN: BGP carries their routes; the agent tunnels the others
 * (kept apart, so that nothing a peer sends can route into them). */
static int collect_pools(const struct node_cache *c, struct bird_view *v)
{
	static const char *const prefixes[] = { KEY_POOL_V4_PREFIX, KEY_POOL_V6_PREFIX };
	for (int p = 0; p < 2; p++)
		for (size_t i = node_cache_lower_bound(c, prefixes[p]);
		     i < c->n && starts(c->items[i].key, prefixes[p]); i++) {
			const struct node_kv *kv = &c->items[i];
			if (kv->kind != NKV_POOL || !kv->valid)
				continue;
			struct bird_family *f = fam_of(v, kv->pool.cidr.addr.family);
			struct cidr *slot = kv->pool.vxlan
				? push((void **)&f->vxlan_pools, &f->n_vxlan_pools, sizeof(*slot))
				: push((void **)&f->pools, &f->n_pools, sizeof(*slot));
			if (!slot)
				return -ENOMEM;
			*slot = kv->pool.cidr;
		}
	return 0;
}

static bool in_pool(const struct bird_family *f, const struct cidr *block)
{
	for (size_t i = 0; i < f->n_pools; i++)
		if (cidr_contains_cidr(&f->pools[i], block))
			return true;
	return false;
}

static int collect_blocks(const struct node_cache *c, struct bird_view *v)
{
	char prefix[KEY_MAX];
	if (!key_fmt(prefix, AFFINITY_PREFIX "%s/", v->host))
		return 0;
	for (size_t i = node_cache_lower_bound(c, prefix); i < c->n && starts(c->items[i].key, prefix); i++) {
		const struct node_kv *kv = &c->items[i];
		if (kv->kind != NKV_AFFINITY || !kv->valid)
			continue;
		struct bird_family *f = fam_of(v, kv->block.addr.family);
		if (!in_pool(f, &kv->block))
			continue;
		struct cidr *slot = push((void **)&f->blocks, &f->n_blocks, sizeof(*slot));
		if (!slot)
			return -ENOMEM;
		*slot = kv->block;
	}
	return 0;
}

static int add_borrowed(struct bird_family *f, const struct cidr *net)
{
	if (!in_any(f->pools, f->n_pools, &net->addr) || in_any(f->blocks, f->n_blocks, &net->addr))
		return 0;
	struct ip_addr *slot = push((void **)&f->borrowed, &f->n_borrowed, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	*slot = net->addr;
	return 0;
}

/* This host's workload addresses that lie outside its own blocks. */
static int collect_borrowed(const struct node_cache *c, struct bird_view *v)
{
	char prefix[KEY_MAX];
	int rc = 0;
	if (!key_fmt(prefix, KEY_HOST_PREFIX "%s/workload/", v->host))
		return 0;
	for (size_t i = node_cache_lower_bound(c, prefix); i < c->n && starts(c->items[i].key, prefix) && rc == 0;
	     i++) {
		const struct node_kv *kv = &c->items[i];
		if (kv->kind != NKV_ENDPOINT || !kv->valid)
			continue;
		for (size_t k = 0; k < kv->ep.n_ipv4_nets && rc == 0; k++)
			rc = add_borrowed(&v->v4, &kv->ep.ipv4_nets[k]);
		for (size_t k = 0; k < kv->ep.n_ipv6_nets && rc == 0; k++)
			rc = add_borrowed(&v->v6, &kv->ep.ipv6_nets[k]);
	}
	return rc;
}

static int add_peer(struct bird_view *v, enum bird_peer_kind kind, const struct ip_addr *ip, uint32_t as_num,
		    const char *host)
{
	struct bird_family *f = fam_of(v, ip->family);
	struct bird_peer *p = push((void **)&f->peers, &f->n_peers, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->kind = kind;
	p->ip = *ip;
	p->as_num = as_num;
	p->host = host;
	return 0;
}

/* Every other host with an address (mesh), and this host's own peers. */
static int collect_host_peers(const struct node_cache *c, struct bird_view *v, uint32_t global_as)
{
	int rc = 0;
	for (size_t i = node_cache_lower_bound(c, KEY_BGP_HOST_PREFIX);
	     i < c->n && starts(c->items[i].key, KEY_BGP_HOST_PREFIX) && rc == 0; i++) {
		const struct node_kv *kv = &c->items[i];
		if (!kv->valid)
			continue;
		bool mine = strcmp(kv->host, v->host) == 0;
		if (kv->kind == NKV_BGP_HOST_IP && v->mesh && !mine && kv->ip.family)
			rc = add_peer(v, BIRD_PEER_MESH, &kv->ip, host_as(c, kv->host, global_as), kv->host);
		else if (kv->kind == NKV_BGP_PEER && mine &&
			 kv->peer.ip.family == (strstr(kv->key, "/peer_v6/") ? 6 : 4))
			rc = add_peer(v, BIRD_PEER_NODE, &kv->peer.ip, kv->peer.as_num, NULL);
	}
	return rc;
}

static int collect_global_peers(const struct node_cache *c, struct bird_view *v)
{
	static const char *const prefixes[] = { KEY_BGP_PEER_V4_PREFIX, KEY_BGP_PEER_V6_PREFIX };
	int rc = 0;
	for (int p = 0; p < 2; p++)
		for (size_t i = node_cache_lower_bound(c, prefixes[p]);
		     i < c->n && starts(c->items[i].key, prefixes[p]) && rc == 0; i++) {
			const struct node_kv *kv = &c->items[i];
			if (kv->kind == NKV_BGP_PEER && kv->valid && kv->peer.ip.family == (p ? 6 : 4))
				rc = add_peer(v, BIRD_PEER_GLOBAL, &kv->peer.ip, kv->peer.as_num, NULL);
		}
	return rc;
}

/* Sorts, marks the passive side of each mesh pair, and shadows a second
 * session to one address (BIRD cannot hold two): the mesh wins over this
 * host's own peers, which win over global ones. Peers at this host's own
 * address are dropped outright. */
static void settle(struct bird_family *f)
{
	size_t out = 0;
	for (size_t i = 0; i < f->n_peers; i++)
		if (!f->enabled || ip_cmp(&f->peers[i].ip, &f->local) != 0)
			f->peers[out++] = f->peers[i];
	f->n_peers = out;
	if (f->n_pools)
		qsort(f->pools, f->n_pools, sizeof(*f->pools), cmp_cidr);
	if (f->n_vxlan_pools)
		qsort(f->vxlan_pools, f->n_vxlan_pools, sizeof(*f->vxlan_pools), cmp_cidr);
	if (f->n_blocks)
		qsort(f->blocks, f->n_blocks, sizeof(*f->blocks), cmp_cidr);
	if (f->n_borrowed) {
		/* sorted, then one of each (two endpoints may claim one address) */
		qsort(f->borrowed, f->n_borrowed, sizeof(*f->borrowed), cmp_ip);
		out = 1;
		for (size_t i = 1; i < f->n_borrowed; i++)
			if (ip_cmp(&f->borrowed[i], &f->borrowed[out - 1]) != 0)
				f->borrowed[out++] = f->borrowed[i];
		f->n_borrowed = out;
	}
	if (f->n_peers)
		qsort(f->peers, f->n_peers, sizeof(*f->peers), cmp_peer);
	for (size_t i = 0; i < f->n_peers; i++) {
		struct bird_peer *p = &f->peers[i];
		p->passive = p->kind == BIRD_PEER_MESH && ip_cmp(&f->local, &p->ip) > 0;
		for (size_t k = 0; k < i && !p->shadowed; k++)
			p->shadowed = !f->peers[k].shadowed && ip_cmp(&f->peers[k].ip, &p->ip) == 0;
	}
}

int bird_view_build(const struct node_cache *c, const char *host, struct bird_view *v, char *err, size_t errlen)
{
	int rc;

	memset(v, 0, sizeof(*v));
	v->v4.family = 4;
	v->v6.family = 6;
	snprintf(v->host, sizeof(v->host), "%s", host);
	if (!host_ip(c, host, 4, &v->v4.local)) {
		snprintf(err, errlen, "host %s has no IPv4 address in the datastore (%s%s/ip_addr_v4): BIRD needs one "
			 "for its router id", host, KEY_BGP_HOST_PREFIX, host);
		return -ENOENT;
	}
	v->v4.enabled = true;
	v->v6.enabled = host_ip(c, host, 6, &v->v6.local);

	const struct node_kv *kv = valid_kv(c, KEY_BGP_AS_NUM);
	uint32_t global_as = kv && kv->kind == NKV_BGP_AS ? kv->as_num : BIRD_DEFAULT_AS;
	v->as_num = host_as(c, host, global_as);
	kv = valid_kv(c, KEY_BGP_NODE_MESH);
	v->mesh = kv && kv->kind == NKV_BGP_MESH ? kv->mesh_enabled : true;

	if ((rc = collect_pools(c, v)) < 0 || (rc = collect_blocks(c, v)) < 0 || (rc = collect_borrowed(c, v)) < 0 ||
	    (rc = collect_host_peers(c, v, global_as)) < 0 || (rc = collect_global_peers(c, v)) < 0) {
		bird_view_free(v);
		snprintf(err, errlen, "out of memory");
		return rc;
	}
	settle(&v->v4);
	settle(&v->v6);
	return 0;
}

static void family_free(struct bird_family *f)
{
	free(f->pools);
	free(f->vxlan_pools);
	free(f->blocks);
	free(f->borrowed);
	free(f->peers);
}

void bird_view_free(struct bird_view *v)
{
	family_free(&v->v4);
	family_free(&v->v6);
	memset(v, 0, sizeof(*v));
	v->v4.family = 4;
	v->v6.family = 6;
}
