/* The engine's v3 layer (nft_engine_v3.h). It makes what nft_piece_v3 makes
 * of the same state: the chains and sets come from nft_v3.c's own pieces and
 * the sets' elements follow fill_nets' rule (nft_piece_v3_nets). */
#include "agent/nft_engine_v3_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/nft_engine_delta.h"
#include "agent/node_calc.h"
#include "agent/selector_index.h"
#include "model/keys.h"
#include "policy/nft_flow.h"
#include "policy/nft_v3.h"
#include "selector/selector.h"
#include "store/resource_store.h"

#define DEFAULT_TIER "default"
#define DEFAULT_TIER_ORDER 1000000.0
#define KNS_PREFIX "kns."

/* ---------- small tools ---------- */

static int push_str(char ***v, size_t *n, size_t *cap, const char *s)
{
	char *d;
	if (array_reserve((void **)v, cap, *n + 1, sizeof(**v)) < 0 || !(d = strdup(s)))
		return -ENOMEM;
	(*v)[(*n)++] = d;
	return 0;
}

static void free_strs(char **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	*n = 0;
}

static void broken(struct nft_engine *e, int rc)
{
	if (rc < 0)
		e->broken = true;
}

static struct v3_pol *pol_at(struct engine_v3 *v, uint32_t id)
{
	return array_reserve((void **)&v->pols, &v->n_pols, (size_t)id + 1, sizeof(*v->pols)) < 0 ? NULL : &v->pols[id];
}

static struct v3_if *if_at(struct engine_v3 *v, uint32_t id)
{
	return array_reserve((void **)&v->ifs, &v->n_ifs, (size_t)id + 1, sizeof(*v->ifs)) < 0 ? NULL : &v->ifs[id];
}

/* The tier named, made (absent unless it is the default tier) when new. */
static int tier_id(struct engine_v3 *v, const char *name, uint32_t *id)
{
	size_t before = v->tier_names.n;
	int rc;
	if ((rc = name_table_intern(&v->tier_names, name, id)) < 0 ||
	    (rc = array_reserve((void **)&v->tiers, &v->n_tiers, (size_t)*id + 1, sizeof(*v->tiers))) < 0)
		return rc;
	if (v->tier_names.n != before) {
		bool dflt = strcmp(name, DEFAULT_TIER) == 0;
		v->tiers[*id] = (struct eng_tier){ dflt, dflt, DEFAULT_TIER_ORDER, V3_DEFAULT_DENY };
	}
	return 0;
}

/* ---------- life ---------- */

struct engine_v3 *engine_v3_new(void)
{
	struct engine_v3 *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	name_table_init(&v->pol_keys);
	name_table_init(&v->tier_names);
	name_table_init(&v->sel_ids);
	name_table_init(&v->ns_names);
	if (!(v->ix = sel_index_new(engine_v3_on_member, v))) {
		free(v);
		return NULL;
	}
	return v;
}

static void pol_free_def(struct v3_pol *p)
{
	free(p->name);
	free(p->meta_ns);
	free(p->ns);
	selector_free(p->sel);
	selector_free(p->ns_sel);
	p->name = p->meta_ns = p->ns = NULL;
	p->sel = p->ns_sel = NULL;
	p->defined = false;
}

static void if_clear(struct v3_if *f)
{
	label_set_free(&f->labels);
	f->labels = (struct label_set)LABEL_SET_INIT;
	for (int d = 0; d < 2; d++) {
		free(f->pols[d]);
		f->pols[d] = NULL;
		f->n[d] = f->cap[d] = 0;
	}
	f->ns = "default";
	f->on = false;
}

void engine_v3_free(struct engine_v3 *v)
{
	if (!v)
		return;
	sel_index_free(v->ix);
	for (size_t i = 0; i < v->n_pols; i++) {
		pol_free_def(&v->pols[i]);
		free(v->pols[i].uses[0]);
		free(v->pols[i].uses[1]);
	}
	free(v->pols);
	free(v->tiers);
	for (size_t i = 0; i < v->n_sels; i++) {
		free(v->sels[i].sel);
		free(v->sels[i].ns_sel);
		free(v->sels[i].scope);
	}
	free(v->sels);
	for (size_t i = 0; i < v->n_ifs; i++)
		if_clear(&v->ifs[i]);
	free(v->ifs);
	for (size_t i = 0; i < v->n_nss; i++)
		label_set_free(&v->nss[i].labels);
	free(v->nss);
	count_map_free(&v->nets);
	free(v->eps);
	free_strs(v->keys, &v->n_keys);
	free_strs(v->profs, &v->n_profs);
	free_strs(v->nsd, &v->n_nsd);
	free(v->keys);
	free(v->profs);
	free(v->nsd);
	free(v->dirty_pols);
	free(v->chain_pols);
	free(v->dirty_ifs);
	free(v->dirty_sels);
	name_table_free(&v->pol_keys);
	name_table_free(&v->tier_names);
	name_table_free(&v->sel_ids);
	name_table_free(&v->ns_names);
	free(v);
}

