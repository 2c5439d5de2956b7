/* The v3 kinds' names, and the small shared pieces of resource.h. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resource/resource.h"

static const struct v3_kind_info kinds[] = {
	{ V3_TIER, "Tier", "tiers", "tier", "", false, NULL },
	{ V3_GLOBAL_NETWORK_POLICY, "GlobalNetworkPolicy", "globalnetworkpolicies", "globalnetworkpolicy", "gnp gnps",
	  false, NULL },
	{ V3_NETWORK_POLICY, "NetworkPolicy", "networkpolicies", "networkpolicy", "policy policies pol pols np nps netpol", true, NULL },
	{ V3_GLOBAL_NETWORK_SET, "GlobalNetworkSet", "globalnetworksets", "globalnetworkset", "gns", false, NULL },
	{ V3_NETWORK_SET, "NetworkSet", "networksets", "networkset", "netset netsets", true, NULL },
	{ V3_PROFILE, "Profile", "profiles", "profile", "pro pros", false, NULL },
	{ V3_WORKLOAD_ENDPOINT, "WorkloadEndpoint", "workloadendpoints", "workloadendpoint", "wep weps", true,
	  "workload endpoints are made by the orchestrator plugins; only their labels can be changed (calicoctl label "
	  "workloadendpoint NAME KEY=VALUE)" },
	{ V3_IP_POOL, "IPPool", "ippools", "ippool", "ipp ipps pool pools", false,
	  "IP pools are the 2016 pools (calicoctl pool add|remove)" },
	{ V3_BGP_PEER, "BGPPeer", "bgppeers", "bgppeer", "bgpp bgpps bp bps", false,
	  "BGP peers are the 2016 peers (calicoctl bgp peer add|remove, calicoctl node bgp peer add|remove)" },
	{ V3_BGP_CONFIGURATION, "BGPConfiguration", "bgpconfigurations", "bgpconfiguration", "bgpconfig bgpconfigs",
	  false, "the BGP configuration is the 2016 settings (calicoctl bgp default-node-as, calicoctl bgp node-mesh)" },
	{ V3_NODE, "Node", "nodes", "node", "no nos", false,
	  "nodes are made by calicoctl node (--ip, --ip6, --as) and removed by calicoctl node remove" },
	{ V3_FELIX_CONFIGURATION, "FelixConfiguration", "felixconfigurations", "felixconfiguration",
	  "felixconfig felixconfigs", false,
	  "the Felix configuration is the 2016 settings (calicoctl config felix NAME VALUE, calicoctl config node "
	  "felix NAME VALUE --hostname=HOST)" },
};

const struct v3_kind_info *v3_kind_info(enum v3_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

static bool in_words(const char *words, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = words; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && strncasecmp(p, name, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

const struct v3_kind_info *v3_kind_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct v3_kind_info *k = &kinds[i];
		if (strcasecmp(name, k->name) == 0 || strcasecmp(name, k->plural) == 0 ||
		    strcasecmp(name, k->singular) == 0 || in_words(k->shorts, name))
			return k;
	}
	return NULL;
}

const char *v3_map_get(const struct v3_map *m, const char *key)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->keys[mid], key);
		if (c == 0)
			return m->values[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Where key is, or would be inserted. */
