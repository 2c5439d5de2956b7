/* The datastore-backed IPAM allocator (see ipam.h). Assigning walks, for each
 * family: the host's affine blocks, then a new block claimed for the host,
 * then (unless strict affinity) other hosts' blocks. Each step that writes is
 * one transaction over the block, the handle and, when a block is created or
 * freed, its affinity marker. */
#include "ipam/ipam.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipam/ipam_handle.h"
#include "model/keys.h"
#include "util/log.h"
#include "util/nodename.h"
#include "store/pool_store.h"
#include "util/array.h"

#define AFFINITY_MARKER "{}"
/* Conflicts in one step after which an allocator claims a block of its own. */
#define SPREAD_AFTER 2

static int failf(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int failf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int ds_failed(struct ds *ds, char *err, size_t errlen, int rc, const char *what)
{
	const char *why = ds_strerror(ds);
	return failf(err, errlen, rc, "IPAM: %s: %s", what, *why ? why : strerror(-rc));
}

static int contention(char *err, size_t errlen, const struct cidr *block)
{
	char c[CIDR_STR_MAX];
	return failf(err, errlen, -EBUSY, "IPAM: too much contention on block %s, gave up after %d tries",
		     cidr_format(block, c), IPAM_MAX_TRIES);
}

/* ---- keys ---- */

char *ipam_block_key(char *buf, const struct cidr *block)
{
	char k[CIDR_STR_MAX];
	return key_fmt(buf, "%s%s", block->addr.family == 6 ? KEY_BLOCK_V6_PREFIX : KEY_BLOCK_V4_PREFIX,
		       cidr_to_key(block, k));
}

char *ipam_affinity_key(char *buf, const char *host, const struct cidr *block)
{
	char k[CIDR_STR_MAX];
	return key_fmt(buf, KEY_IPAM_HOST_PREFIX "%s/ipv%d/block/%s", host, block->addr.family,
		       cidr_to_key(block, k));
}

/* ---- jitter: a per-process generator, reseeded after fork ---- */

static unsigned rng_state;
static pid_t rng_pid;

static unsigned rnd(void)
{
	if (rng_pid != getpid()) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rng_pid = getpid();
		rng_state = (unsigned)rng_pid * 2654435761u ^ (unsigned)ts.tv_nsec;
	}
	return (unsigned)rand_r(&rng_state);
}

static void backoff(int attempt)
{
	long cap_us = 100L << (attempt < 8 ? attempt : 8); /* up to 25.6 ms */
	long us = (long)(rnd() % (unsigned)cap_us);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };
	nanosleep(&ts, NULL);
}

/* ---- blocks ---- */

static int block_load(struct ds *ds, const struct cidr *c, struct ipam_block *b, int64_t *mod_rev, char *err,
		      size_t errlen)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };
	int rc = ds_get(ds, ipam_block_key(key, c), &kv);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0)
		return ds_failed(ds, err, errlen, rc, "reading a block");
	rc = ipam_block_decode(kv.value, b, err, errlen);
	*mod_rev = kv.mod_rev;
	ds_kv_free(&kv);
	return rc;
}

static int cmp_entry(const void *x, const void *y)
{
	const struct ipam_block_entry *a = x, *b = y;
	if (a->block.cidr.addr.family != b->block.cidr.addr.family)
		return a->block.cidr.addr.family - b->block.cidr.addr.family;
	return ip_cmp(&a->block.cidr.addr, &b->block.cidr.addr);
}

/* Appends the blocks of a listing that decode to *v. */
static int decode_blocks(const struct ds_kv_list *l, struct ipam_block_entry **v, size_t *n)
{
	struct ipam_block_entry *grown = realloc(*v, (*n + l->n + 1) * sizeof(**v));
	if (!grown)
		return -ENOMEM;
	*v = grown;
	for (size_t i = 0; i < l->n; i++) {
		char why[256];
		struct ipam_block_entry *e = &(*v)[*n];
		if (ipam_block_decode(l->items[i].value, &e->block, why, sizeof(why)) < 0) {
			log_warn("skipping IPAM block %s: %s", l->items[i].key, why);
			continue;
		}
		e->mod_rev = l->items[i].mod_rev;
		(*n)++;
	}
	return 0;
}

static int list_blocks_family(struct ds *ds, int family, struct ipam_block_entry **v, size_t *n, char *err,
			      size_t errlen)
{
	struct ds_kv_list l = { 0 };
	int rc = ds_list(ds, family == 6 ? KEY_BLOCK_V6_PREFIX : KEY_BLOCK_V4_PREFIX, &l);
	if (rc < 0)
		return ds_failed(ds, err, errlen, rc, "listing blocks");
	rc = decode_blocks(&l, v, n);
	ds_kv_list_free(&l);
	return rc;
}

int ipam_block_list(struct ds *ds, int family, struct ipam_block_entry **out, size_t *n, char *err, size_t errlen)
{
	struct ipam_block_entry *v = NULL;
	size_t count = 0;
	int rc = 0;
	if (family == 0 || family == 4)
		rc = list_blocks_family(ds, 4, &v, &count, err, errlen);
	if (rc == 0 && (family == 0 || family == 6))
		rc = list_blocks_family(ds, 6, &v, &count, err, errlen);
	if (rc < 0) {
		ipam_block_entries_free(v, count);
		v = NULL;
		count = 0;
	} else if (count) {
		qsort(v, count, sizeof(*v), cmp_entry);
	}
	*out = v;
	*n = count;
	return rc;
}

void ipam_block_entries_free(struct ipam_block_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		ipam_block_free(&e[i].block);
	free(e);
}

time_t ipam_attr_created(const struct ipam_attr *a)
{
	const char *ts = json_string_value(json_object_get(a->secondary, "timestamp"));
	struct tm tm = { 0 };
	if (!ts)
		return 0;
	const char *end = strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end && !*end ? timegm(&tm) : 0;
}

/* ---- config ---- */

int ipam_strict_affinity(struct ds *ds, bool *strict, char *err, size_t errlen)
{
	struct ds_kv kv = { 0 };
	*strict = false;
	int rc = ds_get(ds, KEY_IPAM_CONFIG, &kv);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return ds_failed(ds, err, errlen, rc, "reading the IPAM config");
	json_t *root = json_loads(kv.value, 0, NULL);
	json_t *v = json_object_get(root, "strict_affinity");
	if (!json_is_boolean(v))
		rc = failf(err, errlen, -EINVAL, "IPAM: %s must be {\"strict_affinity\":true|false}", KEY_IPAM_CONFIG);
	*strict = json_is_true(v);
	json_decref(root);
	ds_kv_free(&kv);
	return rc;
}

int ipam_set_strict_affinity(struct ds *ds, bool strict, char *err, size_t errlen)
{
	int rc = ds_put(ds, KEY_IPAM_CONFIG, strict ? "{\"strict_affinity\":true}" : "{\"strict_affinity\":false}");
	return rc < 0 ? ds_failed(ds, err, errlen, rc, "writing the IPAM config") : 0;
}