/* ---------- what the batch touched ---------- */

static void queue_if(struct nft_engine *e, uint32_t id, bool eval)
{
	struct engine_v3 *v = e->v3;
	struct v3_if *f = if_at(v, id);
	if (!f) {
		e->broken = true;
		return;
	}
	f->eval |= eval;
	f->render = true;
	if (!f->queued) {
		f->queued = true;
		broken(e, array_push_u32(&v->dirty_ifs, &v->n_dirty_ifs, &v->cap_dirty_ifs, id));
	}
}

static void queue_chain(struct nft_engine *e, uint32_t pid)
{
	struct engine_v3 *v = e->v3;
	struct v3_pol *p = &v->pols[pid];
	if (!p->chain_queued) {
		p->chain_queued = true;
		broken(e, array_push_u32(&v->chain_pols, &v->n_chain_pols, &v->cap_chain_pols, pid));
	}
}

static void queue_pol(struct nft_engine *e, uint32_t pid)
{
	struct engine_v3 *v = e->v3;
	struct v3_pol *p = &v->pols[pid];
	if (!p->queued) {
		p->queued = true;
		broken(e, array_push_u32(&v->dirty_pols, &v->n_dirty_pols, &v->cap_dirty_pols, pid));
	}
}

void engine_v3_observe(struct nft_engine *e, const struct node_change *ch)
{
	struct engine_v3 *v = e->v3;
	const struct node_kv *kv = ch->new_kv ? ch->new_kv : ch->old_kv;

	if (!v || !v->active)
		return; /* activation reads everything */
	switch (ch->kind) {
	case NKV_ENDPOINT: {
		const struct node_ep *ep = ch->new_ep ? ch->new_ep : ch->old_ep;
		if (ep && array_reserve((void **)&v->eps, &v->cap_eps, v->n_eps + 1, sizeof(*v->eps)) == 0)
			v->eps[v->n_eps++] = ep->key_hash;
		else if (ep)
			e->broken = true;
		break;
	}
	case NKV_PROFILE_TAGS:
	case NKV_PROFILE_LABELS:
		if (kv)
			broken(e, push_str(&v->profs, &v->n_profs, &v->cap_profs, kv->name));
		break;
	case NKV_V3:
		broken(e, push_str(&v->keys, &v->n_keys, &v->cap_keys, ch->key));
		break;
	default:
		break;
	}
}

void engine_v3_local(struct nft_engine *e, uint32_t ifid)
{
	if (e->v3 && e->v3->active)
		queue_if(e, ifid, true);
}

/* ---------- labels ---------- */

static const struct node_kv *profile_kv(const struct node_cache *c, const char *profile, const char *leaf)
{
	char key[KEY_MAX];
	if (!key_fmt(key, KEY_PROFILE_PREFIX "%s/%s", profile, leaf))
		return NULL;
	const struct node_kv *kv = node_cache_get(c, key);
	return kv && kv->valid ? kv : NULL;
}

/* A namespace's own labels: the labelsToApply of kns.<ns> (tags, then labels). */
static int ns_own_labels(const struct node_cache *c, const char *ns, struct label_set *out)
{
	char profile[CALICO_NAME_MAX + 8];
	*out = (struct label_set)LABEL_SET_INIT;
	snprintf(profile, sizeof(profile), KNS_PREFIX "%s", ns);
	const struct node_kv *tags = profile_kv(c, profile, "tags"), *labels = profile_kv(c, profile, "labels");
	return dp_labels_inherit(out, tags ? tags->tags : NULL, tags ? tags->n_tags : 0, labels ? &labels->labels : NULL);
}

