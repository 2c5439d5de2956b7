/* The selector index (selector_index.h). */
#include "agent/selector_index.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sha256.h"
#include "util/array.h"

#define NS_NAME_LABEL "projectcalico.org/name"

/* ---------- a string -> index map (open addressing, power-of-two slots) ---------- */

struct strmap {
	char **keys;   /* NULL: empty; TOMB: deleted */
	size_t *vals;
	size_t n, used, cap; /* used counts tombstones too */
};

static char tomb_mark;
#define TOMB (&tomb_mark)

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = (size_t)str_hash(key) & (m->cap - 1), grave = SIZE_MAX;
	for (;; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return grave != SIZE_MAX ? grave : i;
		if (m->keys[i] == TOMB) {
			if (grave == SIZE_MAX)
				grave = i;
		} else if (strcmp(m->keys[i], key) == 0) {
			return i;
		}
	}
}

static bool strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	if (!m->cap)
		return false;
	size_t i = strmap_slot(m, key);
	if (!m->keys[i] || m->keys[i] == TOMB)
		return false;
	*val = m->vals[i];
	return true;
}

static int strmap_grow(struct strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct strmap g = { calloc(ncap, sizeof(char *)), calloc(ncap, sizeof(size_t)), 0, 0, ncap };
	if (!g.keys || !g.vals) {
		free(g.keys);
		free(g.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] && m->keys[i] != TOMB) {
			size_t j = strmap_slot(&g, m->keys[i]);
			g.keys[j] = m->keys[i];
			g.vals[j] = m->vals[i];
			g.n++;
			g.used++;
		}
	free(m->keys);
	free(m->vals);
	*m = g;
	return 0;
}

/* Sets key (copied) to val. 0 or -ENOMEM. */
static int strmap_put(struct strmap *m, const char *key, size_t val)
{
	if ((m->used + 1) * 4 > m->cap * 3 && strmap_grow(m) < 0)
		return -ENOMEM;
	size_t i = strmap_slot(m, key);
	if (m->keys[i] && m->keys[i] != TOMB) {
		m->vals[i] = val;
		return 0;
	}
	char *k = strdup(key);
	if (!k)
		return -ENOMEM;
	if (!m->keys[i])
		m->used++;
	m->keys[i] = k;
	m->vals[i] = val;
	m->n++;
	return 0;
}

/* The map's own copy of a key it holds (valid until the key is deleted). */
static const char *strmap_key(const struct strmap *m, const char *key)
{
	return m->cap ? m->keys[strmap_slot(m, key)] : NULL;
}

static void strmap_del(struct strmap *m, const char *key)
{
	if (!m->cap)
		return;
	size_t i = strmap_slot(m, key);
	if (!m->keys[i] || m->keys[i] == TOMB)
		return;
	free(m->keys[i]);
	m->keys[i] = TOMB;
	m->n--;
}

static void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != TOMB)
			free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---------- a set of nets with counts ---------- */

struct counted {
	struct cidr net;
	uint32_t count; /* 0: empty slot */
};

struct netcount {
	struct counted *slots;
	size_t n, cap;
};

static uint64_t net_hash(const struct cidr *c)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t len = c->addr.family == 4 ? 4 : 16;
	for (size_t i = 0; i < len; i++)
		h = (h ^ c->addr.bytes[i]) * 0x100000001b3ULL;
	return (h ^ (uint64_t)c->prefix ^ (uint64_t)c->addr.family << 8) * 0x100000001b3ULL;
}

static bool net_eq(const struct cidr *a, const struct cidr *b)
{
	return a->addr.family == b->addr.family && a->prefix == b->prefix &&
	       memcmp(a->addr.bytes, b->addr.bytes, a->addr.family == 4 ? 4 : 16) == 0;
}

/* Linear probing with backward-shift deletion: no tombstones. */
static size_t nc_slot(const struct netcount *s, const struct cidr *c)
{
	size_t i = (size_t)net_hash(c) & (s->cap - 1);
	while (s->slots[i].count && !net_eq(&s->slots[i].net, c))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int nc_grow(struct netcount *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 16;
	struct netcount g = { calloc(ncap, sizeof(struct counted)), 0, ncap };
	if (!g.slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].count) {
			g.slots[nc_slot(&g, &s->slots[i].net)] = s->slots[i];
			g.n++;
		}
	free(s->slots);
	*s = g;
	return 0;
}

