/* The IPAM consistency check (see ipam_check.h). Everything is decoded once
 * into sorted arrays, then each rule is a walk with binary searches, so a
 * datastore of many blocks and endpoints checks in O(n log n). */
#include "ipam/ipam_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/endpoint_store.h"
#include "ipam/ipam.h"
#include "ipam/ipam_block.h"
#include "ipam/ipam_handle.h"
#include "model/keys.h"
#include "model/model.h"

struct blk {
	const char *key;
	struct ipam_block b;
};

struct hdl {
	const char *key;
	struct ipam_handle h;
};

struct ep {
	struct endpoint_ref ref;
	struct endpoint e;
};

/* One address an endpoint holds. */
struct held {
	struct ip_addr ip;
	size_t ep;
};

struct checker {
	ipam_check_report_fn report;
	void *arg;
	struct ipam_check_summary *sum;
	struct blk *blks;
	size_t n_blks;
	struct hdl *hdls;
	size_t n_hdls;
	struct ep *eps;
	size_t n_eps;
	struct held *held;
	size_t n_held;
};

static void problem(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct checker *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->sum->problems++;
	if (c->report)
		c->report(c->arg, line);
}

static int cmp_cidr(const struct cidr *a, const struct cidr *b)
{
	if (a->addr.family != b->addr.family)
		return a->addr.family - b->addr.family;
	int r = ip_cmp(&a->addr, &b->addr);
	return r ? r : a->prefix - b->prefix;
}

static int cmp_blk(const void *x, const void *y)
{
	return cmp_cidr(&((const struct blk *)x)->b.cidr, &((const struct blk *)y)->b.cidr);
}

static int cmp_hdl(const void *x, const void *y)
{
	return strcmp(((const struct hdl *)x)->h.id, ((const struct hdl *)y)->h.id);
}

static int cmp_held(const void *x, const void *y)
{
	const struct held *a = x, *b = y;
	if (a->ip.family != b->ip.family)
		return a->ip.family - b->ip.family;
	int r = ip_cmp(&a->ip, &b->ip);
	return r ? r : (a->ep > b->ep) - (a->ep < b->ep);
}

static struct blk *find_block(const struct checker *c, const struct cidr *cidr)
{
	struct blk key = { .b.cidr = *cidr };
	return c->n_blks ? bsearch(&key, c->blks, c->n_blks, sizeof(key), cmp_blk) : NULL;
}

static struct hdl *find_handle(const struct checker *c, const char *id)
{
	struct hdl key;
	if (strlen(id) > IPAM_HANDLE_MAX)
		return NULL;
	snprintf(key.h.id, sizeof(key.h.id), "%s", id);
	return c->n_hdls ? bsearch(&key, c->hdls, c->n_hdls, sizeof(key), cmp_hdl) : NULL;
}

static bool is_held(const struct checker *c, const struct ip_addr *ip)
{
	size_t lo = 0, hi = c->n_held;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ip_addr *m = &c->held[mid].ip;
		int r = m->family != ip->family ? m->family - ip->family : ip_cmp(m, ip);
		if (r == 0)
			return true;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* ---- decoding ---- */

/* The CIDR a block key names, from its last segment. */
static int block_key_cidr(const char *key, struct cidr *out)
{
	const char *leaf = strrchr(key, '/');
	bool v4 = strncmp(key, KEY_BLOCK_V4_PREFIX, strlen(KEY_BLOCK_V4_PREFIX)) == 0;
	bool v6 = strncmp(key, KEY_BLOCK_V6_PREFIX, strlen(KEY_BLOCK_V6_PREFIX)) == 0;
	if (!leaf || !(v4 || v6) || cidr_from_key(leaf + 1, out) < 0 || out->addr.family != (v4 ? 4 : 6))
		return -EINVAL;
	return 0;
}

static int decode_blocks(struct checker *c, const struct ds_kv_list *l)
{
	if (!l)
		return 0;
	if (!(c->blks = calloc(l->n + 1, sizeof(*c->blks))))
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct blk *b = &c->blks[c->n_blks];
		struct cidr named;
		char why[512], t1[CIDR_STR_MAX];
		c->sum->blocks++;
		if (block_key_cidr(l->items[i].key, &named) < 0) {
			problem(c, "block key %s does not name a block", l->items[i].key);
			continue;
		}
		if (ipam_block_decode(l->items[i].value, &b->b, why, sizeof(why)) < 0) {
			problem(c, "block %s does not decode: %s", cidr_format(&named, t1), why);
			continue;
		}
		if (cmp_cidr(&named, &b->b.cidr) != 0) {
			char t2[CIDR_STR_MAX];
			problem(c, "block key %s holds block %s", cidr_format(&named, t1), cidr_format(&b->b.cidr, t2));
			ipam_block_free(&b->b);
			continue;
		}
		b->key = l->items[i].key;
		c->n_blks++;
	}
	if (c->n_blks)
		qsort(c->blks, c->n_blks, sizeof(*c->blks), cmp_blk);
	return 0;
}

