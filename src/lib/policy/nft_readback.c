/* Read-back: the kernel's `nft -j list table` output -> nft_model, enough to
 * diff against a compiled model after a restart. Rules are not parsed: each
 * chain's first rule carries "h:<hash>" as its comment (nft_render.c), and
 * the rule count guards against rules added behind our back. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "policy/nft_model.h"

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool ours(const json_t *o, const struct nft_model *m, const char *table_key)
{
	const char *f = str(o, "family"), *t = str(o, table_key);
	return f && t && strcmp(f, m->family) == 0 && strcmp(t, m->table) == 0;
}

/* One value of an element as nft prints it in its text syntax. */
static int value_text(const json_t *v, char *buf, size_t len)
{
	const json_t *x;
	int n;

	if (json_is_string(v))
		n = snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		n = snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if ((x = json_object_get(v, "elem")))
		return value_text(json_object_get(x, "val"), buf, len); /* element with attributes */
	else if ((x = json_object_get(v, "prefix")) && json_is_string(json_object_get(x, "addr")))
		n = snprintf(buf, len, "%s/%" JSON_INTEGER_FORMAT, str(x, "addr"), json_integer_value(json_object_get(x, "len")));
	else if ((x = json_object_get(v, "range")) && json_array_size(x) == 2) {
		char lo[128], hi[128];
		if (value_text(json_array_get(x, 0), lo, sizeof(lo)) < 0 || value_text(json_array_get(x, 1), hi, sizeof(hi)) < 0)
			return -EINVAL;
		n = snprintf(buf, len, "%s-%s", lo, hi);
	}
	else if ((x = json_object_get(v, "goto")) || (x = json_object_get(v, "jump")))
		n = snprintf(buf, len, "%s %s", json_object_get(v, "goto") ? "goto" : "jump", str(x, "target") ? str(x, "target") : "");
	else if (json_is_object(v) && json_object_size(v) == 1)
		n = snprintf(buf, len, "%s", json_object_iter_key(json_object_iter((json_t *)v))); /* accept, drop, ... */
	else
		return -EINVAL;
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

static int read_set(const json_t *o, bool is_map, struct nft_model *m, char *err, size_t errlen)
{
	const char *name = str(o, "name"), *type = str(o, "type"), *map = str(o, "map");
	json_t *flags = json_object_get(o, "flags"), *elems = json_object_get(o, "elem"), *e, *f;
	char key[256], value[256];
	bool interval = false;
	size_t i;
	int rc;

	if (!name)
		return js_fail(err, errlen, "a set without a name");
	json_array_foreach(flags, i, f)
		if (json_is_string(f) && strcmp(json_string_value(f), "interval") == 0)
			interval = true;
	/* a type we never make (e.g. a concatenation) reads as "?", which the
	 * diff refuses, so that the caller replaces the whole table */
	struct nft_set *s = nft_model_add_set(m, name, type && strlen(type) < 24 ? type : "?",
					      is_map ? (map && strlen(map) < 16 ? map : "?") : NULL, interval);
	if (!s)
		return js_fail(err, errlen, "set \"%.64s\": name too long or out of memory", name);
	json_array_foreach(elems, i, e) {
		bool pair = is_map && json_is_array(e) && json_array_size(e) == 2;
		if (value_text(pair ? json_array_get(e, 0) : e, key, sizeof(key)) < 0 ||
		    (pair && value_text(json_array_get(e, 1), value, sizeof(value)) < 0) || (is_map && !pair))
			return js_fail(err, errlen, "set \"%s\": element %zu not understood", name, i + 1);
		if ((rc = nft_set_add_elem(s, key, pair ? value : NULL)) < 0)
			return rc;
	}
	return 0;
}

static int read_chain(const json_t *o, struct nft_model *m, char *err, size_t errlen)
{
	const char *name = str(o, "name");
	if (!name)
		return js_fail(err, errlen, "a chain without a name");
	/* the hook line is not needed: it is inside the hash */
	if (!nft_model_add_chain(m, name, json_object_get(o, "hook") ? "" : NULL))
		return js_fail(err, errlen, "chain \"%.64s\": name too long or out of memory", name);
	return 0;
}

static uint64_t comment_hash(const char *comment)
{
	char *end;
	if (!comment || strncmp(comment, "h:", 2) != 0 || strlen(comment) != 18)
		return 0;
	uint64_t h = strtoull(comment + 2, &end, 16);
	return *end ? 0 : h;
}

/* Rules come in chain order; only the count and the first one's comment matter. */
static int read_rule(const json_t *o, struct nft_model *m, char *err, size_t errlen)
{
	const char *chain = str(o, "chain");
	struct nft_chain *c = chain ? (struct nft_chain *)nft_model_find_chain(m, chain) : NULL;
	if (!c)
		return js_fail(err, errlen, "a rule of unknown chain \"%.64s\"", chain ? chain : "");
	if (c->n_rules++ == 0)
		c->hash = comment_hash(str(o, "comment"));
	return 0;
}

int nft_model_from_json(const char *json, const char *family, const char *table, struct nft_model *out,
			char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *items, *item;
	size_t i;
	int rc = 0;

	nft_model_init(out, family, table);
	out->table_present = false;
	json_t *root = json_loads(json, 0, &jerr);
	if (!root)
		return js_fail(err, errlen, "nft JSON, line %d: %s", jerr.line, jerr.text);
	if (!json_is_array(items = json_object_get(root, "nftables"))) {
		rc = js_fail(err, errlen, "nft JSON without an \"nftables\" array");
		goto out;
	}
	/* chains first, so that rules can find theirs with a binary search */
	json_array_foreach(items, i, item) {
		json_t *o;
		if ((o = json_object_get(item, "table")) && str(o, "name") && str(o, "family") &&
		    strcmp(str(o, "name"), table) == 0 && strcmp(str(o, "family"), family) == 0)
			out->table_present = true;
		else if ((o = json_object_get(item, "set")) && ours(o, out, "table"))
			rc = read_set(o, false, out, err, errlen);
		else if ((o = json_object_get(item, "map")) && ours(o, out, "table"))
			rc = read_set(o, true, out, err, errlen);
		else if ((o = json_object_get(item, "chain")) && ours(o, out, "table"))
			rc = read_chain(o, out, err, errlen);
		if (rc < 0)
			goto out;
	}
	if ((rc = nft_model_finish(out)) < 0) {
		js_fail(err, errlen, "nft JSON lists a set or chain twice");
		goto out;
	}
	json_array_foreach(items, i, item) {
		json_t *o = json_object_get(item, "rule");
		if (o && ours(o, out, "table") && (rc = read_rule(o, out, err, errlen)) < 0)
			goto out;
	}
out:
	json_decref(root);
	if (rc < 0) {
		nft_model_free(out);
		nft_model_init(out, family, table);
		out->table_present = false;
	}
	return rc;
}