/* +1; *appeared when it went 0 -> 1. 0 or -ENOMEM. */
static int nc_inc(struct netcount *s, const struct cidr *c, bool *appeared)
{
	if ((s->n + 1) * 2 > s->cap && nc_grow(s) < 0)
		return -ENOMEM;
	struct counted *slot = &s->slots[nc_slot(s, c)];
	*appeared = slot->count == 0;
	if (*appeared) {
		slot->net = *c;
		s->n++;
	}
	slot->count++;
	return 0;
}

/* -1; true when it went 1 -> 0. */
static bool nc_dec(struct netcount *s, const struct cidr *c)
{
	if (!s->cap)
		return false;
	size_t i = nc_slot(s, c);
	if (!s->slots[i].count || --s->slots[i].count)
		return false;
	s->n--;
	/* backward shift: move later entries of the run into the gap */
	for (size_t j = (i + 1) & (s->cap - 1); s->slots[j].count; j = (j + 1) & (s->cap - 1)) {
		size_t home = (size_t)net_hash(&s->slots[j].net) & (s->cap - 1);
		if (((j - home) & (s->cap - 1)) >= ((j - i) & (s->cap - 1))) {
			s->slots[i] = s->slots[j];
			s->slots[j].count = 0;
			i = j;
		}
	}
	return true;
}

/* ---------- label sets shared by the members that carry the same ---------- */

/* 100,000 endpoints of one application carry a handful of distinct label
 * sets: each distinct set is kept once, counted. */
struct shared_labels {
	struct label_set ls;
	uint64_t hash;
	uint32_t refs;
};

struct label_pool {
	struct shared_labels **slots; /* open addressing on hash, backward-shift deletion */
	size_t n, cap;
};

static uint64_t labels_hash(const struct label_set *ls)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < ls->n; i++) {
		const char *k, *v;
		label_set_at(ls, i, &k, &v);
		h = (str_hash(k) ^ h) * 0x100000001b3ULL;
		h = (str_hash(v) ^ h) * 0x100000001b3ULL;
	}
	return h;
}

/* label_set_at's order is the set's own (by key hash, then key): equal sets list alike */
static bool labels_equal(const struct label_set *a, const struct label_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const char *ka, *va, *kb, *vb;
		label_set_at(a, i, &ka, &va);
		label_set_at(b, i, &kb, &vb);
		if (strcmp(ka, kb) != 0 || strcmp(va, vb) != 0)
			return false;
	}
	return true;
}

