/* calicoctl get KIND [NAME...] [-n NS | -A] [-l SELECTOR] [-o yaml|json|wide]
 * (DESIGN §11). One named resource prints bare; a listing prints as Calico's
 * calicoctl prints one, a <Kind>List with items, which apply reads back. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bird_conf.h"
#include "ctl.h"
#include "resource/yaml_json.h"
#include "selector/selector.h"
#include "table.h"
#include "util/json_strict.h"
#include "v3_cli.h"

enum format { FMT_TABLE, FMT_WIDE, FMT_YAML, FMT_JSON };

static const struct v3_map *labels_of(const struct v3_resource *r)
{
	return r->kind == V3_PROFILE ? &r->spec.profile.labels_to_apply : &r->meta.labels;
}

static int put_map(struct label_set *ls, const struct v3_map *m, bool keep_set)
{
	for (size_t i = 0; i < m->n; i++)
		if ((!keep_set || !label_set_get(ls, m->keys[i])) && label_set_put(ls, m->keys[i], m->values[i]) < 0)
			return -ENOMEM;
	return 0;
}

static const struct v3_resource *find_profile(const struct v3_resource_list *profiles, const char *name)
{
	for (size_t i = 0; profiles && i < profiles->n; i++)
		if (strcmp(profiles->items[i].meta.name, name) == 0)
			return &profiles->items[i];
	return NULL;
}

/* Whether the selector matches the resource's labels: a profile's
 * labelsToApply; a workload endpoint's own labels, then those its profiles
 * apply, in the order of its profiles, the first to give a key winning, as
 * the agent selects endpoints (DESIGN §11). */
static int matches(const struct selector *sel, const struct v3_resource *r, const struct v3_resource_list *profiles,
		   bool *yes)
{
	struct label_set ls = LABEL_SET_INIT;
	int rc = put_map(&ls, labels_of(r), false);
	for (size_t i = 0; rc == 0 && r->kind == V3_WORKLOAD_ENDPOINT && i < r->spec.wep.n_profiles; i++) {
		const struct v3_resource *p = find_profile(profiles, r->spec.wep.profiles[i]);
		if (p)
			rc = put_map(&ls, &p->spec.profile.labels_to_apply, true);
	}
	*yes = rc == 0 && selector_match(sel, &ls);
	label_set_free(&ls);
	return rc;
}

static void join_map(const struct v3_map *m, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < m->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", i ? "," : "", m->keys[i], m->values[i]);
}

static void join_nets(const struct v3_netset *s, char *buf, size_t len)
{
	char net[CIDR_STR_MAX];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->n_nets && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", cidr_format(&s->nets[i], net));
}

static void order_text(bool has, double order, char *buf, size_t len)
{
	if (has && order == (double)(long long)order)
		snprintf(buf, len, "%lld", (long long)order);
	else if (has)
		snprintf(buf, len, "%.17g", order);
	else
		buf[0] = '\0';
}

static void join_cidrs(const struct cidr *nets, size_t n, char *buf, size_t len)
{
	char net[CIDR_STR_MAX];
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", cidr_format(&nets[i], net));
}

static void join_words(char *const *words, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", words[i]);
}

#define COLS_MAX 9

/* Calico's columns for a kind, as its calicoctl prints them: NAME (NAMESPACE
 * first for namespaced kinds), and what -o wide adds. A workload endpoint's
 * table has no NAME but in -o wide, as Calico's. */
