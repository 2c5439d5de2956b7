/* calicoctl get KIND [NAME...] [-n NS | -A] [-l SELECTOR] [-o yaml|json|wide]
 * (DESIGN §11). One named resource prints bare; a listing prints as Calico's
 * calicoctl prints one, a <Kind>List with items, which apply reads back. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Whether the selector matches the resource's labels (a profile's labelsToApply). */
static int matches(const struct selector *sel, const struct v3_resource *r, bool *yes)
{
	struct label_set ls = LABEL_SET_INIT;
	const struct v3_map *m = labels_of(r);
	for (size_t i = 0; i < m->n; i++)
		if (label_set_put(&ls, m->keys[i], m->values[i]) < 0) {
			label_set_free(&ls);
			return -ENOMEM;
		}
	*yes = selector_match(sel, &ls);
	label_set_free(&ls);
	return 0;
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

/* Calico's columns: NAME (NAMESPACE first for namespaced kinds); wide adds
 * what tells the resources apart. */
static int print_table(const struct v3_kind_info *k, const struct v3_resource_list *l, bool wide)
{
	const char *head[6];
	int nc = 0;
	if (k->namespaced)
		head[nc++] = "NAMESPACE";
	head[nc++] = "NAME";
	int fixed = nc;
	switch (k->kind) {
	case V3_TIER:
		head[nc++] = "ORDER";
		if (wide)
			head[nc++] = "DEFAULTACTION";
		break;
	case V3_GLOBAL_NETWORK_POLICY:
	case V3_NETWORK_POLICY:
		if (wide) {
			head[nc++] = "TIER";
			head[nc++] = "ORDER";
			head[nc++] = "SELECTOR";
		}
		break;
	case V3_GLOBAL_NETWORK_SET:
	case V3_NETWORK_SET:
		if (wide)
			head[nc++] = "NETS";
		break;
	case V3_PROFILE:
		if (wide)
			head[nc++] = "LABELS";
		break;
	default:
		break;
	}
	struct table *t = table_new(nc, head);
	if (!t)
		return ctl_error("Error: out of memory");
	for (size_t i = 0; i < l->n; i++) {
		const struct v3_resource *r = &l->items[i];
		char a[64] = "", b[4096] = "";
		const char *cells[6] = { 0 };
		int c = 0;
		if (k->namespaced)
			cells[c++] = r->meta.namespace_;
		cells[c++] = r->meta.name;
		c = fixed;
		if (k->kind == V3_TIER) {
			order_text(r->spec.tier.has_order, r->spec.tier.order, a, sizeof(a));
			cells[c++] = a;
			cells[c++] = r->spec.tier.default_action == V3_DEFAULT_PASS ? "Pass" : "Deny";
		} else if (k->kind == V3_GLOBAL_NETWORK_POLICY || k->kind == V3_NETWORK_POLICY) {
			order_text(r->spec.policy.has_order, r->spec.policy.order, a, sizeof(a));
			cells[c++] = v3_policy_tier(&r->spec.policy);
			cells[c++] = a;
			cells[c++] = r->spec.policy.selector && *r->spec.policy.selector ? r->spec.policy.selector : "all()";
		} else if (k->kind == V3_PROFILE) {
			join_map(&r->spec.profile.labels_to_apply, b, sizeof(b));
			cells[c++] = b;
		} else {
			join_nets(&r->spec.netset, b, sizeof(b));
			cells[c++] = b;
		}
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

static int filter(struct v3_resource_list *l, const char *text)
{
	struct selector *sel;
	char err[256];
	if (selector_parse(text, &sel, err, sizeof(err)) < 0)
		return ctl_error("Invalid selector: %s", err);
	size_t keep = 0;
	for (size_t i = 0; i < l->n; i++) {
		bool yes;
		if (matches(sel, &l->items[i], &yes) < 0) {
			selector_free(sel);
			return ctl_error("Error: out of memory");
		}
		if (yes)
			l->items[keep++] = l->items[i];
		else
			v3_resource_free(&l->items[i]);
	}
	l->n = keep;
	selector_free(sel);
	return 0;
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
	int status = o.selector ? filter(&l, o.selector) : 0;
	if (status == 0)
		status = fmt == FMT_TABLE || fmt == FMT_WIDE ? print_table(k, &l, fmt == FMT_WIDE)
							     : print_docs(k, &l, argc == 2, fmt);
	v3_resource_list_free(&l);
	return status;
}
