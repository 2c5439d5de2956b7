/* The incremental policy engine (nft_engine.h). */
#include "agent/nft_engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/nft_engine_delta.h"
#include "agent/nft_engine_v3.h"
#include "agent/node_calc.h"
#include "model/keys.h"
#include "policy/nft_rule.h"
#include "util/array.h"

struct tag_use {
	uint32_t tag;
	unsigned families;
};

struct nft_engine_profile {
	bool has_tags, has_rules;     /* valid keys in the cache: the profile exists when either does */
	uint32_t *tags;               /* its tags (cache name ids), as the tags key lists them */
	size_t n_tags;
	struct count_map members;     /* endpoint key hash -> times it names this profile (any host) */
	struct count_map local_ifs;   /* ifname id -> local endpoints on it naming this profile */
	size_t used;                  /* programmed endpoint chains jumping to it */
	bool programmed, dirty;
	struct tag_use *uses;         /* what its programmed chains match on */
	size_t n_uses;
	uint64_t *ports;              /* port sets its programmed chains use */
	size_t n_ports;
	size_t n_rules;
};

struct nft_engine_tag {
	struct count_map members; /* address -> count */
	uint32_t use[2];          /* programmed rules' families: [0] IPv4, [1] IPv6 */
};

struct nft_engine_iface {
	char **keys; /* local endpoints on it, sorted: keys[0] is programmed */
	size_t n_keys;
	bool programmed, dirty;
	uint32_t *uses; /* profiles its chains jump to (cache name ids) */
	size_t n_uses;
	struct nft_v3_jumps jumps; /* its v3 tier chains (nft_engine_v3.c) */
};

static void fail(struct nft_engine *e, int rc)
{
	if (rc < 0)
		e->broken = true;
}

static struct nft_engine_delta *delta(struct nft_engine *e)
{
	if (e->bulk)
		return NULL;
	if (!e->delta && engine_delta_new(&e->delta) < 0) {
		e->broken = true;
		return NULL;
	}
	return e->delta;
}

static struct nft_engine_profile *profile(struct nft_engine *e, uint32_t id)
{
	if (array_reserve((void **)&e->profiles, &e->n_profiles, (size_t)id + 1, sizeof(*e->profiles)) < 0) {
		e->broken = true;
		return NULL;
	}
	return &e->profiles[id];
}

static struct nft_engine_tag *tag(struct nft_engine *e, uint32_t id)
{
	if (array_reserve((void **)&e->tags, &e->n_tags, (size_t)id + 1, sizeof(*e->tags)) < 0) {
		e->broken = true;
		return NULL;
	}
	return &e->tags[id];
}

static struct nft_engine_iface *iface(struct nft_engine *e, uint32_t id)
{
	if (array_reserve((void **)&e->ifaces, &e->n_ifaces, (size_t)id + 1, sizeof(*e->ifaces)) < 0) {
		e->broken = true;
		return NULL;
	}
	return &e->ifaces[id];
}

static void mark_profile(struct nft_engine *e, uint32_t id)
{
	struct nft_engine_profile *p = profile(e, id);
	if (!p || p->dirty)
		return;
	p->dirty = true;
	fail(e, array_push_u32(&e->dirty_profiles, &e->n_dirty_profiles, &e->cap_dirty_profiles, id));
}

static void mark_iface(struct nft_engine *e, uint32_t id)
{
	struct nft_engine_iface *f = iface(e, id);
	if (!f || f->dirty)
		return;
	f->dirty = true;
	fail(e, array_push_u32(&e->dirty_ifaces, &e->n_dirty_ifaces, &e->cap_dirty_ifaces, id));
}

/* ---------- tag members ---------- */

static void tag_set_name(const struct nft_engine *e, uint32_t t, int family, char out[NFT_NAME_MAX])
{
	nft_tag_set_name(out, name_table_name(&e->cache->names, t), family);
}

/* One address of one (endpoint, profile, tag) more or less in the tag; the
 * set element follows the count across zero. */
static void member(struct nft_engine *e, uint32_t t, const struct ip_addr *ip, int delta_n)
{
	struct nft_engine_tag *tg = tag(e, t);
	struct count_key k = count_key_ip(ip);
	char set[NFT_NAME_MAX], text[IP_STR_MAX];
	long n;

	if (!tg)
		return;
	if ((n = count_map_add(&tg->members, &k, delta_n)) < 0) {
		e->broken = true;
		return;
	}
	if (!tg->use[ip->family == 4 ? 0 : 1] || (delta_n > 0 ? n != delta_n : n != 0))
		return;
	tag_set_name(e, t, ip->family, set);
	nft_member_text(ip, text);
	if (delta_n > 0) {
		fail(e, edit_put_elem(&e->model, delta(e), set, text, NULL));
		e->rep.tag_members++;
	} else {
		fail(e, edit_del_elem(&e->model, delta(e), set, text));
		e->rep.tag_members--;
	}
}

