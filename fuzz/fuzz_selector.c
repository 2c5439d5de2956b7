/* Calico's label selectors: any text is either refused with a one-line
 * message, or parses to a selector whose normalised text parses back to the
 * same text and id, and that answers the same over a few label sets. */
#include <errno.h>

#include "fuzz.h"
#include "selector/selector.h"

/* Label sets built from the input's own words, so that matches happen. */
static void fill_from(struct label_set *ls, const char *const *keys, size_t n, const char *text, int variant)
{
	for (size_t i = 0; i < n; i++) {
		if ((variant + i) % 3 == 0)
			continue; /* absent */
		const char *value = variant == 1 ? "" : variant == 2 ? keys[i] : text;
		if (label_set_put(ls, keys[i], value) < 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[512], err2[512];
	struct selector *sel = NULL, *again = NULL;

	int rc = selector_parse(text, &sel, err, sizeof(err));
	if (rc < 0) {
		FUZZ_ASSERT(rc == -EINVAL && sel == NULL);
		FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
		free(text);
		return 0;
	}
	const char *norm = selector_text(sel);
	rc = selector_parse(norm, &again, err2, sizeof(err2));
	if (rc < 0)
		fprintf(stderr, "normalised text refused: %s\n", err2);
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(strcmp(selector_text(again), norm) == 0);
	FUZZ_ASSERT(strcmp(selector_id(again), selector_id(sel)) == 0);
	FUZZ_ASSERT(strlen(selector_id(sel)) == SELECTOR_ID_LEN);
	FUZZ_ASSERT(selector_is_all(again) == selector_is_all(sel));

	const char *const *keys, *const *keys2;
	size_t n = selector_keys(sel, &keys);
	FUZZ_ASSERT(selector_keys(again, &keys2) == n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(strcmp(keys[i], keys2[i]) == 0);
		FUZZ_ASSERT(i == 0 || strcmp(keys[i - 1], keys[i]) < 0);
	}
	for (int variant = 0; variant < 4; variant++) {
		struct label_set ls = LABEL_SET_INIT;
		fill_from(&ls, keys, n, text, variant);
		FUZZ_ASSERT(selector_match(sel, &ls) == selector_match(again, &ls));
		label_set_free(&ls);
	}
	selector_free(again);
	selector_free(sel);
	free(text);
	return 0;
}
