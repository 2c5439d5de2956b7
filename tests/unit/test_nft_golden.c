/* Golden tests of the policy compiler: every tests/golden/<case>/state.json
 * compiles and renders (full script) byte for byte to <case>/expected.nft.
 *
 * GOLDEN_UPDATE=1 rewrites the expected files instead (review the git diff).
 * GOLDEN_DIR overrides where the cases are (default: next to this source).
 * On a mismatch the script is written to $TMPDIR/<case>.got.nft and the
 * first differing line is printed, so `diff -u` shows the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dp_state.h"
#include "policy/nft_compile.h"
#include "policy/nft_model.h"
#include "util/file_read.h"
#include "golden.h"
#include "tap.h"

/* The whole file (or "-" for stdin); NULL when it cannot be read. */
static char *read_path_all(const char *path)
{
	return read_path(path, 256u << 20, NULL);
}

static void run_case(const char *dir, const char *name, bool update)
{
	char path[1024], err[MODEL_ERR_MAX] = "";
	struct dp_state st;
	struct nft_model m, again;
	struct nft_compile_report rep;
	char *json, *got = NULL, *diff = NULL;

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
		golden_compare(dir, name, "expected.nft", got, update, "full render matches", "", ".got.nft");
		/* the same state twice: the same bytes, and an empty diff */
		CHECK_INT(nft_compile(&st, &again, NULL), 0, "%s: compiles again", name);
		CHECK_INT(nft_render_diff(&m, &again, &diff), 0, "%s: diff against itself renders", name);
		CHECK_STR(diff, "", "%s: diff against itself is empty", name);
		nft_model_free(&again);
	}
	free(diff);
	free(got);
	nft_model_free(&m);
	dp_state_free(&st);
}

int main(void)
{
	char dir[1024];

	golden_dir(dir, sizeof(dir), __FILE__, "golden");
	/* bird/ holds the BIRD config cases (test_bird_golden.c) */
	golden_run(dir, "bird", 10, run_case);
	return tap_done();
}