/* ---- assigning ---- */

/* What this handle learnt from its own reads and writes, so that a busy
 * allocator does not re-read (and re-decode) what it wrote a moment ago. Cached
 * data may only lead to a write that the datastore verifies: a block is
 * written with CAS on the cached mod_rev and its pool is CHECKed at the cached
 * mod_rev in the same transaction, so a stale cache costs one failed
 * transaction, never a wrong allocation. A negative conclusion (no pool, no
 * space) is never drawn from the cache: it is re-derived from fresh reads. */
struct ipam_cache {
	bool have_pools;
	struct pool_entry *pools; /* every pool, both families, as pool_list gave them */
	size_t n_pools;
	struct cached_block {
		bool valid;
		char host[HOSTNAME_MAX + 1];
		struct ipam_block b; /* as stored at mod_rev (we wrote it), with free space */
		int64_t mod_rev;
	} cur[2]; /* per family: the host's block this process allocates from */
};

static void cache_drop_block(struct ipam_cache *c, int family)
{
	struct cached_block *cb = &c->cur[family == 6];
	if (cb->valid)
		ipam_block_free(&cb->b);
	cb->valid = false;
}

static void cache_drop_pools(struct ipam_cache *c)
{
	free(c->pools);
	c->pools = NULL;
	c->n_pools = 0;
	c->have_pools = false;
}

static void cache_free(void *p)
{
	struct ipam_cache *c = p;
	cache_drop_block(c, 4);
	cache_drop_block(c, 6);
	cache_drop_pools(c);
	free(c);
}

static struct ipam_cache *cache_of(struct ds *ds)
{
	struct ipam_cache *c = ds_client_cache(ds);
	if (!c && (c = calloc(1, sizeof(*c))))
		ds_set_client_cache(ds, c, cache_free);
	return c;
}

/* Keeps b (moved: the caller's copy is emptied) as the family's current block. */
static void cache_keep_block(struct ipam_cache *c, const char *host, struct ipam_block *b, int64_t mod_rev)
{
	struct cached_block *cb = &c->cur[b->cidr.addr.family == 6];
	if (cb->valid && &cb->b == b) {
		cb->mod_rev = mod_rev;
		return;
	}
	cache_drop_block(c, b->cidr.addr.family);
	snprintf(cb->host, sizeof(cb->host), "%s", host);
	cb->b = *b;
	cb->mod_rev = mod_rev;
	cb->valid = true;
	memset(b, 0, sizeof(*b));
}

struct assign_ctx {
	struct ds *ds;
	struct ipam_cache *cache;
	bool pools_fresh; /* the pool list in use was read during this call */
	const char *host;
	struct ipam_handle handle;
	json_t *secondary;
	struct ip_addr *taken; /* everything this call assigned, to undo on failure */
	size_t n_taken, cap_taken;
	int strict; /* -1 = not read yet */
	char *err;
	size_t errlen;
};

