#include "ipam/ipam_block.h"

#include "util/json_strict.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AFFINITY_PREFIX "host:"

int ipam_block_prefix(int family)
{
	return family == 6 ? IPAM_BLOCK_PREFIX_V6 : IPAM_BLOCK_PREFIX_V4;
}

void ipam_block_cidr_of(const struct ip_addr *ip, struct cidr *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = *ip;
	out->prefix = ipam_block_prefix(ip->family);
	/* 64 addresses = the low 6 bits of the last byte. */
	out->addr.bytes[ip->family == 6 ? 15 : 3] &= 0xC0;
}

static void block_reset(struct ipam_block *b)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < IPAM_BLOCK_SIZE; i++)
		b->allocations[i] = -1;
}

int ipam_block_init(struct ipam_block *b, const struct cidr *cidr, const char *host, bool strict_affinity)
{
	block_reset(b);
	b->cidr = *cidr;
	b->strict_affinity = strict_affinity;
	for (int i = 0; i < IPAM_BLOCK_SIZE; i++)
		b->unallocated[i] = (uint8_t)i;
	b->n_unallocated = IPAM_BLOCK_SIZE;
	if (host) {
		size_t len = strlen(AFFINITY_PREFIX) + strlen(host) + 1;
		if (!(b->affinity = malloc(len)))
			return -ENOMEM;
		snprintf(b->affinity, len, AFFINITY_PREFIX "%s", host);
	}
	return 0;
}

void ipam_block_free(struct ipam_block *b)
{
	if (!b)
		return;
	free(b->affinity);
	for (size_t i = 0; i < b->n_attrs; i++) {
		free(b->attrs[i].handle_id);
		json_decref(b->attrs[i].secondary);
	}
	free(b->attrs);
	block_reset(b);
}


static int add_attr(struct ipam_block *b, const char *handle, json_t *secondary /* reference taken */)
{
	struct ipam_attr *grown = realloc(b->attrs, (b->n_attrs + 1) * sizeof(*grown));
	if (!grown) {
		json_decref(secondary);
		return -ENOMEM;
	}
	b->attrs = grown;
	struct ipam_attr *a = &b->attrs[b->n_attrs];
	a->secondary = secondary;
	a->handle_id = NULL;
	if (handle && !(a->handle_id = strdup(handle))) {
		json_decref(secondary);
		return -ENOMEM;
	}
	return (int)b->n_attrs++;
}

