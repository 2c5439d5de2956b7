/* cache -> desired state and effective config (node_calc.h). */
#include "agent/node_calc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent_config.h"
#include "model/keys.h"
#include "util/array.h"

/* ---------- config ---------- */

void node_config_defaults(struct node_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->endpoint_to_host = DP_HOST_DROP;
	strcpy(cfg->iface_prefix, "cali");
	cfg->log_level = LOG_LVL_INFO;
	cfg->reporting_interval = 30;
	cfg->reporting_ttl = 90;
	cfg->endpoint_reporting = true;
	cfg->health_port = 9099;
	cfg->metrics_enabled = true;
	cfg->retry_max = 30;
	cfg->flow_logs = true;
	cfg->flow_interval = 15;
	cfg->flow_file_max_size = 104857600;
	cfg->flow_file_max_files = 5;
}

static int apply_setting(struct node_config *cfg, const char *key, const char *name, const char *value,
			 char *err, size_t errlen)
{
	const struct config_setting *s = felix_setting_find(name);
	char why[256];

	if (!s)
		return 0;
	if (config_value_validate(s, value, why, sizeof(why)) < 0) { /* names the setting and the value */
		snprintf(err, errlen, "%s: %s", key, why);
		return -EINVAL;
	}
	if (strcmp(name, "DefaultEndpointToHostAction") == 0) {
		if (dp_host_action_parse(value, &cfg->endpoint_to_host) < 0)
			goto bad;
	} else if (strcmp(name, "InterfacePrefix") == 0) {
		if (strlen(value) > DP_IFACE_PREFIX_MAX)
			goto bad;
		strcpy(cfg->iface_prefix, value);
	} else if (strcmp(name, "LogSeverityScreen") == 0) {
		/* "critical" is Calico's; ours stops at error */
		if (log_level_parse(strcmp(value, "critical") == 0 ? "error" : value, &cfg->log_level) < 0)
			goto bad;
	} else if (strcmp(name, "ReportingIntervalSecs") == 0) {
		cfg->reporting_interval = (unsigned)strtoul(value, NULL, 10);
	} else if (strcmp(name, "ReportingTTLSecs") == 0) {
		cfg->reporting_ttl = (unsigned)strtoul(value, NULL, 10);
	} else if (strcmp(name, "EndpointReportingEnabled") == 0) {
		cfg->endpoint_reporting = strcasecmp(value, "true") == 0; /* validated as true or false, any case */
	} else if (strcmp(name, "HealthPort") == 0) {
		cfg->health_port = (unsigned)strtoul(value, NULL, 10);
	} else if (strcmp(name, "PrometheusMetricsEnabled") == 0) {
		cfg->metrics_enabled = strcasecmp(value, "true") == 0; /* validated as true or false, any case */
	} else if (strcmp(name, "DatastoreRetryMaxSecs") == 0) {
		cfg->retry_max = (unsigned)strtoul(value, NULL, 10);
	} else if (strcmp(name, "FlowLogsEnabled") == 0) {
		cfg->flow_logs = strcasecmp(value, "true") == 0; /* validated as true or false, any case */
	} else if (strcmp(name, "FlowLogsFlushInterval") == 0) {
		cfg->flow_interval = (unsigned)strtoul(value, NULL, 10);
	} else if (strcmp(name, "FlowLogsFileMaxSize") == 0) {
		cfg->flow_file_max_size = strtoul(value, NULL, 10);
	} else if (strcmp(name, "FlowLogsFileMaxFiles") == 0) {
		cfg->flow_file_max_files = (unsigned)strtoul(value, NULL, 10);
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: unusable value \"%.64s\"", key, value);
	return -EINVAL;
}