static int note_taken(struct assign_ctx *x, const struct ipam_block *b, const int *ords, size_t k,
		      struct ip_addr *out)
{
	if (array_reserve((void **)&x->taken, &x->cap_taken, x->n_taken + k, sizeof(*x->taken)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		ipam_block_addr(b, ords[i], &x->taken[x->n_taken]);
		if (out)
			out[i] = x->taken[x->n_taken];
		x->n_taken++;
	}
	return 0;
}

static int reload_handle(struct assign_ctx *x)
{
	char id[IPAM_HANDLE_MAX + 1];
	snprintf(id, sizeof(id), "%s", x->handle.id);
	ipam_handle_free(&x->handle);
	return ipam_handle_load(x->ds, id, &x->handle, x->err, x->errlen);
}

/* Writes block b (k new ordinals in ords) and the handle in one transaction:
 * CAS on the block's mod_rev, or, with create, CREATE the block and its
 * affinity marker; with pool, CHECK that the pool is as listed (removing or
 * disabling a pool stops allocations from it even when the list was cached).
 * Returns k (and the new revision in *rev_out), -EAGAIN when someone else
 * wrote first. */
static int commit_take(struct assign_ctx *x, struct ipam_block *b, int64_t mod_rev, bool create, const int *ords,
		       size_t k, struct ip_addr *out, const struct pool_entry *pool, int64_t *rev_out)
{
	char bkey[KEY_MAX], mkey[KEY_MAX], hkey[KEY_MAX], pkey[KEY_MAX];
	struct ds_op ops[4];
	size_t n = 0;
	int64_t rev = 0;
	char *bval = NULL, *hval = NULL;
	int rc = ipam_handle_add(&x->handle, &b->cidr, (long)k);

	if (rc < 0)
		goto out;
	bval = ipam_block_encode(b);
	hval = ipam_handle_encode(&x->handle);
	if (!bval || !hval) {
		rc = -ENOMEM;
		goto out;
	}
	ops[n++] = (struct ds_op){ .type = create ? DS_OP_CREATE : DS_OP_CAS, .key = ipam_block_key(bkey, &b->cidr),
				   .value = bval, .mod_rev = mod_rev };
	if (create && ipam_block_host(b))
		ops[n++] = (struct ds_op){ .type = DS_OP_CREATE, .key = ipam_affinity_key(mkey, x->host, &b->cidr),
					   .value = AFFINITY_MARKER };
	ops[n++] = (struct ds_op){ .type = DS_OP_CAS, .key = ipam_handle_key(hkey, x->handle.id), .value = hval,
				   .mod_rev = x->handle.mod_rev };
	if (pool && pool_key(pkey, &pool->pool.cidr))
		ops[n++] = (struct ds_op){ .type = DS_OP_CHECK, .key = pkey, .mod_rev = pool->mod_rev };
	rc = ds_txn(x->ds, ops, n, &rev);
	if (rc == 0) {
		x->handle.mod_rev = rev;
		if (rev_out)
			*rev_out = rev;
		rc = note_taken(x, b, ords, k, out);
		rc = rc < 0 ? rc : (int)k;
	} else if (rc == -ECANCELED || rc == -EEXIST) {
		rc = -EAGAIN;
	} else {
		rc = ds_failed(x->ds, x->err, x->errlen, rc, "writing a block");
	}
out:
	if (rc < 0) {
		int lrc = reload_handle(x); /* our copy counted addresses we did not get */
		if (lrc < 0)
			rc = lrc;
	}
	free(bval);
	free(hval);
	return rc;
}

struct family_pools {
	struct pool_entry *v;
	size_t n;
};

static const struct pool_entry *pool_of(const struct family_pools *p, const struct cidr *block)
{
	for (size_t i = 0; i < p->n; i++)
		if (cidr_contains_cidr(&p->v[i].pool.cidr, block))
			return &p->v[i];
	return NULL;
}

static bool in_pools(const struct family_pools *p, const struct cidr *block)
{
	return pool_of(p, block) != NULL;
}

/* The pools of family from the cache, listing them when it has none. */
static int pools_of_family(struct assign_ctx *x, int family, struct family_pools *out)
{
	struct ipam_cache *c = x->cache;
	out->v = NULL;
	out->n = 0;
	if (!c->have_pools) {
		int rc = pool_list(x->ds, 0, &c->pools, &c->n_pools);
		if (rc < 0)
			return ds_failed(x->ds, x->err, x->errlen, rc, "listing pools");
		c->have_pools = true;
		x->pools_fresh = true;
	}
	if (!(out->v = malloc((c->n_pools + 1) * sizeof(*out->v))))
		return -ENOMEM;
	for (size_t i = 0; i < c->n_pools; i++)
		if (c->pools[i].pool.cidr.addr.family == family)
			out->v[out->n++] = c->pools[i];
	return 0;
}

/* The enabled pools of family, limited to names when given. */
static int load_pools_once(struct assign_ctx *x, int family, const char *const *names, size_t n_names,
			   struct family_pools *out)
{
	int rc = pools_of_family(x, family, out);
	if (rc < 0)
		return rc;
	size_t kept = 0;
	for (size_t i = 0; i < out->n; i++) {
		bool named = names == NULL;
		for (size_t k = 0; names && k < n_names; k++) {
			struct cidr c;
			if (cidr_parse(names[k], false, false, &c) == 0 && c.prefix == out->v[i].pool.cidr.prefix &&
			    ip_cmp(&c.addr, &out->v[i].pool.cidr.addr) == 0)
				named = true;
		}
		if (named && !out->v[i].pool.disabled)
			out->v[kept++] = out->v[i];
	}
	out->n = kept;
	for (size_t k = 0; names && k < n_names; k++) {
		struct cidr c;
		bool found = false;
		if (cidr_parse(names[k], false, false, &c) < 0 || c.addr.family != family)
			return failf(x->err, x->errlen, -EINVAL, "IPAM: %s is not an IPv%d pool", names[k], family);
		for (size_t i = 0; i < out->n; i++)
			found |= c.prefix == out->v[i].pool.cidr.prefix && ip_cmp(&c.addr, &out->v[i].pool.cidr.addr) == 0;
		if (!found)
			return failf(x->err, x->errlen, -EINVAL, "IPAM: pool %s is not an enabled pool", names[k]);
	}
	return 0;
}

/* load_pools_once, re-read when a cached list says a named pool is missing. */
static int load_pools(struct assign_ctx *x, int family, const char *const *names, size_t n_names,
		      struct family_pools *out)
{
	int rc = load_pools_once(x, family, names, n_names, out);
	if (rc == -EINVAL && !x->pools_fresh) {
		free(out->v);
		cache_drop_pools(x->cache);
		rc = load_pools_once(x, family, names, n_names, out);
	}
	return rc;
}

/* Forgets the pool list in use and reads it again. */
static int reload_pools(struct assign_ctx *x, int family, const char *const *names, size_t n_names,
			struct family_pools *pools)
{
	free(pools->v);
	pools->v = NULL;
	pools->n = 0;
	cache_drop_pools(x->cache);
	return load_pools(x, family, names, n_names, pools);
}

/* Takes from one affine block: 0 when it is gone, not ours or full. */
static int take_affine(struct assign_ctx *x, const struct family_pools *pools, const struct cidr *c, size_t need,
		       struct ip_addr *out)
{
	struct ipam_block b;
	int64_t mod_rev = 0, rev = 0;
	int ords[IPAM_BLOCK_SIZE];
	int rc = block_load(x->ds, c, &b, &mod_rev, x->err, x->errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	const char *owner = ipam_block_host(&b);
	rc = 0;
	if (owner && strcmp(owner, x->host) == 0) {
		rc = ipam_block_take(&b, need, x->handle.id, x->secondary, ords);
		if (rc > 0)
			rc = commit_take(x, &b, mod_rev, false, ords, (size_t)rc, out, pool_of(pools, c), &rev);
		if (rc > 0 && ipam_block_used(&b) < IPAM_BLOCK_SIZE)
			cache_keep_block(x->cache, x->host, &b, rev);
	}
	ipam_block_free(&b);
	return rc;
}

/* Takes from the cached current block without reading it: the CAS on its
 * cached mod_rev proves nobody changed it since we wrote it. 0 when there is
 * none (or it turned out stale: the caller then reads afresh). */
static int take_cached(struct assign_ctx *x, int family, const struct family_pools *pools, size_t need,
		       struct ip_addr *out, struct cidr *last)
{
	struct cached_block *cb = &x->cache->cur[family == 6];
	const struct pool_entry *pool;
	int ords[IPAM_BLOCK_SIZE];
	int64_t rev = 0;

	if (!cb->valid || strcmp(cb->host, x->host) != 0 || !(pool = pool_of(pools, &cb->b.cidr))) {
		cache_drop_block(x->cache, family);
		return 0;
	}
	*last = cb->b.cidr;
	int rc = ipam_block_take(&cb->b, need, x->handle.id, x->secondary, ords);
	if (rc > 0)
		rc = commit_take(x, &cb->b, cb->mod_rev, false, ords, (size_t)rc, out, pool, &rev);
	if (rc > 0 && ipam_block_used(&cb->b) < IPAM_BLOCK_SIZE)
		cb->mod_rev = rev;
	else
		cache_drop_block(x->cache, family); /* full, stale, or our copy no longer matches the store */
	return rc == -EAGAIN ? 0 : rc;
}

static int try_affine(struct assign_ctx *x, int family, const struct family_pools *pools, size_t need,
		      struct ip_addr *out, struct cidr *last)
{
	char prefix[KEY_MAX];
	struct ds_kv_list l = { 0 };
	int rc;