static int decode_handles(struct checker *c, const struct ds_kv_list *l)
{
	if (!l)
		return 0;
	if (!(c->hdls = calloc(l->n + 1, sizeof(*c->hdls))))
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		const char *id = l->items[i].key + strlen(KEY_HANDLE_PREFIX);
		struct hdl *h = &c->hdls[c->n_hdls];
		char why[512];
		c->sum->handles++;
		if (strncmp(l->items[i].key, KEY_HANDLE_PREFIX, strlen(KEY_HANDLE_PREFIX)) != 0 ||
		    !ipam_handle_id_is_valid(id)) {
			problem(c, "handle key %s does not name a handle", l->items[i].key);
			continue;
		}
		int rc = ipam_handle_decode(l->items[i].value, id, &h->h, why, sizeof(why));
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			problem(c, "handle %s does not decode: %s", id, why);
			continue;
		}
		h->key = l->items[i].key;
		c->n_hdls++;
	}
	if (c->n_hdls)
		qsort(c->hdls, c->n_hdls, sizeof(*c->hdls), cmp_hdl);
	return 0;
}

static int add_held(struct checker *c, size_t ep, const struct cidr *nets, size_t n)
{
	struct held *grown = realloc(c->held, (c->n_held + n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->held = grown;
	for (size_t i = 0; i < n; i++)
		c->held[c->n_held++] = (struct held){ .ip = nets[i].addr, .ep = ep };
	return 0;
}

static int decode_endpoints(struct checker *c, const struct ds_kv_list *l)
{
	if (!l)
		return 0;
	if (!(c->eps = calloc(l->n + 1, sizeof(*c->eps))))
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		struct ep *e = &c->eps[c->n_eps];
		char why[512];
		if (endpoint_key_parse(l->items[i].key, &e->ref) < 0)
			continue; /* host config, BGP, status...: not an endpoint */
		c->sum->endpoints++;
		if (endpoint_decode(l->items[i].value, &e->e, why, sizeof(why)) < 0) {
			problem(c, "endpoint %s does not decode: %s", l->items[i].key, why);
			continue;
		}
		size_t idx = c->n_eps++;
		int rc = add_held(c, idx, e->e.ipv4_nets, e->e.n_ipv4_nets);
		if (rc == 0)
			rc = add_held(c, idx, e->e.ipv6_nets, e->e.n_ipv6_nets);
		if (rc < 0)
			return rc;
	}
	if (c->n_held)
		qsort(c->held, c->n_held, sizeof(*c->held), cmp_held);
	return 0;
}

/* ---- rules ---- */

/* Every allocation has a handle with a record; each (block, handle) count in
 * the block equals the record's; unused addresses are counted. */
static void check_block_handles(struct checker *c)
{
	for (size_t i = 0; i < c->n_blks; i++) {
		const struct ipam_block *b = &c->blks[i].b;
		char bt[CIDR_STR_MAX], it[IP_STR_MAX];
		cidr_format(&b->cidr, bt);
		for (int o = 0; o < IPAM_BLOCK_SIZE; o++) {
			const struct ipam_attr *a = ipam_block_attr(b, o);
			struct ip_addr ip;
			if (!a)
				continue;
			c->sum->allocated++;
			ipam_block_addr(b, o, &ip);
			if (!is_held(c, &ip))
				c->sum->unused++;
			if (!a->handle_id) {
				problem(c, "address %s (block %s) is allocated with no handle", ip_format(&ip, it), bt);
				continue;
			}
			/* Each handle once per block: at its first ordinal. */
			bool first = true;
			for (int p = 0; p < o && first; p++) {
				const struct ipam_attr *q = ipam_block_attr(b, p);
				first = !(q && q->handle_id && strcmp(q->handle_id, a->handle_id) == 0);
			}
			if (!first)
				continue;
			size_t in_block = ipam_block_count_handle(b, a->handle_id);
			const struct hdl *h = find_handle(c, a->handle_id);
			if (!h) {
				problem(c, "block %s holds %zu address%s of handle %s, which has no handle record (first %s)",
					bt, in_block, in_block == 1 ? "" : "es", a->handle_id, ip_format(&ip, it));
				continue;
			}
			long counted = ipam_handle_count(&h->h, &b->cidr);
			if (counted != (long)in_block)
				problem(c, "handle %s counts %ld address%s in block %s, the block holds %zu", a->handle_id,
					counted, counted == 1 ? "" : "es", bt, in_block);
		}
	}
}

/* A handle's counts for blocks that hold none of its addresses, and handles
 * that hold nothing at all. */
static void check_handle_records(struct checker *c)
{
	for (size_t i = 0; i < c->n_hdls; i++) {
		const struct ipam_handle *h = &c->hdls[i].h;
		const char *k;
		json_t *v;
		if (ipam_handle_total(h) == 0) {
			problem(c, "handle %s holds no addresses", h->id);
			continue;
		}
		json_object_foreach(h->blocks, k, v) {
			struct cidr cidr;
			if (cidr_parse(k, false, false, &cidr) < 0)
				continue; /* the decoder refused such records already */
			const struct blk *b = find_block(c, &cidr);
			if (!b)
				problem(c, "handle %s counts %lld address%s in block %s, which does not exist", h->id,
					(long long)json_integer_value(v), json_integer_value(v) == 1 ? "" : "es", k);
			else if (ipam_block_count_handle(&b->b, h->id) == 0)
				problem(c, "handle %s counts %lld address%s in block %s, the block holds 0", h->id,
					(long long)json_integer_value(v), json_integer_value(v) == 1 ? "" : "es", k);
		}
	}
}

/* /calico/ipam/v2/host/<host>/ipv<N>/block/<cidr-key> -> host, cidr. */
static int marker_parse(const char *key, char *host, size_t hostlen, struct cidr *cidr)
{
	const char *rest = key + strlen(KEY_IPAM_HOST_PREFIX), *slash = strchr(rest, '/');
	int family = 0;
	if (strncmp(key, KEY_IPAM_HOST_PREFIX, strlen(KEY_IPAM_HOST_PREFIX)) != 0 || !slash || slash == rest ||
	    (size_t)(slash - rest) >= hostlen)
		return -EINVAL;
	if (strncmp(slash, "/ipv4/block/", 12) == 0)
		family = 4;
	else if (strncmp(slash, "/ipv6/block/", 12) == 0)
		family = 6;
	if (!family || cidr_from_key(slash + 12, cidr) < 0 || cidr->addr.family != family)
		return -EINVAL;
	snprintf(host, hostlen, "%.*s", (int)(slash - rest), rest);
	return 0;
}

static bool marker_listed(const struct ds_kv_list *l, const char *key)
{
	size_t lo = 0, hi = l ? l->n : 0; /* listings are sorted bytewise */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(l->items[mid].key, key);
		if (r == 0)
			return true;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void check_markers(struct checker *c, const struct ds_kv_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		char host[256], t[CIDR_STR_MAX];
		struct cidr cidr;
		c->sum->markers++;
		if (marker_parse(l->items[i].key, host, sizeof(host), &cidr) < 0) {
			problem(c, "affinity marker key %s does not name a host and a block", l->items[i].key);
			continue;
		}
		const struct blk *b = find_block(c, &cidr);
		const char *owner = b ? ipam_block_host(&b->b) : NULL;
		if (!b)
			problem(c, "affinity marker of host %s for block %s: the block does not exist", host,
				cidr_format(&cidr, t));
		else if (!owner || strcmp(owner, host) != 0)
			problem(c, "affinity marker of host %s for block %s: the block is affine to %s", host,
				cidr_format(&cidr, t), owner ? owner : "no host");
	}
	for (size_t i = 0; i < c->n_blks; i++) {
		const struct ipam_block *b = &c->blks[i].b;
		const char *owner = ipam_block_host(b);
		char key[KEY_MAX], t[CIDR_STR_MAX];
		if (owner && (!ipam_affinity_key(key, owner, &b->cidr) || !marker_listed(l, key)))
			problem(c, "block %s is affine to host %s, which has no affinity marker for it",
				cidr_format(&b->cidr, t), owner);
	}
}

static const char *ep_name(const struct ep *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s/%s", e->ref.host, e->ref.orch, e->ref.workload, e->ref.id);
	return buf;
}

/* Every held address is allocated to a plausible handle, and held once. */
static void check_endpoints(struct checker *c)
{
	for (size_t i = 0; i < c->n_held; i++) {
		const struct held *x = &c->held[i];
		const struct ep *e = &c->eps[x->ep];
		char name[1024], it[IP_STR_MAX];
		struct cidr bc;
		ep_name(e, name, sizeof(name));
		ip_format(&x->ip, it);
		if (i > 0 && c->held[i - 1].ip.family == x->ip.family && ip_cmp(&c->held[i - 1].ip, &x->ip) == 0) {
			char other[1024];
			if (c->held[i - 1].ep == x->ep)
				continue; /* listed twice in one record: the decoder's business */
			problem(c, "address %s is held by two endpoints: %s and %s", it,
				ep_name(&c->eps[c->held[i - 1].ep], other, sizeof(other)), name);
			continue;
		}
		ipam_block_cidr_of(&x->ip, &bc);
		const struct blk *b = find_block(c, &bc);
		const struct ipam_attr *a = b ? ipam_block_attr(&b->b, ipam_block_ordinal(&b->b, &x->ip)) : NULL;
		if (!a)
			problem(c, "endpoint %s holds %s, which is not allocated", name, it);
		else if (a->handle_id &&
			 !ipam_check_handle_plausible(e->ref.orch, e->ref.workload, e->ref.id, a->handle_id))
			problem(c, "endpoint %s holds %s, which is allocated to handle %s", name, it, a->handle_id);
	}
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

bool ipam_check_handle_plausible(const char *orch, const char *workload, const char *endpoint_id,
				 const char *handle)
{
	if (!handle || !*handle)
		return false;
	if (strcmp(orch, "calicoctl") == 0)
		return has_prefix(handle, "calicoctl.") && strcmp(handle + strlen("calicoctl."), endpoint_id) == 0;
	if (strcmp(orch, "cni") == 0) {
		size_t hl = strlen(handle), wl = strlen(workload);
		return hl > wl + 1 && handle[hl - wl - 1] == '.' && strcmp(handle + hl - wl, workload) == 0;
	}
	if (strcmp(orch, "libnetwork") == 0)
		return has_prefix(handle, "libnetwork.");
	if (strcmp(orch, "mesos") == 0)
		return !has_prefix(handle, "calicoctl.") && !has_prefix(handle, "libnetwork.");
	return true;
}

int ipam_check_run(const struct ipam_check_input *in, ipam_check_report_fn report, void *arg,
		   struct ipam_check_summary *sum)
{
	struct checker c = { .report = report, .arg = arg, .sum = sum };
	int rc;

	memset(sum, 0, sizeof(*sum));
	if ((rc = decode_blocks(&c, in->blocks)) < 0 || (rc = decode_handles(&c, in->handles)) < 0 ||
	    (rc = decode_endpoints(&c, in->endpoints)) < 0)
		goto out;
	check_block_handles(&c);
	check_handle_records(&c);
	check_markers(&c, in->markers);
	check_endpoints(&c);
out:
	for (size_t i = 0; i < c.n_blks; i++)
		ipam_block_free(&c.blks[i].b);
	for (size_t i = 0; i < c.n_hdls; i++)
		ipam_handle_free(&c.hdls[i].h);
	for (size_t i = 0; i < c.n_eps; i++)
		endpoint_free(&c.eps[i].e);
	free(c.blks);
	free(c.hdls);
	free(c.eps);
	free(c.held);
	return rc;
}
