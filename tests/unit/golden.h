/* Golden-file tests: walk the case directories, compare a rendering with the
 * case's expected file, or rewrite that file under GOLDEN_UPDATE=1.
 * Header-only because every tests/unit/test_*.c is its own binary linking
 * only the calico library (CMakeLists.txt). Include after tap.h. */
#ifndef CALICO_GOLDEN_H
#define CALICO_GOLDEN_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file_read.h"
#include "tap.h"

#define GOLDEN_MAX_CASES 256

/* Runs one case: <dir>/<name>/ holds its input and its expected file. */
typedef void (*golden_case_fn)(const char *dir, const char *name, bool update);

static inline int golden_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	int ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

/* $GOLDEN_DIR, else tests/<sub>: `here` is the test's __FILE__,
 * .../tests/unit/test_x.c, so two directories up is tests/. */
static inline void golden_dir(char *out, size_t len, const char *here, const char *sub)
{
	const char *env = getenv("GOLDEN_DIR");
	if (env) {
		snprintf(out, len, "%s", env);
		return;
	}
	snprintf(out, len, "%s", here);
	for (int i = 0; i < 2; i++) {
		char *slash = strrchr(out, '/');
		if (slash)
			*slash = '\0';
	}
	size_t n = strlen(out);
	snprintf(out + n, len - n, "/%s", sub);
}

/* Prints the line number and both lines where got and want first part. */
static inline void golden_report_first_difference(const char *got, const char *want)
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

/* got against <dir>/<name>/<file> (one check, "<name>: <what> <file>"), or
 * with update the file rewritten from got. On a mismatch got is kept as
 * $TMPDIR/<got_prefix><name><got_suffix> so that `diff -u` shows the rest. */
static inline void golden_compare(const char *dir, const char *name, const char *file, const char *got, bool update,
				  const char *what, const char *got_prefix, const char *got_suffix)
{
	char path[1024];
	char *want;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, file);
	if (update) {
		CHECK_INT(golden_write_file(path, got), 0, "%s: %s rewritten", name, file);
		return;
	}
	want = read_path(path, 256u << 20, NULL);
	bool same = want && strcmp(got, want) == 0;
	CHECK(same, "%s: %s %s", name, what, file);
	if (!same) {
		char gotpath[1024];
		const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(gotpath, sizeof(gotpath), "%s/%s%s%s", tmp, got_prefix, name, got_suffix);
		if (golden_write_file(gotpath, got) == 0)
			printf("#   diff -u %s %s\n", path, gotpath);
		if (want)
			golden_report_first_difference(got, want);
	}
	free(want);
}

static inline int golden_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs run_case on every case directory in dir (all entries but dot files
 * and `skip`, which may be NULL), in name order, after checking there are at
 * least min_cases. GOLDEN_UPDATE=1 is passed on as update. */
static inline void golden_run(const char *dir, const char *skip, size_t min_cases, golden_case_fn run_case)
{
	char *names[GOLDEN_MAX_CASES];
	size_t n = 0;
	bool update = getenv("GOLDEN_UPDATE") && strcmp(getenv("GOLDEN_UPDATE"), "1") == 0;

	DIR *d = opendir(dir);
	CHECK(d != NULL, "golden directory %s opens", dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d)) && n < GOLDEN_MAX_CASES;)
		if (e->d_name[0] != '.' && !(skip && strcmp(e->d_name, skip) == 0) && (names[n] = strdup(e->d_name)))
			n++;
	closedir(d);
	qsort(names, n, sizeof(*names), golden_name_cmp);
	CHECK(n >= min_cases, "at least %zu golden cases (%zu)", min_cases, n);
	for (size_t i = 0; i < n; i++) {
		run_case(dir, names[i], update);
		free(names[i]);
	}
}

#endif