int node_config_from_cache(const struct node_cache *c, const char *host, struct node_config *out, char *err,
			   size_t errlen)
{
	struct node_config cfg;
	char prefix[KEY_MAX];
	int rc;

	node_config_defaults(&cfg);
	/* global first, then this host's: the later write wins */
	for (size_t i = node_cache_lower_bound(c, KEY_CONFIG_PREFIX); i < c->n; i++) {
		const struct node_kv *kv = &c->items[i];
		if (strncmp(kv->key, KEY_CONFIG_PREFIX, strlen(KEY_CONFIG_PREFIX)) != 0)
			break;
		if (kv->kind == NKV_CONFIG && (rc = apply_setting(&cfg, kv->key, kv->name, kv->value, err, errlen)) < 0)
			return rc;
	}
	if (!key_fmt(prefix, KEY_HOST_PREFIX "%s/config/", host))
		return -ENAMETOOLONG;
	for (size_t i = node_cache_lower_bound(c, prefix); i < c->n; i++) {
		const struct node_kv *kv = &c->items[i];
		if (strncmp(kv->key, prefix, strlen(prefix)) != 0)
			break;
		if (kv->kind == NKV_HOST_CONFIG && (rc = apply_setting(&cfg, kv->key, kv->name, kv->value, err, errlen)) < 0)
			return rc;
	}
	*out = cfg;
	return 0;
}

/* ---------- copies into the state ---------- */

static int strv_copy(char *const *src, size_t n, char ***dst)
{
	*dst = NULL;
	if (!n)
		return 0;
	if (!(*dst = calloc(n, sizeof(**dst))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!((*dst)[i] = strdup(src[i])))
			return -ENOMEM; /* the caller frees the partial copy through its owner */
	return 0;
}

static int mem_copy(const void *src, size_t n, size_t size, void *dst_ptr)
{
	void **dst = dst_ptr;
	*dst = NULL;
	if (!n)
		return 0;
	if (!(*dst = malloc(n * size)))
		return -ENOMEM;
	memcpy(*dst, src, n * size);
	return 0;
}

/* Labels are not copied: the compiler does not use them. */
static int endpoint_copy(const struct endpoint *src, struct endpoint *dst)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->state, src->state, sizeof(dst->state));
	memcpy(dst->name, src->name, sizeof(dst->name));
	memcpy(dst->mac, src->mac, sizeof(dst->mac));
	dst->n_profile_ids = src->n_profile_ids;
	dst->n_ipv4_nets = src->n_ipv4_nets;
	dst->n_ipv6_nets = src->n_ipv6_nets;
	if (strv_copy(src->profile_ids, src->n_profile_ids, &dst->profile_ids) < 0 ||
	    mem_copy(src->ipv4_nets, src->n_ipv4_nets, sizeof(struct cidr), &dst->ipv4_nets) < 0 ||
	    mem_copy(src->ipv6_nets, src->n_ipv6_nets, sizeof(struct cidr), &dst->ipv6_nets) < 0)
		return -ENOMEM;
	return 0;
}

static const struct node_kv *profile_part(const struct node_cache *c, const char *name, bool tags)
{
	char key[KEY_MAX];
	const struct node_kv *kv;
	if (!(tags ? key_profile_tags(key, name) : key_profile_rules(key, name)))
		return NULL;
	kv = node_cache_get(c, key);
	return kv && kv->valid ? kv : NULL;
}

static int profile_copy(const struct node_kv *tags, const struct node_kv *rules, const char *name,
			struct profile *dst)
{
	memset(dst, 0, sizeof(*dst));
	snprintf(dst->name, sizeof(dst->name), "%s", name);
	if (tags) {
		dst->n_tags = tags->n_tags;
		if (strv_copy(tags->tags, tags->n_tags, &dst->tags) < 0)
			return -ENOMEM;
	}
	if (rules)
		return node_cache_profile_rules(rules, &dst->inbound, &dst->outbound);
	return 0;
}

/* ---------- the calculation ---------- */

void node_local_free(struct node_local *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->keys[i]);
	free(l->keys);
	l->keys = NULL;
	l->n = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted unique names (pointers into the cache or the state, not owned). */
struct names {
	const char **v;
	size_t n, cap;
};

