/* Addresses in an open-addressing table with backward-shift deletion (no
 * tombstones, so a churning cluster never fills it with dead slots); network
 * sets in a plain list, which is short (a cluster has tens of network sets,
 * not tens of thousands) and is searched only for addresses that are no
 * endpoint. */
#include "flow/flow_names.h"
#include "util/array.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One name with its strings (name, namespace, labels) in one allocation; an
 * address's also holds the address and its owner, so that a table slot is a
 * pointer. Measured: names for 100,000 remote endpoints add 8.7 MB to the
 * agent's RSS (bench_scale.sh 100 100000: 38.8 -> 47.5 MB; 16.2 MB with the
 * address and owner in 40-byte slots at 3/4 load). */
struct name_rec {
	struct ip_addr ip; /* addresses only */
	uint64_t owner;    /* addresses only */
	uint8_t kind;      /* enum flow_ep_kind */
	bool local;
	uint32_t ns_at, labels_at; /* offsets into text; labels_at 0: no labels */
	char text[];
};

struct net_ent {
	struct cidr net;
	uint64_t owner;
	struct name_rec *rec;
};

struct flow_names {
	struct name_rec **slots; /* open addressing on the address; NULL: free */
	size_t cap, n;           /* cap: a power of two, or 0 */
	struct net_ent *nets;
	size_t n_nets, cap_nets;
};

static struct name_rec *rec_new(const struct flow_name_of *w)
{
	const char *name = w->name ? w->name : "", *ns = w->namespace_ ? w->namespace_ : "";
	size_t ln = strlen(name) + 1, ls = strlen(ns) + 1, ll = w->labels ? strlen(w->labels) + 1 : 0;
	if (ln + ls + ll > UINT32_MAX)
		return NULL;
	struct name_rec *r = calloc(1, sizeof(*r) + ln + ls + ll);
	if (!r)
		return NULL;
	r->kind = (uint8_t)w->kind;
	r->local = w->local;
	memcpy(r->text, name, ln);
	memcpy(r->text + ln, ns, ls);
	r->ns_at = (uint32_t)ln;
	if (ll) {
		memcpy(r->text + ln + ls, w->labels, ll);
		r->labels_at = (uint32_t)(ln + ls);
	}
	return r;
}

static size_t ip_len(const struct ip_addr *ip)
{
	return ip->family == 4 ? 4 : 16;
}

static uint64_t ip_hash(const struct ip_addr *ip)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)ip->family;
	for (size_t i = 0; i < ip_len(ip); i++)
		h = (h ^ ip->bytes[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static bool ip_same(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, ip_len(a)) == 0;
}

struct flow_names *flow_names_new(void)
{
	return calloc(1, sizeof(struct flow_names));
}

void flow_names_clear(struct flow_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->cap; i++)
		free(n->slots[i]);
	for (size_t i = 0; i < n->n_nets; i++)
		free(n->nets[i].rec);
	free(n->slots);
	free(n->nets);
	memset(n, 0, sizeof(*n));
}

void flow_names_free(struct flow_names *n)
{
	flow_names_clear(n);
	free(n);
}

/* The slot of ip, or the free slot where it would go. */
static size_t find(const struct flow_names *n, const struct ip_addr *ip)
{
	size_t mask = n->cap - 1, i = (size_t)ip_hash(ip) & mask;
	while (n->slots[i] && !ip_same(&n->slots[i]->ip, ip))
		i = (i + 1) & mask;
	return i;
}

static int grow(struct flow_names *n)
{
	size_t ncap = n->cap ? n->cap * 2 : 64;
	struct name_rec **old = n->slots;
	size_t ocap = n->cap;

	if (!(n->slots = calloc(ncap, sizeof(*n->slots)))) {
		n->slots = old;
		return -ENOMEM;
	}
	n->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			n->slots[find(n, &old[i]->ip)] = old[i];
	free(old);
	return 0;
}

int flow_names_put_addr(struct flow_names *n, uint64_t owner, const struct ip_addr *ip, const struct flow_name_of *what)
{
	struct name_rec *r;

	/* at most 7/8 full, so a probe always ends (linear probing stays short
	 * with a mixing hash; fuller tables save memory at 100,000 addresses) */
	if ((n->n + 1) * 8 > n->cap * 7 && grow(n) < 0)
		return -ENOMEM;
	if (!(r = rec_new(what)))
		return -ENOMEM;
	r->ip = *ip;
	r->owner = owner;
	struct name_rec **s = &n->slots[find(n, ip)];
	if (*s)
		free(*s);
	else
		n->n++;
	*s = r;
	return 0;
}

void flow_names_del_addr(struct flow_names *n, uint64_t owner, const struct ip_addr *ip)
{
	if (!n->cap)
		return;
	size_t mask = n->cap - 1, i = find(n, ip);
	if (!n->slots[i] || n->slots[i]->owner != owner)
		return;
	free(n->slots[i]);
	n->slots[i] = NULL;
	n->n--;
	/* backward shift: move up every entry of the run after i that may sit at i */
	for (size_t j = (i + 1) & mask; n->slots[j]; j = (j + 1) & mask) {
		size_t home = (size_t)ip_hash(&n->slots[j]->ip) & mask;
		/* j's entry may move to i when its home is not in (i, j] (cyclically) */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		n->slots[i] = n->slots[j];
		n->slots[j] = NULL;
		i = j;
	}
}

int flow_names_put_net(struct flow_names *n, uint64_t owner, const struct cidr *net, const struct flow_name_of *what)
{
	struct name_rec *r;

	if (array_reserve((void **)&n->nets, &n->cap_nets, n->n_nets + 1, sizeof(*n->nets)) < 0)
		return -ENOMEM;
	if (!(r = rec_new(what)))
		return -ENOMEM;
	n->nets[n->n_nets++] = (struct net_ent){ *net, owner, r };
	return 0;
}

void flow_names_del_nets(struct flow_names *n, uint64_t owner)
{
	size_t k = 0;
	for (size_t i = 0; i < n->n_nets; i++) {
		if (n->nets[i].owner == owner)
			free(n->nets[i].rec);
		else
			n->nets[k++] = n->nets[i];
	}
	n->n_nets = k;
}

static void fill(const struct name_rec *r, struct flow_ep *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = (enum flow_ep_kind)r->kind;
	out->local = r->local;
	snprintf(out->name, sizeof(out->name), "%s", r->text);
	snprintf(out->namespace, sizeof(out->namespace), "%s", r->text + r->ns_at);
	out->labels = r->labels_at ? r->text + r->labels_at : NULL;
}

bool flow_names_resolve(void *ctx, const struct ip_addr *ip, struct flow_ep *out)
{
	const struct flow_names *n = ctx;
	const struct net_ent *best = NULL;

	if (!n)
		return false;
	if (n->cap) {
		const struct name_rec *r = n->slots[find(n, ip)];
		if (r) {
			fill(r, out);
			return true;
		}
	}
	for (size_t i = 0; i < n->n_nets; i++) {
		const struct net_ent *e = &n->nets[i];
		if (cidr_contains(&e->net, ip) && (!best || e->net.prefix > best->net.prefix))
			best = e;
	}
	if (!best)
		return false;
	fill(best->rec, out);
	return true;
}

size_t flow_names_addrs(const struct flow_names *n)
{
	return n ? n->n : 0;
}

size_t flow_names_nets(const struct flow_names *n)
{
	return n ? n->n_nets : 0;
}