/* The labels namespace selectors match on (NULL on ENOMEM). */
static const struct label_set *ns_labels(struct nft_engine *e, const char *ns)
{
	struct engine_v3 *v = e->v3;
	uint32_t id;
	if (name_table_intern(&v->ns_names, ns, &id) < 0 ||
	    array_reserve((void **)&v->nss, &v->n_nss, (size_t)id + 1, sizeof(*v->nss)) < 0)
		return NULL;
	struct v3_ns *n = &v->nss[id];
	if (!n->fresh) {
		struct label_set ls;
		if (ns_own_labels(e->cache, ns, &ls) < 0 || label_set_put(&ls, DP_NS_NAME_LABEL, ns) < 0) {
			label_set_free(&ls);
			return NULL;
		}
		label_set_free(&n->labels);
		n->labels = ls;
		n->fresh = true;
	}
	return &n->labels;
}

/* ---------- the selector index's members ---------- */

static void ep_member_key(char out[20], uint64_t h)
{
	snprintf(out, 20, "#%016llx", (unsigned long long)h);
}

static int put_endpoint(struct nft_engine *e, uint64_t h)
{
	struct engine_v3 *v = e->v3;
	const struct node_ep *ep = node_cache_get_ep(e->cache, h);
	char key[20];
	struct label_set ls;
	struct cidr nets[64], *many = NULL, *use = nets;
	int rc;

	ep_member_key(key, h);
	v->work.members++;
	if (!ep || !ep->valid) {
		rc = sel_index_del(v->ix, key);
		return rc == -ENOENT ? 0 : rc;
	}
	if (ep->n_addrs > 64 && !(use = many = calloc(ep->n_addrs, sizeof(*many))))
		return -ENOMEM;
	for (size_t a = 0; a < ep->n_addrs; a++)
		use[a] = (struct cidr){ ep->addrs[a], (uint8_t)(ep->addrs[a].family == 4 ? 32 : 128) };
	if ((rc = node_calc_effective_labels(e->cache, ep, &ls)) == 0)
		rc = sel_index_put(v->ix, key, dp_labels_namespace(&ls), &ls, use, ep->n_addrs);
	label_set_free(&ls);
	free(many);
	return rc;
}

static int put_netset(struct nft_engine *e, const char *key)
{
	struct engine_v3 *v = e->v3;
	const struct v3_resource *r = node_kv_v3(node_cache_get(e->cache, key));
	struct label_set ls = LABEL_SET_INIT;
	int rc = 0;

	v->work.members++;
	if (!r || (r->kind != V3_GLOBAL_NETWORK_SET && r->kind != V3_NETWORK_SET)) {
		rc = sel_index_del(v->ix, key);
		return rc == -ENOENT ? 0 : rc;
	}
	for (size_t k = 0; k < r->meta.labels.n && rc == 0; k++)
		rc = label_set_put(&ls, r->meta.labels.keys[k], r->meta.labels.values[k]);
	if (rc == 0)
		rc = sel_index_put(v->ix, key, r->meta.namespace_, &ls, r->spec.netset.nets, r->spec.netset.n_nets);
	label_set_free(&ls);
	return rc;
}

/* ---------- policies and tiers ---------- */

static int order_cmp(bool ha, double a, bool hb, double b)
{
	if (ha != hb)
		return ha ? -1 : 1;
	if (ha && a != b)
		return a < b ? -1 : 1;
	return 0;
}