/* An endpoint's addresses in every tag of one of its profiles. */
static void endpoint_in_profile_tags(struct nft_engine *e, const struct node_ep *ep, uint32_t p, int delta_n)
{
	struct nft_engine_profile *pr = profile(e, p);
	for (size_t t = 0; pr && t < pr->n_tags; t++)
		for (size_t a = 0; a < ep->n_addrs; a++)
			member(e, pr->tags[t], &ep->addrs[a], delta_n);
}

static void endpoint_members(struct nft_engine *e, const struct node_ep *ep, int delta_n)
{
	if (!ep || !ep->valid)
		return;
	for (size_t i = 0; i < ep->n_profiles; i++) {
		struct nft_engine_profile *pr = profile(e, ep->profiles[i]);
		struct count_key k = count_key_u64(ep->key_hash);
		if (!pr)
			return;
		if (count_map_add(&pr->members, &k, delta_n) < 0)
			e->broken = true;
		endpoint_in_profile_tags(e, ep, ep->profiles[i], delta_n);
	}
}

/* ---------- events ---------- */

static int ifname_id(struct nft_engine *e, const char *name, uint32_t *id)
{
	int rc = name_table_intern(&e->ifnames, name, id);
	fail(e, rc);
	return rc;
}

/* A local endpoint joins (add) or leaves its interface's list. */
static void local_endpoint(struct nft_engine *e, const struct node_kv *kv, bool add)
{
	uint32_t id, pid;
	struct nft_engine_iface *f;

	/* the cache keeps every endpoint whole when it has no host: only this host's count */
	if (!kv || !kv->valid || strcmp(kv->host, e->cache->host) != 0 || ifname_id(e, kv->ep.name, &id) < 0 ||
	    !(f = iface(e, id)))
		return;
	e->local_valid += add ? 1 : (size_t)-1;
	e->local_changed = true;
	for (size_t i = 0; i < kv->ep.n_profile_ids; i++) {
		struct count_key k = count_key_u64(id);
		struct nft_engine_profile *p;
		if (name_table_intern(&e->cache->names, kv->ep.profile_ids[i], &pid) < 0 || !(p = profile(e, pid))) {
			e->broken = true;
			return;
		}
		if (count_map_add(&p->local_ifs, &k, add ? 1 : -1) < 0)
			e->broken = true;
	}
	size_t lo = 0, hi = f->n_keys;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(f->keys[mid], kv->key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	bool here = lo < f->n_keys && strcmp(f->keys[lo], kv->key) == 0;
	if (add && !here) {
		char **p = realloc(f->keys, (f->n_keys + 1) * sizeof(*p));
		char *k = strdup(kv->key);
		if (!p || !k) {
			if (p)
				f->keys = p;
			free(k);
			e->broken = true;
			return;
		}
		f->keys = p;
		memmove(&f->keys[lo + 1], &f->keys[lo], (f->n_keys - lo) * sizeof(*f->keys));
		f->keys[lo] = k;
		f->n_keys++;
	} else if (!add && here) {
		free(f->keys[lo]);
		memmove(&f->keys[lo], &f->keys[lo + 1], (f->n_keys - lo - 1) * sizeof(*f->keys));
		f->n_keys--;
	}
	mark_iface(e, id);
	engine_v3_local(e, id);
}

/* Every local interface whose endpoints name profile p: its chains depend on whether p exists. */
static void mark_profile_users(struct nft_engine *e, uint32_t p)
{
	struct nft_engine_profile *pr = profile(e, p);
	for (size_t i = 0; pr && i < pr->local_ifs.cap; i++)
		if (pr->local_ifs.slots[i].n)
			mark_iface(e, (uint32_t)count_key_to_u64(&pr->local_ifs.slots[i].k));
}

static bool same_tags(const struct nft_engine_profile *p, const struct node_kv *kv, const struct name_table *names)
{
	size_t n = kv && kv->valid ? kv->n_tags : 0;
	if (n != p->n_tags)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(name_table_name(names, p->tags[i]), kv->tags[i]) != 0)
			return false;
	return true;
}

