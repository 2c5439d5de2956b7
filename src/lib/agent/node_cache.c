/* The agent's decoded copy of /calico/v1/ (node_cache.h). */
#include "agent/node_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/keys.h"
#include "store/resource_store.h"
#include "util/log.h"
#include "util/array.h"

void node_cache_init(struct node_cache *c)
{
	memset(c, 0, sizeof(*c));
	name_table_init(&c->names);
}

void node_cache_set_host(struct node_cache *c, const char *host)
{
	snprintf(c->host, sizeof(c->host), "%s", host);
}

void node_cache_observe(struct node_cache *c, node_cache_observer fn, void *ctx)
{
	c->observer = fn;
	c->observer_ctx = ctx;
}

void node_cache_watch(struct node_cache *c, node_cache_observer fn, void *ctx)
{
	c->watcher = fn;
	c->watcher_ctx = ctx;
}

static void notify(const struct node_cache *c, enum node_kv_kind kind, const char *key, const struct node_kv *old_kv,
		   const struct node_kv *new_kv, const struct node_ep *old_ep, const struct node_ep *new_ep)
{
	if (!c->observer && !c->watcher)
		return;
	const struct node_change ch = { kind, key, old_kv, new_kv, old_ep, new_ep };
	if (c->observer)
		c->observer(c->observer_ctx, &ch);
	if (c->watcher)
		c->watcher(c->watcher_ctx, &ch);
}

/* ---------- compact endpoints ---------- */

