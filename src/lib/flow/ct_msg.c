/* ctnetlink entry messages (ct_msg.h). */
#include "flow/ct_msg.h"

#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <string.h>

/* the attributes of one nest, by type, up to max; NULL when absent */
struct nest {
	const struct nlattr *a[CTA_MAX + 1];
	int max;
};

static int nest_cb(const struct nlattr *attr, void *data)
{
	struct nest *n = data;
	int type = mnl_attr_get_type(attr);
	if (type <= n->max)
		n->a[type] = attr;
	return MNL_CB_OK;
}

static int nested(const struct nlattr *attr, int max, struct nest *n)
{
	memset(n, 0, sizeof(*n));
	n->max = max;
	if (!attr)
		return -EINVAL;
	return mnl_attr_parse_nested(attr, nest_cb, n) < 0 ? -EINVAL : 0;
}

static int get_addr(const struct nlattr *a, size_t len, uint8_t *out)
{
	if (!a || mnl_attr_get_payload_len(a) != len)
		return -EINVAL;
	memcpy(out, mnl_attr_get_payload(a), len);
	return 0;
}

static int get_u8(const struct nlattr *a, uint8_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -EINVAL;
	*out = mnl_attr_get_u8(a);
	return 0;
}

static int get_be16(const struct nlattr *a, uint16_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return -EINVAL;
	*out = ntohs(mnl_attr_get_u16(a));
	return 0;
}

static int get_be64(const struct nlattr *a, uint64_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return -EINVAL;
	*out = be64toh(mnl_attr_get_u64(a));
	return 0;
}

static int tuple(const struct nlattr *attr, struct flow_tuple *t)
{
	struct nest top, ip, proto;
	uint8_t type = 0, code = 0;

	memset(t, 0, sizeof(*t));
	if (nested(attr, CTA_TUPLE_MAX, &top) < 0 || nested(top.a[CTA_TUPLE_IP], CTA_IP_MAX, &ip) < 0 ||
	    nested(top.a[CTA_TUPLE_PROTO], CTA_PROTO_MAX, &proto) < 0)
		return -EINVAL;
	if (ip.a[CTA_IP_V4_SRC]) {
		t->src.family = t->dst.family = 4;
		if (get_addr(ip.a[CTA_IP_V4_SRC], 4, t->src.bytes) < 0 || get_addr(ip.a[CTA_IP_V4_DST], 4, t->dst.bytes) < 0)
			return -EINVAL;
	} else {
		t->src.family = t->dst.family = 6;
		if (get_addr(ip.a[CTA_IP_V6_SRC], 16, t->src.bytes) < 0 ||
		    get_addr(ip.a[CTA_IP_V6_DST], 16, t->dst.bytes) < 0)
			return -EINVAL;
	}
	if (get_u8(proto.a[CTA_PROTO_NUM], &t->proto) < 0)
		return -EINVAL;
	if (t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6) {
		int ti = t->proto == IPPROTO_ICMP ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE;
		int ci = t->proto == IPPROTO_ICMP ? CTA_PROTO_ICMP_CODE : CTA_PROTO_ICMPV6_CODE;
		int ii = t->proto == IPPROTO_ICMP ? CTA_PROTO_ICMP_ID : CTA_PROTO_ICMPV6_ID;
		if (get_u8(proto.a[ti], &type) < 0 || get_u8(proto.a[ci], &code) < 0 ||
		    get_be16(proto.a[ii], &t->sport) < 0)
			return -EINVAL;
		t->dport = (uint16_t)(type << 8 | code);
	} else if (proto.a[CTA_PROTO_SRC_PORT] || proto.a[CTA_PROTO_DST_PORT]) {
		if (get_be16(proto.a[CTA_PROTO_SRC_PORT], &t->sport) < 0 ||
		    get_be16(proto.a[CTA_PROTO_DST_PORT], &t->dport) < 0)
			return -EINVAL;
	}
	return 0;
}

static int counters(const struct nlattr *attr, uint64_t *packets, uint64_t *bytes)
{
	struct nest n;
	if (nested(attr, CTA_COUNTERS_MAX, &n) < 0 || get_be64(n.a[CTA_COUNTERS_PACKETS], packets) < 0 ||
	    get_be64(n.a[CTA_COUNTERS_BYTES], bytes) < 0)
		return -EINVAL;
	return 0;
}

int ct_msg_parse(const struct nlmsghdr *nlh, struct ct_msg *out)
{
	struct nest top;
	int type;

	memset(out, 0, sizeof(*out));
	out->tcp_state = -1;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EINVAL;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return -ENOENT;
	type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	if (type == IPCTNL_MSG_CT_DELETE)
		out->type = CT_MSG_DESTROY;
	else if (type == IPCTNL_MSG_CT_NEW)
		out->type = nlh->nlmsg_flags & NLM_F_CREATE ? CT_MSG_NEW : CT_MSG_UPDATE;
	else
		return -ENOENT;
	memset(&top, 0, sizeof(top));
	top.max = CTA_MAX;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), nest_cb, &top) < 0)
		return -EINVAL;
	if (tuple(top.a[CTA_TUPLE_ORIG], &out->orig) < 0)
		return -EINVAL;
	if (top.a[CTA_ID]) {
		if (mnl_attr_validate(top.a[CTA_ID], MNL_TYPE_U32) < 0)
			return -EINVAL;
		out->id = ntohl(mnl_attr_get_u32(top.a[CTA_ID]));
	}
	if (top.a[CTA_COUNTERS_ORIG] || top.a[CTA_COUNTERS_REPLY]) {
		if (counters(top.a[CTA_COUNTERS_ORIG], &out->orig_packets, &out->orig_bytes) < 0 ||
		    counters(top.a[CTA_COUNTERS_REPLY], &out->reply_packets, &out->reply_bytes) < 0)
			return -EINVAL;
		out->has_counters = true;
	}
	if (top.a[CTA_PROTOINFO]) {
		struct nest pi, tcp;
		uint8_t st;
		if (nested(top.a[CTA_PROTOINFO], CTA_PROTOINFO_MAX, &pi) < 0)
			return -EINVAL;
		if (pi.a[CTA_PROTOINFO_TCP]) {
			if (nested(pi.a[CTA_PROTOINFO_TCP], CTA_PROTOINFO_TCP_MAX, &tcp) < 0)
				return -EINVAL;
			if (tcp.a[CTA_PROTOINFO_TCP_STATE]) {
				if (get_u8(tcp.a[CTA_PROTOINFO_TCP_STATE], &st) < 0)
					return -EINVAL;
				out->tcp_state = st;
			}
		}
	}
	return 0;
}

bool ct_tcp_state_ended(int s)
{
	return s == TCP_CONNTRACK_TIME_WAIT || s == TCP_CONNTRACK_CLOSE;
}