static int columns(const struct v3_kind_info *k, bool wide, const char **head)
{
	static const char *const wep[] = { "WORKLOAD", "NODE", "NETWORKS", "INTERFACE", NULL };
	static const char *const wep_wide[] = { "NAME", "WORKLOAD", "NODE", "NETWORKS", "INTERFACE", "PROFILES", "NATS",
						NULL };
	static const char *const pool[] = { "NAME", "CIDR", "SELECTOR", NULL };
	static const char *const pool_wide[] = { "NAME",     "CIDR",		 "NAT",	     "IPIPMODE", "VXLANMODE",
						 "DISABLED", "DISABLEBGPEXPORT", "SELECTOR", NULL };
	static const char *const peer[] = { "NAME", "PEERIP", "NODE", "ASN", NULL };
	static const char *const bgp[] = { "NAME", "LOGSEVERITY", "MESHENABLED", "ASNUMBER", NULL };
	static const char *const node_wide[] = { "NAME", "ASN", "IPV4", "IPV6", NULL };
	static const char *const tier_wide[] = { "NAME", "ORDER", "DEFAULTACTION", NULL };
	static const char *const policy_wide[] = { "NAME", "TIER", "ORDER", "SELECTOR", NULL };
	static const char *const nets_wide[] = { "NAME", "NETS", NULL };
	static const char *const profile_wide[] = { "NAME", "LABELS", NULL };
	static const char *const name_only[] = { "NAME", NULL };
	static const char *const name_order[] = { "NAME", "ORDER", NULL };
	const char *const *cols = name_only;
	switch (k->kind) {
	case V3_TIER: cols = wide ? tier_wide : name_order; break;
	case V3_GLOBAL_NETWORK_POLICY:
	case V3_NETWORK_POLICY: cols = wide ? policy_wide : name_only; break;
	case V3_GLOBAL_NETWORK_SET:
	case V3_NETWORK_SET: cols = wide ? nets_wide : name_only; break;
	case V3_PROFILE: cols = wide ? profile_wide : name_only; break;
	case V3_WORKLOAD_ENDPOINT: cols = wide ? wep_wide : wep; break;
	case V3_IP_POOL: cols = wide ? pool_wide : pool; break;
	case V3_BGP_PEER: cols = peer; break;
	case V3_BGP_CONFIGURATION: cols = bgp; break;
	case V3_NODE: cols = wide ? node_wide : name_only; break;
	default: break;
	}
	int nc = 0;
	if (k->namespaced)
		head[nc++] = "NAMESPACE";
	for (; *cols; cols++)
		head[nc++] = *cols;
	return nc;
}

/* The cells of one row: the value of each column named in head. */
struct row_text {
	char a[64], b[2048];
};

static const char *cell(const char *col, const struct v3_resource *r, const char *global_as, struct row_text *t)
{
	const struct v3_workload_endpoint *w = &r->spec.wep;
	if (strcmp(col, "NAMESPACE") == 0)
		return r->meta.namespace_;
	if (strcmp(col, "NAME") == 0)
		return r->meta.name;
	switch (r->kind) {
	case V3_TIER:
		if (strcmp(col, "ORDER") == 0)
			return order_text(r->spec.tier.has_order, r->spec.tier.order, t->a, sizeof(t->a)), t->a;
		return r->spec.tier.default_action == V3_DEFAULT_PASS ? "Pass" : "Deny";
	case V3_GLOBAL_NETWORK_POLICY:
	case V3_NETWORK_POLICY:
		if (strcmp(col, "TIER") == 0)
			return v3_policy_tier(&r->spec.policy);
		if (strcmp(col, "ORDER") == 0)
			return order_text(r->spec.policy.has_order, r->spec.policy.order, t->a, sizeof(t->a)), t->a;
		return r->spec.policy.selector && *r->spec.policy.selector ? r->spec.policy.selector : "all()";
	case V3_GLOBAL_NETWORK_SET:
	case V3_NETWORK_SET:
		return join_nets(&r->spec.netset, t->b, sizeof(t->b)), t->b;
	case V3_PROFILE:
		return join_map(&r->spec.profile.labels_to_apply, t->b, sizeof(t->b)), t->b;
	case V3_WORKLOAD_ENDPOINT:
		if (strcmp(col, "WORKLOAD") == 0)
			return w->workload;
		if (strcmp(col, "NODE") == 0)
			return w->node;
		if (strcmp(col, "NETWORKS") == 0)
			return join_cidrs(w->ip_networks, w->n_ip_networks, t->b, sizeof(t->b)), t->b;
		if (strcmp(col, "INTERFACE") == 0)
			return w->interface_name;
		if (strcmp(col, "PROFILES") == 0)
			return join_words(w->profiles, w->n_profiles, t->b, sizeof(t->b)), t->b;
		return ""; /* NATS: no 1:1 NAT here */
	case V3_IP_POOL:
		if (strcmp(col, "CIDR") == 0)
			return cidr_format(&r->spec.pool.cidr, t->a);
		if (strcmp(col, "NAT") == 0)
			return r->spec.pool.nat_outgoing ? "true" : "false";
		if (strcmp(col, "IPIPMODE") == 0)
			return r->spec.pool.ipip ? "Always" : "Never";
		if (strcmp(col, "VXLANMODE") == 0)
			return r->spec.pool.vxlan ? "Always" : "Never";
		if (strcmp(col, "DISABLED") == 0)
			return r->spec.pool.disabled ? "true" : "false";
		if (strcmp(col, "DISABLEBGPEXPORT") == 0)
			return "false";
		return "all()";
	case V3_BGP_PEER:
		if (strcmp(col, "PEERIP") == 0)
			return ip_format(&r->spec.peer.peer_ip, t->a);
		if (strcmp(col, "NODE") == 0)
			return r->spec.peer.node ? r->spec.peer.node : "(global)";
		return snprintf(t->a, sizeof(t->a), "%" PRIu32, r->spec.peer.as_number), t->a;
	case V3_BGP_CONFIGURATION:
		if (strcmp(col, "MESHENABLED") == 0)
			return r->spec.bgp.has_mesh ? r->spec.bgp.node_to_node_mesh ? "true" : "false" : "-";
		if (strcmp(col, "ASNUMBER") == 0)
			return r->spec.bgp.has_as_number ? (snprintf(t->a, sizeof(t->a), "%" PRIu32, r->spec.bgp.as_number), t->a)
							 : "-";
		return ""; /* LOGSEVERITY: BIRD's log level is not a setting here */
	case V3_NODE:
		if (strcmp(col, "ASN") == 0)
			return r->spec.node.has_as_number ? (snprintf(t->a, sizeof(t->a), "%" PRIu32, r->spec.node.as_number), t->a)
							  : global_as;
		if (strcmp(col, "IPV4") == 0)
			return r->spec.node.ipv4_address;
		return r->spec.node.ipv6_address;
	default:
		return "";
	}
}

