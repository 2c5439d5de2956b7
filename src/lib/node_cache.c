/* The agent's decoded copy of /calico/v1/ (node_cache.h). */
#include "node_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"

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

/* Sets kind and the names a key carries. */
static void classify(struct node_kv *kv)
{
	const char *k = kv->key, *rest;

	kv->kind = NKV_OTHER;
	if (starts(k, KEY_CONFIG_PREFIX)) {
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
		size_t ncap = c->cap ? c->cap * 2 : 256;
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

int node_cache_del(struct node_cache *c, const char *key)
{
	size_t i = node_cache_lower_bound(c, key);
	if (i >= c->n || strcmp(c->items[i].key, key) != 0)
		return 0;
	kv_free(&c->items[i]);
	memmove(&c->items[i], &c->items[i + 1], (c->n - i - 1) * sizeof(*c->items));
	c->n--;
	return 1;
}
