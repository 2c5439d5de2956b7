/* A v3 policy's chains in the engine, and the sets they read
 * (nft_engine_v3.h): selector sets filled from the selector index and kept by
 * its member callback, net sets and port sets counted by their users. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/nft_engine_delta.h"
#include "agent/nft_engine_v3_int.h"
#include "policy/nft_v3.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* ---------- selector sets ---------- */

static void sel_set_name(const struct engine_v3 *v, uint32_t slot, int family, char out[NFT_NAME_MAX])
{
	snprintf(out, NFT_NAME_MAX, "sel%d-%s", family, name_table_name(&v->sel_ids, slot));
}

static void queue_recompute(struct engine_v3 *v, uint32_t slot, int f)
{
	struct v3_sel *s = &v->sels[slot];
	s->recompute[f] = true;
	if (!s->queued) {
		s->queued = true;
		if (array_push_u32(&v->dirty_sels, &v->n_dirty_sels, &v->cap_dirty_sels, slot) < 0)
			v->cb_rc = -ENOMEM;
	}
}

/* An element entered or left the index's set: the model's set follows. An
 * address goes in or out by itself; with a wider net among the members the
 * set is recomputed (one net may cover another, as fill_nets drops it). */
void engine_v3_on_member(void *ctx, const char *id, const struct cidr *net, bool added)
{
	struct engine_v3 *v = ctx;
	long slot = name_table_find(&v->sel_ids, id);
	char name[NFT_NAME_MAX], text[IP_STR_MAX];
	int f = net->addr.family == 4 ? 0 : 1, rc;

	if (slot < 0 || (size_t)slot >= v->n_sels || !v->e)
		return;
	struct v3_sel *s = &v->sels[slot];
	bool full = net->prefix == (f ? 128 : 32);
	if (!full)
		s->wide[f] = added ? s->wide[f] + 1 : s->wide[f] ? s->wide[f] - 1 : 0;
	if (!s->use[f])
		return;
	if (!full || s->wide[f] || s->recompute[f]) {
		queue_recompute(v, (uint32_t)slot, f);
		return;
	}
	sel_set_name(v, (uint32_t)slot, f ? 6 : 4, name);
	ip_format(&net->addr, text);
	struct nft_engine *e = v->e;
	rc = added ? edit_put_elem(&e->model, engine_delta_of(e), name, text, NULL)
		   : edit_del_elem(&e->model, engine_delta_of(e), name, text);
	if (rc < 0)
		v->cb_rc = rc;
}

struct collect {
	struct cidr *nets;
	size_t n, cap;
	int family, rc;
};

static void collect_member(void *ctx, const struct cidr *member)
{
	struct collect *c = ctx;
	if (member->addr.family != c->family)
		return;
	if (array_reserve((void **)&c->nets, &c->cap, c->n + 1, sizeof(*c->nets)) < 0) {
		c->rc = -ENOMEM;
		return;
	}
	c->nets[c->n++] = *member;
}

/* The set's elements as the index says now, in tmp (finished). */
static struct nft_set *sel_set_build(struct engine_v3 *v, uint32_t slot, int family, struct nft_model *tmp)
{
	char name[NFT_NAME_MAX];
	struct collect c = { .family = family };
	struct nft_set *s;

	sel_set_name(v, slot, family, name);
	if (sel_index_members(v->ix, name_table_name(&v->sel_ids, slot), collect_member, &c) < 0 || c.rc < 0 ||
	    !(s = nft_model_add_set(tmp, name, family == 4 ? "ipv4_addr" : "ipv6_addr", NULL, true)) ||
	    nft_piece_v3_nets(s, c.nets, c.n) < 0 || nft_model_finish(tmp) < 0) {
		free(c.nets);
		return NULL;
	}
	free(c.nets);
	return &tmp->sets[0];
}