/* "(64511)": the AS number a node without its own has, as Calico's wide
 * Node table shows it. */
static int inherited_as(struct ds *ds, char *buf, size_t len)
{
	struct v3_resource bgp;
	char err[256];
	uint32_t as = BIRD_DEFAULT_AS;
	int rc = v3_store_get(ds, V3_BGP_CONFIGURATION, NULL, "default", &bgp, err, sizeof(err));
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == 0 && bgp.spec.bgp.has_as_number)
		as = bgp.spec.bgp.as_number;
	if (rc == 0)
		v3_resource_free(&bgp);
	snprintf(buf, len, "(%" PRIu32 ")", as);
	return 0;
}

static int print_table(struct ds *ds, const struct v3_kind_info *k, const struct v3_resource_list *l, bool wide)
{
	const char *head[COLS_MAX + 1];
	char global_as[24] = "";
	int nc = columns(k, wide, head);
	if (k->kind == V3_NODE && wide && inherited_as(ds, global_as, sizeof(global_as)) < 0)
		return ctl_error("Error: cannot read the BGP configuration");
	struct table *t = table_new(nc, head);
	if (!t)
		return ctl_error("Error: out of memory");
	for (size_t i = 0; i < l->n; i++) {
		struct row_text text[COLS_MAX];
		const char *cells[COLS_MAX];
		for (int c = 0; c < nc; c++)
			cells[c] = cell(head[c], &l->items[i], global_as, &text[c]);
		if (table_add_row(t, cells) < 0) {
			table_free(t);
			return ctl_error("Error: out of memory");
		}
	}
	table_print_plain(t, stdout);
	table_free(t);
	return 0;
}

