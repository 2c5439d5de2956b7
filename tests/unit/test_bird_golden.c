/* Golden tests of BIRD's config: every tests/golden/bird/<case>/state.json
 * renders byte for byte to <case>/expected.cfg.
 *
 * state.json: {"host": "h1", "log_path": "...", "keys": {KEY: VALUE, ...}}
 * where VALUE is the datastore value, given as a string (plain text values
 * such as ip_addr_v4) or as JSON (written to the cache compactly).
 *
 * GOLDEN_UPDATE=1 rewrites the expected files instead (review the git diff).
 * GOLDEN_DIR overrides where the cases are. On a mismatch the text goes to
 * $TMPDIR/bird-<case>.got.cfg and the first differing line is printed.
 * That every expected.cfg parses with `bird -p` is checked by tests/lab/bgp.sh
 * (bird may not be installed where unit tests run). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bird_conf.h"
#include "util/file_read.h"
#include "golden.h"
#include "agent/node_cache.h"
#include "tap.h"

/* Fills c from the "keys" object. 0 or -EINVAL. */
static int load_keys(json_t *keys, struct node_cache *c)
{
	const char *key;
	json_t *val;
	json_object_foreach(keys, key, val) {
		char *text = json_is_string(val) ? strdup(json_string_value(val))
						 : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
		int rc = text ? node_cache_put(c, key, text) : -ENOMEM;
		free(text);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void run_case(const char *dir, const char *name, bool update)
{
	char path[1024], err[512] = "";
	struct node_cache c;
	json_error_t jerr;
	char *got = NULL, *again = NULL;

	node_cache_init(&c);
	snprintf(path, sizeof(path), "%s/%s/state.json", dir, name);
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	CHECK(root != NULL, "%s: state.json loads %s", name, root ? "" : jerr.text);
	if (!root)
		return;
	const char *host = json_string_value(json_object_get(root, "host"));
	struct bird_conf_opts opt = { .log_path = json_string_value(json_object_get(root, "log_path")) };
	json_t *keys = json_object_get(root, "keys");
	CHECK(host && json_is_object(keys), "%s: state.json has host and keys", name);
	if (!host || !json_is_object(keys))
		goto out;
	CHECK_INT(load_keys(keys, &c), 0, "%s: keys go into the cache", name);
	int rc = bird_conf_render(&c, host, &opt, &got, err, sizeof(err));
	CHECK_INT(rc, 0, "%s: renders %s", name, err);
	if (rc < 0)
		goto out;
	golden_compare(dir, name, "expected.cfg", got, update, "matches", "bird-", ".got.cfg");
	CHECK_INT(bird_conf_render(&c, host, &opt, &again, err, sizeof(err)), 0, "%s: renders again", name);
	CHECK_STR(again, got, "%s: the same state gives the same bytes", name);
out:
	free(got);
	free(again);
	json_decref(root);
	node_cache_free(&c);
}

int main(void)
{
	char dir[1024];

	golden_dir(dir, sizeof(dir), __FILE__, "golden/bird");
	golden_run(dir, NULL, 5, run_case);
	return tap_done();
}