static int decode_attrs(json_t *arr, struct ipam_block *b, char *err, size_t errlen)
{
	size_t i;
	json_t *a;
	if (!json_is_array(arr))
		return js_fail(err, errlen, "block: \"attributes\" must be an array");
	json_array_foreach(arr, i, a) {
		json_t *h = json_object_get(a, "handle_id"), *s = json_object_get(a, "secondary");
		if (!json_is_object(a) || (h && !json_is_string(h) && !json_is_null(h)) ||
		    (s && !json_is_object(s) && !json_is_null(s)))
			return js_fail(err, errlen, "block: attribute %zu must be {\"handle_id\":string,\"secondary\":object}",
				    i);
		/* A reference, not a copy: secondaries are never modified in place
		 * (attr_index copies the caller's), and copying them was a tenth of
		 * an allocation's CPU time. */
		json_t *sec = json_is_object(s) ? json_incref(s) : json_object();
		if (!sec || add_attr(b, json_is_string(h) ? json_string_value(h) : NULL, sec) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int decode_ordinals(json_t *alloc, json_t *unalloc, struct ipam_block *b, char *err, size_t errlen)
{
	size_t i;
	json_t *v;
	bool listed[IPAM_BLOCK_SIZE] = { false };

	if (!json_is_array(alloc) || json_array_size(alloc) != IPAM_BLOCK_SIZE)
		return js_fail(err, errlen, "block: \"allocations\" must be an array of %d entries", IPAM_BLOCK_SIZE);
	json_array_foreach(alloc, i, v) {
		if (json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 0 || (size_t)json_integer_value(v) >= b->n_attrs)
			return js_fail(err, errlen, "block: allocations[%zu] does not name an attribute", i);
		b->allocations[i] = (int)json_integer_value(v);
	}
	if (!unalloc || json_is_null(unalloc)) {
		/* A record without an order (written before it was kept): the free
		 * ordinals in address order, as a new block hands them out. */
		for (int o = 0; o < IPAM_BLOCK_SIZE; o++)
			if (b->allocations[o] < 0)
				b->unallocated[b->n_unallocated++] = (uint8_t)o;
		return 0;
	}
	if (!json_is_array(unalloc))
		return js_fail(err, errlen, "block: \"unallocated\" must be an array");
	json_array_foreach(unalloc, i, v) {
		json_int_t o = json_is_integer(v) ? json_integer_value(v) : -1;
		if (o < 0 || o >= IPAM_BLOCK_SIZE || listed[o] || b->allocations[o] >= 0)
			return js_fail(err, errlen, "block: unallocated[%zu] is not a free ordinal listed once", i);
		listed[o] = true;
		b->unallocated[b->n_unallocated++] = (uint8_t)o;
	}
	for (int o = 0; o < IPAM_BLOCK_SIZE; o++)
		if (b->allocations[o] < 0 && !listed[o])
			return js_fail(err, errlen, "block: ordinal %d is neither allocated nor unallocated", o);
	return 0;
}

int ipam_block_decode(const char *json, struct ipam_block *b, char *err, size_t errlen)
{
	json_error_t jerr;
	struct cidr c;
	int rc = -EINVAL;
	const char *key;
	json_t *v;

	block_reset(b);
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return js_fail(err, errlen, "block: bad JSON: %s", jerr.text);
	if (!json_is_object(root)) {
		js_fail(err, errlen, "block: not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "cidr") && strcmp(key, "affinity") && strcmp(key, "strictAffinity") &&
		    strcmp(key, "allocations") && strcmp(key, "unallocated") && strcmp(key, "attributes")) {
			js_fail(err, errlen, "block: unknown key \"%s\"", key);
			goto out;
		}
	}
	const char *ctext = json_string_value(json_object_get(root, "cidr"));
	if (!ctext || cidr_parse(ctext, false, false, &c) < 0 || c.prefix != ipam_block_prefix(c.addr.family)) {
		js_fail(err, errlen, "block: \"cidr\" %s is not a /26 or /122 prefix", ctext ? ctext : "(missing)");
		goto out;
	}
	b->cidr = c;
	json_t *aff = json_object_get(root, "affinity");
	if (aff && !json_is_null(aff)) {
		if (!json_is_string(aff)) {
			js_fail(err, errlen, "block %s: \"affinity\" must be a string or null", ctext);
			goto out;
		}
		if (!(b->affinity = strdup(json_string_value(aff)))) {
			rc = -ENOMEM;
			goto out;
		}
	}
	json_t *strict = json_object_get(root, "strictAffinity");
	if (strict && !json_is_boolean(strict)) {
		js_fail(err, errlen, "block %s: \"strictAffinity\" must be true or false", ctext);
		goto out;
	}
	b->strict_affinity = json_is_true(strict);
	json_t *attrs = json_object_get(root, "attributes");
	if (attrs && (rc = decode_attrs(attrs, b, err, errlen)) < 0)
		goto out;
	rc = decode_ordinals(json_object_get(root, "allocations"), json_object_get(root, "unallocated"), b, err,
			     errlen);
out:
	json_decref(root);
	if (rc < 0)
		ipam_block_free(b);
	return rc;
}

char *ipam_block_encode(const struct ipam_block *b)
{
	char ctext[CIDR_STR_MAX];
	int remap[IPAM_BLOCK_SIZE];
	char *out = NULL;
	size_t n_used = 0;
	int *index = calloc(b->n_attrs + 1, sizeof(int));
	json_t *root = json_object(), *alloc = json_array(), *unalloc = json_array(), *attrs = json_array();

	if (!index || !root || !alloc || !unalloc || !attrs)
		goto out;
	/* Attributes in order of first use; unused ones are dropped. */
	for (size_t i = 0; i < b->n_attrs; i++)
		index[i] = -1;
	for (int o = 0; o < IPAM_BLOCK_SIZE; o++) {
		int a = b->allocations[o];
		remap[o] = -1;
		if (a < 0)
			continue;
		if (index[a] < 0) {
			const struct ipam_attr *at = &b->attrs[a];
			json_t *obj = json_pack("{s:s?,s:O}", "handle_id", at->handle_id, "secondary", at->secondary);
			if (!obj || json_array_append_new(attrs, obj) < 0)
				goto out;
			index[a] = (int)n_used++;
		}
		remap[o] = index[a];
	}
	for (int o = 0; o < IPAM_BLOCK_SIZE; o++)
		if (json_array_append_new(alloc, remap[o] < 0 ? json_null() : json_integer(remap[o])) < 0)
			goto out;
	for (size_t i = 0; i < b->n_unallocated; i++)
		if (json_array_append_new(unalloc, json_integer(b->unallocated[i])) < 0)
			goto out;
	if (json_object_set_new(root, "cidr", json_string(cidr_format(&b->cidr, ctext))) < 0 ||
	    json_object_set_new(root, "affinity", b->affinity ? json_string(b->affinity) : json_null()) < 0 ||
	    json_object_set_new(root, "strictAffinity", json_boolean(b->strict_affinity)) < 0 ||
	    json_object_set(root, "allocations", alloc) < 0 || json_object_set(root, "unallocated", unalloc) < 0 ||
	    json_object_set(root, "attributes", attrs) < 0)
		goto out;
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	free(index);
	json_decref(alloc);
	json_decref(unalloc);
	json_decref(attrs);
	json_decref(root);
	return out;
}

const char *ipam_block_host(const struct ipam_block *b)
{
	size_t n = strlen(AFFINITY_PREFIX);
	if (!b->affinity || strncmp(b->affinity, AFFINITY_PREFIX, n) != 0)
		return NULL;
	return b->affinity + n;
}

size_t ipam_block_used(const struct ipam_block *b)
{
	return IPAM_BLOCK_SIZE - b->n_unallocated;
}

bool ipam_block_is_empty(const struct ipam_block *b)
{
	return b->n_unallocated == IPAM_BLOCK_SIZE;
}

int ipam_block_ordinal(const struct ipam_block *b, const struct ip_addr *ip)
{
	if (ip->family != b->cidr.addr.family || !cidr_contains(&b->cidr, ip))
		return -1;
	return (int)ip_diff(ip, &b->cidr.addr);
}

void ipam_block_addr(const struct ipam_block *b, int ordinal, struct ip_addr *out)
{
	ip_add(&b->cidr.addr, (uint64_t)ordinal, out);
}

const struct ipam_attr *ipam_block_attr(const struct ipam_block *b, int ordinal)
{
	if (ordinal < 0 || ordinal >= IPAM_BLOCK_SIZE || b->allocations[ordinal] < 0)
		return NULL;
	return &b->attrs[b->allocations[ordinal]];
}

static bool same_handle(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The index of an attribute equal to (handle, secondary), adding one if needed. */
static int attr_index(struct ipam_block *b, const char *handle, const json_t *secondary)
{
	for (size_t i = 0; i < b->n_attrs; i++)
		if (same_handle(b->attrs[i].handle_id, handle) && json_equal(b->attrs[i].secondary, secondary))
			return (int)i;
	json_t *copy = secondary ? json_deep_copy(secondary) : json_object();
	if (!copy)
		return -ENOMEM;
	return add_attr(b, handle, copy);
}

static void unlist(struct ipam_block *b, size_t pos)
{
	memmove(&b->unallocated[pos], &b->unallocated[pos + 1], b->n_unallocated - pos - 1);
	b->n_unallocated--;
}

int ipam_block_take(struct ipam_block *b, size_t n, const char *handle, const json_t *secondary, int *ordinals)
{
	size_t k = n < b->n_unallocated ? n : b->n_unallocated;
	if (k == 0)
		return 0;
	int a = attr_index(b, handle, secondary);
	if (a < 0)
		return a;
	for (size_t i = 0; i < k; i++) {
		ordinals[i] = b->unallocated[i];
		b->allocations[ordinals[i]] = a;
	}
	memmove(b->unallocated, b->unallocated + k, b->n_unallocated - k);
	b->n_unallocated -= k;
	return (int)k;
}

int ipam_block_assign(struct ipam_block *b, int ordinal, const char *handle, const json_t *secondary)
{
	if (ordinal < 0 || ordinal >= IPAM_BLOCK_SIZE)
		return -EINVAL;
	if (b->allocations[ordinal] >= 0)
		return -EEXIST;
	int a = attr_index(b, handle, secondary);
	if (a < 0)
		return a;
	for (size_t i = 0; i < b->n_unallocated; i++)
		if (b->unallocated[i] == ordinal) {
			unlist(b, i);
			break;
		}
	b->allocations[ordinal] = a;
	return 0;
}

int ipam_block_release(struct ipam_block *b, int ordinal)
{
	if (ordinal < 0 || ordinal >= IPAM_BLOCK_SIZE || b->allocations[ordinal] < 0)
		return -ENOENT;
	b->allocations[ordinal] = -1;
	b->unallocated[b->n_unallocated++] = (uint8_t)ordinal;
	return 0;
}

size_t ipam_block_release_handle(struct ipam_block *b, const char *handle)
{
	size_t n = 0;
	for (int o = 0; o < IPAM_BLOCK_SIZE; o++) {
		const struct ipam_attr *a = ipam_block_attr(b, o);
		if (a && same_handle(a->handle_id, handle)) {
			ipam_block_release(b, o);
			n++;
		}
	}
	return n;
}

size_t ipam_block_count_handle(const struct ipam_block *b, const char *handle)
{
	size_t n = 0;
	for (int o = 0; o < IPAM_BLOCK_SIZE; o++) {
		const struct ipam_attr *a = ipam_block_attr(b, o);
		if (a && same_handle(a->handle_id, handle))
			n++;
	}
	return n;
}

/* ---- blocks of a pool ---- */

uint64_t ipam_pool_block_count(const struct cidr *pool)
{
	int bits = ipam_block_prefix(pool->addr.family) - pool->prefix;
	if (bits < 0)
		return 0;
	if (bits > 58)
		bits = 58;
	return (uint64_t)1 << bits;
}

void ipam_pool_block_at(const struct cidr *pool, uint64_t index, struct cidr *out)
{
	memset(out, 0, sizeof(*out));
	ip_add(&pool->addr, index * IPAM_BLOCK_SIZE, &out->addr);
	out->prefix = ipam_block_prefix(pool->addr.family);
}

uint64_t ipam_host_seed(const char *host)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)host; p && *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return h;
}

static int cmp_cidr(const void *x, const void *y)
{
	const struct cidr *a = x, *b = y;
	if (a->addr.family != b->addr.family)
		return a->addr.family - b->addr.family;
	int c = ip_cmp(&a->addr, &b->addr);
	return c ? c : a->prefix - b->prefix;
}

int ipam_pool_free_block(const struct cidr *pool, const char *host, const struct cidr *taken, size_t n_taken,
			 struct cidr *out)
{
	uint64_t count = ipam_pool_block_count(pool);
	struct cidr *sorted = NULL;
	int rc = -ENOSPC;

	if (count == 0)
		return -ENOSPC;
	if (n_taken && !(sorted = malloc(n_taken * sizeof(*sorted))))
		return -ENOMEM;
	if (n_taken) {
		memcpy(sorted, taken, n_taken * sizeof(*sorted));
		qsort(sorted, n_taken, sizeof(*sorted), cmp_cidr);
	}
	uint64_t start = ipam_host_seed(host) % count;
	/* Among n_taken + 1 distinct candidates at least one is free, if any is. */
	uint64_t tries = (uint64_t)n_taken + 1 < count ? (uint64_t)n_taken + 1 : count;
	for (uint64_t k = 0; k < tries; k++) {
		struct cidr c;
		ipam_pool_block_at(pool, (start + k) % count, &c);
		if (!n_taken || !bsearch(&c, sorted, n_taken, sizeof(*sorted), cmp_cidr)) {
			*out = c;
			rc = 0;
			break;
		}
	}
	free(sorted);
	return rc;
}
