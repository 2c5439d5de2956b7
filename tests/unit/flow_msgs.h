/* Netlink messages as the kernel sends them, built for the flow tests:
 * an NFLOG packet message and a ctnetlink entry. */
#ifndef CALICO_TEST_FLOW_MSGS_H
#define CALICO_TEST_FLOW_MSGS_H

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>
#include <string.h>

/* an IPv4 TCP packet head: 20 bytes of IP, 20 of TCP */
static inline size_t test_ipv4_tcp(uint8_t *p, const char *src, const char *dst, uint16_t sport, uint16_t dport,
				   uint16_t total)
{
	memset(p, 0, 40);
	p[0] = 0x45;
	p[2] = (uint8_t)(total >> 8);
	p[3] = (uint8_t)total;
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[32] = 0x50;
	return 40;
}

static inline struct nlmsghdr *test_nflog_msg(void *buf, uint16_t group, const char *prefix, const uint8_t *pkt,
					      size_t len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	if (prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	if (pkt)
		mnl_attr_put(nlh, NFULA_PAYLOAD, len, pkt);
	return nlh;
}

struct test_ct {
	int msg; /* IPCTNL_MSG_CT_NEW / _DELETE */
	bool create;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	bool counters;
	uint64_t op, ob, rp, rb;
	int tcp_state; /* -1: none */
};

static inline struct nlmsghdr *test_ct_msg(void *buf, const struct test_ct *c)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nlattr *t, *n;
	uint8_t a[4];
	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_CTNETLINK << 8 | c->msg);
	nlh->nlmsg_flags = c->create ? NLM_F_CREATE | NLM_F_EXCL : 0;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(AF_INET, c->src, a);
	mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, a);
	inet_pton(AF_INET, c->dst, a);
	mnl_attr_put(nlh, CTA_IP_V4_DST, 4, a);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, c->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(c->sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(c->dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
	mnl_attr_put_u32(nlh, CTA_ID, htonl(77));
	if (c->counters) {
		n = mnl_attr_nest_start(nlh, CTA_COUNTERS_ORIG);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(c->op));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(c->ob));
		mnl_attr_nest_end(nlh, n);
		n = mnl_attr_nest_start(nlh, CTA_COUNTERS_REPLY);
		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(c->rp));
		mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(c->rb));
		mnl_attr_nest_end(nlh, n);
	}
	if (c->tcp_state >= 0) {
		n = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		t = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, (uint8_t)c->tcp_state);
		mnl_attr_nest_end(nlh, t);
		mnl_attr_nest_end(nlh, n);
	}
	return nlh;
}

#endif
