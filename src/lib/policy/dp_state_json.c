/* The JSON form of a desired dataplane state (see dp_state.h), for golden
 * tests and the lab driver. Endpoints, rules and pools go through the model's
 * own strict decoders, so the test states use exactly the datastore's JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dp_state.h"
#include "policy/dp_state_v3_json.h"
#include "util/json_strict.h"

static bool only_keys(const json_t *o, const char *const *keys, const char **bad)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		const char *const *p = keys;
		while (*p && strcmp(*p, k) != 0)
			p++;
		if (!*p) {
			*bad = k;
			return false;
		}
	}
	return true;
}

/* The array under key, or NULL when absent; -EINVAL when it is not an array. */
static int get_array(const json_t *o, const char *key, json_t **arr, char *err, size_t errlen)
{
	*arr = json_object_get(o, key);
	if (*arr && !json_is_array(*arr))
		return js_fail(err, errlen, "\"%s\" must be an array", key);
	return 0;
}

/* Run a model decoder that takes JSON text on one JSON value. */
static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int load_config(const json_t *o, struct dp_state *s, char *err, size_t errlen)
{
	static const char *const keys[] = { "DefaultEndpointToHostAction", "InterfacePrefix", "FlowLogsEnabled", NULL };
	const char *bad, *t;
	json_t *v;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return js_fail(err, errlen, "\"config\" must be an object");
	if (!only_keys(o, keys, &bad))
		return js_fail(err, errlen, "unknown config key \"%s\"", bad);
	if ((v = json_object_get(o, "DefaultEndpointToHostAction"))) {
		t = json_string_value(v);
		if (!t || dp_host_action_parse(t, &s->endpoint_to_host) < 0)
			return js_fail(err, errlen, "invalid \"DefaultEndpointToHostAction\": expected DROP, RETURN or ACCEPT");
	}
	if ((v = json_object_get(o, "InterfacePrefix"))) {
		t = json_string_value(v);
		if (!t || !*t || strlen(t) > DP_IFACE_PREFIX_MAX ||
		    strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(t))
			return js_fail(err, errlen, "invalid \"InterfacePrefix\": expected 1-8 lower-case letters or digits");
		strcpy(s->iface_prefix, t);
	}
	if ((v = json_object_get(o, "FlowLogsEnabled"))) {
		if (!json_is_boolean(v))
			return js_fail(err, errlen, "invalid \"FlowLogsEnabled\": expected true or false");
		s->flow_logs = json_is_true(v);
	}
	return 0;
}

static int load_endpoints(const json_t *o, struct dp_state *s, char *err, size_t errlen)
{
	json_t *arr, *v;
	size_t i;
	char msg[MODEL_ERR_MAX];
	int rc = get_array(o, "endpoints", &arr, err, errlen);

	if (rc < 0 || !arr || !json_array_size(arr))
		return rc;
	if (!(s->endpoints = calloc(json_array_size(arr), sizeof(*s->endpoints))))
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		char *text = dump(v);
		if (!text)
			return -ENOMEM;
		rc = endpoint_decode(text, &s->endpoints[i], msg, sizeof(msg));
		free(text);
		if (rc < 0)
			return js_fail(err, errlen, "endpoint %zu: %s", i + 1, msg);
		s->n_endpoints++;
	}
	return 0;
}

static int load_tag_names(const json_t *arr, struct profile *p, char *err, size_t errlen)
{
	json_t *v;
	size_t i;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return js_fail(err, errlen, "profile \"%s\": \"tags\" must be an array", p->name);
	if (!(p->tags = calloc(json_array_size(arr) + 1, sizeof(*p->tags))))
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		const char *t = json_string_value(v);
		if (!t || !name_is_valid(t))
			return js_fail(err, errlen, "profile \"%s\": invalid tag", p->name);
		if (!(p->tags[p->n_tags] = strdup(t)))
			return -ENOMEM;
		p->n_tags++;
	}
	return 0;
}

static int load_profile_labels(const json_t *o, const char *name, struct v3_map *labels, char *err, size_t errlen)
{
	const char *k;
	json_t *v;
	int rc;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return js_fail(err, errlen, "profile \"%s\": \"labels\" must be an object", name);
	json_object_foreach((json_t *)o, k, v) {
		const char *t = json_string_value(v);
		if (!t || !v3_label_key_valid(k) || !v3_label_value_valid(t))
			return js_fail(err, errlen, "profile \"%s\": invalid label \"%.64s\"", name, k);
		if ((rc = v3_map_set(labels, k, t)) < 0)
			return rc;
	}
	return 0;
}