/* nft_compile_v3's order: tier (order, name), then policy (order, name, namespace) */
static int pol_cmp(const struct engine_v3 *v, uint32_t x, uint32_t y)
{
	const struct v3_pol *a = &v->pols[x], *b = &v->pols[y];
	int c;
	if (a->tier != b->tier) {
		const struct eng_tier *ta = &v->tiers[a->tier], *tb = &v->tiers[b->tier];
		if ((c = order_cmp(ta->has_order, ta->order, tb->has_order, tb->order)))
			return c;
		return strcmp(name_table_name(&v->tier_names, a->tier), name_table_name(&v->tier_names, b->tier));
	}
	if ((c = order_cmp(a->has_order, a->order, b->has_order, b->order)) || (c = strcmp(a->name, b->name)))
		return c;
	return strcmp(a->meta_ns ? a->meta_ns : "", b->meta_ns ? b->meta_ns : "");
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The policy's definition read again from the cache. */
static int pol_reload(struct nft_engine *e, const char *key)
{
	struct engine_v3 *v = e->v3;
	const struct node_kv *kv = node_cache_get(e->cache, key);
	uint32_t pid, tier = 0;
	struct v3_pol *p, fresh = { 0 };
	char err[256];
	int rc;

	if ((rc = name_table_intern(&v->pol_keys, key, &pid)) < 0 || !(p = pol_at(v, pid)))
		return -ENOMEM;
	const struct v3_resource *r = node_kv_v3(kv);
	if (r && (r->kind == V3_GLOBAL_NETWORK_POLICY || r->kind == V3_NETWORK_POLICY)) {
		const struct v3_policy *pol = &r->spec.policy;
		if ((rc = tier_id(v, v3_policy_tier(pol), &tier)) < 0)
			return rc;
		fresh.tier = tier;
		fresh.has_order = pol->has_order;
		fresh.order = pol->order;
		fresh.types = v3_policy_types(pol);
		rc = -ENOMEM;
		if (!(fresh.name = strdup(r->meta.name)) ||
		    (r->meta.namespace_ && !(fresh.meta_ns = strdup(r->meta.namespace_))) ||
		    (r->kind == V3_NETWORK_POLICY &&
		     !(fresh.ns = strdup(r->meta.namespace_ ? r->meta.namespace_ : "default"))))
			goto fail;
		rc = selector_parse(pol->selector && *pol->selector ? pol->selector : NULL, &fresh.sel, err, sizeof(err));
		if (rc == 0 && r->kind == V3_GLOBAL_NETWORK_POLICY && pol->namespace_selector && *pol->namespace_selector)
			rc = selector_parse(pol->namespace_selector, &fresh.ns_sel, err, sizeof(err));
		if (rc == -ENOMEM)
			goto fail;
		fresh.defined = rc == 0; /* a selector that does not parse: the policy applies nowhere */
	}
	bool key_changed = fresh.defined != p->defined ||
			   (fresh.defined && (fresh.tier != p->tier || fresh.has_order != p->has_order ||
					      (fresh.has_order && fresh.order != p->order) ||
					      strcmp(fresh.name, p->name) != 0 || !same_str(fresh.meta_ns, p->meta_ns) ||
					      !same_str(fresh.ns, p->ns)));
	pol_free_def(p);
	p->defined = fresh.defined;
	p->tier = fresh.tier;
	p->has_order = fresh.has_order;
	p->order = fresh.order;
	p->types = fresh.types;
	p->name = fresh.name;
	p->meta_ns = fresh.meta_ns;
	p->ns = fresh.ns;
	p->sel = fresh.sel;
	p->ns_sel = fresh.ns_sel;
	p->key_changed |= key_changed;
	p->reloaded = true;
	queue_pol(e, pid);
	return 0;
fail:
	pol_free_def(&fresh);
	return rc;
}

static int tier_reload(struct nft_engine *e, const char *key)
{
	struct engine_v3 *v = e->v3;
	const char *name = strrchr(key, '/') + 1;
	const struct v3_resource *r = node_kv_v3(node_cache_get(e->cache, key));
	bool valid = r && r->kind == V3_TIER;
	bool dflt = strcmp(name, DEFAULT_TIER) == 0;
	uint32_t tid;
	int rc;

	if ((rc = tier_id(v, name, &tid)) < 0)
		return rc;
	struct eng_tier now = {
		valid || dflt,
		valid ? r->spec.tier.has_order || dflt : dflt,
		valid && r->spec.tier.has_order ? r->spec.tier.order : DEFAULT_TIER_ORDER,
		valid ? r->spec.tier.default_action : V3_DEFAULT_DENY,
	};
	v->tiers[tid] = now;
	for (uint32_t i = 0; i < v->n_pols; i++)
		if (v->pols[i].defined && v->pols[i].tier == tid) {
			v->pols[i].key_changed = true;
			queue_pol(e, i);
		}
	return 0;
}

static bool applies(struct nft_engine *e, const struct v3_pol *p, int d, const struct v3_if *f)
{
	if (!p->live || !(p->types & (d == NFT_V3_INGRESS ? V3_TYPE_INGRESS : V3_TYPE_EGRESS)))
		return false;
	const char *ns = f->ns;
	if (p->ns && strcmp(p->ns, ns) != 0)
		return false;
	if (p->ns_sel) {
		const struct label_set *nl = ns_labels(e, ns);
		if (!nl) {
			e->broken = true;
			return false;
		}
		if (selector_is_global(p->ns_sel) || !selector_match(p->ns_sel, nl))
			return false;
	}
	return selector_match(p->sel, &f->labels);
}

static long list_find(const uint32_t *list, size_t n, uint32_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == pid)
			return (long)i;
	return -1;
}

