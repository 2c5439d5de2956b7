/* Docker's request bodies to calico-libnetwork (any JSON a client on the
 * socket sends), dispatched to the decoder chosen by the first byte, and the
 * driver's own datastore records. */
#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

static void one_line(int rc, const char *err)
{
	if (rc < 0)
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = fuzz_text(data + 1, size - 1), err[512] = "", profile[64];
	json_t *body = json_loads(text, JSON_DECODE_ANY, NULL);
	union {
		struct lnw_pool_req pool;
		struct lnw_addr_req addr;
		struct lnw_release_req rel;
		struct lnw_net_req net;
		struct lnw_ep_create_req epc;
		struct lnw_ep_req ep;
		struct lnw_endpoint_state st;
	} u;

	memset(&u, 0, sizeof(u));
	switch (data[0] % 9) {
	case 0: one_line(lnw_pool_req_parse(body, &u.pool, err, sizeof(err)), err); break;
	case 1: one_line(lnw_addr_req_parse(body, &u.addr, err, sizeof(err)), err); break;
	case 2: one_line(lnw_release_req_parse(body, &u.rel, err, sizeof(err)), err); break;
	case 3: one_line(lnw_net_create_parse(body, &u.net, err, sizeof(err)), err); break;
	case 4: one_line(lnw_net_req_parse(body, &u.net, err, sizeof(err)), err); break;
	case 5: one_line(lnw_ep_create_parse(body, &u.epc, err, sizeof(err)), err); break;
	case 6: one_line(lnw_ep_req_parse(body, &u.ep, err, sizeof(err)), err); break;
	case 7: one_line(lnw_network_decode(text, profile, sizeof(profile), err, sizeof(err)), err); break;
	case 8: one_line(lnw_endpoint_decode(text, &u.st, err, sizeof(err)), err); break;
	}
	(void)lnw_call_of(text);
	json_decref(body);
	free(text);
	return 0;
}