static int load_profile(const json_t *o, struct profile *p, struct v3_map *labels, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "tags", "rules", "labels", NULL };
	const char *bad, *name;
	char msg[MODEL_ERR_MAX];
	json_t *rules;
	int rc;

	if (!json_is_object(o))
		return js_fail(err, errlen, "a profile must be an object");
	if (!only_keys(o, keys, &bad))
		return js_fail(err, errlen, "unknown profile key \"%s\"", bad);
	name = json_string_value(json_object_get(o, "name"));
	if (!name || !name_is_valid(name))
		return js_fail(err, errlen, "a profile needs a valid \"name\"");
	strcpy(p->name, name);
	if ((rc = load_tag_names(json_object_get(o, "tags"), p, err, errlen)) < 0 ||
	    (rc = load_profile_labels(json_object_get(o, "labels"), name, labels, err, errlen)) < 0)
		return rc;
	if (!(rules = json_object_get(o, "rules")))
		return 0;
	char *text = dump(rules);
	if (!text)
		return -ENOMEM;
	rc = rules_decode(text, name, &p->inbound, &p->outbound, msg, sizeof(msg));
	free(text);
	if (rc < 0)
		return js_fail(err, errlen, "profile \"%s\": %s", name, msg);
	return 0;
}

static int load_profiles(const json_t *o, struct dp_state *s, struct v3_map **labels, char *err, size_t errlen)
{
	json_t *arr, *v;
	size_t i;
	int rc = get_array(o, "profiles", &arr, err, errlen);

	if (rc < 0 || !arr || !json_array_size(arr))
		return rc;
	if (!(s->profiles = calloc(json_array_size(arr), sizeof(*s->profiles))) ||
	    !(*labels = calloc(json_array_size(arr), sizeof(**labels))))
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		/* counted first so that dp_state_free releases a half-loaded profile */
		s->n_profiles++;
		if ((rc = load_profile(v, &s->profiles[i], &(*labels)[i], err, errlen)) < 0)
			return rc;
	}
	return 0;
}

static int load_tags(const json_t *o, struct dp_state *s, char *err, size_t errlen)
{
	json_t *obj = json_object_get(o, "tags"), *arr, *v;
	const char *name;
	size_t i;

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return js_fail(err, errlen, "\"tags\" must be an object");
	if (!json_object_size(obj))
		return 0;
	if (!(s->tags = calloc(json_object_size(obj), sizeof(*s->tags))))
		return -ENOMEM;
	json_object_foreach(obj, name, arr) {
		struct dp_tag *t = &s->tags[s->n_tags++];
		if (!name_is_valid(name))
			return js_fail(err, errlen, "invalid tag name \"%.64s\"", name);
		strcpy(t->name, name);
		if (!json_is_array(arr))
			return js_fail(err, errlen, "tag \"%s\": members must be an array of addresses", name);
		if (json_array_size(arr) && !(t->members = calloc(json_array_size(arr), sizeof(*t->members))))
			return -ENOMEM;
		json_array_foreach(arr, i, v) {
			const char *a = json_string_value(v);
			if (!a || ip_parse(a, &t->members[i]) < 0)
				return js_fail(err, errlen, "tag \"%s\": member %zu is not an IP address", name, i + 1);
			t->n_members++;
		}
	}
	return 0;
}

static int load_pools(const json_t *o, struct dp_state *s, char *err, size_t errlen)
{
	json_t *arr, *v;
	size_t i;
	char msg[MODEL_ERR_MAX];
	int rc = get_array(o, "pools", &arr, err, errlen);

	if (rc < 0 || !arr || !json_array_size(arr))
		return rc;
	if (!(s->pools = calloc(json_array_size(arr), sizeof(*s->pools))))
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		char *text = dump(v);
		if (!text)
			return -ENOMEM;
		rc = pool_decode(text, &s->pools[i], msg, sizeof(msg));
		free(text);
		if (rc < 0)
			return js_fail(err, errlen, "pool %zu: %s", i + 1, msg);
		s->n_pools++;
	}
	return 0;
}

int dp_state_from_json(const char *json, struct dp_state *out, char *err, size_t errlen)
{
	static const char *const keys[] = { "config",   "endpoints", "profiles", "tags", "pools", "remote_endpoints",
					    "tiers",    "policies",  "networksets", NULL };
	json_error_t jerr;
	const char *bad;
	struct v3_map *labels = NULL; /* parallel to the profiles */
	int rc;

	dp_state_init(out);
	json_t *root = json_loads(json, 0, &jerr);
	if (!root)
		return js_fail(err, errlen, "state JSON, line %d: %s", jerr.line, jerr.text);
	if (!json_is_object(root)) {
		rc = js_fail(err, errlen, "the state must be a JSON object");
		goto out;
	}
	if (!only_keys(root, keys, &bad)) {
		rc = js_fail(err, errlen, "unknown state key \"%s\"", bad);
		goto out;
	}
	if ((rc = load_config(json_object_get(root, "config"), out, err, errlen)) < 0 ||
	    (rc = load_endpoints(root, out, err, errlen)) < 0 ||
	    (rc = load_profiles(root, out, &labels, err, errlen)) < 0 || (rc = load_tags(root, out, err, errlen)) < 0 ||
	    (rc = load_pools(root, out, err, errlen)) < 0 || (rc = dp_state_v3_from_json(root, out, labels, err, errlen)) < 0)
		goto out;
	rc = 0;
out:
	for (size_t i = 0; labels && i < out->n_profiles; i++)
		v3_map_free(&labels[i]);
	free(labels);
	json_decref(root);
	if (rc < 0)
		dp_state_free(out);
	return rc;
}