static void users_add(struct nft_engine *e, uint32_t pid, int d, int delta_n)
{
	struct v3_pol *p = &e->v3->pols[pid];
	uint32_t before = p->users[d];
	p->users[d] = (uint32_t)((int)before + delta_n);
	if ((before == 0) != (p->users[d] == 0))
		queue_chain(e, pid);
}

/* ---------- local interfaces ---------- */

/* Its labels and whether it is programmed, then every live policy evaluated. */
static int if_eval(struct nft_engine *e, uint32_t id)
{
	struct engine_v3 *v = e->v3;
	struct v3_if *f = &v->ifs[id];
	const char *key = engine_iface_key(e, id);
	const struct node_kv *kv = key ? node_cache_get(e->cache, key) : NULL;
	bool on = kv && kv->valid && nft_ifname_ok(name_table_name(&e->ifnames, id));
	int rc;

	f->eval = false;
	v->work.if_evals++;
	for (int d = 0; d < 2; d++)
		for (size_t i = 0; i < f->n[d]; i++)
			users_add(e, f->pols[d][i], d, -1);
	label_set_free(&f->labels);
	f->labels = (struct label_set)LABEL_SET_INIT;
	f->ns = "default";
	f->n[0] = f->n[1] = 0;
	f->on = on;
	f->fresh = true;
	if (!on)
		return 0;
	const struct node_ep *ep = node_cache_get_ep(e->cache, node_cache_key_hash(key));
	if (ep && (rc = node_calc_effective_labels(e->cache, ep, &f->labels)) < 0)
		return rc;
	f->ns = dp_labels_namespace(&f->labels); /* points into labels, which stay as they are */
	for (uint32_t pid = 0; pid < v->n_pols; pid++)
		for (int d = 0; d < 2; d++) {
			if (!applies(e, &v->pols[pid], d, f))
				continue;
			if ((rc = array_push_u32(&f->pols[d], &f->n[d], &f->cap[d], pid)) < 0)
				return rc;
			users_add(e, pid, d, 1);
		}
	return 0;
}

static void sort_list(const struct engine_v3 *v, uint32_t *list, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t x = list[i];
		size_t j = i;
		for (; j > 0 && pol_cmp(v, list[j - 1], x) > 0; j--)
			list[j] = list[j - 1];
		list[j] = x;
	}
}

static bool jumps_has(const struct nft_v3_jumps *j, const char *name)
{
	for (size_t i = 0; i < j->n_in; i++)
		if (strcmp(j->in[i], name) == 0)
			return true;
	for (size_t i = 0; i < j->n_out; i++)
		if (strcmp(j->out[i], name) == 0)
			return true;
	return false;
}