/* Its members leave the old tags and join the new ones. */
static void profile_tags(struct nft_engine *e, const struct node_change *ch)
{
	const struct node_kv *kv = ch->new_kv ? ch->new_kv : ch->old_kv;
	uint32_t id, *tags = NULL;
	size_t n = ch->new_kv && ch->new_kv->valid ? ch->new_kv->n_tags : 0;
	struct nft_engine_profile *p;

	if (name_table_intern(&e->cache->names, kv->name, &id) < 0 || !(p = profile(e, id))) {
		e->broken = true;
		return;
	}
	bool existed = p->has_tags || p->has_rules;
	p->has_tags = ch->new_kv && ch->new_kv->valid;
	if (existed != (p->has_tags || p->has_rules)) {
		mark_profile_users(e, id);
		mark_profile(e, id);
	}
	if (same_tags(p, ch->new_kv, &e->cache->names))
		return;
	if (n && !(tags = calloc(n, sizeof(*tags)))) {
		e->broken = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (name_table_intern(&e->cache->names, ch->new_kv->tags[i], &tags[i]) < 0) {
			free(tags);
			e->broken = true;
			return;
		}
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			free(p->tags);
			p->tags = tags;
			p->n_tags = n;
		}
		for (size_t i = 0; i < p->members.cap; i++) {
			const struct count_entry *m = &p->members.slots[i];
			const struct node_ep *ep = m->n ? node_cache_get_ep(e->cache, count_key_to_u64(&m->k)) : NULL;
			for (uint32_t c = 0; ep && c < m->n; c++)
				endpoint_in_profile_tags(e, ep, id, pass == 0 ? -1 : 1);
		}
	}
}

static void profile_rules(struct nft_engine *e, const struct node_change *ch)
{
	const struct node_kv *kv = ch->new_kv ? ch->new_kv : ch->old_kv;
	uint32_t id;
	struct nft_engine_profile *p;

	if (name_table_intern(&e->cache->names, kv->name, &id) < 0 || !(p = profile(e, id))) {
		e->broken = true;
		return;
	}
	bool existed = p->has_tags || p->has_rules;
	p->has_rules = ch->new_kv && ch->new_kv->valid;
	if (existed != (p->has_tags || p->has_rules))
		mark_profile_users(e, id);
	mark_profile(e, id);
}

static void v3_policy_count(struct nft_engine *e, const struct node_kv *kv, int delta_n)
{
	const struct v3_resource *r = node_kv_v3(kv);
	if (r && (r->kind == V3_GLOBAL_NETWORK_POLICY || r->kind == V3_NETWORK_POLICY))
		e->v3_policies = (size_t)((long)e->v3_policies + delta_n);
}

static void observe(void *ctx, const struct node_change *ch)
{
	struct nft_engine *e = ctx;

	if (ch->kind == NKV_V3) {
		v3_policy_count(e, ch->old_kv, -1);
		v3_policy_count(e, ch->new_kv, 1);
	}
	engine_v3_observe(e, ch);
	switch (ch->kind) {
	case NKV_ENDPOINT:
		endpoint_members(e, ch->old_ep, -1);
		local_endpoint(e, ch->old_kv, false);
		endpoint_members(e, ch->new_ep, 1);
		local_endpoint(e, ch->new_kv, true);
		break;
	case NKV_PROFILE_TAGS:
		profile_tags(e, ch);
		break;
	case NKV_PROFILE_RULES:
		profile_rules(e, ch);
		break;
	case NKV_POOL:
		e->nat_dirty = true;
		break;
	default:
		break;
	}
}

/* ---------- pieces ---------- */

struct build {
	struct nft_engine *e;
	struct nft_model tmp;
	struct tag_use *uses;
	size_t n_uses, cap_uses;
};

/* where the pieces register verdict points; NULL: flow logs off */
static struct nft_flows *engine_flows(struct nft_engine *e)
{
	return e->flow_logs ? &e->flows : NULL;
}

static bool has_profile(void *ctx, const char *name)
{
	struct build *b = ctx;
	long id = name_table_find(&b->e->cache->names, name);
	return id >= 0 && (size_t)id < b->e->n_profiles &&
	       (b->e->profiles[id].has_tags || b->e->profiles[id].has_rules);
}

static int build_port_set(void *ctx, const char *name, const struct port_range *sorted, size_t n)
{
	struct build *b = ctx;
	for (size_t i = 0; i < b->tmp.n_sets; i++)
		if (strcmp(b->tmp.sets[i].name, name) == 0)
			return 0; /* two rules, one list */
	return nft_piece_port_set(&b->tmp, name, sorted, n);
}

