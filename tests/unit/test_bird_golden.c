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
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bird_conf.h"
#include "file_read.h"
#include "node_cache.h"
#include "tap.h"

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	int ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static void golden_dir(char *out, size_t len)
{
	const char *env = getenv("GOLDEN_DIR");
	if (env) {
		snprintf(out, len, "%s", env);
		return;
	}
	/* __FILE__ is .../tests/unit/test_bird_golden.c */
	snprintf(out, len, "%s", __FILE__);
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(out, '/');
		if (slash)
			*slash = '\0';
	}
	size_t n = strlen(out);
	snprintf(out + n, len - n, "/golden/bird");
}

static void report_first_difference(const char *got, const char *want)
{
	int line = 1;
	const char *g = got, *w = want;
	while (*g && *g == *w) {
		if (*g == '\n')
			line++;
		g++;
		w++;
	}
	while (g > got && g[-1] != '\n') {
		g--;
		w--;
	}
	printf("#   first difference at line %d\n#   got:  %.*s\n#   want: %.*s\n", line, (int)strcspn(g, "\n"), g,
	       (int)strcspn(w, "\n"), w);
}

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
	char *got = NULL, *again = NULL, *want = NULL;

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
	snprintf(path, sizeof(path), "%s/%s/expected.cfg", dir, name);
	if (update) {
		CHECK_INT(write_file(path, got), 0, "%s: expected.cfg rewritten", name);
	} else {
		want = read_path(path, 16u << 20, NULL);
		bool same = want && strcmp(got, want) == 0;
		CHECK(same, "%s: matches expected.cfg", name);
		if (!same) {
			char gotpath[1024];
			const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
			snprintf(gotpath, sizeof(gotpath), "%s/bird-%s.got.cfg", tmp, name);
			if (write_file(gotpath, got) == 0)
				printf("#   diff -u %s %s\n", path, gotpath);
			if (want)
				report_first_difference(got, want);
		}
	}
	CHECK_INT(bird_conf_render(&c, host, &opt, &again, err, sizeof(err)), 0, "%s: renders again", name);
	CHECK_STR(again, got, "%s: the same state gives the same bytes", name);
out:
	free(got);
	free(again);
	free(want);
	json_decref(root);
	node_cache_free(&c);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char dir[1024];
	char *names[128];
	size_t n = 0;
	bool update = getenv("GOLDEN_UPDATE") && strcmp(getenv("GOLDEN_UPDATE"), "1") == 0;

	golden_dir(dir, sizeof(dir));
	DIR *d = opendir(dir);
	CHECK(d != NULL, "golden directory %s opens", dir);
	if (!d)
		return tap_done();
	for (struct dirent *e; (e = readdir(d)) && n < 128;)
		if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)))
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	CHECK(n >= 5, "at least 5 golden cases (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		run_case(dir, names[i], update);
		free(names[i]);
	}
	return tap_done();
}