static int pool_grow(struct label_pool *p)
{
	size_t ncap = p->cap ? p->cap * 2 : 64;
	struct shared_labels **g = calloc(ncap, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++) {
		if (!p->slots[i])
			continue;
		size_t j = (size_t)p->slots[i]->hash & (ncap - 1);
		while (g[j])
			j = (j + 1) & (ncap - 1);
		g[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = g;
	p->cap = ncap;
	return 0;
}

/* The shared copy of ls (one more reference), or NULL on ENOMEM. */
static struct shared_labels *pool_get(struct label_pool *p, const struct label_set *ls)
{
	uint64_t h = labels_hash(ls);
	size_t i;

	if ((p->n + 1) * 4 > p->cap * 3 && pool_grow(p) < 0)
		return NULL;
	for (i = (size_t)h & (p->cap - 1); p->slots[i]; i = (i + 1) & (p->cap - 1))
		if (p->slots[i]->hash == h && labels_equal(&p->slots[i]->ls, ls)) {
			p->slots[i]->refs++;
			return p->slots[i];
		}
	struct shared_labels *sl = calloc(1, sizeof(*sl));
	if (!sl)
		return NULL;
	sl->ls = (struct label_set)LABEL_SET_INIT;
	for (size_t k = 0; k < ls->n; k++) {
		const char *key, *value;
		label_set_at(ls, k, &key, &value);
		if (label_set_put(&sl->ls, key, value) < 0) {
			label_set_free(&sl->ls);
			free(sl);
			return NULL;
		}
	}
	sl->hash = h;
	sl->refs = 1;
	p->slots[i] = sl;
	p->n++;
	return sl;
}

static void pool_put(struct label_pool *p, struct shared_labels *sl)
{
	if (!sl || --sl->refs)
		return;
	size_t i = (size_t)sl->hash & (p->cap - 1);
	while (p->slots[i] != sl)
		i = (i + 1) & (p->cap - 1);
	p->slots[i] = NULL;
	p->n--;
	for (size_t j = (i + 1) & (p->cap - 1); p->slots[j]; j = (j + 1) & (p->cap - 1)) {
		size_t home = (size_t)p->slots[j]->hash & (p->cap - 1);
		if (((j - home) & (p->cap - 1)) >= ((j - i) & (p->cap - 1))) {
			p->slots[i] = p->slots[j];
			p->slots[j] = NULL;
			i = j;
		}
	}
	label_set_free(&sl->ls);
	free(sl);
}

/* ---------- the index ---------- */

struct match {
	uint32_t slot, gen; /* a selector slot, valid while its generation is gen */
};

struct member {
	const char *key; /* member_by_key's copy */
	size_t ns;             /* index into namespaces; SIZE_MAX: global (a GlobalNetworkSet) */
	struct shared_labels *labels;
	struct cidr *nets;
	size_t n_nets;
	struct match *matches;
	size_t n_matches;
};

struct sel_slot {
	uint32_t gen;        /* bumped when the slot is freed */
	unsigned refs;       /* 0: free */
	char *key;
	struct selector *sel, *ns_sel;
	size_t scope;        /* a namespace index; SIZE_MAX: none */
	char id[SEL_INDEX_ID_LEN + 1];
	struct netcount set;
};

struct ns_entry {
	char *name;
	struct label_set labels; /* the caller's, plus projectcalico.org/name */
};

struct sel_index {
	sel_index_member_cb cb;
	void *ctx;
	struct member *members;
	size_t n_members, cap_members;
	struct strmap member_by_key;
	struct sel_slot *slots;
	size_t n_slots;
	struct strmap slot_by_key;
	struct ns_entry *ns;
	size_t n_ns;
	struct strmap ns_by_name;
	struct label_pool labels;
};

struct sel_index *sel_index_new(sel_index_member_cb cb, void *ctx)
{
	struct sel_index *ix = calloc(1, sizeof(*ix));
	if (ix) {
		ix->cb = cb;
		ix->ctx = ctx;
	}
	return ix;
}

static void member_free(struct sel_index *ix, struct member *m)
{
	pool_put(&ix->labels, m->labels);
	free(m->nets);
	free(m->matches);
}

void sel_index_free(struct sel_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n_members; i++)
		member_free(ix, &ix->members[i]);
	free(ix->members);
	for (size_t i = 0; i < ix->n_slots; i++) {
		free(ix->slots[i].key);
		selector_free(ix->slots[i].sel);
		selector_free(ix->slots[i].ns_sel);
		free(ix->slots[i].set.slots);
	}
	free(ix->slots);
	for (size_t i = 0; i < ix->n_ns; i++) {
		free(ix->ns[i].name);
		label_set_free(&ix->ns[i].labels);
	}
	free(ix->ns);
	strmap_free(&ix->member_by_key);
	strmap_free(&ix->slot_by_key);
	strmap_free(&ix->ns_by_name);
	free(ix->labels.slots);
	free(ix);
}

/* The namespace's index, made (with only its name label) when new. */
static int ns_find(struct sel_index *ix, const char *name, size_t *out)
{
	struct ns_entry *grown;
	int rc;

	if (strmap_get(&ix->ns_by_name, name, out))
		return 0;
	if (!(grown = realloc(ix->ns, (ix->n_ns + 1) * sizeof(*grown))))
		return -ENOMEM;
	ix->ns = grown;
	struct ns_entry *e = &ix->ns[ix->n_ns];
	*e = (struct ns_entry){ strdup(name), LABEL_SET_INIT };
	if (!e->name || (rc = label_set_put(&e->labels, NS_NAME_LABEL, name)) < 0 ||
	    (rc = strmap_put(&ix->ns_by_name, name, ix->n_ns)) < 0) {
		free(e->name);
		label_set_free(&e->labels);
		return -ENOMEM;
	}
	*out = ix->n_ns++;
	return 0;
}

static bool matches(const struct sel_index *ix, const struct sel_slot *s, const struct member *m)
{
	if (s->ns_sel) {
		if (m->ns == SIZE_MAX)
			return selector_is_global(s->ns_sel) && selector_match(s->sel, &m->labels->ls);
		if (selector_is_global(s->ns_sel) || !selector_match(s->ns_sel, &ix->ns[m->ns].labels))
			return false;
	} else if (s->scope != SIZE_MAX && m->ns != s->scope) {
		return false;
	}
	return selector_match(s->sel, &m->labels->ls);
}

static int add_nets(struct sel_index *ix, struct sel_slot *s, const struct cidr *nets, size_t n)
{
	bool appeared;
	int rc;
	for (size_t i = 0; i < n; i++) {
		if ((rc = nc_inc(&s->set, &nets[i], &appeared)) < 0)
			return rc;
		if (appeared && ix->cb)
			ix->cb(ix->ctx, s->id, &nets[i], true);
	}
	return 0;
}

static void remove_nets(struct sel_index *ix, struct sel_slot *s, const struct cidr *nets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nc_dec(&s->set, &nets[i]) && ix->cb)
			ix->cb(ix->ctx, s->id, &nets[i], false);
}

