/* Calico v3's grammar: options, files of resources, the write commands (v3_cli.h). */
#include "v3_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "resource/yaml_json.h"
#include "util/file_read.h"

#define V3_FILE_MAX (16u << 20)

static const struct {
	unsigned bit;
	char short_;
	const char *long_;
	bool value;
} v3_options[] = {
	{ V3_OPT_FILE, 'f', "--filename", true },     { V3_OPT_NAMESPACE, 'n', "--namespace", true },
	{ V3_OPT_ALL_NS, 'A', "--all-namespaces", false }, { V3_OPT_SELECTOR, 'l', "--selector", true },
	{ V3_OPT_OUTPUT, 'o', "--output", true },     { V3_OPT_OVERWRITE, 0, "--overwrite", false },
	{ V3_OPT_REMOVE, 0, "--remove", false },
};

static void v3_set(struct v3_opts *o, unsigned bit, const char *value)
{
	switch (bit) {
	case V3_OPT_FILE: o->file = value; break;
	case V3_OPT_NAMESPACE: o->ns = value; break;
	case V3_OPT_ALL_NS: o->all_ns = true; break;
	case V3_OPT_SELECTOR: o->selector = value; break;
	case V3_OPT_OUTPUT: o->output = value; break;
	case V3_OPT_OVERWRITE: o->overwrite = true; break;
	case V3_OPT_REMOVE: o->remove = true; break;
	}
}

int v3_take_options(const char *cmd, int *argc, char **argv, unsigned allowed, struct v3_opts *o)
{
	int out = 0;
	memset(o, 0, sizeof(*o));
	bool options_end = false;
	for (int i = 0; i < *argc; i++) {
		char *w = argv[i];
		if (!options_end && strcmp(w, "--") == 0) {
			options_end = true;
			continue;
		}
		if (options_end || w[0] != '-' || strcmp(w, "-") == 0) {
			argv[out++] = w;
			continue;
		}
		bool is_long = w[1] == '-';
		size_t wlen = is_long ? strcspn(w, "=") : 2;
		int found = -1;
		for (size_t k = 0; k < sizeof(v3_options) / sizeof(v3_options[0]); k++) {
			if (!(allowed & v3_options[k].bit))
				continue;
			if (is_long ? strlen(v3_options[k].long_) == wlen && strncmp(v3_options[k].long_, w, wlen) == 0
				    : v3_options[k].short_ && w[1] == v3_options[k].short_)
				found = (int)k;
		}
		if (found < 0) {
			ctl_error("Unknown option %.*s", (int)(is_long ? wlen : 2), w);
			return ctl_usage(cmd);
		}
		const char *value = NULL, *attached = is_long ? (w[wlen] == '=' ? w + wlen + 1 : NULL)
							      : (w[2] ? w + 2 + (w[2] == '=') : NULL);
		if (!v3_options[found].value) {
			if (attached) {
				ctl_error("Option %.*s takes no value", (int)wlen, w);
				return ctl_usage(cmd);
			}
		} else if (attached) {
			value = attached;
		} else if (i + 1 < *argc) {
			value = argv[++i];
		} else {
			ctl_error("Option %.*s needs a value", (int)wlen, w);
			return ctl_usage(cmd);
		}
		v3_set(o, v3_options[found].bit, value);
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

const struct v3_kind_info *v3_kind_arg(const char *word)
{
	const struct v3_kind_info *k = v3_kind_lookup(word);
	if (!k)
		ctl_error("Unknown resource type: %s (one of tiers, globalnetworkpolicies, networkpolicies, "
			  "globalnetworksets, networksets, profiles, workloadendpoints, ippools, bgppeers, "
			  "bgpconfigurations, nodes, felixconfigurations)",
			  word);
	return k;
}

/* ---------- files ---------- */

void v3_batch_free(struct v3_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		v3_resource_free(&b->items[i]);
		free(b->where[i]);
	}
	free(b->items);
	free(b->doc);
	free(b->where);
	memset(b, 0, sizeof(*b));
}

/* A List document: kind "List" or "<Kind>List" with items. */
static bool is_list(const json_t *doc)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	if (!kind)
		return false;
	size_t len = strlen(kind);
	if (strcmp(kind, "List") == 0)
		return true;
	if (len <= 4 || strcmp(kind + len - 4, "List") != 0)
		return false;
	char name[64];
	snprintf(name, sizeof(name), "%.*s", (int)(len - 4), kind);
	const struct v3_kind_info *k = v3_kind_lookup(name);
	return k && strcmp(k->name, name) == 0;
}

static int batch_add(struct v3_batch *b, const json_t *tree, size_t doc, const char *where)
{
	char err[512];
	struct v3_resource *items = realloc(b->items, (b->n + 1) * sizeof(*items));
	size_t *docs = items ? realloc(b->doc, (b->n + 1) * sizeof(*docs)) : NULL;
	if (items)
		b->items = items;
	if (docs)
		b->doc = docs;
	char **wh = docs ? realloc(b->where, (b->n + 1) * sizeof(*wh)) : NULL;
	if (!wh)
		return ctl_error("Error: out of memory");
	b->where = wh;
	if (v3_decode(tree, &b->items[b->n], err, sizeof(err)) < 0)
		return ctl_error("%s: document %zu: %s%s", b->label, doc, where, err);
	b->doc[b->n] = doc;
	if (!(b->where[b->n] = strdup(where))) {
		v3_resource_free(&b->items[b->n]);
		return ctl_error("Error: out of memory");
	}
	b->n++;
	return 0;
}

