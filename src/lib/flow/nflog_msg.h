/* One NFLOG packet message (nfnetlink_log, NFULNL_MSG_PACKET) as the kernel
 * sends it for a `log group` statement: the prefix naming the verdict point
 * (flow_id.h) and the packet's 5-tuple from its copied head. Pure logic: the
 * socket lives with the agent. */
#ifndef CALICO_NFLOG_MSG_H
#define CALICO_NFLOG_MSG_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow_id.h"
#include "flow/flow_tuple.h"

struct nflog_pkt {
	uint16_t group;
	enum flow_action action;
	enum flow_dir dir;
	uint32_t id;          /* the verdict point */
	struct flow_tuple t;
	uint32_t ip_len;      /* the packet's length from its IP header */
};

/* nlh: one whole message, nlh->nlmsg_len bytes of it readable (the caller
 * checked with mnl_nlmsg_ok). 0; -ENOENT: not an NFLOG packet message;
 * -EINVAL: malformed, no payload, a packet we cannot key, or a prefix that
 * is not one of ours. */
int nflog_msg_parse(const struct nlmsghdr *nlh, struct nflog_pkt *out);

#endif