static int names_add(struct names *s, const char *name)
{
	if (array_reserve((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0)
		return -ENOMEM;
	s->v[s->n++] = name;
	return 0;
}

static void names_sort_unique(struct names *s)
{
	size_t out = 0;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 0; i < s->n; i++)
		if (out == 0 || strcmp(s->v[out - 1], s->v[i]) != 0)
			s->v[out++] = s->v[i];
	s->n = out;
}

static long names_find(const struct names *s, const char *name)
{
	const char **hit = s->n ? bsearch(&name, s->v, s->n, sizeof(*s->v), cmp_str) : NULL;
	return hit ? hit - s->v : -1;
}

static int local_endpoints(const struct node_cache *c, const char *host, struct dp_state *st,
			   struct node_local *local)
{
	char prefix[KEY_MAX];
	size_t first, n = 0;

	if (!key_fmt(prefix, KEY_HOST_PREFIX "%s/workload/", host))
		return -ENAMETOOLONG;
	first = node_cache_lower_bound(c, prefix);
	for (size_t i = first; i < c->n && strncmp(c->items[i].key, prefix, strlen(prefix)) == 0; i++)
		n += c->items[i].kind == NKV_ENDPOINT && c->items[i].valid;
	if (!n)
		return 0;
	if (!(st->endpoints = calloc(n, sizeof(*st->endpoints))) || !(local->keys = calloc(n, sizeof(*local->keys))))
		return -ENOMEM;
	for (size_t i = first; i < c->n && strncmp(c->items[i].key, prefix, strlen(prefix)) == 0; i++) {
		const struct node_kv *kv = &c->items[i];
		if (kv->kind != NKV_ENDPOINT || !kv->valid)
			continue;
		if (!(local->keys[local->n] = strdup(kv->key)))
			return -ENOMEM;
		local->n++;
		if (endpoint_copy(&kv->ep, &st->endpoints[st->n_endpoints++]) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int referenced_profiles(const struct node_cache *c, struct dp_state *st)
{
	struct names wanted = { 0 };
	int rc = 0;

	for (size_t i = 0; i < st->n_endpoints; i++)
		for (size_t j = 0; j < st->endpoints[i].n_profile_ids; j++)
			if ((rc = names_add(&wanted, st->endpoints[i].profile_ids[j])) < 0)
				goto out;
	names_sort_unique(&wanted);
	if (wanted.n && !(st->profiles = calloc(wanted.n, sizeof(*st->profiles)))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < wanted.n; i++) {
		const struct node_kv *tags = profile_part(c, wanted.v[i], true);
		const struct node_kv *rules = profile_part(c, wanted.v[i], false);
		if (!tags && !rules)
			continue; /* missing: the compiler leaves its endpoints with nothing */
		if ((rc = profile_copy(tags, rules, wanted.v[i], &st->profiles[st->n_profiles++])) < 0)
			goto out;
	}
out:
	free(wanted.v);
	return rc;
}

static int tag_add_member(struct dp_tag *t, const struct ip_addr *ip, size_t *cap)
{
	if (array_reserve((void **)&t->members, cap, t->n_members + 1, sizeof(*t->members)) < 0)
		return -ENOMEM;
	t->members[t->n_members++] = *ip;
	return 0;
}

static int endpoint_tag_members(const struct node_cache *c, const struct node_ep *ep, const struct names *tags,
				struct dp_state *st, size_t *caps)
{
	for (size_t j = 0; j < ep->n_profiles; j++) {
		const struct node_kv *pt = profile_part(c, name_table_name(&c->names, ep->profiles[j]), true);
		for (size_t k = 0; pt && k < pt->n_tags; k++) {
			long t = names_find(tags, pt->tags[k]);
			if (t < 0)
				continue;
			for (size_t a = 0; a < ep->n_addrs; a++)
				if (tag_add_member(&st->tags[t], &ep->addrs[a], &caps[t]) < 0)
					return -ENOMEM;
		}
	}
	return 0;
}

static int tag_sets(const struct node_cache *c, struct dp_state *st)
{
	struct names tags = { 0 };
	size_t *caps = NULL;
	int rc = 0;

	for (size_t i = 0; i < st->n_profiles; i++) {
		const struct rule_list *lists[2] = { &st->profiles[i].inbound, &st->profiles[i].outbound };
		for (size_t l = 0; l < 2; l++)
			for (size_t r = 0; r < lists[l]->n; r++) {
				const struct rule *ru = &lists[l]->items[r];
				if ((ru->src_tag[0] && (rc = names_add(&tags, ru->src_tag)) < 0) ||
				    (ru->dst_tag[0] && (rc = names_add(&tags, ru->dst_tag)) < 0))
					goto out;
			}
	}
	names_sort_unique(&tags);
	if (!tags.n)
		goto out;
	if (!(st->tags = calloc(tags.n, sizeof(*st->tags))) || !(caps = calloc(tags.n, sizeof(*caps)))) {
		rc = -ENOMEM;
		goto out;
	}
	st->n_tags = tags.n;
	for (size_t i = 0; i < tags.n; i++)
		snprintf(st->tags[i].name, sizeof(st->tags[i].name), "%s", tags.v[i]);
	/* every endpoint on every host: a rule admits remote members too */
	for (size_t i = 0; i < c->cap_eps; i++) {
		const struct node_ep *ep = c->eps[i];
		if (ep && ep->valid && (rc = endpoint_tag_members(c, ep, &tags, st, caps)) < 0)
			goto out;
	}
out:
	free(caps);
	free(tags.v);
	return rc;
}

static int pools(const struct node_cache *c, struct dp_state *st)
{
	static const char *const prefixes[] = { KEY_POOL_V4_PREFIX, KEY_POOL_V6_PREFIX };
	size_t n = 0;

	for (size_t p = 0; p < 2; p++)
		for (size_t i = node_cache_lower_bound(c, prefixes[p]);
		     i < c->n && strncmp(c->items[i].key, prefixes[p], strlen(prefixes[p])) == 0; i++)
			n += c->items[i].kind == NKV_POOL && c->items[i].valid;
	if (!n)
		return 0;
	if (!(st->pools = calloc(n, sizeof(*st->pools))))
		return -ENOMEM;
	for (size_t p = 0; p < 2; p++)
		for (size_t i = node_cache_lower_bound(c, prefixes[p]);
		     i < c->n && strncmp(c->items[i].key, prefixes[p], strlen(prefixes[p])) == 0; i++)
			if (c->items[i].kind == NKV_POOL && c->items[i].valid)
				st->pools[st->n_pools++] = c->items[i].pool;
	return 0;
}

int node_calc(const struct node_cache *c, const char *host, const struct node_config *cfg, struct dp_state *out,
	      struct node_local *local)
{
	int rc;

	dp_state_init(out);
	memset(local, 0, sizeof(*local));
	out->endpoint_to_host = cfg->endpoint_to_host;
	out->flow_logs = cfg->flow_logs;
	snprintf(out->iface_prefix, sizeof(out->iface_prefix), "%s", cfg->iface_prefix);
	if ((rc = local_endpoints(c, host, out, local)) < 0 || (rc = referenced_profiles(c, out)) < 0 ||
	    (rc = tag_sets(c, out)) < 0 || (rc = pools(c, out)) < 0 || (rc = node_calc_v3(c, host, out)) < 0)
		return rc;
	return 0;
}

int node_calc_local(const struct node_cache *c, const char *host, const struct node_config *cfg,
		    struct dp_state *out, struct node_local *local)
{
	dp_state_init(out);
	memset(local, 0, sizeof(*local));
	out->endpoint_to_host = cfg->endpoint_to_host;
	out->flow_logs = cfg->flow_logs;
	snprintf(out->iface_prefix, sizeof(out->iface_prefix), "%s", cfg->iface_prefix);
	return local_endpoints(c, host, out, local);
}