static int build_tag_use(void *ctx, const char *tag_name, unsigned families)
{
	struct build *b = ctx;
	uint32_t id;
	int rc;

	if ((rc = name_table_intern(&b->e->cache->names, tag_name, &id)) < 0)
		return rc;
	if (array_reserve((void **)&b->uses, &b->cap_uses, b->n_uses + 1, sizeof(*b->uses)) < 0)
		return -ENOMEM;
	b->uses[b->n_uses++] = (struct tag_use){ id, families };
	return 0;
}

static void build_init(struct build *b, struct nft_engine *e)
{
	memset(b, 0, sizeof(*b));
	b->e = e;
	nft_model_init(&b->tmp, NFT_FAMILY, NFT_TABLE);
}

static void build_free(struct build *b)
{
	nft_model_free(&b->tmp);
	free(b->uses);
}

static int move_chains(struct nft_engine *e, struct nft_model *tmp)
{
	int rc;
	for (size_t i = 0; i < tmp->n_chains; i++)
		if ((rc = edit_put_chain(&e->model, delta(e), &tmp->chains[i])) < 0)
			return rc;
	return 0;
}

/* A tag set's use in one family goes up or down; it is made, filled from the
 * index, when the first rule needs it and dropped with the last. */
static int tag_use(struct nft_engine *e, uint32_t t, int family, int delta_n)
{
	struct nft_engine_tag *tg = tag(e, t);
	char name[NFT_NAME_MAX], text[IP_STR_MAX];
	uint32_t *use;
	int rc;

	if (!tg)
		return -ENOMEM;
	use = &tg->use[family == 4 ? 0 : 1];
	*use = (uint32_t)((int)*use + delta_n);
	if (delta_n > 0 && *use == 1) {
		struct nft_model tmp;
		nft_model_init(&tmp, NFT_FAMILY, NFT_TABLE);
		struct nft_set *s = nft_piece_tag_set(&tmp, name_table_name(&e->cache->names, t), family);
		rc = s ? 0 : -ENOMEM;
		for (size_t i = 0; rc == 0 && i < tg->members.cap; i++) {
			if (!tg->members.slots[i].n || tg->members.slots[i].k.family != family)
				continue;
			struct ip_addr ip = count_key_to_ip(&tg->members.slots[i].k);
			rc = nft_set_add_elem(s, nft_member_text(&ip, text), NULL);
		}
		if (rc == 0 && !e->bulk) /* sorted, as the model is between batches */
			rc = nft_model_finish(&tmp);
		if (rc == 0) {
			e->rep.tag_members += s->n_elems;
			e->rep.tag_sets++;
			rc = edit_put_set(&e->model, delta(e), s);
		}
		nft_model_free(&tmp);
		return rc;
	}
	if (delta_n < 0 && *use == 0) {
		tag_set_name(e, t, family, name);
		size_t pos;
		bool found;
		pos = nft_model_set_pos(&e->model, name, &found);
		if (found)
			e->rep.tag_members -= e->model.sets[pos].n_elems;
		e->rep.tag_sets--;
		return edit_del_set(&e->model, delta(e), name);
	}
	return 0;
}

static int port_use(struct nft_engine *e, uint64_t h, struct nft_set *built, int delta_n)
{
	struct count_key k = count_key_u64(h);
	char name[NFT_NAME_MAX];
	long n = count_map_add(&e->port_sets, &k, delta_n);

	if (n < 0)
		return (int)n;
	if (delta_n > 0 && n == 1)
		return edit_put_set(&e->model, delta(e), built);
	if (delta_n < 0 && n == 0) {
		snprintf(name, sizeof(name), "ports-%016llx", (unsigned long long)h);
		return edit_del_set(&e->model, delta(e), name);
	}
	return 0;
}

static int apply_uses(struct nft_engine *e, const struct tag_use *uses, size_t n, int delta_n)
{
	int rc;
	for (size_t i = 0; i < n; i++)
		if (((uses[i].families & NFT_FAMILY_V4) && (rc = tag_use(e, uses[i].tag, 4, delta_n)) < 0) ||
		    ((uses[i].families & NFT_FAMILY_V6) && (rc = tag_use(e, uses[i].tag, 6, delta_n)) < 0))
			return rc;
	return 0;
}

/* The profile's chains as its rules and use say now. The new tag and port
 * uses count in before the old ones count out, so a set both use stays. */
