/* calicoctl delete -f FILE | delete KIND NAME... [-n NS] (DESIGN §11): all or
 * nothing, as apply. */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "v3_cli.h"

int cmd_delete(int argc, char **argv)
{
	struct v3_opts o;
	char **words = argv;
	int nwords = argc;

	/* -f takes the file path; read the options once to see which form this is */
	char **copy = malloc(((size_t)argc + 1) * sizeof(*copy));
	if (!copy)
		return ctl_error("Error: out of memory");
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	if (v3_take_options("delete", &nwords, copy, V3_OPT_FILE | V3_OPT_NAMESPACE, &o)) {
		free(copy);
		return 1;
	}
	words = copy;
	if (o.file) {
		free(copy);
		if (o.ns)
			return ctl_usage("delete");
		return v3_cmd_write_file("delete", V3_WRITE_DELETE, false, argc, argv);
	}
	if (nwords < 2) {
		free(copy);
		return ctl_usage("delete");
	}
	const struct v3_kind_info *k = v3_kind_arg(words[0]);
	if (!k) {
		free(copy);
		return 1;
	}
	size_t n = (size_t)nwords - 1;
	struct v3_resource *items = calloc(n, sizeof(*items));
	struct v3_write_result res;
	char err[1024] = "";
	int status = 1;
	struct ds *ds;
	if (!items) {
		ctl_error("Error: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		items[i].kind = k->kind;
		if (!(items[i].meta.name = strdup(words[i + 1])) ||
		    (k->namespaced && !(items[i].meta.namespace_ = strdup(o.ns ? o.ns : V3_DEFAULT_NAMESPACE)))) {
			ctl_error("Error: out of memory");
			goto out;
		}
	}
	if (!(ds = ctl_ds()))
		goto out;
	int rc = v3_store_write(ds, V3_WRITE_DELETE, items, n, false, &res, err, sizeof(err));
	if (rc < 0)
		status = *err ? ctl_error("%s", err) : ctl_ds_error("deleting resources", rc);
	else {
		v3_say_success("deleted", items, n);
		status = 0;
	}
out:
	for (size_t i = 0; items && i < n; i++)
		v3_resource_free(&items[i]);
	free(items);
	free(copy);
	return status;
}