/* Its tier chains from its lists, and its jumps (the interface marked when they changed). */
static int if_render(struct nft_engine *e, uint32_t id)
{
	struct engine_v3 *v = e->v3;
	struct v3_if *f = &v->ifs[id];
	const char *ifname = name_table_name(&e->ifnames, id);
	struct nft_v3_jumps now = { 0 }, *old = engine_iface_jumps(e, id);
	struct nft_model tmp;
	char **chains = NULL, tier_chain[NFT_NAME_MAX];
	int rc = 0;

	f->render = false;
	v->work.if_renders++;
	if (!old)
		return -ENOMEM;
	nft_model_init(&tmp, NFT_FAMILY, NFT_TABLE);
	for (int d = 0; d < 2 && f->on && rc == 0; d++) {
		sort_list(v, f->pols[d], f->n[d]);
		free(chains);
		chains = NULL;
		if (f->n[d] && !(chains = calloc(f->n[d], sizeof(*chains)))) {
			rc = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < f->n[d] && rc == 0;) {
			uint32_t tier = v->pols[f->pols[d][i]].tier;
			size_t k = i, n = 0;
			for (; k < f->n[d] && v->pols[f->pols[d][k]].tier == tier; k++) {
				const struct v3_pol *p = &v->pols[f->pols[d][k]];
				if (!(chains[n] = malloc(NFT_NAME_MAX))) {
					rc = -ENOMEM;
					break;
				}
				nft_v3_policy_chain_name(chains[n++], (enum nft_v3_direction)d,
							 name_table_name(&v->tier_names, tier), p->ns, p->name);
			}
			const char *tname = name_table_name(&v->tier_names, tier);
			/* the tier's end names the last policy that applied: the trigger (as the compile) */
			const struct v3_pol *last = k > i ? &v->pols[f->pols[d][k - 1]] : NULL;
			struct flow_point end = nft_flow_point(FLOW_KIND_END_OF_TIER, FLOW_DENY,
							       d == NFT_V3_INGRESS ? FLOW_INGRESS : FLOW_EGRESS);
			end.tier = tname;
			end.name = end.trigger = last ? last->name : "";
			end.namespace = last && last->ns ? last->ns : "";
			nft_v3_tier_chain_name(tier_chain, (enum nft_v3_direction)d, ifname, tname);
			if (rc == 0 && (rc = nft_v3_tier_chain(&tmp, tier_chain, chains, n, v->tiers[tier].action,
							       engine_flows_of(e), &end)) == 0)
				rc = nft_v3_jumps_push(&now, d == NFT_V3_INGRESS, tier_chain);
			for (size_t x = 0; x < n; x++) {
				free(chains[x]);
				chains[x] = NULL;
			}
			i = k;
		}
	}
	free(chains);
	for (size_t i = 0; i < tmp.n_chains && rc == 0; i++)
		rc = edit_put_chain(&e->model, engine_delta_of(e), &tmp.chains[i]);
	for (size_t i = 0; i < old->n_in && rc == 0; i++)
		if (!jumps_has(&now, old->in[i]))
			rc = edit_del_chain(&e->model, engine_delta_of(e), old->in[i]);
	for (size_t i = 0; i < old->n_out && rc == 0; i++)
		if (!jumps_has(&now, old->out[i]))
			rc = edit_del_chain(&e->model, engine_delta_of(e), old->out[i]);
	if (rc == 0 && !nft_v3_jumps_equal(old, &now)) {
		struct nft_v3_jumps t = *old;
		*old = now;
		now = t;
		engine_iface_mark(e, id);
	}
	nft_v3_jumps_free(&now);
	nft_model_free(&tmp);
	return rc;
}

/* Policy pid evaluated against every programmed interface. */
static void pol_eval(struct nft_engine *e, uint32_t pid)
{
	struct engine_v3 *v = e->v3;
	struct v3_pol *p = &v->pols[pid];

	for (uint32_t id = 0; id < v->n_ifs; id++) {
		struct v3_if *f = &v->ifs[id];
		if (!f->on || f->eval || f->fresh)
			continue; /* evaluated whole in this batch: it saw every policy there */
		for (int d = 0; d < 2; d++) {
			long at = list_find(f->pols[d], f->n[d], pid);
			bool now = applies(e, p, d, f);
			if ((at >= 0) == now) {
				if (now && p->key_changed)
					queue_if(e, id, false);
				continue;
			}
			if (now) {
				if (array_push_u32(&f->pols[d], &f->n[d], &f->cap[d], pid) < 0) {
					e->broken = true;
					return;
				}
			} else {
				f->pols[d][at] = f->pols[d][--f->n[d]];
			}
			users_add(e, pid, d, now ? 1 : -1);
			queue_if(e, id, false);
		}
	}
}

static int pol_chains(struct nft_engine *e, uint32_t pid)
{
	struct v3_pol *p = &e->v3->pols[pid];
	int rc = 0;
	for (int d = 0; d < 2 && rc == 0; d++) {
		bool want = p->live && p->users[d] > 0;
		if (want && (!p->programmed[d] || p->reloaded))
			rc = engine_v3_pol_compile(e, pid, d);
		else if (!want && p->programmed[d])
			rc = engine_v3_pol_unprogram(e, pid, d);
	}
	p->reloaded = false;
	p->chain_queued = false;
	return rc;
}

/* ---------- a batch ---------- */

static void push_ep(void *ctx, uint64_t h)
{
	struct nft_engine *e = ctx;
	struct engine_v3 *v = e->v3;
	if (array_reserve((void **)&v->eps, &v->cap_eps, v->n_eps + 1, sizeof(*v->eps)) < 0) {
		e->broken = true;
		return;
	}
	v->eps[v->n_eps++] = h;
}