static int rebuild_profile(struct nft_engine *e, uint32_t id)
{
	struct nft_engine_profile *p = &e->profiles[id];
	const char *name = name_table_name(&e->cache->names, id);
	bool want = p->used > 0 && (p->has_tags || p->has_rules);
	struct build b;
	struct rule_list rules_in = { 0 }, rules_out = { 0 }; /* the profile's, decoded for this rebuild */
	uint64_t *ports = NULL;
	size_t n_rules = 0;
	char key[KEY_MAX], chain[NFT_NAME_MAX];
	int rc = 0;

	p->dirty = false;
	build_init(&b, e);
	if (want) {
		const struct nft_piece_hooks hooks = { has_profile, build_port_set, build_tag_use, &b, engine_flows(e) };
		const struct node_kv *rules = key_profile_rules(key, name) ? node_cache_get(e->cache, key) : NULL;
		if (rules && rules->valid && (rc = node_cache_profile_rules(rules, &rules_in, &rules_out)) < 0)
			goto out;
		if ((rc = nft_piece_profile(&b.tmp, name, &rules_in, &rules_out, &hooks, &n_rules)) < 0 ||
		    (b.tmp.n_sets && !(ports = calloc(b.tmp.n_sets, sizeof(*ports))))) {
			rc = rc < 0 ? rc : -ENOMEM;
			goto out;
		}
		/* sorts the port sets' elements as the model keeps them */
		if ((rc = nft_model_finish(&b.tmp)) < 0 || (rc = apply_uses(e, b.uses, b.n_uses, 1)) < 0)
			goto out;
		for (size_t i = 0; i < b.tmp.n_sets; i++) {
			struct nft_set *s = &b.tmp.sets[i];
			ports[i] = strtoull(s->name + strlen(s->name) - 16, NULL, 16);
			if ((rc = port_use(e, ports[i], s, 1)) < 0)
				goto out;
		}
		if ((rc = move_chains(e, &b.tmp)) < 0)
			goto out;
	} else if (p->programmed) {
		for (int d = 0; d < 2 && rc == 0; d++) {
			snprintf(chain, sizeof(chain), "prof-%s-%s", d ? "out" : "in", name);
			rc = edit_del_chain(&e->model, delta(e), chain);
		}
		if (rc < 0)
			goto out;
	}
	if (p->programmed) {
		if ((rc = apply_uses(e, p->uses, p->n_uses, -1)) < 0)
			goto out;
		for (size_t i = 0; i < p->n_ports; i++)
			if ((rc = port_use(e, p->ports[i], NULL, -1)) < 0)
				goto out;
		e->rep.profiles--;
		e->rep.rules -= p->n_rules;
	}
	free(p->uses);
	free(p->ports);
	p->uses = want ? b.uses : NULL;
	p->n_uses = want ? b.n_uses : 0;
	p->ports = want ? ports : NULL;
	p->n_ports = want ? b.tmp.n_sets : 0;
	p->n_rules = n_rules;
	p->programmed = want;
	if (want) {
		b.uses = NULL;
		ports = NULL;
		e->rep.profiles++;
		e->rep.rules += n_rules;
	}
out:
	rule_list_free(&rules_in);
	rule_list_free(&rules_out);
	free(ports);
	build_free(&b);
	return rc;
}

static void use_profiles(struct nft_engine *e, const uint32_t *ids, size_t n, int delta_n)
{
	for (size_t i = 0; i < n; i++) {
		struct nft_engine_profile *p = &e->profiles[ids[i]];
		bool before = p->used > 0;
		p->used = (size_t)((long)p->used + delta_n);
		if (before != (p->used > 0))
			mark_profile(e, ids[i]);
	}
}

