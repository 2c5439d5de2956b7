/* Calico's v3 kinds as views of the 2016 keys (view_store.h). */
#include "store/view_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pool_store.h"
#include "util/log.h"

static char *rev_text(int64_t rev)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, rev);
	return strdup(buf);
}

static int cmp_ns_name(const void *a, const void *b)
{
	const struct v3_resource *x = a, *y = b;
	int c = strcmp(x->meta.namespace_ ? x->meta.namespace_ : "", y->meta.namespace_ ? y->meta.namespace_ : "");
	return c ? c : strcmp(x->meta.name, y->meta.name);
}

/* Room for one more item. */
static struct v3_resource *list_slot(struct v3_resource_list *l)
{
	struct v3_resource *items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		return NULL;
	l->items = items;
	memset(&items[l->n], 0, sizeof(items[l->n]));
	return &items[l->n];
}

/* ---------- workload endpoints ---------- */

static const char *label_of(const struct endpoint *ep, const char *key)
{
	for (size_t i = 0; i < ep->n_labels; i++)
		if (strcmp(ep->labels[i].key, key) == 0)
			return ep->labels[i].value;
	return NULL;
}

static const char *wep_namespace(const struct endpoint *ep)
{
	const char *ns = label_of(ep, V3_LABEL_NAMESPACE);
	return ns && *ns ? ns : V3_DEFAULT_NAMESPACE;
}

int v3_wep_from_entry(const struct endpoint_entry *e, struct v3_resource *out)
{
	const struct endpoint *ep = &e->ep;
	struct v3_workload_endpoint *w = &out->spec.wep;
	bool ok = true;

	memset(out, 0, sizeof(*out));
	out->kind = V3_WORKLOAD_ENDPOINT;
	out->meta.name = v3_wep_name(e->ref.host, e->ref.orch, e->ref.workload, e->ref.id);
	out->meta.namespace_ = strdup(wep_namespace(ep));
	out->meta.resource_version = rev_text(e->mod_rev);
	ok = out->meta.name && out->meta.namespace_ && out->meta.resource_version;
	for (size_t i = 0; ok && i < ep->n_labels; i++)
		ok = v3_map_set(&out->meta.labels, ep->labels[i].key, ep->labels[i].value) == 0;
	w->orchestrator = strdup(e->ref.orch);
	w->workload = strdup(e->ref.workload);
	w->node = strdup(e->ref.host);
	w->endpoint = strdup(e->ref.id);
	w->interface_name = strdup(ep->name);
	w->mac = ep->mac[0] ? strdup(ep->mac) : NULL;
	ok = ok && w->orchestrator && w->workload && w->node && w->endpoint && w->interface_name &&
	     (!ep->mac[0] || w->mac);
	size_t nets = ep->n_ipv4_nets + ep->n_ipv6_nets;
	w->ip_networks = ok ? calloc(nets ? nets : 1, sizeof(*w->ip_networks)) : NULL;
	w->profiles = ok ? calloc(ep->n_profile_ids ? ep->n_profile_ids : 1, sizeof(*w->profiles)) : NULL;
	ok = ok && w->ip_networks && w->profiles;
	if (ok) {
		for (size_t i = 0; i < ep->n_ipv4_nets; i++)
			w->ip_networks[w->n_ip_networks++] = ep->ipv4_nets[i];
		for (size_t i = 0; i < ep->n_ipv6_nets; i++)
			w->ip_networks[w->n_ip_networks++] = ep->ipv6_nets[i];
	}
	for (size_t i = 0; ok && i < ep->n_profile_ids; i++)
		ok = (w->profiles[w->n_profiles++] = strdup(ep->profile_ids[i])) != NULL;
	if (!ok) {
		v3_resource_free(out);
		return -ENOMEM;
	}
	return 0;
}

/* The endpoints of node (every node when NULL) in namespace ns (any when NULL)
 * whose name is name (any when NULL), appended to out. */
static int weps_add(struct ds *ds, const char *node, const char *ns, const char *name, struct v3_resource_list *out)
{
	struct endpoint_entry *eps = NULL;
	size_t n = 0;
	int rc = endpoint_list(ds, node, &eps, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (ns && strcmp(wep_namespace(&eps[i].ep), ns) != 0)
			continue;
		struct v3_resource *r = list_slot(out);
		if (!r) {
			rc = -ENOMEM;
			break;
		}
		if ((rc = v3_wep_from_entry(&eps[i], r)) < 0)
			break;
		if (name && strcmp(r->meta.name, name) != 0)
			v3_resource_free(r);
		else
			out->n++;
	}
	endpoint_entries_free(eps, n);
	return rc;
}