static size_t map_find(const struct v3_map *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->n;
	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(m->keys[mid], key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int v3_map_set(struct v3_map *m, const char *key, const char *value)
{
	bool found;
	size_t at = map_find(m, key, &found);
	char *v = strdup(value), *k = found ? NULL : strdup(key);
	if (!v || (!found && !k))
		goto oom;
	if (found) {
		free(m->values[at]);
		m->values[at] = v;
		return 0;
	}
	char **keys = realloc(m->keys, (m->n + 1) * sizeof(*keys));
	if (!keys)
		goto oom;
	m->keys = keys;
	char **values = realloc(m->values, (m->n + 1) * sizeof(*values));
	if (!values)
		goto oom;
	m->values = values;
	memmove(&m->keys[at + 1], &m->keys[at], (m->n - at) * sizeof(*keys));
	memmove(&m->values[at + 1], &m->values[at], (m->n - at) * sizeof(*values));
	m->keys[at] = k;
	m->values[at] = v;
	m->n++;
	return 0;
oom:
	free(k);
	free(v);
	return -ENOMEM;
}

bool v3_map_remove(struct v3_map *m, const char *key)
{
	bool found;
	size_t at = map_find(m, key, &found);
	if (!found)
		return false;
	free(m->keys[at]);
	free(m->values[at]);
	memmove(&m->keys[at], &m->keys[at + 1], (m->n - at - 1) * sizeof(*m->keys));
	memmove(&m->values[at], &m->values[at + 1], (m->n - at - 1) * sizeof(*m->values));
	m->n--;
	return true;
}

/* [A-Za-z0-9] ( [A-Za-z0-9._-]* [A-Za-z0-9] )?, 1-63 */
static bool label_name_valid(const char *s, size_t n)
{
	if (n < 1 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

/* lower-case labels of [a-z0-9-] joined by '.', 1-253 */
static bool dns_subdomain_valid(const char *s, size_t n)
{
	if (n < 1 || n > V3_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && c != '-' && c != '.')
			return false;
		if (!alnum && (i == 0 || i == n - 1 || s[i - 1] == '.' || (c == '.' && s[i - 1] == '-')))
			return false;
	}
	return true;
}

bool v3_label_key_valid(const char *key)
{
	const char *slash = strchr(key, '/');
	if (!slash)
		return label_name_valid(key, strlen(key));
	return dns_subdomain_valid(key, (size_t)(slash - key)) && label_name_valid(slash + 1, strlen(slash + 1));
}

bool v3_label_value_valid(const char *value)
{
	return !*value || label_name_valid(value, strlen(value));
}

bool v3_name_valid(const char *name)
{
	return dns_subdomain_valid(name, strlen(name));
}

unsigned v3_policy_types(const struct v3_policy *p)
{
	if (p->types_given)
		return p->types;
	if (p->egress.n && !p->ingress.n)
		return V3_TYPE_EGRESS;
	return V3_TYPE_INGRESS | (p->egress.n ? V3_TYPE_EGRESS : 0);
}

const char *v3_policy_tier(const struct v3_policy *p)
{
	return p->tier && *p->tier ? p->tier : "default";
}

void v3_map_free(struct v3_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		free(m->values[i]);
	}
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

static void entity_free(struct v3_entity *e)
{
	free(e->nets);
	free(e->not_nets);
	free(e->selector);
	free(e->not_selector);
	free(e->namespace_selector);
	free(e->ports);
	free(e->not_ports);
	memset(e, 0, sizeof(*e));
}

static void rules_free(struct v3_rules *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		entity_free(&rs->items[i].source);
		entity_free(&rs->items[i].destination);
		v3_map_free(&rs->items[i].annotations);
	}
	free(rs->items);
	memset(rs, 0, sizeof(*rs));
}

void v3_resource_free(struct v3_resource *r)
{
	free(r->meta.name);
	free(r->meta.namespace_);
	free(r->meta.resource_version);
	free(r->meta.uid);
	free(r->meta.creation_timestamp);
	v3_map_free(&r->meta.labels);
	v3_map_free(&r->meta.annotations);
	switch (r->kind) {
	case V3_GLOBAL_NETWORK_POLICY:
	case V3_NETWORK_POLICY:
		free(r->spec.policy.tier);
		free(r->spec.policy.selector);
		free(r->spec.policy.namespace_selector);
		rules_free(&r->spec.policy.ingress);
		rules_free(&r->spec.policy.egress);
		break;
	case V3_GLOBAL_NETWORK_SET:
	case V3_NETWORK_SET:
		free(r->spec.netset.nets);
		break;
	case V3_PROFILE:
		rules_free(&r->spec.profile.ingress);
		rules_free(&r->spec.profile.egress);
		v3_map_free(&r->spec.profile.labels_to_apply);
		break;
	case V3_WORKLOAD_ENDPOINT: {
		struct v3_workload_endpoint *w = &r->spec.wep;
		free(w->orchestrator);
		free(w->workload);
		free(w->node);
		free(w->endpoint);
		free(w->ip_networks);
		for (size_t i = 0; i < w->n_profiles; i++)
			free(w->profiles[i]);
		free(w->profiles);
		free(w->interface_name);
		free(w->mac);
		break;
	}
	case V3_BGP_PEER:
		free(r->spec.peer.node);
		break;
	case V3_NODE:
		free(r->spec.node.ipv4_address);
		free(r->spec.node.ipv6_address);
		break;
	case V3_FELIX_CONFIGURATION:
		for (size_t i = 0; i < V3_FELIX_FIELD_COUNT; i++)
			free(r->spec.felix.fields[i].text);
		break;
	default:
		break;
	}
	memset(r, 0, sizeof(*r));
}
