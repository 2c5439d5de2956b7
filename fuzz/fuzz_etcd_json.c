/* Responses of etcd's v3 JSON gateway, which a faulty or hostile member (or a
 * proxy in between) controls: every parser must refuse or succeed cleanly. */
#include "datastore/datastore.h"
#include "datastore/etcd_json.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *body = fuzz_text(data + 1, size - 1), msg[256];
	int64_t v;
	bool more;
	struct ds_kv_list l = { 0 }, three[3] = { { 0 } };
	struct etcd_watch_msg m;
	struct ds_op ops[2] = { { .type = DS_OP_CAS, .key = "/a", .value = "1", .mod_rev = 3 },
				{ .type = DS_OP_DELETE, .key = "/b" } };

	switch (data[0] % 8) {
	case 0: (void)etcd_parse_header_rev(body, &v); break;
	case 1:
		if (etcd_parse_range(body, &l, &more) == 0)
			for (size_t i = 0; i < l.n; i++)
				FUZZ_ASSERT(l.items[i].key && l.items[i].value);
		ds_kv_list_free(&l);
		break;
	case 2: (void)etcd_parse_txn(body, ops, 2, &v); break;
	case 3: (void)etcd_parse_lease_grant(body, &v); break;
	case 4: (void)etcd_parse_keepalive(body, &v); break;
	case 5: (void)etcd_parse_error(body, msg, sizeof(msg)); break;
	case 6:
		memset(&m, 0, sizeof(m));
		(void)etcd_parse_watch_msg(body, &m);
		etcd_watch_msg_free(&m); /* also after a refusal: nothing may leak */
		break;
	case 7: /* ds_read_many's answer: the lists are freed after a refusal too */
		if (etcd_parse_read_many(body, 3, three) == 0)
			for (size_t r = 0; r < 3; r++)
				for (size_t i = 0; i < three[r].n; i++)
					FUZZ_ASSERT(three[r].items[i].key && three[r].items[i].value);
		for (size_t r = 0; r < 3; r++)
			ds_kv_list_free(&three[r]);
		break;
	}
	free(body);
	return 0;
}
