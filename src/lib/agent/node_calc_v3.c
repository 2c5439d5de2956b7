/* The v3 part of one host's desired state (node_calc.h): tiers and policies
 * (borrowed from the cache), effective labels, rule selector members and
 * namespaces. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/node_calc.h"
#include "model/keys.h"
#include "store/resource_store.h"

static const struct node_kv *profile_key(const struct node_cache *c, const char *profile, const char *leaf)
{
	char key[KEY_MAX];
	if (!key_fmt(key, KEY_PROFILE_PREFIX "%s/%s", profile, leaf))
		return NULL;
	const struct node_kv *kv = node_cache_get(c, key);
	return kv && kv->valid ? kv : NULL;
}

/* What profile p adds to labels not set yet (dp_labels_inherit). */
static int inherit(const struct node_cache *c, const char *profile, struct label_set *ls)
{
	const struct node_kv *tags = profile_key(c, profile, "tags"), *labels = profile_key(c, profile, "labels");
	return dp_labels_inherit(ls, tags ? tags->tags : NULL, tags ? tags->n_tags : 0, labels ? &labels->labels : NULL);
}

int node_calc_effective_labels(const struct node_cache *c, const struct node_ep *ep, struct label_set *out)
{
	const char *t = ep->labels;
	int rc;

	*out = (struct label_set)LABEL_SET_INIT;
	for (size_t i = 0; i < ep->n_labels; i++) {
		const char *v = t + strlen(t) + 1;
		if ((rc = label_set_put(out, t, v)) < 0)
			return rc;
		t = v + strlen(v) + 1;
	}
	for (size_t i = 0; i < ep->n_profiles; i++)
		if ((rc = inherit(c, name_table_name(&c->names, ep->profiles[i]), out)) < 0)
			return rc;
	return 0;
}

static int resources(const struct node_cache *c, struct dp_state *st, size_t *cap_members)
{
	size_t first = node_cache_lower_bound(c, V3_KEY_PREFIX), n = 0;
	int rc;

	for (size_t i = first; i < c->n && strncmp(c->items[i].key, V3_KEY_PREFIX, strlen(V3_KEY_PREFIX)) == 0; i++)
		n += c->items[i].kind == NKV_V3 && c->items[i].valid;
	if (!n)
		return 0;
	if (!(st->tiers = calloc(n, sizeof(*st->tiers))) || !(st->policies = calloc(n, sizeof(*st->policies))))
		return -ENOMEM;
	for (size_t i = first; i < c->n && strncmp(c->items[i].key, V3_KEY_PREFIX, strlen(V3_KEY_PREFIX)) == 0; i++) {
		const struct v3_resource *r = node_kv_v3(&c->items[i]);
		if (!r)
			continue;
		if (r->kind == V3_TIER) {
			st->tiers[st->n_tiers++] = r;
		} else if (r->kind == V3_GLOBAL_NETWORK_POLICY || r->kind == V3_NETWORK_POLICY) {
			st->policies[st->n_policies++] = r;
		} else {
			struct label_set ls = LABEL_SET_INIT;
			rc = 0;
			for (size_t k = 0; k < r->meta.labels.n && rc == 0; k++)
				rc = label_set_put(&ls, r->meta.labels.keys[k], r->meta.labels.values[k]);
			if (rc == 0)
				rc = dp_state_add_member(st, cap_members, r->meta.namespace_, &ls, r->spec.netset.nets,
							 r->spec.netset.n_nets, false);
			label_set_free(&ls);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int namespaces(const struct node_cache *c, struct dp_state *st)
{
	const char *prefix = KEY_PROFILE_PREFIX "kns.";
	char last[CALICO_NAME_MAX + 1] = "";
	size_t cap = 0;
	int rc;

	for (size_t i = node_cache_lower_bound(c, prefix); i < c->n && strncmp(c->items[i].key, prefix, strlen(prefix)) == 0;
	     i++) {
		const struct node_kv *kv = &c->items[i];
		if ((kv->kind != NKV_PROFILE_TAGS && kv->kind != NKV_PROFILE_LABELS) || !kv->valid ||
		    strcmp(kv->name, last) == 0 || !kv->name[4])
			continue;
		snprintf(last, sizeof(last), "%s", kv->name);
		struct label_set ls = LABEL_SET_INIT;
		if ((rc = inherit(c, kv->name, &ls)) == 0)
			rc = dp_state_add_namespace(st, &cap, kv->name + 4, &ls);
		label_set_free(&ls);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int node_calc_v3(const struct node_cache *c, const char *host, struct dp_state *st)
{
	size_t cap_members = 0, n = 0;
	char prefix[KEY_MAX];
	int rc;

	if ((rc = resources(c, st, &cap_members)) < 0)
		return rc;
	if (!st->n_policies)
		return 0; /* nothing to enforce: no labels, members or namespaces needed */
	if (st->n_endpoints && !(st->endpoint_labels = calloc(st->n_endpoints, sizeof(*st->endpoint_labels))))
		return -ENOMEM;
	/* the local endpoints in node_calc's order: the host's valid endpoint keys */
	if (!key_fmt(prefix, KEY_HOST_PREFIX "%s/workload/", host))
		return -ENAMETOOLONG;
	for (size_t i = node_cache_lower_bound(c, prefix);
	     i < c->n && n < st->n_endpoints && strncmp(c->items[i].key, prefix, strlen(prefix)) == 0; i++) {
		const struct node_kv *kv = &c->items[i];
		const struct node_ep *ep;
		if (kv->kind != NKV_ENDPOINT || !kv->valid)
			continue;
		if ((ep = node_cache_get_ep(c, node_cache_key_hash(kv->key))) &&
		    (rc = node_calc_effective_labels(c, ep, &st->endpoint_labels[n])) < 0)
			return rc;
		n++;
	}
	for (size_t i = 0; i < c->cap_eps; i++) {
		const struct node_ep *ep = c->eps[i];
		struct label_set ls;
		struct cidr *nets = NULL;
		if (!ep || !ep->valid)
			continue;
		if ((rc = node_calc_effective_labels(c, ep, &ls)) < 0 ||
		    (ep->n_addrs && !(nets = calloc(ep->n_addrs, sizeof(*nets))))) {
			label_set_free(&ls);
			return rc < 0 ? rc : -ENOMEM;
		}
		for (size_t a = 0; a < ep->n_addrs; a++)
			nets[a].addr = ep->addrs[a];
		rc = dp_state_add_member(st, &cap_members, dp_labels_namespace(&ls), &ls, nets, ep->n_addrs, true);
		free(nets);
		label_set_free(&ls);
		if (rc < 0)
			return rc;
	}
	return namespaces(c, st);
}
