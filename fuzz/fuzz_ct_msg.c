/* ctnetlink messages (events and dump entries): a stream of netlink
 * messages, each parsed or refused, never read past its end. */
#include <libmnl/libmnl.h>

#include "flow/ct_msg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t *buf = malloc(size + 4);
	const struct nlmsghdr *nlh;
	int left = (int)size;
	struct ct_msg m;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	/* libmnl's mnl_nlmsg_ok trusts a length past INT_MAX: the walk checks itself */
	for (nlh = (const struct nlmsghdr *)buf; left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
						 nlh->nlmsg_len <= (unsigned)left;
	     left -= (int)NLMSG_ALIGN(nlh->nlmsg_len),
	    nlh = (const struct nlmsghdr *)((const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len))) {
		if (ct_msg_parse(nlh, &m) == 0) {
			FUZZ_ASSERT(m.orig.src.family == 4 || m.orig.src.family == 6);
			FUZZ_ASSERT(m.type == CT_MSG_NEW || m.type == CT_MSG_UPDATE || m.type == CT_MSG_DESTROY);
			FUZZ_ASSERT(m.has_counters || (m.orig_packets == 0 && m.reply_bytes == 0));
		}
	}
	free(buf);
	return 0;
}
