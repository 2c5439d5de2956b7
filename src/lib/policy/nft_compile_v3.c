/* Calico's v3 policy in the compile (nft_compile.h: nft_piece_v3): which
 * policies apply to which local endpoint, in which order, and the sets their
 * rules read. The agent's engine calls the same piece, so both agree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_compile.h"
#include "policy/nft_v3.h"
#include "selector/selector.h"
#include "util/array.h"

#define DEFAULT_TIER "default"
#define DEFAULT_TIER_ORDER 1000000.0

struct tier_ent {
	const char *name;
	bool has_order;
	double order;
	enum v3_default_action action;
};

struct pol_ent {
	const struct v3_resource *r;
	size_t tier; /* rank in the sorted tiers */
	struct selector *sel, *ns_sel;
	bool used[2]; /* its chain is needed, per direction */
};

struct sel_use {
	char name[NFT_NAME_MAX];
	struct selector *sel, *ns_sel;
	char *scope; /* NULL: none */
	int family;
};

struct v3c {
	const struct dp_state *s;
	struct nft_model *m;
	const struct nft_piece_hooks *h;
	struct tier_ent *tiers;
	size_t n_tiers;
	struct pol_ent *pols;
	size_t n_pols;
	struct sel_use *sels;
	size_t n_sels, cap_sels;
	char **nets; /* names of the net sets made */
	size_t n_nets, cap_nets;
	struct label_set *ns_only; /* name-only labels of namespaces the state does not list */
	char **ns_only_names;
	size_t n_ns_only;
};

/* A NetworkPolicy's namespace ("default" when none is written); NULL for a global one. */
static const char *pol_ns(const struct v3_resource *r)
{
	if (r->kind != V3_NETWORK_POLICY)
		return NULL;
	return r->meta.namespace_ ? r->meta.namespace_ : "default";
}

/* ---------- order ---------- */

/* absent order last; then by name */
static int order_cmp(bool ha, double a, bool hb, double b)
{
	if (ha != hb)
		return ha ? -1 : 1;
	if (ha && a != b)
		return a < b ? -1 : 1;
	return 0;
}

static int tier_cmp(const void *x, const void *y)
{
	const struct tier_ent *a = x, *b = y;
	int c = order_cmp(a->has_order, a->order, b->has_order, b->order);
	return c ? c : strcmp(a->name, b->name);
}

static int pol_cmp(const void *x, const void *y)
{
	const struct pol_ent *a = x, *b = y;
	const struct v3_policy *p = &a->r->spec.policy, *q = &b->r->spec.policy;
	if (a->tier != b->tier)
		return a->tier < b->tier ? -1 : 1;
	int c = order_cmp(p->has_order, p->order, q->has_order, q->order);
	if (c)
		return c;
	if ((c = strcmp(a->r->meta.name, b->r->meta.name)))
		return c;
	const char *na = a->r->meta.namespace_ ? a->r->meta.namespace_ : "", *nb = b->r->meta.namespace_ ? b->r->meta.namespace_ : "";
	return strcmp(na, nb);
}