/* The model's set brought to now's elements (both sorted). */
static int set_elems(struct nft_engine *e, const struct nft_set *old, const struct nft_set *now)
{
	size_t i = 0, j = 0;
	int rc;
	while (i < old->n_elems || j < now->n_elems) {
		int c = i == old->n_elems ? 1 : j == now->n_elems ? -1 : strcmp(old->elems[i].key, now->elems[j].key);
		if (c < 0 && (rc = edit_del_elem(&e->model, engine_delta_of(e), old->name, old->elems[i].key)) < 0)
			return rc;
		if (c > 0 && (rc = edit_put_elem(&e->model, engine_delta_of(e), now->name, now->elems[j].key, NULL)) < 0)
			return rc;
		i += c <= 0;
		j += c >= 0;
	}
	return 0;
}

int engine_v3_recompute(struct nft_engine *e, uint32_t slot, int f)
{
	struct engine_v3 *v = e->v3;
	struct nft_model tmp;
	const struct nft_set *now, *old;
	char name[NFT_NAME_MAX];
	int rc = -ENOMEM;

	v->sels[slot].recompute[f] = false;
	if (!v->sels[slot].use[f])
		return 0;
	nft_model_init(&tmp, NFT_FAMILY, NFT_TABLE);
	sel_set_name(v, slot, f ? 6 : 4, name);
	if ((now = sel_set_build(v, slot, f ? 6 : 4, &tmp)) && (old = nft_model_find_set(&e->model, name))) {
		/* old points into the model, which the edits change: compare against a copy */
		struct nft_set copy;
		if ((rc = nft_set_copy(old, &copy, true)) == 0)
			rc = set_elems(e, &copy, now);
		nft_set_release(&copy);
	}
	nft_model_free(&tmp);
	return rc;
}

/* One more or one less programmed rule reads the selector's set of a family. */
static int sel_use(struct nft_engine *e, uint32_t slot, int family, int delta_n)
{
	struct engine_v3 *v = e->v3;
	struct v3_sel *s = &v->sels[slot];
	int f = family == 4 ? 0 : 1, rc = 0;
	char id[SEL_INDEX_ID_LEN + 1], name[NFT_NAME_MAX];

	if (delta_n > 0) {
		if (!s->use[0] && !s->use[1]) {
			if ((rc = sel_index_ref(v->ix, s->sel, s->ns_sel, s->scope, id)) < 0)
				return rc;
			if (strcmp(id, name_table_name(&v->sel_ids, slot)) != 0)
				return -EPROTO; /* the index and the compile name a selector differently */
		}
		if (s->use[f]++ == 0) {
			struct nft_model tmp;
			struct nft_set *set;
			nft_model_init(&tmp, NFT_FAMILY, NFT_TABLE);
			rc = (set = sel_set_build(v, slot, family, &tmp)) ? edit_put_set(&e->model, engine_delta_of(e), set)
									  : -ENOMEM;
			nft_model_free(&tmp);
		}
		return rc;
	}
	if (!s->use[f])
		return 0;
	if (--s->use[f] == 0) {
		sel_set_name(v, slot, family, name);
		s->recompute[f] = false;
		if ((rc = edit_del_set(&e->model, engine_delta_of(e), name)) < 0)
			return rc;
	}
	if (!s->use[0] && !s->use[1]) {
		s->wide[0] = s->wide[1] = 0;
		rc = sel_index_unref(v->ix, s->sel, s->ns_sel, s->scope);
	}
	return rc;
}

/* ---------- one policy's chain ---------- */

struct chain_build {
	struct nft_engine *e;
	struct nft_model tmp;
	struct v3_use *uses;
	size_t n_uses, cap_uses;
};

static bool build_has(const struct chain_build *b, uint8_t kind, const char *name)
{
	for (size_t i = 0; i < b->n_uses; i++)
		if (b->uses[i].kind == kind && strcmp(b->uses[i].name, name) == 0)
			return true;
	return false;
}