static void eval_if(void *ctx, uint32_t id)
{
	queue_if(ctx, id, true);
}

/* Everything the layer reads, queued: the first policy arrived (or a rebuild). */
static int activate(struct nft_engine *e)
{
	struct engine_v3 *v = e->v3;
	const struct node_cache *c = e->cache;
	const char *kns = KEY_PROFILE_PREFIX KNS_PREFIX;
	int rc;

	/* what changed while inactive went unseen: tiers start over, policies are read again */
	for (uint32_t i = 0; i < v->tier_names.n; i++) {
		bool dflt = strcmp(name_table_name(&v->tier_names, i), DEFAULT_TIER) == 0;
		v->tiers[i] = (struct eng_tier){ dflt, dflt, DEFAULT_TIER_ORDER, V3_DEFAULT_DENY };
	}
	for (uint32_t i = 0; i < v->n_pols; i++)
		if (v->pols[i].defined &&
		    (rc = push_str(&v->keys, &v->n_keys, &v->cap_keys, name_table_name(&v->pol_keys, i))) < 0)
			return rc;
	for (size_t i = 0; i < c->cap_eps; i++)
		if (c->eps[i])
			push_ep(e, c->eps[i]->key_hash);
	for (size_t i = node_cache_lower_bound(c, V3_KEY_PREFIX);
	     i < c->n && strncmp(c->items[i].key, V3_KEY_PREFIX, strlen(V3_KEY_PREFIX)) == 0; i++)
		if ((rc = push_str(&v->keys, &v->n_keys, &v->cap_keys, c->items[i].key)) < 0)
			return rc;
	for (size_t i = node_cache_lower_bound(c, kns); i < c->n && strncmp(c->items[i].key, kns, strlen(kns)) == 0; i++)
		if ((c->items[i].kind == NKV_PROFILE_TAGS || c->items[i].kind == NKV_PROFILE_LABELS) &&
		    c->items[i].name[strlen(KNS_PREFIX)] &&
		    (rc = push_str(&v->nsd, &v->n_nsd, &v->cap_nsd, c->items[i].name + strlen(KNS_PREFIX))) < 0)
			return rc;
	for (uint32_t id = 0; id < e->ifnames.n; id++)
		if (engine_iface_key(e, id))
			queue_if(e, id, true);
	v->active = true;
	return e->broken ? -ENOMEM : 0;
}

/* The last policy went: the index lets its members go. */
static int deactivate(struct nft_engine *e)
{
	struct engine_v3 *v = e->v3;
	for (size_t i = 0; i < v->n_sels; i++)
		if (v->sels[i].use[0] || v->sels[i].use[1])
			return 0; /* not yet: something still reads a set */
	sel_index_free(v->ix);
	if (!(v->ix = sel_index_new(engine_v3_on_member, v)))
		return -ENOMEM;
	for (size_t i = 0; i < v->n_ifs; i++)
		if_clear(&v->ifs[i]);
	for (size_t i = 0; i < v->n_nss; i++)
		v->nss[i].fresh = false;
	v->active = false;
	return 0;
}