/* The interface's chains and map elements from its first local endpoint. */
static int rebuild_iface(struct nft_engine *e, uint32_t id)
{
	struct nft_engine_iface *f = &e->ifaces[id];
	const char *ifname = name_table_name(&e->ifnames, id);
	const struct node_kv *kv = f->n_keys ? node_cache_get(e->cache, f->keys[0]) : NULL;
	bool want = kv && kv->valid && nft_ifname_ok(ifname);
	uint32_t *uses = NULL;
	size_t n_uses = 0;
	char name[NFT_NAME_MAX], verdict[NFT_NAME_MAX + 8];
	struct build b;
	bool jumps = false;
	int rc = 0;

	f->dirty = false;
	build_init(&b, e);
	if (want) {
		const struct nft_piece_hooks hooks = { has_profile, build_port_set, build_tag_use, &b, engine_flows(e) };
		if ((rc = nft_piece_endpoint(&b.tmp, &kv->ep, &f->jumps, &hooks, &jumps)) < 0)
			goto out;
		if (jumps && !(uses = calloc(kv->ep.n_profile_ids, sizeof(*uses)))) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; jumps && i < kv->ep.n_profile_ids; i++)
			if ((rc = name_table_intern(&e->cache->names, kv->ep.profile_ids[i], &uses[n_uses++])) < 0 ||
			    !profile(e, uses[n_uses - 1])) {
				rc = -ENOMEM;
				goto out;
			}
		if ((rc = move_chains(e, &b.tmp)) < 0)
			goto out;
		nft_endpoint_verdict(verdict, "from", ifname);
		if ((rc = edit_put_elem(&e->model, delta(e), "from-wl", ifname, verdict)) < 0)
			goto out;
		nft_endpoint_verdict(verdict, "to", ifname);
		if ((rc = edit_put_elem(&e->model, delta(e), "to-wl", ifname, verdict)) < 0)
			goto out;
	} else if (f->programmed) {
		snprintf(name, sizeof(name), "wl-from-%s", ifname);
		if ((rc = edit_del_chain(&e->model, delta(e), name)) < 0)
			goto out;
		snprintf(name, sizeof(name), "wl-to-%s", ifname);
		if ((rc = edit_del_chain(&e->model, delta(e), name)) < 0 ||
		    (rc = edit_del_elem(&e->model, delta(e), "from-wl", ifname)) < 0 ||
		    (rc = edit_del_elem(&e->model, delta(e), "to-wl", ifname)) < 0)
			goto out;
	}
	use_profiles(e, uses, n_uses, 1);
	use_profiles(e, f->uses, f->n_uses, -1);
	e->rep.endpoints += (size_t)want - (size_t)f->programmed;
	free(f->uses);
	f->uses = uses;
	f->n_uses = n_uses;
	f->programmed = want;
	uses = NULL;
out:
	free(uses);
	build_free(&b);
	return rc;
}

static int rebuild_nat(struct nft_engine *e)
{
	static const char *const prefixes[] = { KEY_POOL_V4_PREFIX, KEY_POOL_V6_PREFIX };
	const struct node_cache *c = e->cache;
	struct pool *pools = NULL;
	size_t n = 0, cap = 0;
	struct nft_model tmp;
	int rc = 0;

	nft_model_init(&tmp, NFT_FAMILY, NFT_TABLE);
	for (size_t p = 0; p < 2; p++)
		for (size_t i = node_cache_lower_bound(c, prefixes[p]);
		     i < c->n && strncmp(c->items[i].key, prefixes[p], strlen(prefixes[p])) == 0; i++) {
			if (c->items[i].kind != NKV_POOL || !c->items[i].valid)
				continue;
			if ((rc = array_reserve((void **)&pools, &cap, n + 1, sizeof(*pools))) < 0)
				goto out;
			pools[n++] = c->items[i].pool;
		}
	if ((rc = nft_piece_nat(&tmp, pools, n)) < 0 || (rc = nft_model_finish(&tmp)) < 0)
		goto out;
	for (size_t i = 0; i < tmp.n_sets; i++) {
		if ((rc = edit_del_set(&e->model, delta(e), tmp.sets[i].name)) < 0 ||
		    (rc = edit_put_set(&e->model, delta(e), &tmp.sets[i])) < 0)
			goto out;
	}
	rc = move_chains(e, &tmp);
out:
	free(pools);
	nft_model_free(&tmp);
	return rc;
}

static int rebuild_dispatch(struct nft_engine *e)
{
	struct nft_model tmp;
	int rc;

	nft_model_init(&tmp, NFT_FAMILY, NFT_TABLE);
	if ((rc = nft_piece_dispatch(&tmp, e->iface_prefix, e->endpoint_to_host, engine_flows(e))) == 0)
		rc = move_chains(e, &tmp);
	nft_model_free(&tmp);
	return rc;
}

/* ---------- the engine ---------- */

