/* The desired dataplane state: lifetime and small helpers. */
#include "policy/dp_state.h"
#include "util/array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void dp_state_init(struct dp_state *s)
{
	memset(s, 0, sizeof(*s));
	s->endpoint_to_host = DP_HOST_DROP;
	strcpy(s->iface_prefix, "cali");
	s->flow_logs = true;
}

void dp_state_free(struct dp_state *s)
{
	for (size_t i = 0; i < s->n_endpoints; i++)
		endpoint_free(&s->endpoints[i]);
	free(s->endpoints);
	for (size_t i = 0; i < s->n_profiles; i++)
		profile_free(&s->profiles[i]);
	free(s->profiles);
	for (size_t i = 0; i < s->n_tags; i++)
		free(s->tags[i].members);
	free(s->tags);
	free(s->pools);
	for (size_t i = 0; s->endpoint_labels && i < s->n_endpoints; i++)
		label_set_free(&s->endpoint_labels[i]);
	free(s->endpoint_labels);
	free(s->tiers);
	free(s->policies);
	for (size_t i = 0; i < s->n_v3_owned; i++)
		v3_resource_free(&s->v3_owned[i]);
	free(s->v3_owned);
	for (size_t i = 0; i < s->n_members; i++) {
		free(s->members[i].namespace_);
		label_set_free(&s->members[i].labels);
		free(s->members[i].nets);
	}
	free(s->members);
	for (size_t i = 0; i < s->n_namespaces; i++) {
		free(s->namespaces[i].name);
		label_set_free(&s->namespaces[i].labels);
	}
	free(s->namespaces);
	dp_state_init(s);
}

static const char *const action_names[] = { "DROP", "RETURN", "ACCEPT" };

int dp_host_action_parse(const char *text, enum dp_host_action *out)
{
	for (size_t i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (strcasecmp(text, action_names[i]) == 0) {
			*out = (enum dp_host_action)i;
			return 0;
		}
	return -EINVAL;
}

const char *dp_host_action_name(enum dp_host_action a)
{
	return (unsigned)a < sizeof(action_names) / sizeof(action_names[0]) ? action_names[a] : "?";
}

int dp_labels_inherit(struct label_set *ls, char *const *tags, size_t n_tags, const struct v3_map *labels)
{
	int rc;
	for (size_t i = 0; i < n_tags; i++)
		if (!label_set_get(ls, tags[i]) && (rc = label_set_put(ls, tags[i], "")) < 0)
			return rc;
	for (size_t i = 0; labels && i < labels->n; i++)
		if (!label_set_get(ls, labels->keys[i]) && (rc = label_set_put(ls, labels->keys[i], labels->values[i])) < 0)
			return rc;
	return 0;
}

const char *dp_labels_namespace(const struct label_set *ls)
{
	const char *ns = label_set_get(ls, DP_NAMESPACE_LABEL);
	return ns && *ns ? ns : "default";
}

int dp_state_add_member(struct dp_state *s, size_t *cap, const char *namespace_, struct label_set *labels,
			const struct cidr *nets, size_t n, bool addresses)
{
	if (array_reserve((void **)&s->members, cap, s->n_members + 1, sizeof(*s->members)) < 0)
		return -ENOMEM;
	struct dp_v3_member *m = &s->members[s->n_members];
	memset(m, 0, sizeof(*m));
	if ((namespace_ && !(m->namespace_ = strdup(namespace_))) || (n && !(m->nets = calloc(n, sizeof(*m->nets))))) {
		free(m->namespace_);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		m->nets[i] = nets[i];
		if (addresses)
			m->nets[i].prefix = nets[i].addr.family == 4 ? 32 : 128;
	}
	m->n_nets = n;
	m->labels = *labels;
	*labels = (struct label_set)LABEL_SET_INIT;
	s->n_members++;
	return 0;
}

int dp_state_add_namespace(struct dp_state *s, size_t *cap, const char *name, struct label_set *labels)
{
	int rc;
	if (array_reserve((void **)&s->namespaces, cap, s->n_namespaces + 1, sizeof(*s->namespaces)) < 0)
		return -ENOMEM;
	if ((rc = label_set_put(labels, DP_NS_NAME_LABEL, name)) < 0)
		return rc;
	struct dp_v3_namespace *ns = &s->namespaces[s->n_namespaces];
	if (!(ns->name = strdup(name)))
		return -ENOMEM;
	ns->labels = *labels;
	*labels = (struct label_set)LABEL_SET_INIT;
	s->n_namespaces++;
	return 0;
}
