/* Profiles: names, tags, rule lists and the rules object of DESIGN §2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "model/model_internal.h"

bool name_is_valid(const char *name)
{
	size_t n = 0;
	if (!name)
		return false;
	for (; name[n]; n++) {
		char c = name[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			  c == '_' || c == '-';
		if (!ok || n >= CALICO_NAME_MAX)
			return false;
	}
	/* "." and ".." would be key path segments that walk the datastore's tree */
	return n > 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static void tags_free(char **tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(tags[i]);
	free(tags);
}

void rule_list_free(struct rule_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void profile_free(struct profile *p)
{
	tags_free(p->tags, p->n_tags);
	rule_list_free(&p->inbound);
	rule_list_free(&p->outbound);
	memset(p, 0, sizeof(*p));
}

int rule_list_insert(struct rule_list *l, size_t at, const struct rule *r)
{
	if (at > l->n)
		return -EINVAL;
	struct rule *items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	memmove(&items[at + 1], &items[at], (l->n - at) * sizeof(*items));
	items[at] = *r;
	l->items = items;
	l->n++;
	return 0;
}

int rule_list_remove(struct rule_list *l, size_t at)
{
	if (at >= l->n)
		return -EINVAL;
	memmove(&l->items[at], &l->items[at + 1], (l->n - at - 1) * sizeof(*l->items));
	if (--l->n == 0)
		rule_list_free(l);
	return 0;
}

int profile_init_default(struct profile *p, const char *name)
{
	struct rule in, out;
	int rc = -ENOMEM;

	memset(p, 0, sizeof(*p));
	if (!name_is_valid(name))
		return -EINVAL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->tags = calloc(1, sizeof(*p->tags));
	if (!p->tags || !(p->tags[0] = strdup(name)))
		goto fail;
	p->n_tags = 1;
	rule_init(&in, RULE_ALLOW);
	snprintf(in.src_tag, sizeof(in.src_tag), "%s", name);
	rule_init(&out, RULE_ALLOW);
	if ((rc = rule_list_insert(&p->inbound, 0, &in)) < 0 || (rc = rule_list_insert(&p->outbound, 0, &out)) < 0)
		goto fail;
	return 0;
fail:
	profile_free(p);
	return rc;
}

/* ---------- tags ---------- */

int tags_decode(const char *json, char ***tags, size_t *n, char *err, size_t errlen)
{
	json_error_t je;
	json_t *arr, *e;
	char **out = NULL;
	size_t i, count = 0;
	char v[64];
	int rc;

	*tags = NULL;
	*n = 0;
	arr = json_loads(json ? json : "", JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!arr)
		return js_fail(err, errlen, "not valid JSON (line %d, column %d): %s", je.line, je.column, je.text);
	if (!json_is_array(arr)) {
		rc = js_fail(err, errlen, "tags must be a list of names, not %s", js_kind(arr));
		goto out;
	}
	out = calloc(json_array_size(arr) + 1, sizeof(*out));
	if (!out) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(arr, i, e) {
		const char *s = json_string_value(e);
		if (!s || !name_is_valid(s)) {
			rc = js_fail(err, errlen,
				     "invalid tag %s: tags are 1-40 characters of letters, digits, '.', '_' and '-'",
				     js_show(e, v, sizeof(v)));
			goto out;
		}
		for (size_t j = 0; j < count; j++)
			if (strcmp(out[j], s) == 0) {
				rc = js_fail(err, errlen, "duplicate tag \"%s\"", s);
				goto out;
			}
		if (!(out[count] = strdup(s))) {
			rc = -ENOMEM;
			goto out;
		}
		count++;
	}
	*tags = out;
	*n = count;
	out = NULL;
	rc = 0;
out:
	if (out)
		tags_free(out, count);
	json_decref(arr);
	return rc;
}

char *tags_encode(char *const *tags, size_t n)
{
	bool ok = true;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		js_append(arr, json_string(tags[i]), &ok);
	if (!ok) {
		json_decref(arr);
		return NULL;
	}
	return js_dump(arr);
}

/* ---------- the rules object ---------- */

static int rule_list_from_json(const json_t *obj, const char *key, const char *dir, struct rule_list *l,
			       char *err, size_t errlen)
{
	json_t *arr, *e;
	size_t i;
	char msg[MODEL_ERR_MAX];
	int rc = js_get_array(obj, key, true, "rules", &arr, err, errlen);

	if (rc < 0)
		return rc;
	if (json_array_size(arr) == 0)
		return 0;
	l->items = calloc(json_array_size(arr), sizeof(*l->items));
	if (!l->items)
		return -ENOMEM;
	json_array_foreach(arr, i, e) {
		rc = rule_from_json(e, &l->items[i], msg, sizeof(msg));
		if (rc < 0) {
			rule_list_free(l);
			return js_fail(err, errlen, "%s rule %zu: %s", dir, i + 1, msg);
		}
		l->n++;
	}
	return 0;
}

static const char *const rules_keys[] = { "id", "inbound_rules", "outbound_rules", NULL };

int rules_decode(const char *json, const char *expected_id, struct rule_list *in, struct rule_list *out,
		 char *err, size_t errlen)
{
	const char *id;
	int rc;

	memset(in, 0, sizeof(*in));
	memset(out, 0, sizeof(*out));
	json_t *o = js_load_object(json, err, errlen);
	if (!o)
		return -EINVAL;
	if ((rc = js_only_keys(o, rules_keys, "rules", err, errlen)) < 0)
		goto out;
	rc = js_get_string(o, "id", false, "rules", &id, err, errlen);
	if (rc == 0 && expected_id && strcmp(id, expected_id) != 0)
		rc = js_fail(err, errlen, "\"id\" \"%.*s\" does not match the profile name \"%s\"", CALICO_NAME_MAX + 8,
			     id, expected_id);
	if (rc < 0 && rc != -ENOENT)
		goto out;
	if ((rc = rule_list_from_json(o, "inbound_rules", "inbound", in, err, errlen)) < 0 ||
	    (rc = rule_list_from_json(o, "outbound_rules", "outbound", out, err, errlen)) < 0)
		goto out;
	rc = 0;
out:
	json_decref(o);
	if (rc < 0) {
		rule_list_free(in);
		rule_list_free(out);
	}
	return rc;
}

static json_t *rule_list_to_json(const struct rule_list *l, bool *ok)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < l->n; i++)
		js_append(arr, rule_to_json(&l->items[i]), ok);
	return arr;
}

char *rules_encode(const char *id, const struct rule_list *in, const struct rule_list *out)
{
	bool ok = true;
	json_t *o = json_object();
	js_set(o, "id", json_string(id), &ok);
	js_set(o, "inbound_rules", rule_list_to_json(in, &ok), &ok);
	js_set(o, "outbound_rules", rule_list_to_json(out, &ok), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}