static void reset(struct nft_engine *e)
{
	for (size_t i = 0; i < e->n_profiles; i++) {
		struct nft_engine_profile *p = &e->profiles[i];
		free(p->tags);
		count_map_free(&p->members);
		count_map_free(&p->local_ifs);
		free(p->uses);
		free(p->ports);
	}
	free(e->profiles);
	for (size_t i = 0; i < e->n_tags; i++)
		count_map_free(&e->tags[i].members);
	free(e->tags);
	for (size_t i = 0; i < e->n_ifaces; i++) {
		for (size_t k = 0; k < e->ifaces[i].n_keys; k++)
			free(e->ifaces[i].keys[k]);
		free(e->ifaces[i].keys);
		free(e->ifaces[i].uses);
		nft_v3_jumps_free(&e->ifaces[i].jumps);
	}
	engine_v3_free(e->v3);
	free(e->ifaces);
	name_table_free(&e->ifnames);
	count_map_free(&e->port_sets);
	free(e->dirty_ifaces);
	free(e->dirty_profiles);
	engine_delta_free(e->delta);
	nft_model_free(&e->model);

	nft_flows_free(&e->flows);

	char prefix[sizeof(e->iface_prefix)];
	enum dp_host_action action = e->endpoint_to_host;
	bool flow_logs = e->flow_logs;
	struct node_cache *c = e->cache;
	memcpy(prefix, e->iface_prefix, sizeof(prefix));
	memset(e, 0, sizeof(*e));
	memcpy(e->iface_prefix, prefix, sizeof(prefix));
	e->endpoint_to_host = action;
	e->flow_logs = flow_logs;
	nft_flows_init(&e->flows);
	e->flows_replaced = true;
	e->cache = c;
	nft_model_init(&e->model, NFT_FAMILY, NFT_TABLE);
	if (!(e->v3 = engine_v3_new()))
		e->broken = true;
}

int nft_engine_init(struct nft_engine *e, struct node_cache *c)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->iface_prefix, sizeof(e->iface_prefix), "cali");
	e->endpoint_to_host = DP_HOST_DROP;
	e->flow_logs = true; /* FlowLogsEnabled's default */
	nft_flows_init(&e->flows);
	e->cache = c;
	nft_model_init(&e->model, NFT_FAMILY, NFT_TABLE);
	if (!(e->v3 = engine_v3_new()))
		return -ENOMEM;
	node_cache_observe(c, observe, e);
	return 0;
}

void nft_engine_free(struct nft_engine *e)
{
	if (e->cache && e->cache->observer_ctx == e)
		node_cache_observe(e->cache, NULL, NULL);
	reset(e);
	nft_model_free(&e->model);
	nft_flows_free(&e->flows);
	engine_v3_free(e->v3);
	memset(e, 0, sizeof(*e));
}

void nft_engine_set_config(struct nft_engine *e, const char *iface_prefix, enum dp_host_action endpoint_to_host)
{
	if (strcmp(e->iface_prefix, iface_prefix) == 0 && e->endpoint_to_host == endpoint_to_host)
		return;
	snprintf(e->iface_prefix, sizeof(e->iface_prefix), "%s", iface_prefix);
	e->endpoint_to_host = endpoint_to_host;
	e->dispatch_dirty = true;
}

void nft_engine_set_flow_logs(struct nft_engine *e, bool on)
{
	if (e->flow_logs == on)
		return;
	e->flow_logs = on;
	/* Every chain that holds a verdict point changes (endpoints', profiles',
	 * policies', tiers', the dispatch): a rare switch, so the engine is built
	 * again whole at the next flush, which then finds the kernel's table and
	 * sends the difference. */
	e->broken = true;
	if (!on) {
		nft_flows_free(&e->flows);
		e->flows_replaced = true;
	}
}

/* ---------- services to the v3 layer (nft_engine_v3.h) ---------- */

struct nft_flows *engine_flows_of(struct nft_engine *e)
{
	return engine_flows(e);
}

struct nft_engine_delta *engine_delta_of(struct nft_engine *e)
{
	return delta(e);
}

int engine_port_use(struct nft_engine *e, const char *name, struct nft_set *built, int delta_n)
{
	return port_use(e, strtoull(name + strlen(name) - 16, NULL, 16), built, delta_n);
}

const char *engine_iface_key(const struct nft_engine *e, uint32_t id)
{
	return id < e->n_ifaces && e->ifaces[id].n_keys ? e->ifaces[id].keys[0] : NULL;
}

struct nft_v3_jumps *engine_iface_jumps(struct nft_engine *e, uint32_t id)
{
	struct nft_engine_iface *f = iface(e, id);
	return f ? &f->jumps : NULL;
}

void engine_iface_mark(struct nft_engine *e, uint32_t id)
{
	mark_iface(e, id);
}

void engine_profile_users(struct nft_engine *e, const char *name, void (*ep_fn)(void *ctx, uint64_t key_hash),
			  void (*if_fn)(void *ctx, uint32_t ifid), void *ctx)
{
	long id = name_table_find(&e->cache->names, name);
	if (id < 0 || (size_t)id >= e->n_profiles)
		return;
	const struct nft_engine_profile *p = &e->profiles[id];
	for (size_t i = 0; i < p->members.cap; i++)
		if (p->members.slots[i].n)
			ep_fn(ctx, count_key_to_u64(&p->members.slots[i].k));
	for (size_t i = 0; i < p->local_ifs.cap; i++)
		if (p->local_ifs.slots[i].n)
			if_fn(ctx, (uint32_t)count_key_to_u64(&p->local_ifs.slots[i].k));
}