static int print_tree(json_t *tree, enum format fmt)
{
	char *text = fmt == FMT_YAML ? json_to_yaml(tree, 0) : json_dumps(tree, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(tree);
	if (!text)
		return ctl_error("Error: out of memory");
	fputs(text, stdout);
	if (fmt == FMT_JSON)
		fputc('\n', stdout);
	free(text);
	return 0;
}

/* One resource bare; a listing as apiVersion, items, kind <Kind>List, metadata. */
static int print_docs(const struct v3_kind_info *k, const struct v3_resource_list *l, bool bare, enum format fmt)
{
	if (bare)
		return print_tree(v3_encode(&l->items[0]), fmt);
	char kind[64], rev[24];
	bool ok = true;
	json_t *o = json_object(), *items = json_array(), *meta = json_object();
	if (!o || !items || !meta)
		ok = false;
	snprintf(kind, sizeof(kind), "%sList", k->name);
	snprintf(rev, sizeof(rev), "%" PRId64, l->rev);
	for (size_t i = 0; ok && i < l->n; i++)
		js_append(items, v3_encode(&l->items[i]), &ok);
	js_set(o, "apiVersion", json_string(V3_API_VERSION), &ok);
	js_set(o, "items", items, &ok);
	js_set(o, "kind", json_string(kind), &ok);
	js_set(meta, "resourceVersion", json_string(rev), &ok);
	js_set(o, "metadata", meta, &ok);
	if (!ok) {
		json_decref(o);
		return ctl_error("Error: out of memory");
	}
	return print_tree(o, fmt);
}

/* The named resources, in the order named. */
static int get_named(struct ds *ds, const struct v3_kind_info *k, const char *ns, int argc, char **argv,
		     struct v3_resource_list *l)
{
	char err[512] = "";
	memset(l, 0, sizeof(*l));
	if (!(l->items = calloc((size_t)argc, sizeof(*l->items))))
		return ctl_error("Error: out of memory");
	int rc = ds_revision(ds, &l->rev);
	for (int i = 0; rc == 0 && i < argc; i++) {
		rc = v3_store_get(ds, k->kind, ns, argv[i], &l->items[i], err, sizeof(err));
		if (rc == 0)
			l->n++;
		else if (rc == -ENOENT)
			return k->namespaced ? ctl_error("resource does not exist: %s(%s/%s)", k->name, ns, argv[i])
					     : ctl_error("resource does not exist: %s(%s)", k->name, argv[i]);
	}
	if (rc < 0)
		return *err ? ctl_error("Error: %s", err) : ctl_ds_error("reading resources", rc);
	return 0;
}

static int filter(struct ds *ds, const struct v3_kind_info *k, struct v3_resource_list *l, const char *text)
{
	struct selector *sel;
	struct v3_resource_list profiles = { 0 };
	char err[512] = "";
	if (selector_parse(text, &sel, err, sizeof(err)) < 0)
		return ctl_error("Invalid selector: %s", err);
	if (k->kind == V3_WORKLOAD_ENDPOINT) {
		int rc = v3_store_list(ds, V3_PROFILE, NULL, &profiles, err, sizeof(err));
		if (rc < 0) {
			selector_free(sel);
			return *err ? ctl_error("Error: %s", err) : ctl_ds_error("listing profiles", rc);
		}
	}
	size_t keep = 0;
	int status = 0;
	for (size_t i = 0; i < l->n; i++) {
		bool yes = false;
		if (status == 0 && matches(sel, &l->items[i], &profiles, &yes) < 0)
			status = ctl_error("Error: out of memory");
		if (yes)
			l->items[keep++] = l->items[i];
		else
			v3_resource_free(&l->items[i]);
	}
	l->n = keep;
	selector_free(sel);
	v3_resource_list_free(&profiles);
	return status;
}

int cmd_get(int argc, char **argv)
{
	struct v3_opts o;
	struct v3_resource_list l = { 0 };
	enum format fmt = FMT_TABLE;
	struct ds *ds;
	char err[512] = "";

	if (v3_take_options("get", &argc, argv,
			    V3_OPT_NAMESPACE | V3_OPT_ALL_NS | V3_OPT_SELECTOR | V3_OPT_OUTPUT, &o))
		return 1;
	if (argc < 1)
		return ctl_usage("get");
	const struct v3_kind_info *k = v3_kind_arg(argv[0]);
	if (!k)
		return 1;
	if (o.output) {
		if (strcmp(o.output, "yaml") == 0)
			fmt = FMT_YAML;
		else if (strcmp(o.output, "json") == 0)
			fmt = FMT_JSON;
		else if (strcmp(o.output, "wide") == 0)
			fmt = FMT_WIDE;
		else
			return ctl_error("Unknown output format: %s (yaml, json or wide)", o.output);
	}
	if (o.ns && o.all_ns)
		return ctl_error("Choose one of --namespace and --all-namespaces, not both.");
	if (o.all_ns && argc > 1)
		return ctl_error("A resource named by its name needs a namespace, not --all-namespaces.");
	const char *ns = o.all_ns ? NULL : o.ns ? o.ns : V3_DEFAULT_NAMESPACE;
	if (!(ds = ctl_ds()))
		return 1;
	if (argc > 1) {
		if (get_named(ds, k, ns, argc - 1, argv + 1, &l)) {
			v3_resource_list_free(&l);
			return 1;
		}
	} else {
		int rc = v3_store_list(ds, k->kind, ns, &l, err, sizeof(err));
		if (rc < 0)
			return *err ? ctl_error("Error: %s", err) : ctl_ds_error("listing resources", rc);
	}
	int status = o.selector ? filter(ds, k, &l, o.selector) : 0;
	if (status == 0)
		status = fmt == FMT_TABLE || fmt == FMT_WIDE ? print_table(ds, k, &l, fmt == FMT_WIDE)
							     : print_docs(k, &l, argc == 2, fmt);
	v3_resource_list_free(&l);
	return status;
}