/* The node a workload endpoint's name begins with; -ENOENT when the name is
 * not one. */
static int wep_node(const char *name, char *node, size_t len)
{
	char *parts[4];
	int rc = v3_wep_name_parse(name, parts);
	if (rc < 0)
		return rc == -EINVAL ? -ENOENT : rc;
	snprintf(node, len, "%s", parts[0]);
	rc = strlen(parts[0]) < len ? 0 : -ENOENT;
	for (int i = 0; i < 4; i++)
		free(parts[i]);
	return rc;
}

int wep_find(struct ds *ds, const char *ns, const char *name, struct endpoint_entry *out, char key[KEY_MAX])
{
	struct endpoint_entry *eps = NULL;
	char node[256];
	size_t n = 0, found = 0;

	memset(out, 0, sizeof(*out));
	int rc = wep_node(name, node, sizeof(node));
	if (rc == 0)
		rc = endpoint_list(ds, node, &eps, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct endpoint_ref *r = &eps[i].ref;
		char *mine = v3_wep_name(r->host, r->orch, r->workload, r->id);
		if (!mine) {
			rc = -ENOMEM;
			break;
		}
		bool same = strcmp(mine, name) == 0 && strcmp(wep_namespace(&eps[i].ep), ns ? ns : V3_DEFAULT_NAMESPACE) == 0;
		free(mine);
		if (!same)
			continue;
		if (found++) {
			endpoint_free(&out->ep);
			rc = -ENOTUNIQ;
			break;
		}
		*out = eps[i];
		memset(&eps[i].ep, 0, sizeof(eps[i].ep));
		if (!key_endpoint(key, r->host, r->orch, r->workload, r->id))
			rc = -ENAMETOOLONG;
	}
	if (rc == 0 && !found)
		rc = -ENOENT;
	if (rc < 0 && found == 1)
		endpoint_free(&out->ep);
	endpoint_entries_free(eps, n);
	return rc;
}

/* ---------- IP pools ---------- */

static int pools_add(struct ds *ds, struct v3_resource_list *out)
{
	struct pool_entry *pools = NULL;
	size_t n = 0;
	char name[CIDR_STR_MAX];
	int rc = pool_list(ds, 0, &pools, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct v3_resource *r = list_slot(out);
		if (!r) {
			rc = -ENOMEM;
			break;
		}
		const struct pool *p = &pools[i].pool;
		r->kind = V3_IP_POOL;
		v3_pool_name(&p->cidr, name, sizeof(name));
		r->meta.name = strdup(name);
		r->meta.resource_version = rev_text(pools[i].mod_rev);
		r->spec.pool = (struct v3_ip_pool){ .cidr = p->cidr,
						    .block_size = p->cidr.addr.family == 4 ? 26 : 122,
						    .ipip = p->ipip,
						    .vxlan = p->vxlan,
						    .nat_outgoing = p->masquerade,
						    .disabled = p->disabled };
		out->n++;
		if (!r->meta.name || !r->meta.resource_version)
			rc = -ENOMEM;
	}
	free(pools);
	return rc;
}

/* ---------- BGP ---------- */

/* One peer key's value into out; a value that does not decode is skipped. */
static int peer_add(const struct ds_kv *kv, const char *node, struct v3_resource_list *out)
{
	struct bgp_peer peer;
	char err[MODEL_ERR_MAX], name[320];
	if (bgp_peer_decode(kv->value, &peer, err, sizeof(err)) < 0) {
		log_warn("skipping BGP peer %s: %s", kv->key, err);
		return 0;
	}
	struct v3_resource *r = list_slot(out);
	if (!r)
		return -ENOMEM;
	r->kind = V3_BGP_PEER;
	v3_bgp_peer_name(node, &peer.ip, name, sizeof(name));
	r->meta.name = strdup(name);
	r->meta.resource_version = rev_text(kv->mod_rev);
	r->spec.peer.node = node ? strdup(node) : NULL;
	r->spec.peer.peer_ip = peer.ip;
	r->spec.peer.as_number = peer.as_num;
	out->n++;
	return r->meta.name && r->meta.resource_version && (!node || r->spec.peer.node) ? 0 : -ENOMEM;
}

