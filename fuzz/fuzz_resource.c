/* The v3 resource decoder behind `calicoctl apply`: any file either is
 * refused with a one-line message, or every document in it decodes to a
 * resource whose canonical form, written as YAML and read again, is itself. */
#include "fuzz.h"
#include "resource/resource.h"
#include "resource/yaml_json.h"

static char *canonical(const struct v3_resource *r)
{
	json_t *t = v3_encode(r);
	FUZZ_ASSERT(t != NULL);
	char *s = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(t);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	json_t *docs = yaml_to_json_docs((const char *)data, size, err, sizeof(err)), *doc;
	size_t i;

	if (!docs) {
		FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
		return 0;
	}
	json_array_foreach(docs, i, doc)
	{
		struct v3_resource r, again;
		if (v3_decode(doc, &r, err, sizeof(err)) < 0) {
			FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
			continue;
		}
		char *first = canonical(&r);
		json_t *tree = v3_encode(&r);
		char *yaml = json_to_yaml(tree, 1);
		FUZZ_ASSERT(yaml != NULL);
		json_t *back = yaml_to_json_docs(yaml, strlen(yaml), err, sizeof(err));
		FUZZ_ASSERT(back != NULL && json_array_size(back) == 1);
		FUZZ_ASSERT(v3_decode(json_array_get(back, 0), &again, err, sizeof(err)) == 0);
		char *second = canonical(&again);
		FUZZ_ASSERT(first && second && strcmp(first, second) == 0);
		free(first);
		free(second);
		free(yaml);
		json_decref(back);
		json_decref(tree);
		v3_resource_free(&again);
		v3_resource_free(&r);
	}
	json_decref(docs);
	return 0;
}
