/* Workload endpoints: the JSON of DESIGN §2's endpoint key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "model/model_internal.h"

static const char *const endpoint_keys[] = { "state",     "name",      "mac",    "profile_ids",
					     "ipv4_nets", "ipv6_nets", "labels", NULL };

void endpoint_free(struct endpoint *e)
{
	for (size_t i = 0; i < e->n_profile_ids; i++)
		free(e->profile_ids[i]);
	free(e->profile_ids);
	free(e->ipv4_nets);
	free(e->ipv6_nets);
	for (size_t i = 0; i < e->n_labels; i++) {
		free(e->labels[i].key);
		free(e->labels[i].value);
	}
	free(e->labels);
	memset(e, 0, sizeof(*e));
}

static bool ifname_is_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return false;
	return true;
}

/* Six pairs of hex digits separated by ':'; stored lower case so one MAC has one spelling. */
static bool mac_normalise(const char *s, char out[18])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		char c = s[i];
		if (i % 3 == 2) {
			if (c != ':')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return false;
		}
		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[17] = '\0';
	return true;
}

static int decode_profile_ids(const json_t *o, struct endpoint *e, char *err, size_t errlen)
{
	json_t *arr, *v;
	size_t i;
	char s[64];
	int rc = js_get_array(o, "profile_ids", false, "endpoint", &arr, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	e->profile_ids = calloc(json_array_size(arr) + 1, sizeof(*e->profile_ids));
	if (!e->profile_ids)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		const char *id = json_string_value(v);
		if (!id || !name_is_valid(id))
			return js_fail(err, errlen,
				       "invalid \"profile_ids\" value %s: profile names are 1-40 characters of letters, "
				       "digits, '.', '_' and '-'",
				       js_show(v, s, sizeof(s)));
		for (size_t j = 0; j < e->n_profile_ids; j++)
			if (strcmp(e->profile_ids[j], id) == 0)
				return js_fail(err, errlen, "duplicate \"profile_ids\" value \"%s\"", id);
		if (!(e->profile_ids[e->n_profile_ids] = strdup(id)))
			return -ENOMEM;
		e->n_profile_ids++;
	}
	return 0;
}

static int decode_nets(const json_t *o, const char *key, int family, struct cidr **nets, size_t *n, char *err,
		       size_t errlen)
{
	json_t *arr, *v;
	size_t i;
	char s[64];
	int rc = js_get_array(o, key, false, "endpoint", &arr, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	*nets = calloc(json_array_size(arr) + 1, sizeof(**nets));
	if (!*nets)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		struct cidr c;
		const char *t = json_string_value(v);
		js_show(v, s, sizeof(s));
		if (!t || cidr_parse(t, false, false, &c) < 0 || c.addr.family != family ||
		    c.prefix != (family == 4 ? 32 : 128))
			return js_fail(err, errlen, "invalid \"%s\" value %s: expected an IPv%d address as %s", key, s,
				       family, family == 4 ? "a.b.c.d/32" : "x::y/128");
		for (size_t j = 0; j < *n; j++)
			if (ip_cmp(&(*nets)[j].addr, &c.addr) == 0)
				return js_fail(err, errlen, "duplicate \"%s\" value %s", key, s);
		(*nets)[(*n)++] = c;
	}
	return 0;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->key, ((const struct label *)b)->key);
}

static int decode_labels(const json_t *o, struct endpoint *e, char *err, size_t errlen)
{
	const char *k;
	json_t *v, *obj = json_object_get(o, "labels");
	char s[64];

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return js_fail(err, errlen, "\"labels\" must be an object, not %s %s", js_kind(obj),
			       js_show(obj, s, sizeof(s)));
	e->labels = calloc(json_object_size(obj) + 1, sizeof(*e->labels));
	if (!e->labels)
		return -ENOMEM;
	json_object_foreach(obj, k, v) {
		const char *val = json_string_value(v);
		if (!*k)
			return js_fail(err, errlen, "\"labels\" has an empty key");
		if (!val || strlen(val) != json_string_length(v))
			return js_fail(err, errlen, "label \"%.64s\" must be a string, not %s %s", k, js_kind(v),
				       js_show(v, s, sizeof(s)));
		struct label *l = &e->labels[e->n_labels];
		l->key = strdup(k);
		l->value = strdup(val);
		e->n_labels++;
		if (!l->key || !l->value)
			return -ENOMEM;
	}
	/* sorted, so that one set of labels has one encoding */
	qsort(e->labels, e->n_labels, sizeof(*e->labels), label_cmp);
	return 0;
}