static int build_push(struct chain_build *b, uint8_t kind, uint8_t family, uint32_t sel, const char *name)
{
	if (array_reserve((void **)&b->uses, &b->cap_uses, b->n_uses + 1, sizeof(*b->uses)) < 0)
		return -ENOMEM;
	struct v3_use *u = &b->uses[b->n_uses++];
	u->kind = kind;
	u->family = family;
	u->sel = sel;
	snprintf(u->name, sizeof(u->name), "%s", name);
	return 0;
}

static int build_port_set(void *ctx, const char *name, const struct port_range *sorted, size_t n)
{
	struct chain_build *b = ctx;
	int rc;
	if (build_has(b, USE_PORTS, name))
		return 0;
	if ((rc = nft_piece_port_set(&b->tmp, name, sorted, n)) < 0)
		return rc;
	return build_push(b, USE_PORTS, 0, 0, name);
}

static int build_net_set(void *ctx, const char *name, int family, const struct cidr *nets, size_t n)
{
	struct chain_build *b = ctx;
	struct cidr *copy;
	struct nft_set *set;
	int rc;

	if (build_has(b, USE_NETS, name))
		return 0;
	if (!(set = nft_model_add_set(&b->tmp, name, family == 4 ? "ipv4_addr" : "ipv6_addr", NULL, true)) ||
	    !(copy = malloc(n * sizeof(*copy))))
		return -ENOMEM;
	memcpy(copy, nets, n * sizeof(*copy));
	rc = nft_piece_v3_nets(set, copy, n);
	free(copy);
	return rc < 0 ? rc : build_push(b, USE_NETS, (uint8_t)family, 0, name);
}

static int build_selector_set(void *ctx, const char *selector, const char *namespace_selector,
			      const char *scope_namespace, int family, char name[NFT_NAME_MAX])
{
	struct chain_build *b = ctx;
	struct engine_v3 *v = b->e->v3;
	struct selector *sel, *ns_sel;
	uint32_t slot;
	int rc;

	if ((rc = nft_v3_selector_set_parse(name, family, selector, namespace_selector, scope_namespace, &sel,
					    &ns_sel)) < 0)
		return rc;
	selector_free(sel);
	selector_free(ns_sel);
	if (build_has(b, USE_SEL, name))
		return 0;
	if ((rc = name_table_intern(&v->sel_ids, name + 5, &slot)) < 0 ||
	    (rc = array_reserve((void **)&v->sels, &v->n_sels, (size_t)slot + 1, sizeof(*v->sels))) < 0)
		return rc;
	struct v3_sel *s = &v->sels[slot];
	if (!s->sel) {
		if (!(s->sel = strdup(selector)) || (namespace_selector && !(s->ns_sel = strdup(namespace_selector))) ||
		    (!namespace_selector && scope_namespace && !(s->scope = strdup(scope_namespace)))) {
			free(s->sel);
			free(s->ns_sel);
			s->sel = s->ns_sel = NULL;
			return -ENOMEM;
		}
	}
	return build_push(b, USE_SEL, (uint8_t)family, slot, name);
}

static int uses_apply(struct nft_engine *e, struct nft_model *tmp, const struct v3_use *uses, size_t n, int delta_n)
{
	struct engine_v3 *v = e->v3;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct v3_use *u = &uses[i];
		struct nft_set *built = NULL;
		if (delta_n > 0 && u->kind != USE_SEL) {
			size_t pos;
			bool found;
			pos = nft_model_set_pos(tmp, u->name, &found);
			built = found ? &tmp->sets[pos] : NULL;
		}
		if (u->kind == USE_PORTS) {
			rc = engine_port_use(e, u->name, built, delta_n);
		} else if (u->kind == USE_NETS) {
			struct count_key k = count_key_u64(fnv1a(u->name));
			long c = count_map_add(&v->nets, &k, delta_n);
			if (c < 0)
				rc = (int)c;
			else if (delta_n > 0 && c == 1)
				rc = built ? edit_put_set(&e->model, engine_delta_of(e), built) : -EPROTO;
			else if (delta_n < 0 && c == 0)
				rc = edit_del_set(&e->model, engine_delta_of(e), u->name);
		} else {
			rc = sel_use(e, u->sel, u->family, delta_n);
		}
	}
	return rc;
}