	if ((rc = take_cached(x, family, pools, need, out, last)) != 0)
		return rc;
	if (!key_fmt(prefix, KEY_IPAM_HOST_PREFIX "%s/ipv%d/block/", x->host, family))
		return failf(x->err, x->errlen, -ENAMETOOLONG, "IPAM: host name too long");
	if ((rc = ds_list(x->ds, prefix, &l)) < 0)
		return ds_failed(x->ds, x->err, x->errlen, rc, "listing affine blocks");
	/* A random start spreads the processes of one host over its blocks. */
	size_t start = l.n ? rnd() % l.n : 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		struct cidr c;
		if (cidr_from_key(l.items[(start + i) % l.n].key + strlen(prefix), &c) < 0 || !in_pools(pools, &c))
			continue;
		*last = c;
		rc = take_affine(x, pools, &c, need, out);
	}
	ds_kv_list_free(&l);
	return rc;
}

static int strict_affinity(struct assign_ctx *x, bool *strict)
{
	if (x->strict < 0) {
		int rc = ipam_strict_affinity(x->ds, strict, x->err, x->errlen);
		if (rc < 0)
			return rc;
		x->strict = *strict;
	}
	*strict = x->strict;
	return 0;
}

/* Claims a free block of the pools for the host, with the first addresses in
 * it. taken: every existing block. With spread (processes of this host keep
 * colliding on its blocks), the search starts at a random block of the pool
 * rather than at the host's own start, so that concurrent claimers of one host
 * do not all race for the same block. */
static int try_claim(struct assign_ctx *x, const struct family_pools *pools, const struct cidr *taken,
		     size_t n_taken, bool spread, size_t need, struct ip_addr *out, struct cidr *last)
{
	int ords[IPAM_BLOCK_SIZE], rc = 0;
	bool strict;
	char seed[HOSTNAME_MAX + 16];

	snprintf(seed, sizeof(seed), "%s", x->host);
	if (spread)
		snprintf(seed, sizeof(seed), "%s#%u", x->host, rnd());
	for (size_t p = 0; p < pools->n && rc == 0; p++) {
		struct cidr c;
		struct ipam_block b;
		rc = ipam_pool_free_block(&pools->v[p].pool.cidr, seed, taken, n_taken, &c);
		if (rc == -ENOSPC) {
			rc = 0;
			continue;
		}
		if (rc < 0 || (rc = strict_affinity(x, &strict)) < 0)
			break;
		if ((rc = ipam_block_init(&b, &c, x->host, strict)) == 0) {
			*last = c;
			int64_t rev = 0;
			rc = ipam_block_take(&b, need, x->handle.id, x->secondary, ords);
			if (rc > 0)
				rc = commit_take(x, &b, 0, true, ords, (size_t)rc, out, &pools->v[p], &rev);
			if (rc > 0 && ipam_block_used(&b) < IPAM_BLOCK_SIZE)
				cache_keep_block(x->cache, x->host, &b, rev);
		}
		ipam_block_free(&b);
	}
	return rc;
}

/* Borrows from another host's block (or one without affinity). */
static int try_borrow(struct assign_ctx *x, const struct family_pools *pools, struct ipam_block_entry *blocks,
		      size_t n_blocks, size_t need, struct ip_addr *out, struct cidr *last)
{
	int ords[IPAM_BLOCK_SIZE], rc = 0;
	size_t start = n_blocks ? rnd() % n_blocks : 0;
	for (size_t i = 0; i < n_blocks && rc == 0; i++) {
		struct ipam_block_entry *e = &blocks[(start + i) % n_blocks];
		if (e->block.strict_affinity || !in_pools(pools, &e->block.cidr))
			continue;
		*last = e->block.cidr;
		rc = ipam_block_take(&e->block, need, x->handle.id, x->secondary, ords);
		if (rc > 0)
			rc = commit_take(x, &e->block, e->mod_rev, false, ords, (size_t)rc, out,
					 pool_of(pools, &e->block.cidr), NULL);
	}
	return rc;
}

/* The claim-or-borrow step, once the host's own blocks are full (or, with
 * spread, busy). Claiming needs only the block keys; the blocks are decoded
 * only when borrowing. */
static int try_elsewhere(struct assign_ctx *x, int family, const struct family_pools *pools, bool spread,
			 size_t need, struct ip_addr *out, struct cidr *last)
{
	const char *prefix = family == 6 ? KEY_BLOCK_V6_PREFIX : KEY_BLOCK_V4_PREFIX;
	struct ds_kv_list l = { 0 };
	struct ipam_block_entry *blocks = NULL;
	struct cidr *taken = NULL;
	size_t n_blocks = 0, n_taken = 0;
	bool strict;
	int rc = ds_list(x->ds, prefix, &l);

	if (rc < 0)
		return ds_failed(x->ds, x->err, x->errlen, rc, "listing blocks");
	if (!(taken = calloc(l.n + 1, sizeof(*taken)))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		if (cidr_from_key(l.items[i].key + strlen(prefix), &taken[n_taken]) == 0)
			n_taken++;
	rc = try_claim(x, pools, taken, n_taken, spread, need, out, last);
	if (rc != 0 || spread)
		goto out;
	if ((rc = strict_affinity(x, &strict)) < 0 || strict)
		goto out;
	if ((rc = decode_blocks(&l, &blocks, &n_blocks)) == 0) {
		if (n_blocks)
			qsort(blocks, n_blocks, sizeof(*blocks), cmp_entry);
		rc = try_borrow(x, pools, blocks, n_blocks, need, out, last);
	}
out:
	ipam_block_entries_free(blocks, n_blocks);
	free(taken);
	ds_kv_list_free(&l);
	return rc;
}

static int assign_family(struct assign_ctx *x, int family, const char *const *names, size_t n_names, size_t need,
			 struct ip_addr *out)
{
	struct family_pools pools = { 0 };
	size_t got = 0;
	int tries = 0;
	int rc = load_pools(x, family, names, n_names, &pools);

	while (rc == 0 && got < need) {
		struct cidr last = { 0 };
		/* Repeated conflicts mean other processes of this host share its
		 * blocks: claim a block of our own first (the block cache then keeps
		 * us on it), falling back to the usual order when none is free. */
		rc = tries >= SPREAD_AFTER ? try_elsewhere(x, family, &pools, true, need - got, out + got, &last) : 0;
		if (rc == 0)
			rc = try_affine(x, family, &pools, need - got, out + got, &last);
		if (rc == 0)
			rc = try_elsewhere(x, family, &pools, false, need - got, out + got, &last);
		if (rc == 0 && !x->pools_fresh) {
			/* "No space" from a cached pool list: a pool may have been added. */
			rc = reload_pools(x, family, names, n_names, &pools);
		} else if (rc == 0) {
			rc = failf(x->err, x->errlen, -ENOSPC, IPAM_MSG_EXHAUSTED);
		} else if (rc == -EAGAIN) {
			cache_drop_block(x->cache, family);
			if (++tries >= IPAM_MAX_TRIES) {
				rc = contention(x->err, x->errlen, &last);
			} else {
				backoff(tries);
				/* The conflict may be the pool CHECK: read the pools again when
				 * the list came from the cache, and from the second conflict
				 * on, so a changed pool cannot look like contention. */
				rc = tries >= 2 || !x->pools_fresh ? reload_pools(x, family, names, n_names, &pools) : 0;
			}
		} else if (rc > 0) {
			got += (size_t)rc;
			tries = 0;
			rc = 0;
		}
	}
	free(pools.v);
	return rc;
}

static int undo(struct ds *ds, const struct ip_addr *ips, size_t n, const char *handle);

static int ctx_init(struct assign_ctx *x, struct ds *ds, const char *handle, const char *host,
		    const char *attrs_json, char *err, size_t errlen)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	memset(x, 0, sizeof(*x));
	x->ds = ds;
	x->host = host;
	x->err = err;
	x->errlen = errlen;
	x->strict = -1;
	if (!(x->cache = cache_of(ds)))
		return -ENOMEM;
	if (!ipam_handle_id_is_valid(handle))
		return failf(err, errlen, -EINVAL, "IPAM: '%s' is not a valid handle", handle ? handle : "");
	if (!host || !hostname_is_valid(host))
		return failf(err, errlen, -EINVAL, "IPAM: '%s' is not a valid host name", host ? host : "");
	if (attrs_json) {
		x->secondary = json_loads(attrs_json, 0, NULL);
		if (!json_is_object(x->secondary))
			return failf(err, errlen, -EINVAL, "IPAM: attributes must be a JSON object: %s", attrs_json);
	} else if (!(x->secondary = json_object())) {
		return -ENOMEM;
	}
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	if (json_object_set_new(x->secondary, "host", json_string(host)) < 0 ||
	    json_object_set_new(x->secondary, "timestamp", json_string(stamp)) < 0)
		return -ENOMEM;
	return ipam_handle_load(ds, handle, &x->handle, err, errlen);
}

static void ctx_done(struct assign_ctx *x, int rc)
{
	if (rc < 0 && x->n_taken && undo(x->ds, x->taken, x->n_taken, x->handle.id) < 0)
		log_warn("IPAM: could not undo a failed assignment under handle %s; `calicoctl ipam gc` will "
			 "collect its addresses", x->handle.id);
	free(x->taken);
	json_decref(x->secondary);
	ipam_handle_free(&x->handle);
}

int ipam_auto_assign(struct ds *ds, const struct ipam_request *req, struct ip_addr *v4, struct ip_addr *v6,
		     char *err, size_t errlen)
{
	struct assign_ctx x;
	int rc = ctx_init(&x, ds, req->handle, req->host, req->attrs_json, err, errlen);
	if (rc == 0 && req->num_ipv4)
		rc = assign_family(&x, 4, req->ipv4_pools, req->n_ipv4_pools, req->num_ipv4, v4);
	if (rc == 0 && req->num_ipv6)
		rc = assign_family(&x, 6, req->ipv6_pools, req->n_ipv6_pools, req->num_ipv6, v6);
	ctx_done(&x, rc);
	return rc;
}

/* Assigns one given address: in its block, creating the block for the host if
 * needed. -EEXIST when taken. */
static int assign_one(struct assign_ctx *x, const struct ip_addr *ip)
{
	struct ipam_block b;
	struct cidr c;
	int64_t mod_rev = 0;
	bool strict, create = false;
	char text[IP_STR_MAX];

	ipam_block_cidr_of(ip, &c);
	int rc = block_load(x->ds, &c, &b, &mod_rev, x->err, x->errlen);
	if (rc == -ENOENT) {
		create = true;
		if ((rc = strict_affinity(x, &strict)) < 0 || (rc = ipam_block_init(&b, &c, x->host, strict)) < 0)
			return rc;
	} else if (rc < 0) {
		return rc;
	}
	int ord = ipam_block_ordinal(&b, ip);
	rc = ipam_block_assign(&b, ord, x->handle.id, x->secondary);
	if (rc == -EEXIST)
		rc = failf(x->err, x->errlen, -EEXIST, "IP '%s' already in use.", ip_format(ip, text));
	else if (rc == 0)
		rc = commit_take(x, &b, mod_rev, create, &ord, 1, NULL, NULL, NULL);
	ipam_block_free(&b);
	return rc;
}

int ipam_assign(struct ds *ds, const struct ip_addr *ips, size_t n, const char *handle, const char *host,
		const char *attrs_json, char *err, size_t errlen)
{
	struct assign_ctx x;
	struct family_pools pools[2] = { { 0 } };
	char text[IP_STR_MAX];
	int rc = ctx_init(&x, ds, handle, host, attrs_json, err, errlen);

	if (rc == 0) /* "not in a configured pool" must come from a fresh list */
		cache_drop_pools(x.cache);
	for (int f = 0; rc == 0 && f < 2; f++)
		rc = load_pools(&x, f ? 6 : 4, NULL, 0, &pools[f]);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct cidr c;
		ipam_block_cidr_of(&ips[i], &c);
		if (!in_pools(&pools[ips[i].family == 6], &c)) {
			rc = failf(err, errlen, -EINVAL, "IP '%s' is not in a configured pool.", ip_format(&ips[i], text));
			break;
		}
		for (int tries = 1; (rc = assign_one(&x, &ips[i])) == -EAGAIN; tries++) {
			if (tries >= IPAM_MAX_TRIES) {
				rc = contention(err, errlen, &c);
				break;
			}
			backoff(tries);
		}
		rc = rc > 0 ? 0 : rc;
	}
	free(pools[0].v);
	free(pools[1].v);
	ctx_done(&x, rc);
	return rc;
}