static int peers_add(struct ds *ds, struct v3_resource_list *out)
{
	static const char *const global[] = { KEY_BGP_PEER_V4_PREFIX, KEY_BGP_PEER_V6_PREFIX };
	struct ds_kv_list l = { 0 };
	int rc = 0;
	for (int f = 0; f < 2 && rc == 0; f++) {
		if ((rc = ds_list(ds, global[f], &l)) < 0)
			break;
		for (size_t i = 0; rc == 0 && i < l.n; i++)
			rc = peer_add(&l.items[i], NULL, out);
		ds_kv_list_free(&l);
	}
	if (rc == 0 && (rc = ds_list(ds, KEY_BGP_HOST_PREFIX, &l)) == 0) {
		for (size_t i = 0; rc == 0 && i < l.n; i++) {
			/* <node>/peer_v4/<ip> */
			const char *k = l.items[i].key + strlen(KEY_BGP_HOST_PREFIX);
			size_t nlen = strcspn(k, "/");
			char node[256];
			if (nlen >= sizeof(node) || (strncmp(k + nlen, "/peer_v4/", 9) != 0 &&
						     strncmp(k + nlen, "/peer_v6/", 9) != 0))
				continue;
			snprintf(node, sizeof(node), "%.*s", (int)nlen, k);
			rc = peer_add(&l.items[i], node, out);
		}
		ds_kv_list_free(&l);
	}
	return rc;
}

static int bgp_config_add(struct ds *ds, struct v3_resource_list *out)
{
	struct ds_kv as = { 0 }, mesh = { 0 };
	char err[MODEL_ERR_MAX];
	int rc = ds_get(ds, KEY_BGP_AS_NUM, &as);
	if (rc == 0 || rc == -ENOENT)
		rc = ds_get(ds, KEY_BGP_NODE_MESH, &mesh);
	if (rc == -ENOENT)
		rc = 0;
	struct v3_resource *r = rc == 0 ? list_slot(out) : NULL;
	if (rc == 0 && !r)
		rc = -ENOMEM;
	if (rc < 0)
		goto out;
	r->kind = V3_BGP_CONFIGURATION;
	out->n++;
	if (as.value && as_num_parse(as.value, &r->spec.bgp.as_number) == 0)
		r->spec.bgp.has_as_number = true;
	else if (as.value)
		log_warn("skipping %s: \"%.32s\" is not an AS number", KEY_BGP_AS_NUM, as.value);
	if (mesh.value && node_mesh_decode(mesh.value, &r->spec.bgp.node_to_node_mesh, err, sizeof(err)) == 0)
		r->spec.bgp.has_mesh = true;
	else if (mesh.value)
		log_warn("skipping %s: %s", KEY_BGP_NODE_MESH, err);
	int64_t rev = as.mod_rev > mesh.mod_rev ? as.mod_rev : mesh.mod_rev;
	if (!(r->meta.name = strdup("default")) || (rev && !(r->meta.resource_version = rev_text(rev))))
		rc = -ENOMEM;
out:
	ds_kv_free(&as);
	ds_kv_free(&mesh);
	return rc;
}

/* A node's BGP keys, in key order: every key of one node is together. */
static int nodes_add(struct ds *ds, struct v3_resource_list *out)
{
	struct ds_kv_list l = { 0 };
	struct v3_resource *r = NULL;
	int64_t rev = 0;
	int rc = ds_list(ds, KEY_BGP_HOST_PREFIX, &l);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		const char *k = l.items[i].key + strlen(KEY_BGP_HOST_PREFIX), *leaf;
		const char *value = l.items[i].value;
		size_t nlen = strcspn(k, "/");
		leaf = k + nlen;
		if (strcmp(leaf, "/ip_addr_v4") != 0 && strcmp(leaf, "/ip_addr_v6") != 0 && strcmp(leaf, "/as_num") != 0)
			continue;
		if (!r || strlen(r->meta.name) != nlen || strncmp(r->meta.name, k, nlen) != 0) {
			if (r && rev && !(r->meta.resource_version = rev_text(rev))) {
				rc = -ENOMEM;
				break;
			}
			if (!(r = list_slot(out)) || !(r->meta.name = strndup(k, nlen))) {
				rc = -ENOMEM;
				break;
			}
			r->kind = V3_NODE;
			out->n++;
			rev = 0;
		}
		if (l.items[i].mod_rev > rev)
			rev = l.items[i].mod_rev;
		if (strcmp(leaf, "/as_num") == 0) {
			if (as_num_parse(value, &r->spec.node.as_number) == 0)
				r->spec.node.has_as_number = true;
			else if (*value)
				log_warn("skipping %s: \"%.32s\" is not an AS number", l.items[i].key, value);
		} else if (*value) {
			char **slot = leaf[10] == '4' ? &r->spec.node.ipv4_address : &r->spec.node.ipv6_address;
			free(*slot);
			if (!(*slot = strdup(value)))
				rc = -ENOMEM;
		}
	}
	if (rc == 0 && r && rev && !(r->meta.resource_version = rev_text(rev)))
		rc = -ENOMEM;
	ds_kv_list_free(&l);
	return rc;
}