uint64_t node_cache_key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *key; key++) {
		h ^= (unsigned char)*key;
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

static size_t ep_slot(const struct node_cache *c, uint64_t key_hash)
{
	size_t i = (size_t)(key_hash ^ (key_hash >> 31)) & (c->cap_eps - 1);
	while (c->eps[i] && c->eps[i]->key_hash != key_hash)
		i = (i + 1) & (c->cap_eps - 1);
	return i;
}

const struct node_ep *node_cache_get_ep(const struct node_cache *c, uint64_t key_hash)
{
	return c->cap_eps ? c->eps[ep_slot(c, key_hash)] : NULL;
}

static int eps_grow(struct node_cache *c)
{
	size_t ncap = c->cap_eps ? c->cap_eps * 2 : 256;
	struct node_ep **old = c->eps;
	size_t old_cap = c->cap_eps;

	if (!(c->eps = calloc(ncap, sizeof(*c->eps)))) {
		c->eps = old;
		return -ENOMEM;
	}
	c->cap_eps = ncap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			c->eps[ep_slot(c, old[i]->key_hash)] = old[i];
	free(old);
	return 0;
}

/* Backward-shift deletion (count_map.c does the same). */
static void eps_remove_at(struct node_cache *c, size_t hole)
{
	size_t mask = c->cap_eps - 1, j = hole;
	c->eps[hole] = NULL;
	for (;;) {
		j = (j + 1) & mask;
		if (!c->eps[j])
			break;
		size_t home = (size_t)(c->eps[j]->key_hash ^ (c->eps[j]->key_hash >> 31)) & mask;
		if (hole <= j ? (home <= hole || home > j) : (home <= hole && home > j)) {
			c->eps[hole] = c->eps[j];
			c->eps[j] = NULL;
			hole = j;
		}
	}
	c->n_eps--;
}

static const char *segment(const char *s, char *buf, size_t len);
static bool starts(const char *s, const char *prefix);

/* The compact record of a decoded endpoint (e NULL: an invalid one). */
static int ep_make(struct node_cache *c, uint64_t key_hash, uint64_t value_hash, bool local, const char *key,
		   const struct endpoint *e, struct node_ep **out)
{
	char host[256] = "";
	uint32_t host_id;
	size_t np = e ? e->n_profile_ids : 0, na = e ? e->n_ipv4_nets + e->n_ipv6_nets : 0;
	size_t nl = e ? e->n_labels : 0, text = 0;
	struct node_ep *r;
	int rc;

	*out = NULL;
	/* /calico/v1/host/<host>/workload/...: interned, as hosts are few */
	if (starts(key, "/calico/v1/host/"))
		segment(key + strlen("/calico/v1/host/"), host, sizeof(host));
	if ((rc = name_table_intern(&c->names, host, &host_id)) < 0)
		return rc;
	if (np > UINT16_MAX || na > UINT16_MAX || nl > UINT16_MAX)
		np = na = nl = 0; /* the decoder bounds all three far below */
	for (size_t i = 0; i < nl; i++)
		text += strlen(e->labels[i].key) + strlen(e->labels[i].value) + 2;
	/* addresses first: they need the stricter alignment */
	if (!(r = malloc(sizeof(*r) + na * sizeof(struct ip_addr) + np * sizeof(uint32_t) + text)))
		return -ENOMEM;
	r->key_hash = key_hash;
	r->value_hash = value_hash;
	r->local = local;
	r->valid = e != NULL;
	r->n_profiles = (uint16_t)np;
	r->n_addrs = (uint16_t)na;
	r->n_labels = (uint16_t)nl;
	r->host = host_id;
	r->addrs = (struct ip_addr *)(r + 1);
	r->profiles = (uint32_t *)(r->addrs + na);
	char *t = (char *)(r->profiles + np);
	r->labels = t;
	for (size_t i = 0; i < nl; i++) {
		size_t kl = strlen(e->labels[i].key) + 1, vl = strlen(e->labels[i].value) + 1;
		memcpy(t, e->labels[i].key, kl);
		memcpy(t + kl, e->labels[i].value, vl);
		t += kl + vl;
	}
	for (size_t i = 0; i < np; i++)
		if ((rc = name_table_intern(&c->names, e->profile_ids[i], &r->profiles[i])) < 0) {
			free(r);
			return rc;
		}
	for (size_t i = 0; e && i < e->n_ipv4_nets; i++)
		r->addrs[i] = e->ipv4_nets[i].addr;
	for (size_t i = 0; e && i < e->n_ipv6_nets; i++)
		r->addrs[e->n_ipv4_nets + i] = e->ipv6_nets[i].addr;
	*out = r;
	return 0;
}

/* Files r (NULL: removes) under key_hash; returns the record it replaced,
 * which the caller frees after telling the observer. */
static int eps_put(struct node_cache *c, uint64_t key_hash, struct node_ep *r, struct node_ep **old)
{
	int rc;

	*old = NULL;
	if (r && (c->n_eps + 1) * 2 > c->cap_eps && (rc = eps_grow(c)) < 0)
		return rc;
	if (!c->cap_eps)
		return 0;
	size_t i = ep_slot(c, key_hash);
	*old = c->eps[i];
	if (r) {
		c->eps[i] = r;
		c->n_eps += *old == NULL;
	} else if (*old) {
		eps_remove_at(c, i);
	}
	return 0;
}

static bool is_local_host(const struct node_cache *c, const char *host)
{
	return !c->host[0] || strcmp(c->host, host) == 0;
}

/* *out: host interned in the cache's names (the table keeps each name at one
 * address for the cache's life), or "" for none. 0 or -ENOMEM. */
static int intern_host(struct node_cache *c, const char *host, const char **out)
{
	uint32_t id;
	int rc;

	*out = "";
	if (!host[0])
		return 0;
	if ((rc = name_table_intern(&c->names, host, &id)) < 0)
		return rc;
	*out = name_table_name(&c->names, id);
	return 0;
}

static void kv_clear_decoded(struct node_kv *kv)
{
	endpoint_free(&kv->ep);
	for (size_t i = 0; i < kv->n_tags; i++)
		free(kv->tags[i]);
	free(kv->tags);
	kv->tags = NULL;
	kv->n_tags = 0;
	memset(&kv->pool, 0, sizeof(kv->pool));
	kv->as_num = 0;
	kv->mesh_enabled = false;
	memset(&kv->peer, 0, sizeof(kv->peer));
	memset(&kv->ip, 0, sizeof(kv->ip));
	memset(&kv->block, 0, sizeof(kv->block));
	v3_map_free(&kv->labels);
	if (kv->res) {
		v3_resource_free(kv->res);
		free(kv->res);
		kv->res = NULL;
	}
	kv->valid = false;
}

static void kv_free(struct node_kv *kv)
{
	kv_clear_decoded(kv);
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void node_cache_free(struct node_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		kv_free(&c->items[i]);
	free(c->items);
	for (size_t i = 0; i < c->cap_eps; i++)
		free(c->eps[i]);
	free(c->eps);
	name_table_free(&c->names);
	node_cache_init(c);
}

int node_cache_profile_rules(const struct node_kv *kv, struct rule_list *in, struct rule_list *out)
{
	char err[MODEL_ERR_MAX];
	int rc = rules_decode(kv->value, kv->name, in, out, err, sizeof(err));
	if (rc < 0) {
		rule_list_free(in);
		rule_list_free(out);
	}
	return rc == -ENOMEM ? rc : rc < 0 ? -EINVAL : 0;
}

size_t node_cache_lower_bound(const struct node_cache *c, const char *key)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->items[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct node_kv *node_cache_get(const struct node_cache *c, const char *key)
{
	size_t i = node_cache_lower_bound(c, key);
	return i < c->n && strcmp(c->items[i].key, key) == 0 ? &c->items[i] : NULL;
}

/* Copies the path segment starting at s (up to '/' or the end) into buf;
 * returns the character after it, or NULL when it does not fit or is empty. */
static const char *segment(const char *s, char *buf, size_t len)
{
	size_t n = strcspn(s, "/");
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return s + n;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool node_cache_wanted(const char *key)
{
	static const char *const prefixes[] = NODE_CACHE_PREFIXES;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (starts(key, prefixes[i]))
			return true;
	return false;
}

/* What follows /calico/bgp/v1/global/ or /calico/bgp/v1/host/<host>/ ("" = global). */
static void classify_bgp(struct node_kv *kv, const char *host, const char *leaf)
{
	if (strcmp(leaf, "as_num") == 0)
		kv->kind = NKV_BGP_AS;
	else if ((starts(leaf, "peer_v4/") || starts(leaf, "peer_v6/")) && leaf[8] && !strchr(leaf + 8, '/'))
		kv->kind = NKV_BGP_PEER;
	else if (host[0] && (strcmp(leaf, "ip_addr_v4") == 0 || strcmp(leaf, "ip_addr_v6") == 0))
		kv->kind = NKV_BGP_HOST_IP;
	else if (!host[0] && strcmp(leaf, "node_mesh") == 0)
		kv->kind = NKV_BGP_MESH;
}

/* <plural>/[<ns>/]<name> of the kinds the dataplane enforces; the rest of
 * what calicoctl stores there is kept as NKV_OTHER. */
static void classify_v3(struct node_kv *kv, const char *rest)
{
	static const enum v3_kind kinds[] = { V3_TIER, V3_GLOBAL_NETWORK_POLICY, V3_NETWORK_POLICY,
					      V3_GLOBAL_NETWORK_SET, V3_NETWORK_SET };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct v3_kind_info *ki = v3_kind_info(kinds[i]);
		size_t n = strlen(ki->plural);
		if (strncmp(rest, ki->plural, n) != 0 || rest[n] != '/')
			continue;
		const char *name = rest + n + 1, *slash = strchr(name, '/');
		if (*name && (ki->namespaced ? slash && slash != name && slash[1] && !strchr(slash + 1, '/') : !slash))
			kv->kind = NKV_V3;
		return;
	}
}

/* A v3 resource whose kind, name and namespace are the key's. */
static int decode_v3(struct node_kv *kv, char *err, size_t errlen)
{
	const char *rest = kv->key + strlen(V3_KEY_PREFIX), *name = strchr(rest, '/') + 1;
	json_error_t jerr;
	json_t *tree = json_loads(kv->value, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	if (!tree) {
		snprintf(err, errlen, "not JSON: %s", jerr.text);
		return -EINVAL;
	}
	if (!(kv->res = calloc(1, sizeof(*kv->res)))) {
		json_decref(tree);
		return -ENOMEM;
	}
	rc = v3_decode(tree, kv->res, err, errlen);
	json_decref(tree);
	if (rc < 0) {
		free(kv->res);
		kv->res = NULL;
		return rc;
	}
	const struct v3_kind_info *ki = v3_kind_info(kv->res->kind);
	const char *ns = kv->res->meta.namespace_;
	size_t nl = ns ? strlen(ns) : 0;
	bool same = strncmp(rest, ki->plural, strlen(ki->plural)) == 0 && rest[strlen(ki->plural)] == '/' &&
		    (ki->namespaced ? ns && strncmp(name, ns, nl) == 0 && name[nl] == '/' &&
					      strcmp(name + nl + 1, kv->res->meta.name) == 0
				    : strcmp(name, kv->res->meta.name) == 0);
	if (!same) {
		snprintf(err, errlen, "a %s named \"%.64s\" does not belong under this key", ki->name,
			 kv->res->meta.name);
		v3_resource_free(kv->res);
		free(kv->res);
		kv->res = NULL;
		return -EINVAL;
	}
	return 0;
}

/* A profile's labels key: a JSON object of strings. */
static int decode_labels(struct node_kv *kv, char *err, size_t errlen)
{
	json_t *o = json_loads(kv->value, JSON_REJECT_DUPLICATES, NULL), *v;
	const char *k;
	int rc = 0;

	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(err, errlen, "not a JSON object of strings");
		return -EINVAL;
	}
	json_object_foreach(o, k, v) {
		if (!json_is_string(v) || !v3_label_key_valid(k) || !v3_label_value_valid(json_string_value(v))) {
			snprintf(err, errlen, "label \"%.64s\" is not a valid label with a string value", k);
			rc = -EINVAL;
			break;
		}
		if ((rc = v3_map_set(&kv->labels, k, json_string_value(v))) < 0)
			break;
	}
	json_decref(o);
	if (rc < 0)
		v3_map_free(&kv->labels);
	return rc;
}

/* Sets kind and name, and host[KEY_HOST_MAX] to the host the key names ("" for none). */
#define KEY_HOST_MAX 256
static void classify(struct node_kv *kv, char *host)
{
	const char *k = kv->key, *rest;

	kv->kind = NKV_OTHER;
	host[0] = '\0';
	if (starts(k, "/calico/bgp/v1/global/")) {
		classify_bgp(kv, host, k + strlen("/calico/bgp/v1/global/"));
	} else if (starts(k, KEY_BGP_HOST_PREFIX)) {
		rest = segment(k + strlen(KEY_BGP_HOST_PREFIX), host, KEY_HOST_MAX);
		if (rest && *rest == '/')
			classify_bgp(kv, host, rest + 1);
		else
			host[0] = '\0';
	} else if (starts(k, "/calico/ipam/v2/host/")) {
		rest = segment(k + strlen("/calico/ipam/v2/host/"), host, KEY_HOST_MAX);
		if (rest && (starts(rest, "/ipv4/block/") || starts(rest, "/ipv6/block/")) && rest[12] &&
		    !strchr(rest + 12, '/'))
			kv->kind = NKV_AFFINITY;
	} else if (starts(k, KEY_CONFIG_PREFIX)) {
		if ((rest = segment(k + strlen(KEY_CONFIG_PREFIX), kv->name, sizeof(kv->name))) && !*rest)
			kv->kind = NKV_CONFIG;
	} else if (starts(k, KEY_PROFILE_PREFIX)) {
		rest = segment(k + strlen(KEY_PROFILE_PREFIX), kv->name, sizeof(kv->name));
		if (rest && strcmp(rest, "/tags") == 0)
			kv->kind = NKV_PROFILE_TAGS;
		else if (rest && strcmp(rest, "/rules") == 0)
			kv->kind = NKV_PROFILE_RULES;
		else if (rest && strcmp(rest, "/labels") == 0)
			kv->kind = NKV_PROFILE_LABELS;
	} else if (starts(k, V3_KEY_PREFIX)) {
		classify_v3(kv, k + strlen(V3_KEY_PREFIX));
	} else if (starts(k, KEY_POOL_V4_PREFIX) || starts(k, KEY_POOL_V6_PREFIX)) {
		kv->kind = NKV_POOL;
	} else if (starts(k, KEY_HOST_PREFIX)) {
		struct endpoint_ref ref;
		rest = segment(k + strlen(KEY_HOST_PREFIX), host, KEY_HOST_MAX);
		if (rest && starts(rest, "/config/") &&
		    (rest = segment(rest + 8, kv->name, sizeof(kv->name))) && !*rest)
			kv->kind = NKV_HOST_CONFIG;
		else if (rest && starts(rest, "/workload/") && endpoint_key_parse(k, &ref) == 0)
			kv->kind = NKV_ENDPOINT; /* its host is ref.host: only the key is kept */
	}
}

static int decode(struct node_kv *kv)
{
	char err[MODEL_ERR_MAX] = "";
	int rc = 0;

	switch (kv->kind) {
	case NKV_ENDPOINT:
		rc = endpoint_decode(kv->value, &kv->ep, err, sizeof(err));
		break;
	case NKV_PROFILE_TAGS:
		rc = tags_decode(kv->value, &kv->tags, &kv->n_tags, err, sizeof(err));
		break;
	case NKV_PROFILE_RULES: {
		/* decoded to be checked only: node_cache_profile_rules decodes again on demand */
		struct rule_list in = { 0 }, out = { 0 };
		rc = rules_decode(kv->value, kv->name, &in, &out, err, sizeof(err));
		rule_list_free(&in);
		rule_list_free(&out);
		break;
	}
	case NKV_POOL:
		rc = pool_decode(kv->value, &kv->pool, err, sizeof(err));
		break;
	case NKV_PROFILE_LABELS:
		rc = decode_labels(kv, err, sizeof(err));
		break;
	case NKV_V3:
		rc = decode_v3(kv, err, sizeof(err));
		break;
	case NKV_BGP_AS:
		if (as_num_parse(kv->value, &kv->as_num) < 0)
			rc = -EINVAL, snprintf(err, sizeof(err), "bad AS number \"%.40s\"", kv->value);
		break;
	case NKV_BGP_MESH:
		rc = node_mesh_decode(kv->value, &kv->mesh_enabled, err, sizeof(err));
		break;
	case NKV_BGP_PEER:
		rc = bgp_peer_decode(kv->value, &kv->peer, err, sizeof(err));
		break;
	case NKV_BGP_HOST_IP: {
		/* "" means "no address of this family" (calicoctl node without --ip6). */
		int fam = kv->key[strlen(kv->key) - 1] == '4' ? 4 : 6;
		if (kv->value[0] && (ip_parse(kv->value, &kv->ip) < 0 || kv->ip.family != fam))
			rc = -EINVAL, snprintf(err, sizeof(err), "bad IPv%d address \"%.60s\"", fam, kv->value);
		break;
	}
	case NKV_AFFINITY:
		if (cidr_from_key(strrchr(kv->key, '/') + 1, &kv->block) < 0)
			rc = -EINVAL, snprintf(err, sizeof(err), "bad block in the key");
		break;
	default:
		break;
	}
	if (rc == -ENOMEM)
		return rc;
	kv->valid = rc == 0;
	if (rc < 0)
		log_warn("ignoring %s: %s", kv->key, err);
	return 0;
}

/* An endpoint of another host: only its node_ep is kept. */
static int put_remote(struct node_cache *c, const char *key, const char *value)
{
	uint64_t kh = node_cache_key_hash(key), vh = node_cache_key_hash(value);
	const struct node_ep *was = node_cache_get_ep(c, kh);
	struct node_ep *r, *old;
	struct endpoint e;
	char err[MODEL_ERR_MAX] = "";
	int rc;

	if (was && was->value_hash == vh)
		return 0;
	rc = endpoint_decode(value, &e, err, sizeof(err));
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		log_warn("ignoring %s: %s", key, err);
	rc = ep_make(c, kh, vh, false, key, rc == 0 ? &e : NULL, &r);
	endpoint_free(&e);
	if (rc < 0 || (rc = eps_put(c, kh, r, &old)) < 0) {
		free(r);
		return rc;
	}
	notify(c, NKV_ENDPOINT, key, NULL, NULL, old, r);
	free(old);
	return 1;
}

/* A local endpoint's node_ep follows its node_kv. */
static int local_ep(struct node_cache *c, const struct node_kv *kv, struct node_ep **out)
{
	*out = NULL;
	if (kv->kind != NKV_ENDPOINT)
		return 0;
	return ep_make(c, node_cache_key_hash(kv->key), 0, true, kv->key, kv->valid ? &kv->ep : NULL, out);
}

int node_cache_put(struct node_cache *c, const char *key, const char *value)
{
	size_t i = node_cache_lower_bound(c, key);
	struct node_kv *kv;
	struct node_ep *r = NULL, *old = NULL;
	int rc;

	if (i < c->n && strcmp(c->items[i].key, key) == 0) {
		kv = &c->items[i];
		if (strcmp(kv->value, value) == 0)
			return 0;
		struct node_kv fresh = { .key = kv->key, .host = kv->host };
		char host[KEY_HOST_MAX];
		if (!(fresh.value = strdup(value)))
			return -ENOMEM;
		classify(&fresh, host); /* the same key: the same host */
		if (decode(&fresh) < 0 || local_ep(c, &fresh, &r) < 0 ||
		    (r && eps_put(c, r->key_hash, r, &old) < 0)) {
			free(r);
			fresh.key = NULL;
			kv_free(&fresh);
			return -ENOMEM;
		}
		notify(c, kv->kind, key, kv, &fresh, old, r);
		free(old);
		kv_clear_decoded(kv);
		free(kv->value);
		*kv = fresh;
		return 1;
	}
	struct node_kv fresh = { .key = (char *)key };
	char host[KEY_HOST_MAX];
	classify(&fresh, host);
	if (fresh.kind == NKV_ENDPOINT && !is_local_host(c, host))
		return put_remote(c, key, value);
	if (array_reserve((void **)&c->items, &c->cap, c->n + 1, sizeof(*c->items)) < 0 ||
	    intern_host(c, host, &fresh.host) < 0)
		return -ENOMEM;
	if (!(fresh.key = strdup(key)) || !(fresh.value = strdup(value))) {
		kv_free(&fresh);
		return -ENOMEM;
	}
	if (decode(&fresh) < 0 || (rc = local_ep(c, &fresh, &r)) < 0 || (r && eps_put(c, r->key_hash, r, &old) < 0)) {
		free(r);
		kv_free(&fresh);
		return -ENOMEM;
	}
	notify(c, fresh.kind, key, NULL, &fresh, old, r);
	free(old);
	memmove(&c->items[i + 1], &c->items[i], (c->n - i) * sizeof(*c->items));
	c->items[i] = fresh;
	c->n++;
	return 1;
}

/* A burst of endpoints leaves capacity behind: a soak of 1,000 endpoints
 * per round saw the live heap step up by 1.5 MB (1,024 more slots, when an
 * item was 1.7 kB; it is 344 bytes now) the round a few more IPAM
 * affinities pushed the peak past 1,024 items. Halving once the cache is a
 * quarter full gives it back while an add/remove flapping at the boundary
 * does not reallocate each time. */
static void shrink(struct node_cache *c)
{
	if (c->cap <= NODE_CACHE_MIN_CAP || c->n >= c->cap / 4)
		return;
	struct node_kv *p = realloc(c->items, c->cap / 2 * sizeof(*p));
	if (p) { /* if not, the larger block stays: still correct */
		c->items = p;
		c->cap /= 2;
	}
}

int node_cache_del(struct node_cache *c, const char *key)
{
	size_t i = node_cache_lower_bound(c, key);
	struct node_ep *old = NULL;

	if (i >= c->n || strcmp(c->items[i].key, key) != 0) {
		uint64_t kh = node_cache_key_hash(key);
		const struct node_ep *r = node_cache_get_ep(c, kh);
		if (!r || r->local)
			return 0;
		eps_put(c, kh, NULL, &old); /* removing never allocates */
		notify(c, NKV_ENDPOINT, key, NULL, NULL, old, NULL);
		free(old);
		return 1;
	}
	if (c->items[i].kind == NKV_ENDPOINT)
		eps_put(c, node_cache_key_hash(key), NULL, &old);
	notify(c, c->items[i].kind, key, &c->items[i], NULL, old, NULL);
	free(old);
	kv_free(&c->items[i]);
	memmove(&c->items[i], &c->items[i + 1], (c->n - i - 1) * sizeof(*c->items));
	c->n--;
	shrink(c);
	return 1;
}