static bool match_live(const struct sel_index *ix, const struct match *mt)
{
	return mt->slot < ix->n_slots && ix->slots[mt->slot].refs && ix->slots[mt->slot].gen == mt->gen;
}

/* Re-evaluates member m against every selector in use (its labels, namespace
 * or nets having changed from old_nets): adds first, removes second, so an
 * element that stays never leaves its set. matches is replaced. */
static int reevaluate(struct sel_index *ix, struct member *m, const struct cidr *old_nets, size_t n_old)
{
	struct match *now = NULL;
	size_t n_now = 0;
	int rc = 0;

	if (ix->n_slots && !(now = calloc(ix->n_slots, sizeof(*now))))
		return -ENOMEM;
	for (size_t i = 0; i < ix->n_slots; i++) {
		struct sel_slot *s = &ix->slots[i];
		if (!s->refs || !matches(ix, s, m))
			continue;
		now[n_now++] = (struct match){ (uint32_t)i, s->gen };
		if ((rc = add_nets(ix, s, m->nets, m->n_nets)) < 0)
			break;
	}
	if (rc < 0) {
		/* undo the adds: the index is as before */
		for (size_t i = 0; i < n_now; i++)
			remove_nets(ix, &ix->slots[now[i].slot], m->nets, m->n_nets);
		free(now);
		return rc;
	}
	for (size_t i = 0; i < m->n_matches; i++)
		if (match_live(ix, &m->matches[i]))
			remove_nets(ix, &ix->slots[m->matches[i].slot], old_nets, n_old);
	free(m->matches);
	m->matches = now;
	m->n_matches = n_now;
	return 0;
}

int sel_index_put(struct sel_index *ix, const char *key, const char *namespace_, const struct label_set *labels,
		  const struct cidr *members, size_t n)
{
	struct member fresh = { .ns = SIZE_MAX };
	size_t at;
	int rc = -ENOMEM;

	if (namespace_ && (rc = ns_find(ix, namespace_, &fresh.ns)) < 0)
		return rc;
	rc = -ENOMEM;
	if (!(fresh.labels = pool_get(&ix->labels, labels)))
		goto fail;
	if (n && !(fresh.nets = malloc(n * sizeof(*fresh.nets))))
		goto fail;
	if (n)
		memcpy(fresh.nets, members, n * sizeof(*members));
	fresh.n_nets = n;

	if (strmap_get(&ix->member_by_key, key, &at)) {
		struct member *m = &ix->members[at];
		struct cidr *old_nets = m->nets;
		size_t n_old = m->n_nets;
		struct shared_labels *old_labels = m->labels;
		size_t old_ns = m->ns;
		m->labels = fresh.labels;
		m->nets = fresh.nets;
		m->n_nets = fresh.n_nets;
		m->ns = fresh.ns;
		if ((rc = reevaluate(ix, m, old_nets, n_old)) < 0) {
			m->labels = old_labels;
			m->nets = old_nets;
			m->n_nets = n_old;
			m->ns = old_ns;
			goto fail;
		}
		pool_put(&ix->labels, old_labels);
		free(old_nets);
		return 0;
	}
	if (array_reserve((void **)&ix->members, &ix->cap_members, ix->n_members + 1, sizeof(*ix->members)) < 0)
		goto fail;
	if (strmap_put(&ix->member_by_key, key, ix->n_members) < 0)
		goto fail;
	fresh.key = strmap_key(&ix->member_by_key, key);
	ix->members[ix->n_members] = fresh;
	if ((rc = reevaluate(ix, &ix->members[ix->n_members], NULL, 0)) < 0) {
		strmap_del(&ix->member_by_key, key);
		goto fail;
	}
	ix->n_members++;
	return 0;
fail:
	member_free(ix, &fresh);
	return rc;
}

