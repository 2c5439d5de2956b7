/* A net-modules request on calico_mesos' stdin: parsed and validated whole
 * before anything is touched, or refused with a one-line message. */
#include "fuzz.h"
#include "mesos_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), err[512] = "";
	struct mesos_request r;

	memset(&r, 0, sizeof(r));
	if (mesos_request_parse(text, &r, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < r.n_labels; i++)
			FUZZ_ASSERT(r.labels[i].key && r.labels[i].value);
		FUZZ_ASSERT(r.ipv4.n <= MESOS_MAX_ADDRS && r.ipv6.n <= MESOS_MAX_ADDRS);
	} else {
		FUZZ_ASSERT(err[0] && !strchr(err, '\n'));
	}
	mesos_request_free(&r);
	free(text);
	return 0;
}