/* ---- releasing ---- */

struct release_match {
	const struct ip_addr *ips; /* only these (NULL = any) */
	size_t n;
	bool *released;       /* per ips: set once released (may be NULL) */
	const char *handle;   /* only this handle's (NULL = any) */
	time_t created_before; /* only older ones (0 = any age) */
};

static int match_ordinal(const struct release_match *m, const struct ipam_block *b, int ord, size_t *which)
{
	const struct ipam_attr *a = ipam_block_attr(b, ord);
	if (!a)
		return false;
	if (m->handle && (!a->handle_id || strcmp(a->handle_id, m->handle) != 0))
		return false;
	if (m->created_before && ipam_attr_created(a) >= m->created_before)
		return false;
	if (!m->ips)
		return true;
	for (size_t i = 0; i < m->n; i++)
		if (ipam_block_ordinal(b, &m->ips[i]) == ord) {
			*which = i;
			return true;
		}
	return false;
}

/* The handle updates of a release: one op per distinct handle. */
struct handle_updates {
	struct ipam_handle h[IPAM_BLOCK_SIZE];
	char keys[IPAM_BLOCK_SIZE][KEY_MAX];
	char *values[IPAM_BLOCK_SIZE];
	size_t n;
};

static void handle_updates_free(struct handle_updates *u)
{
	for (size_t i = 0; i < u->n; i++) {
		ipam_handle_free(&u->h[i]);
		free(u->values[i]);
	}
	u->n = 0;
}

static int handle_update_add(struct ds *ds, struct handle_updates *u, const char *id, const struct cidr *block,
			     char *err, size_t errlen)
{
	size_t i;
	for (i = 0; i < u->n && strcmp(u->h[i].id, id) != 0; i++)
		;
	if (i == u->n) {
		int rc = ipam_handle_load(ds, id, &u->h[i], err, errlen);
		if (rc < 0)
			return rc;
		u->values[i] = NULL;
		u->n++;
	}
	return ipam_handle_add(&u->h[i], block, -1);
}

