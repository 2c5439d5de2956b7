/* calicoctl label KIND NAME KEY=VALUE [--overwrite] | KEY- | KEY --remove
 * [-n NS] (DESIGN §11): a resource's metadata.labels (a profile's
 * labelsToApply), changed by compare-and-swap on the revision read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"
#include "v3_cli.h"

int cmd_label_workload_endpoint(const char *name, const char *key, const char *value, bool overwrite);

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

	const struct v3_kind_info *k = v3_kind_lookup(argv[0]);
	if (!k && (strcasecmp(argv[0], "workloadendpoint") == 0 || strcasecmp(argv[0], "workloadendpoints") == 0 ||
		   strcasecmp(argv[0], "wep") == 0 || strcasecmp(argv[0], "weps") == 0))
		return cmd_label_workload_endpoint(argv[1], key, remove ? NULL : value, o.overwrite);
	if (!k && !(k = v3_kind_arg(argv[0])))
		return 1;
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

int cmd_label_workload_endpoint(const char *name, const char *key, const char *value, bool overwrite)
{
	(void)name, (void)key, (void)value, (void)overwrite;
	return ctl_error("Labelling workload endpoints is not supported yet.");
}
