/* Every JSON decoder of the model (DESIGN §2), chosen by the first byte:
 * a value is refused with a one-line message, or decodes to something whose
 * encoding decodes back and encodes to the same text (canonical form). */
#include "fuzz.h"
#include "ipam/ipam_block.h"
#include "ipam/ipam_handle.h"
#include "model/model.h"

static void one_line(const char *err)
{
	FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
}

static void endpoint_case(const char *json)
{
	struct endpoint e = { 0 }, again = { 0 };
	char err[512];
	if (endpoint_decode(json, &e, err, sizeof(err)) < 0) {
		one_line(err);
		return;
	}
	char *enc = endpoint_encode(&e);
	FUZZ_ASSERT(enc && endpoint_decode(enc, &again, err, sizeof(err)) == 0);
	char *enc2 = endpoint_encode(&again);
	FUZZ_ASSERT(enc2 && strcmp(enc, enc2) == 0);
	free(enc);
	free(enc2);
	endpoint_free(&e);
	endpoint_free(&again);
}

static void rules_case(const char *json)
{
	struct rule_list in = { 0 }, out = { 0 }, in2 = { 0 }, out2 = { 0 };
	char err[512];
	if (rules_decode(json, NULL, &in, &out, err, sizeof(err)) < 0) {
		one_line(err);
		return;
	}
	char *enc = rules_encode("p", &in, &out);
	FUZZ_ASSERT(enc && rules_decode(enc, "p", &in2, &out2, err, sizeof(err)) == 0);
	FUZZ_ASSERT(in.n == in2.n && out.n == out2.n);
	for (size_t i = 0; i < in.n; i++)
		FUZZ_ASSERT(rule_equal(&in.items[i], &in2.items[i]));
	for (size_t i = 0; i < out.n; i++)
		FUZZ_ASSERT(rule_equal(&out.items[i], &out2.items[i]));
	free(enc);
	rule_list_free(&in);
	rule_list_free(&out);
	rule_list_free(&in2);
	rule_list_free(&out2);
}

static void tags_case(const char *json)
{
	char **tags = NULL, err[512];
	size_t n = 0;
	if (tags_decode(json, &tags, &n, err, sizeof(err)) < 0) {
		one_line(err);
		return;
	}
	char *enc = tags_encode(tags, n);
	FUZZ_ASSERT(enc);
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(name_is_valid(tags[i]));
		free(tags[i]);
	}
	free(tags);
	free(enc);
}

static void pool_case(const char *json)
{
	struct pool p, again;
	char err[512];
	if (pool_decode(json, &p, err, sizeof(err)) < 0) {
		one_line(err);
		return;
	}
	char *enc = pool_encode(&p);
	FUZZ_ASSERT(enc && pool_decode(enc, &again, err, sizeof(err)) == 0);
	char *enc2 = pool_encode(&again);
	FUZZ_ASSERT(enc2 && strcmp(enc, enc2) == 0);
	free(enc);
	free(enc2);
}

static void bgp_case(const char *json)
{
	struct bgp_peer p;
	bool mesh;
	uint32_t as;
	char err[512];
	if (bgp_peer_decode(json, &p, err, sizeof(err)) == 0) {
		char *enc = bgp_peer_encode(&p);
		FUZZ_ASSERT(enc);
		free(enc);
	}
	if (node_mesh_decode(json, &mesh, err, sizeof(err)) == 0) {
		char *enc = node_mesh_encode(mesh);
		FUZZ_ASSERT(enc);
		free(enc);
	}
	(void)as_num_parse(json, &as);
}

static void block_case(const char *json)
{
	struct ipam_block b = { 0 }, again = { 0 };
	char err[512];
	if (ipam_block_decode(json, &b, err, sizeof(err)) < 0) {
		one_line(err);
		return;
	}
	char *enc = ipam_block_encode(&b);
	FUZZ_ASSERT(enc && ipam_block_decode(enc, &again, err, sizeof(err)) == 0);
	char *enc2 = ipam_block_encode(&again);
	FUZZ_ASSERT(enc2 && strcmp(enc, enc2) == 0);
	free(enc);
	free(enc2);
	ipam_block_free(&b);
	ipam_block_free(&again);
}

static void handle_case(const char *json)
{
	struct ipam_handle h = { 0 };
	char err[512];
	if (ipam_handle_decode(json, "h", &h, err, sizeof(err)) < 0) {
		one_line(err);
		return;
	}
	char *enc = ipam_handle_encode(&h);
	FUZZ_ASSERT(enc);
	free(enc);
	ipam_handle_free(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *json = fuzz_text(data + 1, size - 1);
	switch (data[0] % 7) {
	case 0: endpoint_case(json); break;
	case 1: rules_case(json); break;
	case 2: tags_case(json); break;
	case 3: pool_case(json); break;
	case 4: bgp_case(json); break;
	case 5: block_case(json); break;
	case 6: handle_case(json); break;
	}
	free(json);
	return 0;
}
