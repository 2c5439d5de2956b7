/* The agent's copy of the datastore (/calico/v1/, the BGP settings under
 * /calico/bgp/v1/ and the block affinities under /calico/ipam/v2/host/): one entry
 * per key, sorted by key, each value decoded once when it arrives, so that
 * recomputing a host's desired state after an event costs no JSON parsing.
 * Pure logic: filled from ds_list / watch events by the agent, and by tests.
 *
 * Memory by need: once node_cache_set_host() names the agent's host, an
 * endpoint of another host is kept only as what this host needs of it (a
 * node_ep: its addresses and interned profile ids, plus hashes of its key and
 * value), not as its text and a decoded record; the host's own endpoints are
 * kept whole. Every endpoint, local or not, has a node_ep (tag membership
 * reads those alone).
 *
 * An observer (node_cache_observe) sees every change with the old and the
 * new entry side by side, before the old one is freed: the agent's
 * incremental engine keeps its indexes current from it. A second one
 * (node_cache_watch) sees the same changes after it: the agent's own tables
 * beside the engine (the flow collector's names) keep current that way.
 *
 * Ownership: the cache owns every entry and what the entries point to;
 * node_cache_free() releases all of it. */
#ifndef CALICO_NODE_CACHE_H
#define CALICO_NODE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/name_table.h"
#include "store/endpoint_store.h"
#include "model/model.h"
#include "resource/resource.h"

enum node_kv_kind {
	NKV_OTHER = 0,     /* kept (so a resync can compare) but unused */
	NKV_CONFIG,        /* /calico/v1/config/<Name> */
	NKV_HOST_CONFIG,   /* /calico/v1/host/<host>/config/<Name> */
	NKV_ENDPOINT,      /* /calico/v1/host/<h>/workload/<o>/<w>/endpoint/<id> */
	NKV_PROFILE_TAGS,  /* /calico/v1/policy/profile/<p>/tags */
	NKV_PROFILE_RULES, /* /calico/v1/policy/profile/<p>/rules */
	NKV_POOL,          /* /calico/v1/ipam/v{4,6}/pool/<cidr> */
	NKV_BGP_AS,        /* /calico/bgp/v1/global/as_num, /calico/bgp/v1/host/<h>/as_num: as_num */
	NKV_BGP_MESH,      /* /calico/bgp/v1/global/node_mesh: mesh_enabled */
	NKV_BGP_PEER,      /* /calico/bgp/v1/global/peer_v4/<ip>, .../host/<h>/peer_v6/<ip>: peer */
	NKV_BGP_HOST_IP,   /* /calico/bgp/v1/host/<h>/ip_addr_v4 | ip_addr_v6 (plain text): ip */
	NKV_AFFINITY,      /* /calico/ipam/v2/host/<h>/ipv{4,6}/block/<cidr>: block */
	NKV_PROFILE_LABELS, /* /calico/v1/policy/profile/<p>/labels: labels (labelsToApply beside the tags) */
	NKV_V3,            /* /calico/resources/v3/projectcalico.org/<plural>/[<ns>/]<name> of a Tier,
			    * GlobalNetworkPolicy, NetworkPolicy, GlobalNetworkSet or NetworkSet: res */
};

/* The prefixes the agent reads and watches (node_cache_wanted). */
#define NODE_CACHE_PREFIXES                                                                                  \
	{ "/calico/v1/", "/calico/bgp/v1/", "/calico/ipam/v2/host/", "/calico/resources/v3/projectcalico.org/" }

struct node_kv {
	char *key, *value;
	enum node_kv_kind kind;
	bool valid; /* the value decoded; an invalid one is ignored (and logged once) */
	char name[CALICO_NAME_MAX + 1]; /* profile name, or config name (truncated names never match) */
	const char *host;               /* NKV_ENDPOINT, NKV_HOST_CONFIG, NKV_BGP_*, NKV_AFFINITY ("" = global):
					 * interned in the cache's names, as hosts are few */
	struct endpoint ep;             /* NKV_ENDPOINT (the rest of its ref: endpoint_key_parse on key) */
	char **tags;                    /* NKV_PROFILE_TAGS */
	size_t n_tags;
	struct pool pool;               /* NKV_POOL */
	uint32_t as_num;                /* NKV_BGP_AS */
	bool mesh_enabled;              /* NKV_BGP_MESH */
	struct bgp_peer peer;           /* NKV_BGP_PEER */
	struct ip_addr ip;              /* NKV_BGP_HOST_IP */
	struct cidr block;              /* NKV_AFFINITY */
	struct v3_map labels;           /* NKV_PROFILE_LABELS */
	struct v3_resource *res;        /* NKV_V3 (NULL otherwise): its kind and metadata name/namespace match
					 * the key; apart, as it is the largest part and few keys have one */
};

