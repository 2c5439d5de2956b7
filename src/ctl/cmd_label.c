/* calicoctl label KIND NAME KEY=VALUE [--overwrite] | KEY- | KEY --remove
 * [-n NS] (DESIGN §11): a resource's metadata.labels (a profile's
 * labelsToApply; a workload endpoint's endpoint record), changed by
 * compare-and-swap on the revision read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store/view_store.h"
#include "v3_cli.h"

static int label_workload_endpoint(const char *word, const char *ns, const char *name, const char *key,
				   const char *value, bool overwrite);

static int check_label(const char *key, const char *value)
{
	if (!v3_label_key_valid(key))
		return ctl_error("Invalid label key \"%s\": an optional DNS prefix and '/', then 1-63 letters, digits, "
				 "'-', '_' or '.', beginning and ending with a letter or digit.",
				 key);
	if (value && !v3_label_value_valid(value))
		return ctl_error("Invalid label value \"%s\": empty, or 1-63 letters, digits, '-', '_' or '.', "
				 "beginning and ending with a letter or digit.",
				 value);
	return 0;
}

int cmd_label(int argc, char **argv)
{
	struct v3_opts o;
	struct v3_resource r;
	struct v3_write_result res;
	char err[1024] = "", key[320];
	const char *value = NULL;

	if (v3_take_options("label", &argc, argv, V3_OPT_NAMESPACE | V3_OPT_OVERWRITE | V3_OPT_REMOVE, &o))
		return 1;
	if (argc != 3 || (o.overwrite && o.remove))
		return ctl_usage("label");
	const char *word = argv[2], *eq = strchr(word, '=');
	size_t len = strlen(word);
	bool remove = o.remove || (!eq && len > 1 && word[len - 1] == '-');
	if (o.remove ? eq != NULL : (remove ? o.overwrite : !eq))
		return ctl_usage("label");
	snprintf(key, sizeof(key), "%.*s", (int)(eq ? (size_t)(eq - word) : remove && !o.remove ? len - 1 : len), word);
	if (eq)
		value = eq + 1;
	if (check_label(key, value))
		return 1;

	const struct v3_kind_info *k = v3_kind_arg(argv[0]);
	if (!k)
		return 1;
	if (k->kind == V3_WORKLOAD_ENDPOINT)
		return label_workload_endpoint(argv[0], o.ns, argv[1], key, remove ? NULL : value, o.overwrite);
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	const char *ns = o.ns ? o.ns : V3_DEFAULT_NAMESPACE;
	int rc = v3_store_get(ds, k->kind, ns, argv[1], &r, err, sizeof(err));
	if (rc == -ENOENT)
		return k->namespaced ? ctl_error("resource does not exist: %s(%s/%s)", k->name, ns, argv[1])
				     : ctl_error("resource does not exist: %s(%s)", k->name, argv[1]);
	if (rc < 0)
		return *err ? ctl_error("Error: %s", err) : ctl_ds_error("reading the resource", rc);
	struct v3_map *labels = r.kind == V3_PROFILE ? &r.spec.profile.labels_to_apply : &r.meta.labels;
	const char *old = v3_map_get(labels, key);
	int status = 1;
	if (remove && !old) {
		ctl_error("%s %s has no label %s.", argv[0], argv[1], key);
		goto out;
	}
	if (!remove && old && strcmp(old, value) != 0 && !o.overwrite) {
		ctl_error("%s %s already has the label %s=%s; use --overwrite to change its value.", argv[0], argv[1],
			  key, old);
		goto out;
	}
	if (remove)
		v3_map_remove(labels, key);
	else if (v3_map_set(labels, key, value) < 0) {
		ctl_error("Error: out of memory");
		goto out;
	}
	/* the tier "default" may not be stored yet: it has no revision to compare */
	if (r.meta.resource_version == NULL)
		rc = v3_store_write(ds, V3_WRITE_APPLY, &r, 1, false, &res, err, sizeof(err));
	else
		rc = v3_store_write(ds, V3_WRITE_REPLACE, &r, 1, false, &res, err, sizeof(err));
	if (rc < 0) {
		*err ? ctl_error("%s", err) : ctl_ds_error("writing the resource", rc);
		goto out;
	}
	if (remove)
		printf("Successfully removed label %s from %s %s\n", key, argv[0], argv[1]);
	else if (old)
		printf("Successfully updated label %s on %s %s\n", key, argv[0], argv[1]);
	else
		printf("Successfully set label %s on %s %s\n", key, argv[0], argv[1]);
	status = 0;
