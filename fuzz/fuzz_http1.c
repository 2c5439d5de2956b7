/* HTTP responses from what the etcd client believes is etcd (src/lib/datastore/http1.c):
 * a hostile peer, or a proxy in between, writes every byte. The parser must
 * answer within the buffer, and its verdict may not depend on where the
 * bytes were cut (a prefix of a response is never a different response). */
#include "fuzz.h"
#include "datastore/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http1_response r;
	bool eof = size && (data[0] & 1);
	const char *buf = (const char *)data + (size ? 1 : 0);
	size_t len = size ? size - 1 : 0;

	long used = http1_parse_response(buf, len, eof, &r);
	FUZZ_ASSERT(used <= (long)len);
	if (used > 0) {
		FUZZ_ASSERT(r.body && r.body[r.body_len] == '\0' && r.status >= 200 && r.status <= 999);
		struct http1_response again;
		/* the same bytes followed by more: the same response, same length */
		long used2 = http1_parse_response(buf, len, false, &again);
		if (!eof) {
			FUZZ_ASSERT(used2 == used && again.body_len == r.body_len &&
				    memcmp(again.body, r.body, r.body_len) == 0);
		}
		if (used2 > 0)
			http1_response_free(&again);
		http1_response_free(&r);
	}
	return 0;
}