static int namespace_changed(struct nft_engine *e, const char *ns)
{
	struct engine_v3 *v = e->v3;
	struct label_set ls;
	long id = name_table_find(&v->ns_names, ns);
	int rc;

	if (id >= 0 && (size_t)id < v->n_nss)
		v->nss[id].fresh = false;
	if ((rc = ns_own_labels(e->cache, ns, &ls)) == 0)
		rc = sel_index_put_namespace(v->ix, ns, &ls);
	label_set_free(&ls);
	for (uint32_t i = 0; i < v->n_ifs && rc == 0; i++)
		if (v->ifs[i].on && strcmp(v->ifs[i].ns, ns) == 0)
			queue_if(e, i, true);
	return rc;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int apply_key(struct nft_engine *e, const char *key)
{
	const char *rest = key + strlen(V3_KEY_PREFIX);
	if (has_prefix(rest, "tiers/"))
		return tier_reload(e, key);
	if (has_prefix(rest, "globalnetworkpolicies/") || has_prefix(rest, "networkpolicies/"))
		return pol_reload(e, key);
	if (has_prefix(rest, "globalnetworksets/") || has_prefix(rest, "networksets/"))
		return put_netset(e, key);
	return 0;
}

static int flush(struct nft_engine *e)
{
	struct engine_v3 *v = e->v3;
	int rc;

	/* profiles: their members' labels, and a namespace's */
	for (size_t i = 0; i < v->n_profs; i++) {
		engine_profile_users(e, v->profs[i], push_ep, eval_if, e);
		if (has_prefix(v->profs[i], KNS_PREFIX) && v->profs[i][strlen(KNS_PREFIX)] &&
		    (rc = push_str(&v->nsd, &v->n_nsd, &v->cap_nsd, v->profs[i] + strlen(KNS_PREFIX))) < 0)
			return rc;
	}
	free_strs(v->profs, &v->n_profs);
	for (size_t i = 0; i < v->n_nsd; i++)
		if ((rc = namespace_changed(e, v->nsd[i])) < 0)
			return rc;
	free_strs(v->nsd, &v->n_nsd);
	/* members: set elements through the index's callback */
	for (size_t i = 0; i < v->n_eps; i++)
		if ((rc = put_endpoint(e, v->eps[i])) < 0 || (rc = v->cb_rc) < 0)
			return rc;
	v->n_eps = 0;
	for (size_t i = 0; i < v->n_keys; i++)
		if ((rc = apply_key(e, v->keys[i])) < 0 || (rc = v->cb_rc) < 0)
			return rc;
	free_strs(v->keys, &v->n_keys);
	/* which policies may apply now */
	for (size_t i = 0; i < v->n_dirty_pols; i++) {
		struct v3_pol *p = &v->pols[v->dirty_pols[i]];
		p->live = p->defined && v->tiers[p->tier].exists;
	}
	/* interfaces evaluated whole, then the changed policies against the rest */
	for (size_t i = 0; i < v->n_dirty_ifs; i++)
		if (v->ifs[v->dirty_ifs[i]].eval && (rc = if_eval(e, v->dirty_ifs[i])) < 0)
			return rc;
	for (size_t i = 0; i < v->n_dirty_pols; i++) {
		uint32_t pid = v->dirty_pols[i];
		pol_eval(e, pid);
		v->pols[pid].key_changed = v->pols[pid].queued = false;
		if (v->pols[pid].reloaded)
			queue_chain(e, pid);
	}
	v->n_dirty_pols = 0;
	for (size_t i = 0; i < v->n_dirty_ifs; i++) {
		struct v3_if *f = &v->ifs[v->dirty_ifs[i]];
		if (f->eval && (rc = if_eval(e, v->dirty_ifs[i])) < 0) /* queued by a policy's evaluation */
			return rc;
		if (f->render && (rc = if_render(e, v->dirty_ifs[i])) < 0)
			return rc;
		f->queued = f->fresh = false;
	}
	v->n_dirty_ifs = 0;
	/* chains, and the sets they read */
	for (size_t i = 0; i < v->n_chain_pols; i++)
		if ((rc = pol_chains(e, v->chain_pols[i])) < 0 || (rc = v->cb_rc) < 0)
			return rc;
	v->n_chain_pols = 0;
	for (size_t i = 0; i < v->n_dirty_sels; i++) {
		uint32_t slot = v->dirty_sels[i];
		for (int f = 0; f < 2; f++)
			if (v->sels[slot].recompute[f] && (rc = engine_v3_recompute(e, slot, f)) < 0)
				return rc;
		v->sels[slot].queued = false;
	}
	v->n_dirty_sels = 0;
	return v->cb_rc;
}

int engine_v3_flush(struct nft_engine *e)
{
	struct engine_v3 *v = e->v3;
	int rc;

	if (!v)
		return -ENOMEM;
	v->e = e;
	if (!v->active) {
		v->n_eps = 0;
		free_strs(v->keys, &v->n_keys);
		free_strs(v->profs, &v->n_profs);
		free_strs(v->nsd, &v->n_nsd);
		if (!e->v3_policies)
			return 0;
		if ((rc = activate(e)) < 0)
			return rc;
	}
	if ((rc = flush(e)) < 0)
		return rc;
	if (!e->v3_policies)
		return deactivate(e);
	return 0;
}

void nft_engine_v3_work(const struct nft_engine *e, struct nft_engine_v3_work *out)
{
	static const struct nft_engine_v3_work none;
	*out = e->v3 ? e->v3->work : none;
}