static int decode_fields(const json_t *o, struct endpoint *e, char *err, size_t errlen)
{
	const char *s;
	char v[64];
	int rc;

	if ((rc = js_only_keys(o, endpoint_keys, "endpoint", err, errlen)) < 0)
		return rc;
	if ((rc = js_get_string(o, "state", true, "endpoint", &s, err, errlen)) < 0)
		return rc;
	if (strcmp(s, "active") != 0 && strcmp(s, "inactive") != 0)
		return js_fail(err, errlen, "invalid \"state\" value %s: expected active or inactive",
			       js_show(json_object_get(o, "state"), v, sizeof(v)));
	strcpy(e->state, s);
	if ((rc = js_get_string(o, "name", true, "endpoint", &s, err, errlen)) < 0)
		return rc;
	if (!ifname_is_valid(s))
		return js_fail(err, errlen,
			       "invalid \"name\" value %s: interface names are 1-15 letters, digits, '.', '_' or '-'",
			       js_show(json_object_get(o, "name"), v, sizeof(v)));
	strcpy(e->name, s);
	rc = js_get_string(o, "mac", false, "endpoint", &s, err, errlen);
	if (rc == 0 && !mac_normalise(s, e->mac))
		return js_fail(err, errlen, "invalid \"mac\" value %s: expected six hex pairs like ee:ee:ee:ee:ee:ee",
			       js_show(json_object_get(o, "mac"), v, sizeof(v)));
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if ((rc = decode_profile_ids(o, e, err, errlen)) < 0 ||
	    (rc = decode_nets(o, "ipv4_nets", 4, &e->ipv4_nets, &e->n_ipv4_nets, err, errlen)) < 0 ||
	    (rc = decode_nets(o, "ipv6_nets", 6, &e->ipv6_nets, &e->n_ipv6_nets, err, errlen)) < 0 ||
	    (rc = decode_labels(o, e, err, errlen)) < 0)
		return rc;
	return 0;
}

int endpoint_decode(const char *json, struct endpoint *e, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	json_t *o = js_load_object(json, err, errlen);
	if (!o)
		return -EINVAL;
	int rc = decode_fields(o, e, err, errlen);
	json_decref(o);
	if (rc < 0)
		endpoint_free(e);
	return rc;
}

static json_t *nets_to_json(const struct cidr *nets, size_t n, bool *ok)
{
	char s[CIDR_STR_MAX];
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		js_append(arr, json_string(cidr_format(&nets[i], s)), ok);
	return arr;
}

char *endpoint_encode(const struct endpoint *e)
{
	bool ok = true;
	json_t *o = json_object(), *ids = json_array(), *labels = json_object();

	js_set(o, "state", json_string(e->state), &ok);
	js_set(o, "name", json_string(e->name), &ok);
	if (e->mac[0])
		js_set(o, "mac", json_string(e->mac), &ok);
	for (size_t i = 0; i < e->n_profile_ids; i++)
		js_append(ids, json_string(e->profile_ids[i]), &ok);
	js_set(o, "profile_ids", ids, &ok);
	js_set(o, "ipv4_nets", nets_to_json(e->ipv4_nets, e->n_ipv4_nets, &ok), &ok);
	js_set(o, "ipv6_nets", nets_to_json(e->ipv6_nets, e->n_ipv6_nets, &ok), &ok);
	/* keys sorted whatever order the caller built them in: one encoding per endpoint */
	struct label *sorted = malloc((e->n_labels + 1) * sizeof(*sorted));
	if (!sorted) {
		ok = false;
	} else {
		if (e->n_labels)
			memcpy(sorted, e->labels, e->n_labels * sizeof(*sorted));
		qsort(sorted, e->n_labels, sizeof(*sorted), label_cmp);
		for (size_t i = 0; i < e->n_labels; i++)
			js_set(labels, sorted[i].key, json_string(sorted[i].value), &ok);
		free(sorted);
	}
	js_set(o, "labels", labels, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}
