/* NFLOG packet messages (nflog_msg.h). */
#include "flow/nflog_msg.h"

#include <errno.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <string.h>

struct seen {
	const struct nlattr *prefix, *payload;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct seen *s = data;
	switch (mnl_attr_get_type(a)) {
	case NFULA_PREFIX:
		s->prefix = a;
		break;
	case NFULA_PAYLOAD:
		s->payload = a;
		break;
	}
	return MNL_CB_OK;
}

int nflog_msg_parse(const struct nlmsghdr *nlh, struct nflog_pkt *out)
{
	struct seen s = { 0 };
	const struct nfgenmsg *g;
	char prefix[FLOW_PREFIX_MAX];
	size_t plen;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_ULOG || NFNL_MSG_TYPE(nlh->nlmsg_type) != NFULNL_MSG_PACKET)
		return -ENOENT;
	g = mnl_nlmsg_get_payload(nlh);
	out->group = ntohs(g->res_id);
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, &s) < 0 || !s.prefix || !s.payload)
		return -EINVAL;
	/* the kernel sends the prefix with its NUL; a longer one is not ours */
	plen = mnl_attr_get_payload_len(s.prefix);
	if (plen == 0 || plen > sizeof(prefix))
		return -EINVAL;
	memcpy(prefix, mnl_attr_get_payload(s.prefix), plen);
	if (prefix[plen - 1] != '\0' || strlen(prefix) != plen - 1)
		return -EINVAL;
	if (flow_prefix_parse(prefix, &out->action, &out->dir, &out->id) < 0)
		return -EINVAL;
	return flow_tuple_from_packet(mnl_attr_get_payload(s.payload), mnl_attr_get_payload_len(s.payload), &out->t,
				      &out->ip_len);
}