int sel_index_del(struct sel_index *ix, const char *key)
{
	size_t at;
	if (!strmap_get(&ix->member_by_key, key, &at))
		return -ENOENT;
	struct member *m = &ix->members[at];
	for (size_t i = 0; i < m->n_matches; i++)
		if (match_live(ix, &m->matches[i]))
			remove_nets(ix, &ix->slots[m->matches[i].slot], m->nets, m->n_nets);
	strmap_del(&ix->member_by_key, key);
	member_free(ix, m);
	if (at != --ix->n_members) {
		ix->members[at] = ix->members[ix->n_members];
		strmap_put(&ix->member_by_key, ix->members[at].key, at); /* the key is there: no allocation */
	}
	return 0;
}

int sel_index_put_namespace(struct sel_index *ix, const char *namespace_, const struct label_set *labels)
{
	struct label_set fresh = LABEL_SET_INIT, old;
	size_t at;
	int rc;

	if ((rc = ns_find(ix, namespace_, &at)) < 0)
		return rc;
	for (size_t i = 0; labels && i < labels->n; i++) {
		const char *k, *v;
		label_set_at(labels, i, &k, &v);
		if ((rc = label_set_put(&fresh, k, v)) < 0)
			goto fail;
	}
	if ((rc = label_set_put(&fresh, NS_NAME_LABEL, namespace_)) < 0)
		goto fail;
	old = ix->ns[at].labels;
	ix->ns[at].labels = fresh;
	/* only selectors with a namespace selector can change their answer */
	bool any = false;
	for (size_t i = 0; i < ix->n_slots && !any; i++)
		any = ix->slots[i].refs && ix->slots[i].ns_sel;
	for (size_t i = 0; any && i < ix->n_members; i++) {
		struct member *m = &ix->members[i];
		if (m->ns == at && (rc = reevaluate(ix, m, m->nets, m->n_nets)) < 0) {
			/* members already re-evaluated keep the new labels' answer; restore
			 * consistency by re-evaluating them under the old labels */
			ix->ns[at].labels = old;
			for (size_t j = 0; j < i; j++)
				if (ix->members[j].ns == at)
					reevaluate(ix, &ix->members[j], ix->members[j].nets, ix->members[j].n_nets);
			label_set_free(&fresh);
			return rc;
		}
	}
	label_set_free(&old);
	return 0;
fail:
	label_set_free(&fresh);
	return rc;
}

int sel_index_del_namespace(struct sel_index *ix, const char *namespace_)
{
	return sel_index_put_namespace(ix, namespace_, NULL);
}

/* "<selector>\x1f<namespace selector>\x1f<scope>": the normalised texts */
static int slot_key(const struct selector *sel, const struct selector *ns_sel, const char *scope, char **out)
{
	const char *a = selector_text(sel), *b = ns_sel ? selector_text(ns_sel) : "", *c = scope ? scope : "";
	size_t len = strlen(a) + strlen(b) + strlen(c) + 8;
	if (!(*out = malloc(len)))
		return -ENOMEM;
	snprintf(*out, len, "%s\x1f%s%s\x1f%s", a, ns_sel ? "ns:" : "", b, c);
	return 0;
}

static void slot_id(const char *key, char id[SEL_INDEX_ID_LEN + 1])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t d[32];
	sha256(key, strlen(key), d);
	for (size_t i = 0; i < SEL_INDEX_ID_LEN; i++) {
		size_t bit = i * 5;
		unsigned v = ((unsigned)d[bit / 8] << 8 | d[bit / 8 + 1]) >> (11 - bit % 8);
		id[i] = alphabet[v & 31];
	}
	id[SEL_INDEX_ID_LEN] = '\0';
}

static int parse_pair(const char *selector, const char *namespace_selector, struct selector **sel,
		      struct selector **ns_sel)
{
	char err[256];
	int rc;
	*sel = *ns_sel = NULL;
	if ((rc = selector_parse(selector, sel, err, sizeof(err))) < 0)
		return rc;
	if (namespace_selector && (rc = selector_parse(namespace_selector, ns_sel, err, sizeof(err))) < 0) {
		selector_free(*sel);
		*sel = NULL;
	}
	return rc;
}