/* One endpoint as tag membership and rule selectors see it, in one
 * allocation: 64 bytes for an endpoint with one profile, one address and no
 * labels (each label adds its text). */
struct node_ep {
	uint64_t key_hash, value_hash; /* value_hash tells an unchanged remote value (its text is not kept) */
	bool local;                    /* its node_kv is in items too */
	bool valid;                    /* decoded; an invalid endpoint has no profiles and no addresses */
	uint16_t n_profiles, n_addrs;
	uint16_t n_labels;             /* the record's own labels */
	uint32_t host;                 /* the host in its key (name_table id in names): the VXLAN routes need it */
	uint32_t *profiles;            /* name_table ids, in the record's order */
	struct ip_addr *addrs;         /* IPv4 nets' addresses, then IPv6 ones */
	const char *labels;            /* n_labels times "key\0value\0", in the record's order */
};

/* The resource of a valid NKV_V3 entry; NULL for any other entry, or none. */
static inline const struct v3_resource *node_kv_v3(const struct node_kv *kv)
{
	return kv && kv->kind == NKV_V3 && kv->valid ? kv->res : NULL;
}

struct node_change {
	enum node_kv_kind kind;
	const char *key;
	const struct node_kv *old_kv, *new_kv; /* NULL: absent, or an endpoint of another host */
	const struct node_ep *old_ep, *new_ep; /* NKV_ENDPOINT only; NULL: absent */
};

typedef void (*node_cache_observer)(void *ctx, const struct node_change *ch);

/* Slots the cache starts with and never shrinks below. */
#define NODE_CACHE_MIN_CAP 256

struct node_cache {
	struct node_kv *items; /* sorted by key; every key but other hosts' endpoints */
	size_t n, cap;
	struct node_ep **eps;  /* every endpoint, open addressing on key_hash */
	size_t n_eps, cap_eps;
	struct name_table names; /* profile and tag names */
	char host[256];          /* "" (the default): every endpoint is kept whole */
	node_cache_observer observer;
	void *observer_ctx;
	node_cache_observer watcher;
	void *watcher_ctx;
};

void node_cache_init(struct node_cache *c);
/* Before the first put: the host whose endpoints are kept whole. */
void node_cache_set_host(struct node_cache *c, const char *host);
void node_cache_observe(struct node_cache *c, node_cache_observer fn, void *ctx);
void node_cache_watch(struct node_cache *c, node_cache_observer fn, void *ctx);
/* The FNV-1a hash the cache files an endpoint key under. */
uint64_t node_cache_key_hash(const char *key);
const struct node_ep *node_cache_get_ep(const struct node_cache *c, uint64_t key_hash);
void node_cache_free(struct node_cache *c);
/* Inserts or replaces. 1 when the cache changed, 0 when the key held this
 * value already, -ENOMEM. A value that does not decode is stored invalid
 * (with a warning logged): it still counts as a change. */
int node_cache_put(struct node_cache *c, const char *key, const char *value);
/* Whether key lies under one of NODE_CACHE_PREFIXES (the agent drops the
 * rest of what a watch on /calico/ delivers: IPAM blocks, status keys). */
bool node_cache_wanted(const char *key);
/* 1 when the key was there, 0 when not. */
int node_cache_del(struct node_cache *c, const char *key);
const struct node_kv *node_cache_get(const struct node_cache *c, const char *key);
/* A valid NKV_PROFILE_RULES key's rules, decoded from its value into in and
 * out (the caller frees them with rule_list_free). The cache keeps only the
 * value: decoded, a profile's rules take 688 bytes each (10 MB at 5,000
 * profiles), and only a rebuild of that profile's chains reads them.
 * 0 or -ENOMEM (the value decoded when it was put, so it decodes again). */
int node_cache_profile_rules(const struct node_kv *kv, struct rule_list *in, struct rule_list *out);
/* Index of the first key >= prefix (for prefix walks). */
size_t node_cache_lower_bound(const struct node_cache *c, const char *key);

#endif
