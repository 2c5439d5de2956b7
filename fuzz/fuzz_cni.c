/* What a CNI runtime hands the plugins: the network config on stdin (chosen
 * by the first byte's low bit), CNI_ARGS, and a result from a delegated IPAM
 * plugin. Each either succeeds or is refused with a one-line message and a
 * code of the spec. */
#include "cni_conf.h"
#include "cni_env.h"
#include "cni_result.h"
#include "fuzz.h"

static void one_line(const struct cni_error *e)
{
	FUZZ_ASSERT(e->code != 0 && e->msg[0] && !strchr(e->msg, '\n') && !strchr(e->details, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = fuzz_text(data + 1, size - 1);
	struct cni_error e = { 0 };

	switch (data[0] % 3) {
	case 0: {
		struct cni_conf c = { 0 };
		if (cni_conf_parse(text, &c, &e) == 0) {
			struct cni_error e2 = { 0 };
			if (cni_conf_require(&c, true, &e2) < 0)
				one_line(&e2);
		} else {
			one_line(&e);
		}
		cni_conf_free(&c);
		break;
	}
	case 1: {
		static const char *const known[] = { "IP", "K8S_POD_NAME", NULL };
		struct cni_args a = { 0 };
		if (cni_args_parse(text, known, &a, &e) == 0) {
			for (size_t i = 0; i < a.n; i++)
				FUZZ_ASSERT(a.items[i].key && a.items[i].key[0] && a.items[i].value);
		} else {
			one_line(&e);
		}
		cni_args_free(&a);
		break;
	}
	case 2: {
		static struct cni_result r; /* large: not on the stack */
		memset(&r, 0, sizeof(r));
		if (cni_result_decode(text, &r, &e) == 0) {
			static const char *const versions[] = { "0.2.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
			for (size_t i = 0; i < 5; i++) {
				char *enc = cni_result_encode(&r, versions[i]);
				FUZZ_ASSERT(enc);
				free(enc);
			}
		} else {
			one_line(&e);
		}
		break;
	}
	}
	free(text);
	return 0;
}