int sel_index_ref(struct sel_index *ix, const char *selector, const char *namespace_selector,
		  const char *scope_namespace, char id_out[SEL_INDEX_ID_LEN + 1])
{
	struct selector *sel, *ns_sel;
	char *key = NULL;
	size_t at, scope = SIZE_MAX;
	int rc;

	if ((rc = parse_pair(selector, namespace_selector, &sel, &ns_sel)) < 0)
		return rc;
	if ((rc = slot_key(sel, ns_sel, namespace_selector ? NULL : scope_namespace, &key)) < 0)
		goto out;
	if (strmap_get(&ix->slot_by_key, key, &at)) {
		ix->slots[at].refs++;
		memcpy(id_out, ix->slots[at].id, SEL_INDEX_ID_LEN + 1);
		goto out;
	}
	if (!namespace_selector && scope_namespace && (rc = ns_find(ix, scope_namespace, &scope)) < 0)
		goto out;
	for (at = 0; at < ix->n_slots && ix->slots[at].refs; at++)
		;
	if (at == ix->n_slots) {
		struct sel_slot *grown = realloc(ix->slots, (ix->n_slots + 1) * sizeof(*grown));
		rc = -ENOMEM;
		if (!grown)
			goto out;
		ix->slots = grown;
		memset(&ix->slots[at], 0, sizeof(ix->slots[at]));
		ix->n_slots++;
	}
	if ((rc = strmap_put(&ix->slot_by_key, key, at)) < 0)
		goto out;
	struct sel_slot *s = &ix->slots[at];
	s->refs = 1;
	s->key = key;
	s->sel = sel;
	s->ns_sel = ns_sel;
	s->scope = scope;
	slot_id(key, s->id);
	key = NULL;
	sel = ns_sel = NULL;
	for (size_t i = 0; i < ix->n_members; i++) {
		struct member *m = &ix->members[i];
		if (!matches(ix, s, m))
			continue;
		struct match *grown = realloc(m->matches, (m->n_matches + 1) * sizeof(*grown));
		if (!grown || (rc = add_nets(ix, s, m->nets, m->n_nets)) < 0) {
			if (grown)
				m->matches = grown;
			sel_index_unref(ix, selector, namespace_selector, scope_namespace);
			return -ENOMEM;
		}
		m->matches = grown;
		m->matches[m->n_matches++] = (struct match){ (uint32_t)at, s->gen };
	}
	memcpy(id_out, s->id, SEL_INDEX_ID_LEN + 1);
out:
	free(key);
	selector_free(sel);
	selector_free(ns_sel);
	return rc;
}

int sel_index_unref(struct sel_index *ix, const char *selector, const char *namespace_selector,
		    const char *scope_namespace)
{
	struct selector *sel, *ns_sel;
	char *key = NULL;
	size_t at;
	int rc;

	if ((rc = parse_pair(selector, namespace_selector, &sel, &ns_sel)) < 0)
		return rc;
	rc = slot_key(sel, ns_sel, namespace_selector ? NULL : scope_namespace, &key);
	selector_free(sel);
	selector_free(ns_sel);
	if (rc < 0)
		return rc;
	if (!strmap_get(&ix->slot_by_key, key, &at)) {
		free(key);
		return -ENOENT;
	}
	free(key);
	struct sel_slot *s = &ix->slots[at];
	if (--s->refs)
		return 0;
	/* the members' matches of this slot go stale with the generation */
	strmap_del(&ix->slot_by_key, s->key);
	free(s->key);
	selector_free(s->sel);
	selector_free(s->ns_sel);
	free(s->set.slots);
	uint32_t gen = s->gen + 1;
	memset(s, 0, sizeof(*s));
	s->gen = gen;
	return 0;
}

int sel_index_members(const struct sel_index *ix, const char *id, void (*fn)(void *ctx, const struct cidr *member),
		      void *ctx)
{
	for (size_t i = 0; i < ix->n_slots; i++) {
		const struct sel_slot *s = &ix->slots[i];
		if (!s->refs || strcmp(s->id, id) != 0)
			continue;
		for (size_t j = 0; j < s->set.cap; j++)
			if (s->set.slots[j].count)
				fn(ctx, &s->set.slots[j].net);
		return 0;
	}
	return -ENOENT;
}

size_t sel_index_selectors(const struct sel_index *ix)
{
	size_t n = 0;
	for (size_t i = 0; i < ix->n_slots; i++)
		n += ix->slots[i].refs != 0;
	return n;
}

size_t sel_index_size(const struct sel_index *ix)
{
	return ix->n_members;
}