/* Whether block lies in a pool (enabled or not) that exists now. */
static int block_pooled(struct ds *ds, const struct cidr *block, bool *pooled, char *err, size_t errlen)
{
	struct pool_entry *pools = NULL;
	size_t n = 0;
	int rc = pool_list(ds, block->addr.family, &pools, &n);
	if (rc < 0)
		return ds_failed(ds, err, errlen, rc, "listing pools");
	*pooled = false;
	for (size_t i = 0; i < n; i++)
		*pooled |= cidr_contains_cidr(&pools[i].pool.cidr, block);
	free(pools);
	return 0;
}

/* Whether a block that a release emptied goes back to the pool. One affine to
 * a host stays with it, as in Calico: freeing it would let its next claim
 * start again at the ordinals just released (conntrack, neighbour caches and
 * peers may still point at the old workloads). Blocks are given back by
 * `calicoctl ipam gc`, node removal and pool removal; a release frees only a
 * block without affinity, or one whose pool is gone. */
static int free_when_emptied(struct ds *ds, const struct ipam_block *b, bool *free_it, char *err, size_t errlen)
{
	bool pooled = true;
	int rc = ipam_block_host(b) ? block_pooled(ds, &b->cidr, &pooled, err, errlen) : 0;
	*free_it = !pooled || !ipam_block_host(b);
	return rc;
}

/* Releases the matching ordinals of one block in one transaction with the
 * handles' counts; an emptied block is deleted with its affinity marker when
 * free_when_emptied says so. Returns how many it released (0 when none
 * matched), -EAGAIN on a conflict. */
static int release_in_block(struct ds *ds, const struct cidr *c, const struct release_match *m, char *err,
			    size_t errlen)
{
	struct ipam_block b;
	int64_t mod_rev = 0;
	struct handle_updates *u = calloc(1, sizeof(*u));
	struct ds_op ops[IPAM_BLOCK_SIZE + 2];
	char bkey[KEY_MAX], mkey[KEY_MAX];
	size_t which[IPAM_BLOCK_SIZE], n_ops = 0;
	int released = 0;
	char *bval = NULL;

	if (!u)
		return -ENOMEM;
	int rc = block_load(ds, c, &b, &mod_rev, err, errlen);
	if (rc < 0) {
		free(u);
		return rc == -ENOENT ? 0 : rc;
	}
	for (int o = 0; o < IPAM_BLOCK_SIZE && rc == 0; o++) {
		size_t w = (size_t)-1;
		if (!match_ordinal(m, &b, o, &w))
			continue;
		const char *h = ipam_block_attr(&b, o)->handle_id;
		if (h)
			rc = handle_update_add(ds, u, h, c, err, errlen);
		ipam_block_release(&b, o);
		which[released++] = w;
	}
	if (rc < 0 || released == 0)
		goto out;
	for (size_t i = 0; i < u->n; i++) {
		if (u->h[i].mod_rev == 0)
			continue; /* an absent handle has no count to fix */
		ops[n_ops] = (struct ds_op){ .type = DS_OP_DELETE, .key = ipam_handle_key(u->keys[i], u->h[i].id),
					     .mod_rev = u->h[i].mod_rev };
		if (ipam_handle_total(&u->h[i])) {
			if (!(u->values[i] = ipam_handle_encode(&u->h[i]))) {
				rc = -ENOMEM;
				goto out;
			}
			ops[n_ops].type = DS_OP_CAS;
			ops[n_ops].value = u->values[i];
		}
		n_ops++;
	}
	ipam_block_key(bkey, c);
	bool free_it = false;
	if (ipam_block_is_empty(&b) && (rc = free_when_emptied(ds, &b, &free_it, err, errlen)) < 0)
		goto out;
	if (free_it) {
		ops[n_ops++] = (struct ds_op){ .type = DS_OP_DELETE, .key = bkey, .mod_rev = mod_rev };
		if (ipam_block_host(&b) && ipam_affinity_key(mkey, ipam_block_host(&b), c))
			ops[n_ops++] = (struct ds_op){ .type = DS_OP_DELETE, .key = mkey };
	} else {
		if (!(bval = ipam_block_encode(&b))) {
			rc = -ENOMEM;
			goto out;
		}
		ops[n_ops++] = (struct ds_op){ .type = DS_OP_CAS, .key = bkey, .value = bval, .mod_rev = mod_rev };
	}
	rc = ds_txn(ds, ops, n_ops, NULL);
	if (rc == -ECANCELED || rc == -EEXIST)
		rc = -EAGAIN;
	else if (rc < 0)
		rc = ds_failed(ds, err, errlen, rc, "writing a block");
	for (int i = 0; rc == 0 && m->released && i < released; i++)
		if (which[i] != (size_t)-1)
			m->released[which[i]] = true;
out:
	free(bval);
	handle_updates_free(u);
	free(u);
	ipam_block_free(&b);
	return rc < 0 ? rc : released;
}

static int release_block_retrying(struct ds *ds, const struct cidr *c, const struct release_match *m, char *err,
				  size_t errlen)
{
	int rc;
	for (int tries = 1; (rc = release_in_block(ds, c, m, err, errlen)) == -EAGAIN; tries++) {
		if (tries >= IPAM_MAX_TRIES)
			return contention(err, errlen, c);
		backoff(tries);
	}
	return rc;
}