static int apply_pending(struct nft_engine *e)
{
	int rc;

	/* v3 first: it decides the interfaces' tier chains */
	if ((rc = engine_v3_flush(e)) < 0)
		return rc;
	/* interfaces next: they decide which profiles are used */
	for (size_t i = 0; i < e->n_dirty_ifaces; i++)
		if ((rc = rebuild_iface(e, e->dirty_ifaces[i])) < 0)
			return rc;
	e->n_dirty_ifaces = 0;
	for (size_t i = 0; i < e->n_dirty_profiles; i++)
		if ((rc = rebuild_profile(e, e->dirty_profiles[i])) < 0)
			return rc;
	e->n_dirty_profiles = 0;
	if (e->nat_dirty && (rc = rebuild_nat(e)) < 0)
		return rc;
	if (e->dispatch_dirty && (rc = rebuild_dispatch(e)) < 0)
		return rc;
	e->nat_dirty = e->dispatch_dirty = false;
	return 0;
}

int nft_engine_rebuild(struct nft_engine *e, struct node_cache *c)
{
	struct nft_set *map;
	int rc = -ENOMEM;

	e->cache = c;
	reset(e);
	node_cache_observe(c, observe, e);
	e->bulk = true;
	if (!(map = nft_model_add_set(&e->model, "from-wl", "ifname", "verdict", false)) ||
	    !(map = nft_model_add_set(&e->model, "to-wl", "ifname", "verdict", false)))
		goto out;
	for (size_t i = 0; i < c->n; i++) {
		const struct node_kv *kv = &c->items[i];
		const struct node_ep *ep = kv->kind == NKV_ENDPOINT ? node_cache_get_ep(c, node_cache_key_hash(kv->key)) : NULL;
		const struct node_change ch = { kv->kind, kv->key, NULL, kv, NULL, ep };
		observe(e, &ch);
	}
	for (size_t i = 0; i < c->cap_eps; i++) {
		if (!c->eps[i] || c->eps[i]->local)
			continue;
		const struct node_change ch = { NKV_ENDPOINT, "", NULL, NULL, NULL, c->eps[i] };
		observe(e, &ch);
	}
	e->nat_dirty = e->dispatch_dirty = true;
	if (e->broken || (rc = apply_pending(e)) < 0 || (rc = nft_model_finish(&e->model)) < 0)
		goto out;
	rc = e->broken ? -ENOMEM : 0;
	e->flows_at_rebuild = e->flows.reg.n;
out:
	e->bulk = false;
	e->local_changed = true;
	if (rc < 0)
		e->broken = true;
	return rc;
}

bool nft_engine_wants_compaction(struct nft_engine *e)
{
	size_t live = 0;

	if (e->flows.reg.n > 4096 && e->flows.reg.n > 2 * e->flows_at_rebuild)
		return true;
	if (e->ifnames.n <= 1024 || e->ifnames.n < e->compact_check_at)
		return false;
	for (size_t i = 0; i < e->n_ifaces; i++)
		live += e->ifaces[i].n_keys > 0;
	if (e->ifnames.n > 4 * live)
		return true;
	e->compact_check_at = e->ifnames.n + e->ifnames.n / 2;
	return false;
}

int nft_engine_flush(struct nft_engine *e, char **script)
{
	int rc;

	*script = NULL;
	if (e->broken)
		return -ENOMEM;
	if ((rc = apply_pending(e)) < 0 || e->broken) {
		e->broken = true;
		return rc < 0 ? rc : -ENOMEM;
	}
	if (!e->delta) {
		*script = calloc(1, 1);
		return *script ? 0 : -ENOMEM;
	}
	rc = engine_delta_render(&e->model, e->delta, script);
	engine_delta_free(e->delta);
	e->delta = NULL;
	if (rc < 0)
		e->broken = true;
	return rc;
}

void nft_engine_report(const struct nft_engine *e, struct nft_compile_report *out)
{
	*out = e->rep;
	out->skipped_endpoints = e->local_valid > e->rep.endpoints ? e->local_valid - e->rep.endpoints : 0;
	if (out->skipped_endpoints)
		snprintf(out->problem, sizeof(out->problem), "an interface name that is not valid, or used twice");
}
