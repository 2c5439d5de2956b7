/* dstool: inspect and seed the datastore from test scripts.
 *   dstool rev                 current revision
 *   dstool get KEY             value (exit 1 if absent)
 *   dstool put KEY VALUE       unconditional write
 *   dstool del KEY             delete one key (exit 1 if absent)
 *   dstool list PREFIX         "key<TAB>value" lines
 *   dstool count PREFIX        number of keys
 * The backend comes from the environment, as for every binary. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "datastore/datastore.h"

int main(int argc, char **argv)
{
	struct ds *ds;
	char err[512];
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: dstool (rev | get KEY | modrev KEY | put KEY VALUE | del KEY | list PREFIX | count PREFIX)\n");
		return 2;
	}
	if ((rc = ds_open_env(&ds, err, sizeof(err))) < 0) {
		fprintf(stderr, "dstool: %s\n", err);
		return 1;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "rev") == 0 && argc == 2) {
		int64_t rev;
		if ((rc = ds_revision(ds, &rev)) == 0)
			printf("%" PRId64 "\n", rev);
	} else if (strcmp(cmd, "get") == 0 && argc == 3) {
		struct ds_kv kv = { 0 };
		if ((rc = ds_get(ds, argv[2], &kv)) == 0)
			printf("%s\n", kv.value);
		ds_kv_free(&kv);
	} else if (strcmp(cmd, "modrev") == 0 && argc == 3) {
		struct ds_kv kv = { 0 };
		if ((rc = ds_get(ds, argv[2], &kv)) == 0)
			printf("%" PRId64 "\n", kv.mod_rev);
		ds_kv_free(&kv);
	} else if (strcmp(cmd, "put") == 0 && argc == 4) {
		rc = ds_put(ds, argv[2], argv[3]);
	} else if (strcmp(cmd, "del") == 0 && argc == 3) {
		rc = ds_delete(ds, argv[2]);
	} else if ((strcmp(cmd, "list") == 0 || strcmp(cmd, "count") == 0) && argc == 3) {
		struct ds_kv_list l = { 0 };
		if ((rc = ds_list(ds, argv[2], &l)) == 0) {
			if (cmd[0] == 'c')
				printf("%zu\n", l.n);
			else
				for (size_t i = 0; i < l.n; i++)
					printf("%s\t%s\n", l.items[i].key, l.items[i].value);
		}
		ds_kv_list_free(&l);
	} else {
		fprintf(stderr, "dstool: bad arguments\n");
		ds_close(ds);
		return 2;
	}
	if (rc < 0 && rc != -ENOENT)
		fprintf(stderr, "dstool: %s\n", *ds_strerror(ds) ? ds_strerror(ds) : strerror(-rc));
	ds_close(ds);
	return rc < 0 ? 1 : 0;
}