static int batch_add_list(struct v3_batch *b, const json_t *items, size_t doc, const char *field)
{
	char where[48];
	size_t i;
	json_t *v;
	json_array_foreach(items, i, v) {
		snprintf(where, sizeof(where), "%s[%zu].", field, i);
		if (batch_add(b, v, doc, where))
			return 1;
	}
	return 0;
}

/* JSON when the text starts as JSON does, else YAML (which reads JSON too, but
 * not every JSON file: tabs, for one). */
static json_t *parse_docs(const char *text, size_t len, char *err, size_t errlen)
{
	const char *p = text + strspn(text, " \t\r\n");
	if (*p == '{' || *p == '[') {
		json_error_t jerr;
		json_t *one = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
		if (one) {
			json_t *docs = json_array();
			if (!docs || json_array_append_new(docs, one) < 0) {
				json_decref(docs);
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			return docs;
		}
	}
	return yaml_to_json_docs(text, len, err, errlen);
}

int v3_read_file(const char *path, struct v3_batch *b)
{
	char err[512];
	size_t len;
	int status = 1;

	memset(b, 0, sizeof(*b));
	b->label = strcmp(path, "-") == 0 ? "stdin" : path;
	char *text = read_path(path, V3_FILE_MAX, &len);
	if (!text)
		return ctl_error("%s: cannot read it: %s", b->label,
				 errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
	if (strlen(text) != len) {
		free(text);
		return ctl_error("%s: holds a NUL byte; resource files are text", b->label);
	}
	json_t *docs = parse_docs(text, len, err, sizeof(err));
	free(text);
	if (!docs)
		return ctl_error("%s: %s", b->label, err);
	size_t d;
	json_t *doc;
	json_array_foreach(docs, d, doc) {
		if (json_is_array(doc) ? batch_add_list(b, doc, d + 1, "")
		    : is_list(doc)     ? (!json_is_array(json_object_get(doc, "items"))
						  ? ctl_error("%s: document %zu: items: missing or not a list", b->label, d + 1)
						  : batch_add_list(b, json_object_get(doc, "items"), d + 1, "items"))
				       : batch_add(b, doc, d + 1, ""))
			goto out;
	}
	if (b->n == 0) {
		ctl_error("%s: no resources in it", b->label);
		goto out;
	}
	status = 0;
out:
	json_decref(docs);
	if (status)
		v3_batch_free(b);
	return status;
}

int v3_batch_error(const struct v3_batch *b, size_t bad, const char *msg)
{
	if (bad >= b->n)
		return ctl_error("%s: %s", b->label, msg);
	/* a field path continues the item's ("[1].spec.tier"); anything else follows it */
	const char *where = b->where[bad];
	size_t wl = strlen(where);
	bool field = strncmp(msg, "spec.", 5) == 0 || strncmp(msg, "metadata.", 9) == 0;
	if (wl && !field)
		return ctl_error("%s: document %zu: %.*s: %s", b->label, b->doc[bad], (int)(wl - 1), where, msg);
	return ctl_error("%s: document %zu: %s%s", b->label, b->doc[bad], where, msg);
}

void v3_say_success(const char *verb, const struct v3_resource *items, size_t n)
{
	bool one_kind = n > 0;
	for (size_t i = 1; i < n; i++)
		one_kind = one_kind && items[i].kind == items[0].kind;
	if (one_kind)
		printf("Successfully %s %zu '%s' resource(s)\n", verb, n, v3_kind_info(items[0].kind)->name);
	else
		printf("Successfully %s %zu resource(s)\n", verb, n);
}

int v3_cmd_write_file(const char *cmd, enum v3_write_mode mode, bool dry_run, int argc, char **argv)
{
	static const char *const verbs[] = { "created", "replaced", "applied", "deleted" };
	struct v3_opts o;
	struct v3_batch b;
	struct v3_write_result res;
	char err[1024] = "";
	struct ds *ds;

	if (v3_take_options(cmd, &argc, argv, V3_OPT_FILE, &o))
		return 1;
	if (argc != 0 || !o.file)
		return ctl_usage(cmd);
	if (v3_read_file(o.file, &b))
		return 1;
	if (!(ds = ctl_ds())) {
		v3_batch_free(&b);
		return 1;
	}
	int rc = v3_store_write(ds, mode, b.items, b.n, dry_run, &res, err, sizeof(err));
	int status = 0;
	if (rc < 0 && (res.bad < b.n || *err))
		status = v3_batch_error(&b, res.bad, err);
	else if (rc < 0)
		status = ctl_ds_error("writing resources", rc);
	else
		v3_say_success(dry_run ? "validated" : verbs[mode], b.items, b.n);
	v3_batch_free(&b);
	return status;
}
