/* One conntrack message (ctnetlink): an event (new, update, destroy) or an
 * entry of a table dump, reduced to what the flow collector counts. Pure
 * logic: the socket lives with the agent. */
#ifndef CALICO_CT_MSG_H
#define CALICO_CT_MSG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "flow/flow_tuple.h"

enum ct_msg_type {
	CT_MSG_NEW = 0, /* an entry confirmed: a connection started */
	CT_MSG_UPDATE,  /* a change of state, or an entry of a dump */
	CT_MSG_DESTROY, /* gone; carries the final counters when accounting is on */
};

struct ct_msg {
	enum ct_msg_type type;
	uint32_t id; /* the kernel's id for the entry (0 when absent) */
	struct flow_tuple orig;
	bool has_counters; /* net.netfilter.nf_conntrack_acct=1 */
	uint64_t orig_packets, orig_bytes, reply_packets, reply_bytes;
	int tcp_state; /* TCP_CONNTRACK_*, -1 when not TCP or not told */
};

/* nlh: one whole message, nlh->nlmsg_len bytes of it readable. 0; -ENOENT:
 * not a conntrack entry message; -EINVAL: malformed or no original tuple. */
int ct_msg_parse(const struct nlmsghdr *nlh, struct ct_msg *out);
/* Whether a TCP state means the connection has ended (FIN seen both ways,
 * TIME_WAIT, CLOSE): the collector counts it completed then, not when the
 * entry expires minutes later. */
bool ct_tcp_state_ended(int tcp_state);

#endif