static long tier_find(const struct v3c *c, const char *name)
{
	for (size_t i = 0; i < c->n_tiers; i++)
		if (strcmp(c->tiers[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int load_tiers(struct v3c *c)
{
	const struct dp_state *s = c->s;
	if (!(c->tiers = calloc(s->n_tiers + 1, sizeof(*c->tiers))))
		return -ENOMEM;
	for (size_t i = 0; i < s->n_tiers; i++) {
		const struct v3_resource *r = s->tiers[i];
		if (r->kind != V3_TIER || tier_find(c, r->meta.name) >= 0)
			continue;
		bool dflt = strcmp(r->meta.name, DEFAULT_TIER) == 0;
		c->tiers[c->n_tiers++] = (struct tier_ent){ r->meta.name, r->spec.tier.has_order || dflt,
							    r->spec.tier.has_order ? r->spec.tier.order : DEFAULT_TIER_ORDER,
							    r->spec.tier.default_action };
	}
	if (tier_find(c, DEFAULT_TIER) < 0)
		c->tiers[c->n_tiers++] = (struct tier_ent){ DEFAULT_TIER, true, DEFAULT_TIER_ORDER, V3_DEFAULT_DENY };
	qsort(c->tiers, c->n_tiers, sizeof(*c->tiers), tier_cmp);
	return 0;
}

/* Policies whose tier exists and whose selectors parse (the decoder checked
 * them: a failure here is only ENOMEM, or a policy that applies nowhere). */
static int load_policies(struct v3c *c)
{
	const struct dp_state *s = c->s;
	char err[256];
	int rc;

	if (!(c->pols = calloc(s->n_policies, sizeof(*c->pols))))
		return -ENOMEM;
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct v3_resource *r = s->policies[i];
		struct pol_ent *p = &c->pols[c->n_pols];
		if (r->kind != V3_GLOBAL_NETWORK_POLICY && r->kind != V3_NETWORK_POLICY)
			continue;
		long t = tier_find(c, v3_policy_tier(&r->spec.policy));
		if (t < 0)
			continue; /* a policy naming a missing tier applies nowhere */
		const struct v3_policy *pol = &r->spec.policy;
		rc = selector_parse(pol->selector && *pol->selector ? pol->selector : NULL, &p->sel, err, sizeof(err));
		if (rc == 0 && r->kind == V3_GLOBAL_NETWORK_POLICY && pol->namespace_selector &&
		    *pol->namespace_selector &&
		    (rc = selector_parse(pol->namespace_selector, &p->ns_sel, err, sizeof(err))) < 0) {
			selector_free(p->sel);
			p->sel = NULL;
		}
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			continue;
		p->r = r;
		p->tier = (size_t)t;
		c->n_pols++;
	}
	if (c->n_pols > 1)
		qsort(c->pols, c->n_pols, sizeof(*c->pols), pol_cmp);
	return 0;
}

/* ---------- namespaces ---------- */

static const struct label_set *ns_labels(struct v3c *c, const char *ns)
{
	for (size_t i = 0; i < c->s->n_namespaces; i++)
		if (strcmp(c->s->namespaces[i].name, ns) == 0)
			return &c->s->namespaces[i].labels;
	for (size_t i = 0; i < c->n_ns_only; i++)
		if (strcmp(c->ns_only_names[i], ns) == 0)
			return &c->ns_only[i];
	struct label_set *ls = realloc(c->ns_only, (c->n_ns_only + 1) * sizeof(*ls));
	if (ls)
		c->ns_only = ls;
	char **names = realloc(c->ns_only_names, (c->n_ns_only + 1) * sizeof(*names));
	if (names)
		c->ns_only_names = names;
	if (!ls || !names || !(names[c->n_ns_only] = strdup(ns)))
		return NULL;
	ls[c->n_ns_only] = (struct label_set)LABEL_SET_INIT;
	if (label_set_put(&ls[c->n_ns_only], DP_NS_NAME_LABEL, ns) < 0) {
		free(names[c->n_ns_only]);
		return NULL;
	}
	return &ls[c->n_ns_only++];
}

/* ---------- the sets rules read ---------- */

static int port_set(void *ctx, const char *name, const struct port_range *sorted, size_t n)
{
	struct v3c *c = ctx;
	return c->h->port_set(c->h->ctx, name, sorted, n);
}

static int net_cmp(const void *x, const void *y)
{
	const struct cidr *a = x, *b = y;
	int r = ip_cmp(&a->addr, &b->addr);
	return r ? r : (a->prefix > b->prefix) - (a->prefix < b->prefix);
}

/* Sorted, without the nets another one contains (interval sets refuse
 * overlaps), as nft lists them: a full-length prefix bare. */
static int fill_nets(struct nft_set *set, struct cidr *nets, size_t n)
{
	char text[CIDR_STR_MAX];
	size_t kept = 0;
	int rc;

	if (n > 1)
		qsort(nets, n, sizeof(*nets), net_cmp);
	for (size_t i = 0; i < n; i++) {
		if (kept && cidr_contains_cidr(&nets[kept - 1], &nets[i]))
			continue;
		nets[kept++] = nets[i];
	}
	for (size_t i = 0; i < kept; i++) {
		const struct cidr *x = &nets[i];
		if (x->prefix == (x->addr.family == 4 ? 32 : 128))
			ip_format(&x->addr, text);
		else
			cidr_format(x, text);
		if ((rc = nft_set_add_elem(set, text, NULL)) < 0)
			return rc;
	}
	return 0;
}

int nft_piece_v3_nets(struct nft_set *set, struct cidr *nets, size_t n)
{
	return fill_nets(set, nets, n);
}

static int net_set(void *ctx, const char *name, int family, const struct cidr *nets, size_t n)
{
	struct v3c *c = ctx;
	struct cidr *copy;
	int rc;

	for (size_t i = 0; i < c->n_nets; i++)
		if (strcmp(c->nets[i], name) == 0)
			return 0; /* named by content: the same nets */
	if (array_reserve((void **)&c->nets, &c->cap_nets, c->n_nets + 1, sizeof(*c->nets)) < 0)
		return -ENOMEM;
	if (!(c->nets[c->n_nets] = strdup(name)))
		return -ENOMEM;
	c->n_nets++;
	struct nft_set *set = nft_model_add_set(c->m, name, family == 4 ? "ipv4_addr" : "ipv6_addr", NULL, true);
	if (!set || !(copy = malloc(n * sizeof(*copy))))
		return -ENOMEM;
	memcpy(copy, nets, n * sizeof(*copy));
	rc = fill_nets(set, copy, n);
	free(copy);
	return rc;
}

static int selector_set(void *ctx, const char *selector, const char *namespace_selector, const char *scope_namespace,
			int family, char name[NFT_NAME_MAX])
{
	struct v3c *c = ctx;
	struct selector *sel, *ns_sel;
	int rc;

	if ((rc = nft_v3_selector_set_parse(name, family, selector, namespace_selector, scope_namespace, &sel,
					    &ns_sel)) < 0)
		return rc;
	for (size_t i = 0; i < c->n_sels; i++)
		if (strcmp(c->sels[i].name, name) == 0) {
			selector_free(sel);
			selector_free(ns_sel);
			return 0;
		}
	if (array_reserve((void **)&c->sels, &c->cap_sels, c->n_sels + 1, sizeof(*c->sels)) < 0)
		goto nomem;
	struct sel_use *u = &c->sels[c->n_sels];
	memset(u, 0, sizeof(*u));
	if (!ns_sel && scope_namespace && !(u->scope = strdup(scope_namespace)))
		goto nomem;
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->sel = sel;
	u->ns_sel = ns_sel;
	u->family = family;
	c->n_sels++;
	return 0;
nomem:
	selector_free(sel);
	selector_free(ns_sel);
	return -ENOMEM;
}

/* As the agent's selector index scopes a selector (agent/selector_index.h). */
static bool member_matches(struct v3c *c, const struct sel_use *u, const struct dp_v3_member *m)
{
	if (u->ns_sel) {
		if (!m->namespace_)
			return selector_is_global(u->ns_sel) && selector_match(u->sel, &m->labels);
		const struct label_set *nl = ns_labels(c, m->namespace_);
		if (selector_is_global(u->ns_sel) || !nl || !selector_match(u->ns_sel, nl))
			return false;
	} else if (u->scope && (!m->namespace_ || strcmp(m->namespace_, u->scope) != 0)) {
		return false;
	}
	return selector_match(u->sel, &m->labels);
}

static int fill_selector_sets(struct v3c *c)
{
	int rc;
	for (size_t i = 0; i < c->n_sels; i++) {
		const struct sel_use *u = &c->sels[i];
		struct cidr *nets = NULL;
		size_t n = 0, cap = 0;
		for (size_t k = 0; k < c->s->n_members; k++) {
			const struct dp_v3_member *m = &c->s->members[k];
			if (!member_matches(c, u, m))
				continue;
			for (size_t a = 0; a < m->n_nets; a++) {
				if (m->nets[a].addr.family != u->family)
					continue;
				if (array_reserve((void **)&nets, &cap, n + 1, sizeof(*nets)) < 0) {
					free(nets);
					return -ENOMEM;
				}
				nets[n++] = m->nets[a];
			}
		}
		struct nft_set *set =
			nft_model_add_set(c->m, u->name, u->family == 4 ? "ipv4_addr" : "ipv6_addr", NULL, true);
		rc = set ? fill_nets(set, nets, n) : -ENOMEM;
		free(nets);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---------- endpoints ---------- */

static bool applies(struct v3c *c, const struct pol_ent *p, enum nft_v3_direction dir, const struct label_set *labels,
		    const char *ns)
{
	const struct v3_resource *r = p->r;
	if (!(v3_policy_types(&r->spec.policy) & (dir == NFT_V3_INGRESS ? V3_TYPE_INGRESS : V3_TYPE_EGRESS)))
		return false;
	if (r->kind == V3_NETWORK_POLICY && strcmp(pol_ns(r), ns) != 0)
		return false;
	if (p->ns_sel) {
		const struct label_set *nl = ns_labels(c, ns);
		if (selector_is_global(p->ns_sel) || !nl || !selector_match(p->ns_sel, nl))
			return false;
	}
	return selector_match(p->sel, labels);
}

static int push_name(char (**v)[NFT_NAME_MAX], size_t *n, const char *name)
{
	char(*p)[NFT_NAME_MAX] = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	*v = p;
	snprintf(p[*n], NFT_NAME_MAX, "%s", name);
	(*n)++;
	return 0;
}

int nft_v3_jumps_push(struct nft_v3_jumps *j, bool ingress, const char *chain)
{
	return ingress ? push_name(&j->in, &j->n_in, chain) : push_name(&j->out, &j->n_out, chain);
}

static int endpoint_tiers(struct v3c *c, const struct endpoint *e, const struct label_set *labels,
			  enum nft_v3_direction dir, struct nft_v3_jumps *j)
{
	const char *ns = dp_labels_namespace(labels);
	char **chains = NULL, tier_chain[NFT_NAME_MAX];
	const struct pol_ent *last = NULL;
	size_t n = 0;
	int rc = 0;

	if (c->n_pols && !(chains = calloc(c->n_pols, sizeof(*chains))))
		return -ENOMEM;
	for (size_t i = 0; i < c->n_pols;) {
		size_t t = c->pols[i].tier, k = i;
		n = 0;
		for (; k < c->n_pols && c->pols[k].tier == t; k++) {
			struct pol_ent *p = &c->pols[k];
			if (!applies(c, p, dir, labels, ns))
				continue;
			if (!(chains[n] = malloc(NFT_NAME_MAX))) {
				rc = -ENOMEM;
				goto out;
			}
			nft_v3_policy_chain_name(chains[n++], dir, c->tiers[t].name, pol_ns(p->r), p->r->meta.name);
			p->used[dir] = true;
			last = p;
		}
		if (n) {
			/* the tier's end names the last policy that applied: the trigger */
			struct flow_point end = nft_flow_point(FLOW_KIND_END_OF_TIER, FLOW_DENY,
							       dir == NFT_V3_INGRESS ? FLOW_INGRESS : FLOW_EGRESS);
			end.tier = c->tiers[t].name;
			end.name = end.trigger = last->r->meta.name;
			end.namespace = pol_ns(last->r) ? pol_ns(last->r) : "";
			nft_v3_tier_chain_name(tier_chain, dir, e->name, c->tiers[t].name);
			if ((rc = nft_v3_tier_chain(c->m, tier_chain, chains, n, c->tiers[t].action, c->h->flows, &end)) < 0 ||
			    (rc = nft_v3_jumps_push(j, dir == NFT_V3_INGRESS, tier_chain)) < 0)
				goto out;
		}
		for (size_t x = 0; x < n; x++) {
			free(chains[x]);
			chains[x] = NULL;
		}
		n = 0;
		i = k;
	}
out:
	for (size_t x = 0; chains && x < n; x++)
		free(chains[x]);
	free(chains);
	return rc;
}

void nft_v3_jumps_free(struct nft_v3_jumps *j)
{
	free(j->in);
	free(j->out);
	memset(j, 0, sizeof(*j));
}

bool nft_v3_jumps_equal(const struct nft_v3_jumps *a, const struct nft_v3_jumps *b)
{
	return a->n_in == b->n_in && a->n_out == b->n_out &&
	       (!a->n_in || memcmp(a->in, b->in, a->n_in * sizeof(*a->in)) == 0) &&
	       (!a->n_out || memcmp(a->out, b->out, a->n_out * sizeof(*a->out)) == 0);
}

static void v3c_free(struct v3c *c)
{
	free(c->tiers);
	for (size_t i = 0; i < c->n_pols; i++) {
		selector_free(c->pols[i].sel);
		selector_free(c->pols[i].ns_sel);
	}
	free(c->pols);
	for (size_t i = 0; i < c->n_sels; i++) {
		selector_free(c->sels[i].sel);
		selector_free(c->sels[i].ns_sel);
		free(c->sels[i].scope);
	}
	free(c->sels);
	for (size_t i = 0; i < c->n_nets; i++)
		free(c->nets[i]);
	free(c->nets);
	for (size_t i = 0; i < c->n_ns_only; i++) {
		label_set_free(&c->ns_only[i]);
		free(c->ns_only_names[i]);
	}
	free(c->ns_only);
	free(c->ns_only_names);
}

int nft_piece_v3(struct nft_model *m, const struct dp_state *s, const struct endpoint *const *eps,
		 const struct label_set *const *labels, size_t n, const struct nft_piece_hooks *h,
		 struct nft_v3_jumps *jumps, size_t *n_rules)
{
	struct v3c c = { .s = s, .m = m, .h = h };
	const struct nft_v3_sets sets = { port_set, net_set, selector_set, &c, h->flows };
	int rc;

	*n_rules = 0;
	for (size_t i = 0; i < n; i++)
		memset(&jumps[i], 0, sizeof(jumps[i]));
	if (!s->n_policies || !n)
		return 0;
	if ((rc = load_tiers(&c)) < 0 || (rc = load_policies(&c)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = endpoint_tiers(&c, eps[i], labels[i], NFT_V3_INGRESS, &jumps[i])) < 0 ||
		    (rc = endpoint_tiers(&c, eps[i], labels[i], NFT_V3_EGRESS, &jumps[i])) < 0)
			goto out;
	for (size_t i = 0; i < c.n_pols; i++)
		for (int d = 0; d < 2; d++) {
			const struct pol_ent *p = &c.pols[i];
			if (!p->used[d])
				continue;
			const struct v3_policy *pol = &p->r->spec.policy;
			if ((rc = nft_v3_policy_chain(m, (enum nft_v3_direction)d, c.tiers[p->tier].name,
						      pol_ns(p->r), p->r->meta.name,
						      d == NFT_V3_INGRESS ? &pol->ingress : &pol->egress, &sets)) < 0)
				goto out;
			*n_rules += m->chains[m->n_chains - 1].n_rules;
		}
	rc = fill_selector_sets(&c);
out:
	v3c_free(&c);
	return rc;
}
