/* Golden tests of the policy compiler: every tests/golden/<case>/state.json
 * compiles and renders (full script) byte for byte to <case>/expected.nft.
 *
 * GOLDEN_UPDATE=1 rewrites the expected files instead (review the git diff).
 * GOLDEN_DIR overrides where the cases are (default: next to this source).
 * On a mismatch the script is written to $TMPDIR/<case>.got.nft and the
 * first differing line is printed, so `diff -u` shows the rest. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_state.h"
#include "nft_compile.h"
#include "nft_model.h"
#include "file_read.h"
#include "tap.h"

/* The whole file (or "-" for stdin); NULL when it cannot be read. */
static char *read_path_all(const char *path)
{
	return read_path(path, 256u << 20, NULL);
}

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
	/* __FILE__ is .../tests/unit/test_nft_golden.c */
	snprintf(out, len, "%s", __FILE__);
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(out, '/');
	if (slash)
		snprintf(slash, len - (size_t)(slash - out), "/golden");
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

static void run_case(const char *dir, const char *name, bool update)
{
	char path[1024], err[MODEL_ERR_MAX] = "";
	struct dp_state st;
	struct nft_model m, again;
	struct nft_compile_report rep;
	char *json, *want = NULL, *got = NULL, *diff = NULL;

	snprintf(path, sizeof(path), "%s/%s/state.json", dir, name);
	json = read_path_all(path);
	CHECK(json != NULL, "%s: state.json readable", name);
	if (!json)
		return;
	int rc = dp_state_from_json(json, &st, err, sizeof(err));
	free(json);
	CHECK_INT(rc, 0, "%s: state.json loads %s", name, err);
	if (rc < 0)
		return;
	rc = nft_compile(&st, &m, &rep);
	CHECK_INT(rc, 0, "%s: compiles", name);
	if (rc == 0 && nft_render_full(&m, &got) == 0) {
		snprintf(path, sizeof(path), "%s/%s/expected.nft", dir, name);
		if (update) {
			CHECK_INT(write_file(path, got), 0, "%s: expected.nft rewritten", name);
		} else {
			want = read_path_all(path);
			bool same = want && strcmp(got, want) == 0;
			CHECK(same, "%s: full render matches expected.nft", name);
			if (!same) {
				char gotpath[1024];
				const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
				snprintf(gotpath, sizeof(gotpath), "%s/%s.got.nft", tmp, name);
				if (write_file(gotpath, got) == 0)
					printf("#   diff -u %s %s\n", path, gotpath);
				if (want)
					report_first_difference(got, want);
			}
		}
		/* the same state twice: the same bytes, and an empty diff */
		CHECK_INT(nft_compile(&st, &again, NULL), 0, "%s: compiles again", name);
		CHECK_INT(nft_render_diff(&m, &again, &diff), 0, "%s: diff against itself renders", name);
		CHECK_STR(diff, "", "%s: diff against itself is empty", name);
		nft_model_free(&again);
	}
	free(diff);
	free(got);
	free(want);
	nft_model_free(&m);
	dp_state_free(&st);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	char dir[1024];
	char *names[256];
	size_t n = 0;
	bool update = getenv("GOLDEN_UPDATE") && strcmp(getenv("GOLDEN_UPDATE"), "1") == 0;

	golden_dir(dir, sizeof(dir));
	DIR *d = opendir(dir);
	CHECK(d != NULL, "golden directory %s opens", dir);
	if (!d)
		return tap_done();
	/* bird/ holds the BIRD config cases (test_bird_golden.c) */
	for (struct dirent *e; (e = readdir(d)) && n < 256;)
		if (e->d_name[0] != '.' && strcmp(e->d_name, "bird") != 0 && !(names[n] = strdup(e->d_name)) == 0)
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	CHECK(n >= 10, "at least 10 golden cases (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		run_case(dir, names[i], update);
		free(names[i]);
	}
	return tap_done();
}
