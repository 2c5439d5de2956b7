/* The v3 part of a state's JSON form (dp_state_v3_json.h). */
#include "policy/dp_state_v3_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"

static const struct profile *profile_find(const struct dp_state *s, const char *name, size_t *idx)
{
	for (size_t i = 0; i < s->n_profiles; i++)
		if (strcmp(s->profiles[i].name, name) == 0) {
			*idx = i;
			return &s->profiles[i];
		}
	return NULL;
}

/* The endpoint's own labels, then its profiles' (dp_labels_inherit). */
static int effective(const struct dp_state *s, const struct v3_map *plabels, const struct endpoint *e,
		     struct label_set *out)
{
	int rc;
	*out = (struct label_set)LABEL_SET_INIT;
	for (size_t i = 0; i < e->n_labels; i++)
		if ((rc = label_set_put(out, e->labels[i].key, e->labels[i].value)) < 0)
			return rc;
	for (size_t i = 0; i < e->n_profile_ids; i++) {
		size_t k;
		const struct profile *p = profile_find(s, e->profile_ids[i], &k);
		if (p && (rc = dp_labels_inherit(out, p->tags, p->n_tags, plabels ? &plabels[k] : NULL)) < 0)
			return rc;
	}
	return 0;
}

static int add_endpoint_member(struct dp_state *s, size_t *cap, const struct v3_map *plabels, const struct endpoint *e)
{
	struct label_set ls;
	struct cidr *nets = NULL;
	size_t n = e->n_ipv4_nets + e->n_ipv6_nets;
	int rc;

	if ((rc = effective(s, plabels, e, &ls)) < 0 || (n && !(nets = calloc(n, sizeof(*nets))))) {
		rc = rc < 0 ? rc : -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < e->n_ipv4_nets; i++)
		nets[i] = e->ipv4_nets[i];
	for (size_t i = 0; i < e->n_ipv6_nets; i++)
		nets[e->n_ipv4_nets + i] = e->ipv6_nets[i];
	rc = dp_state_add_member(s, cap, dp_labels_namespace(&ls), &ls, nets, n, true);
out:
	free(nets);
	label_set_free(&ls);
	return rc;
}

/* Decodes the resources under key, each of one of the two kinds. */
static int load_resources(const json_t *root, const char *key, enum v3_kind k1, enum v3_kind k2,
			  struct dp_state *s, char *err, size_t errlen)
{
	const json_t *arr = json_object_get(root, key), *v;
	char msg[512];
	size_t i;
	int rc;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return js_fail(err, errlen, "\"%s\" must be an array", key);
	json_array_foreach((json_t *)arr, i, v) {
		struct v3_resource *r = &s->v3_owned[s->n_v3_owned];
		if ((rc = v3_decode(v, r, msg, sizeof(msg))) < 0)
			return rc == -ENOMEM ? rc : js_fail(err, errlen, "%s %zu: %s", key, i + 1, msg);
		s->n_v3_owned++;
		if (r->kind != k1 && r->kind != k2)
			return js_fail(err, errlen, "%s %zu: a %s does not belong here", key, i + 1, v3_kind_info(r->kind)->name);
		if (v3_kind_info(r->kind)->namespaced && !r->meta.namespace_ && !(r->meta.namespace_ = strdup("default")))
			return -ENOMEM;
	}
	return 0;
}

static size_t array_size(const json_t *root, const char *key)
{
	return json_array_size(json_object_get(root, key));
}

int dp_state_v3_from_json(const json_t *root, struct dp_state *s, const struct v3_map *plabels, char *err,
			  size_t errlen)
{
	const json_t *remote = json_object_get(root, "remote_endpoints"), *v;
	size_t n_res = array_size(root, "tiers") + array_size(root, "policies") + array_size(root, "networksets");
	size_t cap_members = 0, cap_ns = 0, i;
	char msg[MODEL_ERR_MAX];
	int rc;

	if (remote && !json_is_array(remote))
		return js_fail(err, errlen, "\"remote_endpoints\" must be an array");
	/* the resources first, in one array that the pointers then point into */
	if (n_res && (!(s->v3_owned = calloc(n_res, sizeof(*s->v3_owned))) ||
		      !(s->tiers = calloc(n_res, sizeof(*s->tiers))) ||
		      !(s->policies = calloc(n_res, sizeof(*s->policies)))))
		return -ENOMEM;
	if ((rc = load_resources(root, "tiers", V3_TIER, V3_TIER, s, err, errlen)) < 0 ||
	    (rc = load_resources(root, "policies", V3_GLOBAL_NETWORK_POLICY, V3_NETWORK_POLICY, s, err, errlen)) < 0 ||
	    (rc = load_resources(root, "networksets", V3_GLOBAL_NETWORK_SET, V3_NETWORK_SET, s, err, errlen)) < 0)
		return rc;

	if (s->n_endpoints && !(s->endpoint_labels = calloc(s->n_endpoints, sizeof(*s->endpoint_labels))))
		return -ENOMEM;
	for (i = 0; i < s->n_endpoints; i++)
		if ((rc = effective(s, plabels, &s->endpoints[i], &s->endpoint_labels[i])) < 0 ||
		    (rc = add_endpoint_member(s, &cap_members, plabels, &s->endpoints[i])) < 0)
			return rc;
	json_array_foreach((json_t *)remote, i, v) {
		struct endpoint e;
		char *text = json_dumps(v, JSON_COMPACT);
		if (!text)
			return -ENOMEM;
		rc = endpoint_decode(text, &e, msg, sizeof(msg));
		free(text);
		if (rc < 0)
			return js_fail(err, errlen, "remote endpoint %zu: %s", i + 1, msg);
		rc = add_endpoint_member(s, &cap_members, plabels, &e);
		endpoint_free(&e);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < s->n_v3_owned; i++) {
		struct v3_resource *r = &s->v3_owned[i];
		struct label_set ls = LABEL_SET_INIT;
		switch (r->kind) {
		case V3_TIER:
			s->tiers[s->n_tiers++] = r;
			break;
		case V3_GLOBAL_NETWORK_POLICY:
		case V3_NETWORK_POLICY:
			s->policies[s->n_policies++] = r;
			break;
		default:
			for (size_t k = 0; k < r->meta.labels.n; k++)
				if ((rc = label_set_put(&ls, r->meta.labels.keys[k], r->meta.labels.values[k])) < 0)
					break;
			if (rc >= 0)
				rc = dp_state_add_member(s, &cap_members, r->meta.namespace_, &ls, r->spec.netset.nets,
							 r->spec.netset.n_nets, false);
			label_set_free(&ls);
			if (rc < 0)
				return rc;
		}
	}
	for (i = 0; i < s->n_profiles; i++) {
		const struct profile *p = &s->profiles[i];
		struct label_set ls = LABEL_SET_INIT;
		if (strncmp(p->name, "kns.", 4) != 0 || !p->name[4])
			continue;
		rc = dp_labels_inherit(&ls, p->tags, p->n_tags, plabels ? &plabels[i] : NULL);
		if (rc == 0)
			rc = dp_state_add_namespace(s, &cap_ns, p->name + 4, &ls);
		label_set_free(&ls);
		if (rc < 0)
			return rc;
	}
	return 0;
}
