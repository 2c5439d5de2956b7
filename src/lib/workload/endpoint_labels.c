#include "workload/endpoint_labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "resource/resource.h"
#include "util/log.h"

const char *endpoint_label_problem(const char *key, const char *value)
{
	if (!key || !v3_label_key_valid(key))
		return "key is not a valid label key (an optional DNS subdomain and '/', then 1-63 letters, digits, "
		       "'-', '_' or '.', beginning and ending with a letter or digit)";
	if (!value || !v3_label_value_valid(value))
		return "value is not a valid label value (empty, or 1-63 letters, digits, '-', '_' or '.', beginning "
		       "and ending with a letter or digit)";
	return NULL;
}

static int put(struct endpoint_labels *l, const char *key, const char *value)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0) {
			char *v = strdup(value);
			if (!v)
				return -ENOMEM;
			free(l->items[i].value);
			l->items[i].value = v;
			return 0;
		}
	struct label *grown = realloc(l->items, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->items = grown;
	char *k = strdup(key), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	grown[l->n++] = (struct label){ .key = k, .value = v };
	return 0;
}

/* At most this much of a skipped key or value goes into the warning. */
#define SHOW_MAX 80

int endpoint_labels_add(struct endpoint_labels *l, const char *where, const char *key, const char *value)
{
	const char *why = endpoint_label_problem(key, value);
	if (why) {
		log_warn("label %s skipped: '%.*s'='%.*s': %s", where ? where : "", SHOW_MAX, key ? key : "",
			 SHOW_MAX, value ? value : "", why);
		return 1;
	}
	return put(l, key, value);
}

int endpoint_labels_copy(struct endpoint_labels *l, const struct label *from, size_t n, const char *where)
{
	for (size_t i = 0; i < n; i++) {
		int rc = endpoint_labels_add(l, where, from[i].key, from[i].value);
		if (rc < 0)
			return rc;
	}
	return 0;
}

const char *endpoint_labels_get(const struct endpoint_labels *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

int endpoint_labels_finish(struct endpoint_labels *l, const char *orch, const char *ns)
{
	const char *runtime_ns = endpoint_labels_get(l, LABEL_NAMESPACE);
	int rc;

	if (!orch || !*orch || !v3_label_value_valid(orch))
		return -EINVAL;
	if (ns && (!*ns || !v3_label_value_valid(ns))) {
		log_warn("namespace '%.*s' is not a valid label value; the endpoint's namespace is %s", SHOW_MAX, ns,
			 runtime_ns && *runtime_ns ? runtime_ns : NAMESPACE_DEFAULT);
		ns = NULL;
	}
	if (!ns)
		ns = runtime_ns && *runtime_ns ? runtime_ns : NAMESPACE_DEFAULT;
	/* ns may point into l: put the namespace first, from a copy. */
	char *ns_copy = strdup(ns);
	if (!ns_copy)
		return -ENOMEM;
	rc = put(l, LABEL_NAMESPACE, ns_copy);
	free(ns_copy);
	if (rc < 0)
		return rc;
	return put(l, LABEL_ORCHESTRATOR, orch);
}

void endpoint_labels_free(struct endpoint_labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