/* ---------- Felix configuration ---------- */

/* The setting a config key names: what follows the prefix, one path segment
 * (NULL when the key holds something else). */
static const char *setting_of(const char *key, size_t prefix_len)
{
	const char *name = key + prefix_len;
	return *name && !strchr(name, '/') ? name : NULL;
}

/* A FelixConfiguration named name from its config keys, kvs[0..n), each a
 * setting's name after prefix_len bytes. A setting without a v3 field is left
 * out, its key no part of resourceVersion; a value that does not convert is
 * skipped with a warning. */
static int felix_config_add(const char *name, const struct ds_kv *kvs, size_t n, size_t prefix_len,
			    struct v3_resource_list *out)
{
	char err[160];
	int64_t rev = 0;
	int rc = 0;
	struct v3_resource *r = list_slot(out);
	if (!r)
		return -ENOMEM;
	r->kind = V3_FELIX_CONFIGURATION;
	out->n++;
	if (!(r->meta.name = strdup(name)))
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *setting = setting_of(kvs[i].key, prefix_len);
		if (!setting)
			continue;
		rc = v3_felix_set(&r->spec.felix, setting, kvs[i].value, err, sizeof(err));
		if (rc == -ENOENT) { /* no v3 field: not part of the view (docs/policy.md) */
			rc = 0;
			continue;
		}
		if (rc == -EINVAL) {
			log_warn("skipping %s: %s", kvs[i].key, err);
			rc = 0;
		}
		if (kvs[i].mod_rev > rev) /* a skipped value was still read for its field */
			rev = kvs[i].mod_rev;
	}
	if (rc == 0 && rev && !(r->meta.resource_version = rev_text(rev)))
		rc = -ENOMEM;
	return rc;
}

/* "default", from the global settings: always there, as Calico always has it. */
static int felix_default_add(struct ds *ds, struct v3_resource_list *out)
{
	struct ds_kv_list l = { 0 };
	int rc = ds_list(ds, KEY_CONFIG_PREFIX, &l);
	if (rc == 0)
		rc = felix_config_add("default", l.items, l.n, strlen(KEY_CONFIG_PREFIX), out);
	ds_kv_list_free(&l);
	return rc;
}

/* "node.<host>", from one host's settings; none when it has none. */
static int felix_node_add(struct ds *ds, const char *host, struct v3_resource_list *out)
{
	struct ds_kv_list l = { 0 };
	char prefix[KEY_MAX], name[KEY_MAX];
	if (strchr(host, '/') || !key_fmt(prefix, KEY_HOST_PREFIX "%s/config/", host))
		return 0; /* no host has such a name */
	snprintf(name, sizeof(name), "node.%s", host);
	int rc = ds_list(ds, prefix, &l);
	bool any = false; /* as the listing counts them: keys that name a setting */
	for (size_t i = 0; rc == 0 && i < l.n && !any; i++)
		any = setting_of(l.items[i].key, strlen(prefix)) != NULL;
	if (any)
		rc = felix_config_add(name, l.items, l.n, strlen(prefix), out);
	ds_kv_list_free(&l);
	return rc;
}

/* The length of the host a key under KEY_HOST_PREFIX names, when the key is
 * one of that host's config keys; 0 when it is not. */
static size_t config_host_len(const char *key)
{
	const char *host = key + strlen(KEY_HOST_PREFIX);
	size_t len = strcspn(host, "/");
	return len && strncmp(host + len, "/config/", 8) == 0 && setting_of(key, strlen(KEY_HOST_PREFIX) + len + 8)
		       ? len
		       : 0;
}

/* Keeps the hosts' config keys from the pages of everything under
 * KEY_HOST_PREFIX (mostly endpoints, which are not held) in a ds_kv_list,
 * grown once a page by what the page holds of them. */
