/* The agent's decoded copy of /calico/v1/ (node_cache.h). */
#include "agent/node_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"
#include "util/log.h"

void node_cache_init(struct node_cache *c)
{
	memset(c, 0, sizeof(*c));
}

static void kv_clear_decoded(struct node_kv *kv)
{
	endpoint_free(&kv->ep);
	for (size_t i = 0; i < kv->n_tags; i++)
		free(kv->tags[i]);
	free(kv->tags);
	kv->tags = NULL;
	kv->n_tags = 0;
	rule_list_free(&kv->in);
	rule_list_free(&kv->out);
	memset(&kv->pool, 0, sizeof(kv->pool));
	kv->as_num = 0;
	kv->mesh_enabled = false;
	memset(&kv->peer, 0, sizeof(kv->peer));
	memset(&kv->ip, 0, sizeof(kv->ip));
	memset(&kv->block, 0, sizeof(kv->block));
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
	node_cache_init(c);
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

/* What follows /calico/bgp/v1/global/ or /calico/bgp/v1/host/<h>/. */
static void classify_bgp(struct node_kv *kv, const char *leaf)
{
	if (strcmp(leaf, "as_num") == 0)
		kv->kind = NKV_BGP_AS;
	else if ((starts(leaf, "peer_v4/") || starts(leaf, "peer_v6/")) && leaf[8] && !strchr(leaf + 8, '/'))
		kv->kind = NKV_BGP_PEER;
	else if (kv->host[0] && (strcmp(leaf, "ip_addr_v4") == 0 || strcmp(leaf, "ip_addr_v6") == 0))
		kv->kind = NKV_BGP_HOST_IP;
	else if (!kv->host[0] && strcmp(leaf, "node_mesh") == 0)
		kv->kind = NKV_BGP_MESH;
}

/* Sets kind and the names a key carries. */
static void classify(struct node_kv *kv)
{
	const char *k = kv->key, *rest;

	kv->kind = NKV_OTHER;
	if (starts(k, "/calico/bgp/v1/global/")) {
		classify_bgp(kv, k + strlen("/calico/bgp/v1/global/"));
	} else if (starts(k, KEY_BGP_HOST_PREFIX)) {
		rest = segment(k + strlen(KEY_BGP_HOST_PREFIX), kv->host, sizeof(kv->host));
		if (rest && *rest == '/')
			classify_bgp(kv, rest + 1);
		else
			kv->host[0] = '\0';
	} else if (starts(k, "/calico/ipam/v2/host/")) {
		rest = segment(k + strlen("/calico/ipam/v2/host/"), kv->host, sizeof(kv->host));
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
	} else if (starts(k, KEY_POOL_V4_PREFIX) || starts(k, KEY_POOL_V6_PREFIX)) {
		kv->kind = NKV_POOL;
	} else if (starts(k, KEY_HOST_PREFIX)) {
		rest = segment(k + strlen(KEY_HOST_PREFIX), kv->host, sizeof(kv->host));
		if (rest && starts(rest, "/config/") &&
		    (rest = segment(rest + 8, kv->name, sizeof(kv->name))) && !*rest)
			kv->kind = NKV_HOST_CONFIG;
		else if (rest && starts(rest, "/workload/") && endpoint_key_parse(k, &kv->ref) == 0)
			kv->kind = NKV_ENDPOINT;
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
	case NKV_PROFILE_RULES:
		rc = rules_decode(kv->value, kv->name, &kv->in, &kv->out, err, sizeof(err));
		break;
	case NKV_POOL:
		rc = pool_decode(kv->value, &kv->pool, err, sizeof(err));
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

int node_cache_put(struct node_cache *c, const char *key, const char *value)
{
	size_t i = node_cache_lower_bound(c, key);
	struct node_kv *kv;
	char *v;

	if (i < c->n && strcmp(c->items[i].key, key) == 0) {
		kv = &c->items[i];
		if (strcmp(kv->value, value) == 0)
			return 0;
		if (!(v = strdup(value)))
			return -ENOMEM;
		kv_clear_decoded(kv);
		free(kv->value);
		kv->value = v;
		return decode(kv) < 0 ? -ENOMEM : 1;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : NODE_CACHE_MIN_CAP;
		struct node_kv *p = realloc(c->items, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->items = p;
		c->cap = ncap;
	}
	struct node_kv fresh = { 0 };
	if (!(fresh.key = strdup(key)) || !(fresh.value = strdup(value))) {
		kv_free(&fresh);
		return -ENOMEM;
	}
	classify(&fresh);
	if (decode(&fresh) < 0) {
		kv_free(&fresh);
		return -ENOMEM;
	}
	memmove(&c->items[i + 1], &c->items[i], (c->n - i) * sizeof(*c->items));
	c->items[i] = fresh;
	c->n++;
	return 1;
}

/* An item is about 1.5 kB, so a burst of endpoints leaves megabytes of
 * capacity behind; a soak of 1,000 endpoints per round saw the live heap
 * step up by 1.5 MB (1,024 more slots) the round a few more IPAM affinities
 * pushed the peak past 1,024 items. Halving once the cache is a quarter
 * full gives it back while an add/remove flapping at the boundary does not
 * reallocate each time. */
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
	if (i >= c->n || strcmp(c->items[i].key, key) != 0)
		return 0;
	kv_free(&c->items[i]);
	memmove(&c->items[i], &c->items[i + 1], (c->n - i - 1) * sizeof(*c->items));
	c->n--;
	shrink(c);
	return 1;
}
