/* The rule grammar (`calicoctl profile P rule add ...`): any text either is
 * refused with a message or parses to a rule whose printed form parses back
 * to the same rule. */
#include "fuzz.h"
#include "model/model.h"
#include "model/rule_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[512], printed[4096], err2[512];
	struct rule r, again;

	if (rule_text_parse_str(text, &r, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(rule_validate(&r, err, sizeof(err)) == 0);
		FUZZ_ASSERT(rule_text_format(&r, printed, sizeof(printed)) != NULL);
		FUZZ_ASSERT(rule_text_parse_str(printed, &again, err2, sizeof(err2)) == 0);
		FUZZ_ASSERT(rule_equal(&r, &again));
	} else {
		FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
	}
	free(text);
	return 0;
}
