#include "labels.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "util/log.h"

static bool label_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* Sanitises in[0..n) into out (max characters), see labels.h. */
static void sanitise(const char *in, size_t n, char *out, size_t max)
{
	size_t len = 0, start = 0;
	while (start < n && !isalnum((unsigned char)in[start]))
		start++;
	for (size_t i = start; i < n && len < max; i++)
		out[len++] = label_char(in[i]) ? in[i] : '_';
	while (len > 0 && !isalnum((unsigned char)out[len - 1]))
		len--;
	out[len] = '\0';
}

void label_sanitise_value(const char *in, char *out, size_t outlen)
{
	sanitise(in, strlen(in), out, outlen - 1 < LABEL_NAME_MAX ? outlen - 1 : LABEL_NAME_MAX);
}

void label_sanitise_key(const char *in, char *out, size_t outlen)
{
	char prefix[LABEL_PREFIX_MAX + 1], name[LABEL_NAME_MAX + 1];
	const char *slash = strchr(in, '/');
	out[0] = '\0';
	if (slash) {
		sanitise(in, (size_t)(slash - in), prefix, LABEL_PREFIX_MAX);
		sanitise(slash + 1, strlen(slash + 1), name, LABEL_NAME_MAX);
	} else {
		prefix[0] = '\0';
		sanitise(in, strlen(in), name, LABEL_NAME_MAX);
	}
	if (!name[0])
		return;
	if (prefix[0])
		snprintf(out, outlen, "%s/%s", prefix, name);
	else
		snprintf(out, outlen, "%s", name);
}

void cni_labels_free(struct label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].key);
		free(l[i].value);
	}
	free(l);
}

/* Adds or replaces key. */
static int put(struct label **l, size_t *n, const char *key, const char *value)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*l)[i].key, key) == 0) {
			char *v = strdup(value);
			if (!v)
				return -ENOMEM;
			free((*l)[i].value);
			(*l)[i].value = v;
			return 0;
		}
	struct label *grown = realloc(*l, (*n + 1) * sizeof(**l));
	if (!grown)
		return -ENOMEM;
	*l = grown;
	grown[*n].key = strdup(key);
	grown[*n].value = strdup(value);
	if (!grown[*n].key || !grown[*n].value) {
		free(grown[*n].key);
		free(grown[*n].value);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static int add_list(const json_t *list, const char *where, struct label **l, size_t *n, struct cni_error *e)
{
	size_t i;
	json_t *item;
	char s[64];
	if (!list)
		return 0;
	if (!json_is_array(list))
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "%s must be a list of {\"key\",\"value\"}, not %s", where,
			       js_show(list, s, sizeof(s)));
	json_array_foreach(list, i, item) {
		json_t *k = json_object_get(item, "key"), *v = json_object_get(item, "value");
		char key[LABEL_PREFIX_MAX + LABEL_NAME_MAX + 2], value[LABEL_NAME_MAX + 1];
		if (!json_is_object(item) || !json_is_string(k) || (v && !json_is_string(v) && !json_is_null(v)))
			return cni_err(e, CNI_ERR_INVALID_CONFIG, "%s[%zu] must be {\"key\": string, \"value\": string}, not %s",
				       where, i, js_show(item, s, sizeof(s)));
		label_sanitise_key(json_string_value(k), key, sizeof(key));
		/* Mesos labels may come without a value. */
		label_sanitise_value(json_is_string(v) ? json_string_value(v) : "", value, sizeof(value));
		if (!key[0]) {
			log_warn("label %s[%zu] dropped: key %s has nothing usable", where, i, js_show(k, s, sizeof(s)));
			continue;
		}
		if (put(l, n, key, value) < 0)
			return cni_err(e, CNI_ERR_INTERNAL, "out of memory");
	}
	return 0;
}

/* o.path[0].path[1]... or NULL when any step is missing; a step that is there
 * but no object is code 7. */
static int walk(const json_t *o, const char *const *path, const char *where, const json_t **out, struct cni_error *e)
{
	char s[64];
	*out = NULL;
	for (; *path; path++) {
		if (!o || json_is_null(o))
			return 0;
		if (!json_is_object(o))
			return cni_err(e, CNI_ERR_INVALID_CONFIG, "%s: expected an object before \"%s\", not %s", where, *path,
				       js_show(o, s, sizeof(s)));
		o = json_object_get(o, *path);
	}
	*out = json_is_null(o) ? NULL : o;
	return 0;
}

int cni_labels_from_args(const json_t *args, struct label **out, size_t *n, struct cni_error *e)
{
	static const char *const mesos[] = { "org.apache.mesos", "network_info", "labels", "labels", NULL };
	static const char *const cni[] = { "cni", "labels", NULL };
	const char *mesos_where = "args.\"org.apache.mesos\".network_info.labels.labels";
	const json_t *list;
	struct label *l = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (walk(args, mesos, mesos_where, &list, e) < 0 || add_list(list, mesos_where, &l, &k, e) < 0 ||
	    walk(args, cni, "args.cni.labels", &list, e) < 0 || add_list(list, "args.cni.labels", &l, &k, e) < 0) {
		cni_labels_free(l, k);
		return -EINVAL;
	}
	*out = l;
	*n = k;
	return 0;
}