int ipam_release(struct ds *ds, const struct ip_addr *ips, size_t n, bool *released, char *err, size_t errlen)
{
	struct release_match m = { .ips = ips, .n = n, .released = released };
	for (size_t i = 0; released && i < n; i++)
		released[i] = false;
	for (size_t i = 0; i < n; i++) {
		struct cidr c;
		bool seen = false;
		ipam_block_cidr_of(&ips[i], &c);
		for (size_t k = 0; k < i && !seen; k++) /* one pass per block */
			seen = ips[k].family == ips[i].family && cidr_contains(&c, &ips[k]);
		int rc = seen ? 0 : release_block_retrying(ds, &c, &m, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int undo(struct ds *ds, const struct ip_addr *ips, size_t n, const char *handle)
{
	char err[256];
	struct release_match m = { .ips = ips, .n = n, .handle = handle };
	for (size_t i = 0; i < n; i++) {
		struct cidr c;
		ipam_block_cidr_of(&ips[i], &c);
		int rc = release_block_retrying(ds, &c, &m, err, sizeof(err));
		if (rc < 0) {
			log_warn("%s", err);
			return rc;
		}
	}
	return 0;
}

int ipam_release_if(struct ds *ds, const struct ip_addr *ip, const char *handle, time_t created_before, char *err,
		    size_t errlen)
{
	struct cidr c;
	struct release_match m = { .ips = ip, .n = 1, .handle = handle, .created_before = created_before };
	ipam_block_cidr_of(ip, &c);
	int rc = release_block_retrying(ds, &c, &m, err, errlen);
	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int ipam_release_handle(struct ds *ds, const char *handle, size_t *released, char *err, size_t errlen)
{
	struct ipam_handle h;
	struct release_match m = { .handle = handle };
	const char *k;
	json_t *v;
	size_t total = 0;

	if (!ipam_handle_id_is_valid(handle))
		return failf(err, errlen, -EINVAL, "IPAM: '%s' is not a valid handle", handle ? handle : "");
	int rc = ipam_handle_load(ds, handle, &h, err, errlen);
	if (rc < 0)
		return rc;
	json_object_foreach(h.blocks, k, v) {
		struct cidr c;
		if (cidr_parse(k, false, false, &c) < 0)
			continue;
		if ((rc = release_block_retrying(ds, &c, &m, err, errlen)) < 0)
			break;
		total += (size_t)rc;
		rc = 0;
	}
	ipam_handle_free(&h);
	if (rc == 0 && (rc = ipam_handle_load(ds, handle, &h, err, errlen)) == 0) {
		/* Counts for blocks that hold nothing of ours any more: a stale handle. */
		if (h.mod_rev && total == 0) {
			char key[KEY_MAX];
			struct ds_op op = { .type = DS_OP_DELETE, .key = ipam_handle_key(key, handle), .mod_rev = h.mod_rev };
			size_t still = 0;
			json_object_foreach(h.blocks, k, v) {
				struct cidr c;
				struct ipam_block b;
				int64_t rev;
				if (cidr_parse(k, false, false, &c) == 0 && block_load(ds, &c, &b, &rev, err, errlen) == 0) {
					still += ipam_block_count_handle(&b, handle);
					ipam_block_free(&b);
				}
			}
			if (still == 0 && ds_txn(ds, &op, 1, NULL) < 0)
				log_warn("IPAM: could not delete stale handle %s: %s", handle, ds_strerror(ds));
		}
		ipam_handle_free(&h);
	}
	if (released)
		*released = total;
	return rc;
}

/* ---- reading ---- */

int ipam_handle_addresses(struct ds *ds, const char *handle, struct ip_addr **out, size_t *n, char *err,
			  size_t errlen)
{
	struct ipam_handle h;
	const char *k;
	json_t *v;
	struct ip_addr *ips = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (!ipam_handle_id_is_valid(handle))
		return failf(err, errlen, -EINVAL, "IPAM: '%s' is not a valid handle", handle ? handle : "");
	int rc = ipam_handle_load(ds, handle, &h, err, errlen);
	if (rc < 0)
		return rc;
	json_object_foreach(h.blocks, k, v) {
		struct cidr c;
		struct ipam_block b;
		int64_t rev;
		if (cidr_parse(k, false, false, &c) < 0)
			continue;
		rc = block_load(ds, &c, &b, &rev, err, errlen);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		struct ip_addr *grown = realloc(ips, (count + IPAM_BLOCK_SIZE) * sizeof(*ips));
		if (!grown) {
			rc = -ENOMEM;
			ipam_block_free(&b);
			break;
		}
		ips = grown;
		for (int o = 0; o < IPAM_BLOCK_SIZE; o++) {
			const struct ipam_attr *a = ipam_block_attr(&b, o);
			if (a && a->handle_id && strcmp(a->handle_id, handle) == 0)
				ipam_block_addr(&b, o, &ips[count++]);
		}
		ipam_block_free(&b);
	}
	ipam_handle_free(&h);
	if (rc < 0) {
		free(ips);
		return rc;
	}
	*out = ips;
	*n = count;
	return 0;
}

int ipam_ip_info(struct ds *ds, const struct ip_addr *ip, char **attrs_json, char *err, size_t errlen)
{
	struct ipam_block b;
	struct cidr c;
	int64_t rev;
	char text[IP_STR_MAX];

	*attrs_json = NULL;
	ipam_block_cidr_of(ip, &c);
	int rc = block_load(ds, &c, &b, &rev, err, errlen);
	if (rc == -ENOENT)
		return failf(err, errlen, -ENOENT, "IP address %s is not currently assigned", ip_format(ip, text));
	if (rc < 0)
		return rc;
	const struct ipam_attr *a = ipam_block_attr(&b, ipam_block_ordinal(&b, ip));
	if (!a) {
		rc = failf(err, errlen, -ENOENT, "IP address %s is not currently assigned", ip_format(ip, text));
	} else {
		json_t *o = json_pack("{s:s?,s:O}", "handle_id", a->handle_id, "secondary", a->secondary);
		*attrs_json = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(o);
		rc = *attrs_json ? 0 : -ENOMEM;
	}
	ipam_block_free(&b);
	return rc;
}

/* ---- pool removal ---- */

/* Drops affinity markers whose block is gone or belongs to another host. The
 * transaction checks the block is still as seen, so a fresh claim is safe. */
static int drop_stale_markers(struct ds *ds, size_t *dropped, char *err, size_t errlen)
{
	struct ds_kv_list l = { 0 };
	int rc = ds_list(ds, KEY_IPAM_HOST_PREFIX, &l);
	if (rc < 0)
		return ds_failed(ds, err, errlen, rc, "listing affinity markers");
	for (size_t i = 0; i < l.n; i++) {
		char host[HOSTNAME_MAX + 1], bkey[KEY_MAX];
		const char *rest = l.items[i].key + strlen(KEY_IPAM_HOST_PREFIX), *slash = strchr(rest, '/');
		const char *leaf = strrchr(l.items[i].key, '/');
		struct cidr c;
		struct ds_kv kv = { 0 };
		if (!slash || (size_t)(slash - rest) > HOSTNAME_MAX || cidr_from_key(leaf + 1, &c) < 0)
			continue;
		snprintf(host, sizeof(host), "%.*s", (int)(slash - rest), rest);
		int64_t block_rev = 0;
		int grc = ds_get(ds, ipam_block_key(bkey, &c), &kv);
		if (grc == 0) {
			struct ipam_block b;
			char why[256];
			bool ours = ipam_block_decode(kv.value, &b, why, sizeof(why)) == 0 && ipam_block_host(&b) &&
				    strcmp(ipam_block_host(&b), host) == 0;
			ipam_block_free(&b);
			block_rev = kv.mod_rev;
			ds_kv_free(&kv);
			if (ours)
				continue;
		} else if (grc != -ENOENT) {
			continue;
		}
		struct ds_op ops[2] = {
			{ .type = DS_OP_CHECK, .key = bkey, .mod_rev = block_rev },
			{ .type = DS_OP_DELETE, .key = l.items[i].key, .mod_rev = l.items[i].mod_rev },
		};
		if (ds_txn(ds, ops, 2, NULL) == 0)
			(*dropped)++;
	}
	ds_kv_list_free(&l);
	return 0;
}

/* One block of host's: freed when empty, else written back without affinity. */
static int release_affinity(struct ds *ds, struct ipam_block_entry *e, const char *host, char *err, size_t errlen)
{
	char bkey[KEY_MAX], mkey[KEY_MAX];
	struct ipam_block *b = &e->block;
	char *value = NULL;

	if (!ipam_block_key(bkey, &b->cidr) || !ipam_affinity_key(mkey, host, &b->cidr))
		return failf(err, errlen, -ENAMETOOLONG, "host name too long: %s", host);
	struct ds_op ops[2] = {
		{ .type = DS_OP_DELETE, .key = bkey, .mod_rev = e->mod_rev },
		{ .type = DS_OP_DELETE, .key = mkey },
	};
	if (!ipam_block_is_empty(b)) {
		free(b->affinity);
		b->affinity = NULL;
		if (!(value = ipam_block_encode(b)))
			return failf(err, errlen, -ENOMEM, "out of memory");
		ops[0] = (struct ds_op){ .type = DS_OP_CAS, .key = bkey, .value = value, .mod_rev = e->mod_rev };
	}
	int rc = ds_txn(ds, ops, 2, NULL);
	free(value);
	return rc;
}

int ipam_release_host_affinities(struct ds *ds, const char *host, size_t *released, char *err, size_t errlen)
{
	size_t count = 0;
	int rc = 0;

	for (int attempt = 0; attempt < IPAM_MAX_TRIES; attempt++) {
		struct ipam_block_entry *blocks = NULL;
		size_t n = 0;
		bool raced = false;
		rc = ipam_block_list(ds, 0, &blocks, &n, err, errlen);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			const char *h = ipam_block_host(&blocks[i].block);
			if (!h || strcmp(h, host) != 0)
				continue;
			int trc = release_affinity(ds, &blocks[i], host, err, errlen);
			if (trc == 0)
				count++;
			else if (trc == -ECANCELED)
				raced = true; /* changed meanwhile: look at it again on the next pass */
			else
				rc = trc == -ENAMETOOLONG || trc == -ENOMEM ? trc : ds_failed(ds, err, errlen, trc, "releasing a block's affinity");
		}
		ipam_block_entries_free(blocks, n);
		if (rc < 0 || !raced)
			break;
	}
	if (rc == 0) {
		size_t markers = 0; /* markers whose block is gone */
		rc = drop_stale_markers(ds, &markers, err, errlen);
	}
	if (released)
		*released = count;
	return rc;
}

/* Deletes an empty block with its affinity marker, if it is still as listed:
 * 0, -ECANCELED when it changed meanwhile (someone allocated from it), or the
 * datastore's error. */
static int free_block(struct ds *ds, const struct ipam_block_entry *e)
{
	const struct ipam_block *b = &e->block;
	char bkey[KEY_MAX], mkey[KEY_MAX];
	struct ds_op ops[2] = { { .type = DS_OP_DELETE, .key = ipam_block_key(bkey, &b->cidr), .mod_rev = e->mod_rev } };
	size_t n = 1;
	if (ipam_block_host(b) && ipam_affinity_key(mkey, ipam_block_host(b), &b->cidr))
		ops[n++] = (struct ds_op){ .type = DS_OP_DELETE, .key = mkey };
	return ds_txn(ds, ops, n, NULL);
}

/* Another block that host keeps in a pool of family, besides blocks[skip]. */
static bool host_keeps_another(const struct ipam_block_entry *blocks, size_t n, const bool *pooled, const bool *gone,
			       size_t skip, const char *host, int family)
{
	for (size_t k = 0; k < n; k++) {
		const char *h = ipam_block_host(&blocks[k].block);
		if (k != skip && !gone[k] && pooled[k] && h && strcmp(h, host) == 0 &&
		    blocks[k].block.cidr.addr.family == family)
			return true;
	}
	return false;
}

int ipam_free_empty_blocks(struct ds *ds, bool dry_run, ipam_block_fn each, void *arg, size_t *freed, char *err,
			   size_t errlen)
{
	struct pool_entry *pools = NULL;
	struct ipam_block_entry *blocks = NULL;
	size_t n_pools = 0, n_blocks = 0, count = 0;
	bool *pooled = NULL, *gone = NULL;
	int rc = pool_list(ds, 0, &pools, &n_pools);

	if (rc < 0)
		return ds_failed(ds, err, errlen, rc, "listing pools");
	if ((rc = ipam_block_list(ds, 0, &blocks, &n_blocks, err, errlen)) < 0)
		goto out;
	pooled = calloc(n_blocks + 1, sizeof(*pooled));
	gone = calloc(n_blocks + 1, sizeof(*gone));
	if (!pooled || !gone) {
		rc = failf(err, errlen, -ENOMEM, "IPAM: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_blocks; i++)
		for (size_t p = 0; p < n_pools; p++)
			pooled[i] |= cidr_contains_cidr(&pools[p].pool.cidr, &blocks[i].block.cidr);
	for (size_t i = 0; i < n_blocks; i++) {
		const struct ipam_block *b = &blocks[i].block;
		const char *host = ipam_block_host(b);
		if (!ipam_block_is_empty(b))
			continue;
		if (host && pooled[i] && !host_keeps_another(blocks, n_blocks, pooled, gone, i, host, b->cidr.addr.family))
			continue; /* a host's last block stays with it */
		int trc = dry_run ? 0 : free_block(ds, &blocks[i]);
		if (trc == -ECANCELED)
			continue;
		if (trc < 0) {
			rc = ds_failed(ds, err, errlen, trc, "freeing a block");
			break;
		}
		gone[i] = true;
		count++;
		if (each)
			each(arg, b);
	}
	if (rc == 0 && !dry_run) {
		size_t markers = 0;
		rc = drop_stale_markers(ds, &markers, err, errlen);
	}
out:
	free(pooled);
	free(gone);
	ipam_block_entries_free(blocks, n_blocks);
	free(pools);
	if (freed)
		*freed = count;
	return rc;
}

int ipam_cleanup_removed_pools(struct ds *ds, size_t *freed, char *err, size_t errlen)
{
	struct pool_entry *pools = NULL;
	struct ipam_block_entry *blocks = NULL;
	size_t n_pools = 0, n_blocks = 0, count = 0;
	int rc = pool_list(ds, 0, &pools, &n_pools);

	if (rc < 0)
		return ds_failed(ds, err, errlen, rc, "listing pools");
	rc = ipam_block_list(ds, 0, &blocks, &n_blocks, err, errlen);
	for (size_t i = 0; rc == 0 && i < n_blocks; i++) {
		const struct ipam_block *b = &blocks[i].block;
		bool pooled = false;
		for (size_t p = 0; p < n_pools; p++)
			pooled |= cidr_contains_cidr(&pools[p].pool.cidr, &b->cidr);
		if (pooled || !ipam_block_is_empty(b))
			continue;
		int trc = free_block(ds, &blocks[i]);
		if (trc == 0)
			count++;
		else if (trc != -ECANCELED) /* a block that changed meanwhile is in use: leave it */
			rc = ds_failed(ds, err, errlen, trc, "freeing a block");
	}
	size_t markers = 0;
	if (rc == 0)
		rc = drop_stale_markers(ds, &markers, err, errlen);
	ipam_block_entries_free(blocks, n_blocks);
	free(pools);
	if (freed)
		*freed = count;
	return rc;
}