out:
	v3_resource_free(&r);
	return status;
}

/* ---------- workload endpoints: the endpoint record's labels ---------- */

/* Tries before giving up on a record that others keep changing. */
#define WEP_LABEL_TRIES 16

static struct label *record_label(struct endpoint *ep, const char *key)
{
	for (size_t i = 0; i < ep->n_labels; i++)
		if (strcmp(ep->labels[i].key, key) == 0)
			return &ep->labels[i];
	return NULL;
}

/* Sets key to value (removes it when value is NULL) in the record. */
static int record_set(struct endpoint *ep, const char *key, const char *value)
{
	struct label *l = record_label(ep, key);
	if (!value) {
		size_t at = (size_t)(l - ep->labels);
		free(l->key);
		free(l->value);
		memmove(l, l + 1, (ep->n_labels - at - 1) * sizeof(*l));
		ep->n_labels--;
		return 0;
	}
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	if (l) {
		free(l->value);
		l->value = v;
		return 0;
	}
	struct label *grown = realloc(ep->labels, (ep->n_labels + 1) * sizeof(*grown));
	char *k = grown ? strdup(key) : NULL;
	if (grown)
		ep->labels = grown;
	if (!k) {
		free(v);
		return -ENOMEM;
	}
	ep->labels[ep->n_labels++] = (struct label){ k, v };
	return 0;
}

/* The record's labels changed by compare-and-swap on the revision read; a
 * change made meanwhile by anyone else (the plugin, another calicoctl) is
 * read again and the label applied to it. The agent on the endpoint's host
 * follows the record. */
static int label_workload_endpoint(const char *word, const char *ns, const char *name, const char *key,
				   const char *value, bool overwrite)
{
	if (strcmp(key, V3_LABEL_ORCHESTRATOR) == 0 || strcmp(key, V3_LABEL_NAMESPACE) == 0)
		return ctl_error("The label %s of a workload endpoint is Calico's own (set from the orchestrator) and "
				 "cannot be changed.",
				 key);
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	if (!ns)
		ns = V3_DEFAULT_NAMESPACE;
	for (int attempt = 0; attempt < WEP_LABEL_TRIES; attempt++) {
		struct endpoint_entry e;
		char rkey[KEY_MAX];
		int rc = wep_find(ds, ns, name, &e, rkey);
		if (rc == -ENOENT)
			return ctl_error("resource does not exist: WorkloadEndpoint(%s/%s)", ns, name);
		if (rc == -ENOTUNIQ)
			return ctl_error("The name %s stands for more than one endpoint record (a part begins or ends "
					 "with '-'); label it with calicoctl endpoint.",
					 name);
		if (rc < 0)
			return ctl_ds_error("reading the workload endpoint", rc);
		const struct label *had = record_label(&e.ep, key);
		char *old = had ? strdup(had->value) : NULL;
		int status = -1;
		if (had && !old)
			status = ctl_error("Error: out of memory");
		else if (!value && !had)
			status = ctl_error("%s %s has no label %s.", word, name, key);
		else if (value && had && strcmp(old, value) != 0 && !overwrite)
			status = ctl_error("%s %s already has the label %s=%s; use --overwrite to change its value.", word,
					   name, key, old);
		else if (!(value && had && strcmp(old, value) == 0)) {
			char *json = NULL;
			if ((rc = record_set(&e.ep, key, value)) < 0 || !(json = endpoint_encode(&e.ep)))
				status = ctl_error("Error: out of memory");
			else if ((rc = ds_cas(ds, rkey, json, e.mod_rev)) < 0 && rc != -ECANCELED)
				status = ctl_ds_error("writing the workload endpoint", rc);
			free(json);
		}
		endpoint_free(&e.ep);
		if (status < 0 && rc == -ECANCELED) {
			free(old);
			continue; /* changed since read: read it again */
		}
		if (status < 0) {
			if (!value)
				printf("Successfully removed label %s from %s %s\n", key, word, name);
			else if (old)
				printf("Successfully updated label %s on %s %s\n", key, word, name);
			else
				printf("Successfully set label %s on %s %s\n", key, word, name);
			status = 0;
		}
		free(old);
		return status;
	}
	return ctl_error("The workload endpoint %s kept changing while labelling it (%d tries); nothing was written.",
			 name, WEP_LABEL_TRIES);
}