static int keep_config_keys(void *ctx, struct ds_kv_list *page)
{
	struct ds_kv_list *k = ctx;
	size_t want = 0;
	if (!page) { /* the read starts over */
		ds_kv_list_free(k);
		return 0;
	}
	for (size_t i = 0; i < page->n; i++)
		want += config_host_len(page->items[i].key) != 0;
	if (!want)
		return 0;
	struct ds_kv *items = realloc(k->items, (k->n + want) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	k->items = items;
	for (size_t i = 0; i < page->n; i++) {
		if (!config_host_len(page->items[i].key))
			continue;
		k->items[k->n++] = page->items[i];
		memset(&page->items[i], 0, sizeof(page->items[i]));
	}
	return 0;
}

/* "node.<host>" for every host with a config key. */
static int felix_nodes_add(struct ds *ds, struct v3_resource_list *out)
{
	struct ds_kv_list keys = { 0 };
	char name[KEY_MAX];
	int64_t rev;
	int rc = ds_list_pages(ds, KEY_HOST_PREFIX, keep_config_keys, &keys, &rev);
	/* sorted by key, so each host's keys are together */
	size_t i = 0;
	while (rc == 0 && i < keys.n) {
		const char *host = keys.items[i].key + strlen(KEY_HOST_PREFIX);
		size_t hlen = config_host_len(keys.items[i].key), end = i + 1;
		while (end < keys.n && config_host_len(keys.items[end].key) == hlen &&
		       strncmp(keys.items[end].key + strlen(KEY_HOST_PREFIX), host, hlen) == 0)
			end++;
		snprintf(name, sizeof(name), "node.%.*s", (int)hlen, host);
		rc = felix_config_add(name, &keys.items[i], end - i, strlen(KEY_HOST_PREFIX) + hlen + 8, out);
		i = end;
	}
	ds_kv_list_free(&keys);
	return rc;
}

/* The one FelixConfiguration a name can stand for, read from its own keys
 * only: "default", or "node.<host>". */
static int felix_named_add(struct ds *ds, const char *name, struct v3_resource_list *out)
{
	if (strcmp(name, "default") == 0)
		return felix_default_add(ds, out);
	if (strncmp(name, "node.", 5) == 0 && name[5])
		return felix_node_add(ds, name + 5, out);
	return 0;
}

/* ---------- the kinds ---------- */

int v3_view_list(struct ds *ds, enum v3_kind kind, const char *ns, struct v3_resource_list *out, char *err,
		 size_t errlen)
{
	int rc;
	(void)err, (void)errlen;
	memset(out, 0, sizeof(*out));
	if ((rc = ds_revision(ds, &out->rev)) < 0)
		return rc;
	switch (kind) {
	case V3_WORKLOAD_ENDPOINT:
		rc = weps_add(ds, NULL, ns, NULL, out);
		break;
	case V3_IP_POOL:
		rc = pools_add(ds, out);
		break;
	case V3_BGP_PEER:
		rc = peers_add(ds, out);
		break;
	case V3_BGP_CONFIGURATION:
		rc = bgp_config_add(ds, out);
		break;
	case V3_NODE:
		rc = nodes_add(ds, out);
		break;
	case V3_FELIX_CONFIGURATION:
		if ((rc = felix_default_add(ds, out)) == 0)
			rc = felix_nodes_add(ds, out);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc < 0)
		v3_resource_list_free(out);
	else if (out->n > 1)
		qsort(out->items, out->n, sizeof(*out->items), cmp_ns_name);
	return rc;
}

int v3_view_get(struct ds *ds, enum v3_kind kind, const char *ns, const char *name, struct v3_resource *out,
		char *err, size_t errlen)
{
	struct v3_resource_list l = { 0 };
	char node[256];
	int rc;

	memset(out, 0, sizeof(*out));
	if (kind == V3_WORKLOAD_ENDPOINT) {
		/* only the node the name begins with is read */
		if ((rc = wep_node(name, node, sizeof(node))) < 0)
			return rc;
		rc = weps_add(ds, node, ns ? ns : V3_DEFAULT_NAMESPACE, name, &l);
	} else if (kind == V3_FELIX_CONFIGURATION) {
		rc = felix_named_add(ds, name, &l);
	} else {
		rc = v3_view_list(ds, kind, NULL, &l, err, errlen);
	}
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		if (strcmp(l.items[i].meta.name, name) == 0) {
			*out = l.items[i];
			l.items[i] = l.items[--l.n];
			v3_resource_list_free(&l);
			return 0;
		}
	v3_resource_list_free(&l);
	return rc < 0 ? rc : -ENOENT;
}
