#include "labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "util/log.h"
#include "workload/endpoint_labels.h"

void cni_labels_free(struct label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].key);
		free(l[i].value);
	}
	free(l);
}

static int add_list(const json_t *list, const char *where, struct endpoint_labels *l, struct cni_error *e)
{
	size_t i;
	json_t *item;
	char s[64], at[160];
	if (!list)
		return 0;
	if (!json_is_array(list))
		return cni_err(e, CNI_ERR_INVALID_CONFIG, "%s must be a list of {\"key\",\"value\"}, not %s", where,
			       js_show(list, s, sizeof(s)));
	json_array_foreach(list, i, item) {
		json_t *k = json_object_get(item, "key"), *v = json_object_get(item, "value");
		if (!json_is_object(item) || !json_is_string(k) || (v && !json_is_string(v) && !json_is_null(v)))
			return cni_err(e, CNI_ERR_INVALID_CONFIG, "%s[%zu] must be {\"key\": string, \"value\": string}, not %s",
				       where, i, js_show(item, s, sizeof(s)));
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		/* Mesos labels may come without a value. */
		if (endpoint_labels_add(l, at, json_string_value(k), json_is_string(v) ? json_string_value(v) : "") < 0)
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
	struct endpoint_labels l = { 0 };

	*out = NULL;
	*n = 0;
	if (walk(args, mesos, mesos_where, &list, e) < 0 || add_list(list, mesos_where, &l, e) < 0 ||
	    walk(args, cni, "args.cni.labels", &list, e) < 0 || add_list(list, "args.cni.labels", &l, e) < 0) {
		endpoint_labels_free(&l);
		return -EINVAL;
	}
	*out = l.items;
	*n = l.n;
	return 0;
}
