/* The flow collector's names kept by the cache's changes: an endpoint of any
 * host by each of its addresses (name: its workload; namespace: its
 * projectcalico.org/namespace label, else its orchestrator; its own labels),
 * a network set by each of its nets. Each change costs the record it
 * touches; the collector's lock is held for that record only. */
#include <jansson.h>
#include <string.h>

#include "agent.h"
#include "resource/resource.h"
#include "store/endpoint_store.h"
#include "util/log.h"

/* The labels of a compact endpoint ("key\0value\0" pairs) as a JSON
 * object's text, and its namespace label; NULL without labels or on ENOMEM. */
static char *ep_labels(const struct node_ep *ep, const char **ns)
{
	const char *p = ep->labels;
	json_t *o;
	char *s;

	*ns = NULL;
	if (!ep->n_labels || !(o = json_object()))
		return NULL;
	for (uint16_t i = 0; i < ep->n_labels; i++) {
		const char *k = p, *v = p + strlen(p) + 1;
		json_object_set_new(o, k, json_string(v));
		if (strcmp(k, V3_LABEL_NAMESPACE) == 0)
			*ns = v;
		p = v + strlen(v) + 1;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static char *map_labels(const struct v3_map *m)
{
	json_t *o;
	char *s;

	if (!m->n || !(o = json_object()))
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		json_object_set_new(o, m->keys[i], json_string(m->values[i]));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

static int endpoint_change(struct flow_names *names, const struct node_change *ch)
{
	uint64_t owner = node_cache_key_hash(ch->key);
	struct endpoint_ref ref;
	const char *ns = NULL;
	char *labels = NULL;
	int rc = 0;

	for (uint16_t i = 0; ch->old_ep && i < ch->old_ep->n_addrs; i++)
		flow_names_del_addr(names, owner, &ch->old_ep->addrs[i]);
	if (!ch->new_ep || !ch->new_ep->valid || !ch->new_ep->n_addrs || endpoint_key_parse(ch->key, &ref) < 0)
		return 0;
	labels = ep_labels(ch->new_ep, &ns);
	const struct flow_name_of what = { FLOW_EP_WEP, ch->new_ep->local, ref.workload, ns ? ns : ref.orch, labels };
	for (uint16_t i = 0; rc == 0 && i < ch->new_ep->n_addrs; i++)
		rc = flow_names_put_addr(names, owner, &ch->new_ep->addrs[i], &what);
	free(labels);
	return rc;
}

static bool is_netset(const struct node_kv *kv)
{
	const struct v3_resource *r = node_kv_v3(kv);
	return r && (r->kind == V3_GLOBAL_NETWORK_SET || r->kind == V3_NETWORK_SET);
}

static int netset_change(struct flow_names *names, const struct node_change *ch)
{
	uint64_t owner = node_cache_key_hash(ch->key);
	const struct v3_resource *r;
	int rc = 0;

	if (is_netset(ch->old_kv))
		flow_names_del_nets(names, owner);
	if (!is_netset(ch->new_kv))
		return 0;
	r = ch->new_kv->res;
	char *labels = map_labels(&r->meta.labels);
	const struct flow_name_of what = { FLOW_EP_NS, false, r->meta.name, r->meta.namespace_, labels };
	for (size_t i = 0; rc == 0 && i < r->spec.netset.n_nets; i++)
		rc = flow_names_put_net(names, owner, &r->spec.netset.nets[i], &what);
	free(labels);
	return rc;
}

void agent_flow_names_watch(void *ctx, const struct node_change *ch)
{
	struct agent *a = ctx;
	int rc = 0;

	if (ch->kind != NKV_ENDPOINT && ch->kind != NKV_V3)
		return;
	struct flow_names *names = flow_collector_names_begin(a->flows);
	if (!names)
		return;
	if (ch->kind == NKV_ENDPOINT)
		rc = endpoint_change(names, ch);
	else
		rc = netset_change(names, ch);
	flow_collector_names_end(a->flows);
	if (rc < 0)
		log_warn("flows: out of memory naming %s: its flows name it by its network", ch->key);
}

void agent_flow_names_reset(struct agent *a)
{
	flow_names_clear(flow_collector_names_begin(a->flows));
	flow_collector_names_end(a->flows);
}