static const struct v3_rules *pol_rules(struct nft_engine *e, uint32_t pid, int d)
{
	const struct v3_resource *r = node_kv_v3(node_cache_get(e->cache, name_table_name(&e->v3->pol_keys, pid)));
	if (!r)
		return NULL;
	return d == NFT_V3_INGRESS ? &r->spec.policy.ingress : &r->spec.policy.egress;
}

/* The policy's chain in direction d as its resource says now; the sets it
 * reads counted in before the old ones count out, so a shared one stays. */
int engine_v3_pol_compile(struct nft_engine *e, uint32_t pid, int d)
{
	struct engine_v3 *v = e->v3;
	struct v3_pol *p = &v->pols[pid];
	const struct v3_rules *rules = pol_rules(e, pid, d);
	struct chain_build b = { .e = e };
	const struct nft_v3_sets sets = { build_port_set, build_net_set, build_selector_set, &b, engine_flows_of(e) };
	const char *tier = name_table_name(&v->tier_names, p->tier);
	char name[NFT_NAME_MAX];
	int rc;

	if (!rules)
		return -EPROTO;
	v->work.chains++;
	nft_model_init(&b.tmp, NFT_FAMILY, NFT_TABLE);
	nft_v3_policy_chain_name(name, (enum nft_v3_direction)d, tier, p->ns, p->name);
	if ((rc = nft_v3_policy_chain(&b.tmp, (enum nft_v3_direction)d, tier, p->ns, p->name, rules, &sets)) < 0 ||
	    (rc = nft_model_finish(&b.tmp)) < 0 || (rc = uses_apply(e, &b.tmp, b.uses, b.n_uses, 1)) < 0)
		goto out;
	if (p->programmed[d] && strcmp(p->chain[d], name) != 0 &&
	    (rc = edit_del_chain(&e->model, engine_delta_of(e), p->chain[d])) < 0)
		goto out;
	size_t pos;
	bool found;
	pos = nft_model_chain_pos(&b.tmp, name, &found);
	if (!found) {
		rc = -EPROTO;
		goto out;
	}
	size_t n_rules = b.tmp.chains[pos].n_rules;
	if ((rc = edit_put_chain(&e->model, engine_delta_of(e), &b.tmp.chains[pos])) < 0)
		goto out;
	if (p->programmed[d] && (rc = uses_apply(e, NULL, p->uses[d], p->n_uses[d], -1)) < 0)
		goto out;
	e->rep.rules = e->rep.rules + n_rules - (p->programmed[d] ? p->n_rules[d] : 0);
	free(p->uses[d]);
	p->uses[d] = b.uses;
	p->n_uses[d] = b.n_uses;
	p->n_rules[d] = n_rules;
	p->programmed[d] = true;
	snprintf(p->chain[d], sizeof(p->chain[d]), "%s", name);
	b.uses = NULL;
out:
	free(b.uses);
	nft_model_free(&b.tmp);
	return rc;
}

int engine_v3_pol_unprogram(struct nft_engine *e, uint32_t pid, int d)
{
	struct v3_pol *p = &e->v3->pols[pid];
	int rc;
	if ((rc = edit_del_chain(&e->model, engine_delta_of(e), p->chain[d])) < 0 ||
	    (rc = uses_apply(e, NULL, p->uses[d], p->n_uses[d], -1)) < 0)
		return rc;
	e->rep.rules -= p->n_rules[d];
	free(p->uses[d]);
	p->uses[d] = NULL;
	p->n_uses[d] = p->n_rules[d] = 0;
	p->programmed[d] = false;
	return 0;
}
