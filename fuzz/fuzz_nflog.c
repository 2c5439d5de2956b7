/* NFLOG packet messages as the kernel (or anyone able to send to the
 * agent's netlink socket) gives them: a stream of netlink messages, each
 * parsed or refused; what parses names a verdict point whose prefix prints
 * back the same, and a keyable packet. */
#include <libmnl/libmnl.h>

#include "flow/nflog_msg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t *buf = malloc(size + 4); /* netlink messages are 4-byte aligned */
	const struct nlmsghdr *nlh;
	int left = (int)size;
	struct nflog_pkt p;
	char prefix[FLOW_PREFIX_MAX];

	if (!buf)
		abort();
	memcpy(buf, data, size);
	/* libmnl's mnl_nlmsg_ok trusts a length past INT_MAX: the walk checks itself */
	for (nlh = (const struct nlmsghdr *)buf; left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
						 nlh->nlmsg_len <= (unsigned)left;
	     left -= (int)NLMSG_ALIGN(nlh->nlmsg_len),
	    nlh = (const struct nlmsghdr *)((const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len))) {
		if (nflog_msg_parse(nlh, &p) == 0) {
			enum flow_action a;
			enum flow_dir d;
			uint32_t id;
			flow_prefix_format(p.action, p.dir, p.id, prefix);
			FUZZ_ASSERT(flow_prefix_parse(prefix, &a, &d, &id) == 0 && a == p.action && d == p.dir && id == p.id);
			FUZZ_ASSERT(p.t.src.family == 4 || p.t.src.family == 6);
			FUZZ_ASSERT(p.t.src.family == p.t.dst.family);
		}
	}
	free(buf);
	return 0;
}
