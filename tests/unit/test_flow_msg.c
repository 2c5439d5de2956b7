/* nflog_msg, ct_msg, flow_tuple: the kernel's messages parsed. */
#include <errno.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <string.h>

#include "flow/ct_msg.h"
#include "flow/nflog_msg.h"
#include "flow_msgs.h"
#include "tap.h"

int main(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4))), text[128], ip[IP_STR_MAX];
	uint8_t pkt[80];
	struct nflog_pkt p;
	struct ct_msg m;
	size_t n = test_ipv4_tcp(pkt, "10.65.0.2", "10.65.0.3", 40000, 8080, 60);

	CHECK_INT(nflog_msg_parse(test_nflog_msg(buf, 2, "A|I|1f", pkt, n), &p), 0, "an NFLOG packet parses");
	CHECK(p.group == 2 && p.action == FLOW_ALLOW && p.dir == FLOW_INGRESS && p.id == 0x1f, "prefix decoded");
	CHECK_STR(flow_tuple_format(&p.t, text, sizeof(text)), "tcp 10.65.0.2:40000 -> 10.65.0.3:8080", "tuple");
	CHECK_INT(p.ip_len, 60, "length from the IP header");
	CHECK_INT(nflog_msg_parse(test_nflog_msg(buf, 2, "some other prefix", pkt, n), &p), -EINVAL,
		  "a foreign prefix refused");
	CHECK_INT(nflog_msg_parse(test_nflog_msg(buf, 2, NULL, pkt, n), &p), -EINVAL, "no prefix refused");
	CHECK_INT(nflog_msg_parse(test_nflog_msg(buf, 2, "A|I|1f", NULL, 0), &p), -EINVAL, "no payload refused");
	CHECK_INT(nflog_msg_parse(test_nflog_msg(buf, 2, "A|I|1f", pkt, 22), &p), -EINVAL, "cut ports refused");
	pkt[6] = 0x00;
	pkt[7] = 0x10; /* fragment offset 16 */
	CHECK_INT(nflog_msg_parse(test_nflog_msg(buf, 2, "A|I|1f", pkt, n), &p), -EINVAL,
		  "a later fragment refused");
	pkt[7] = 0;
	struct nlmsghdr *nlh = test_nflog_msg(buf, 2, "A|I|1f", pkt, n);
	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG;
	CHECK_INT(nflog_msg_parse(nlh, &p), -ENOENT, "a config message is not a packet");

	/* IPv6 with a hop-by-hop header before UDP */
	uint8_t v6[80] = { 0x60 };
	v6[5] = 16;
	v6[6] = 0; /* hop-by-hop */
	inet_pton(AF_INET6, "fd00::2", v6 + 8);
	inet_pton(AF_INET6, "2001:db8::3", v6 + 24);
	v6[40] = IPPROTO_UDP;
	v6[41] = 0;
	v6[48] = 0x13;
	v6[49] = 0x88;
	v6[50] = 0x00;
	v6[51] = 0x35;
	CHECK_INT(nflog_msg_parse(test_nflog_msg(buf, 2, "D|E|ab", v6, 56), &p), 0, "IPv6 with an extension header");
	CHECK_STR(flow_tuple_format(&p.t, text, sizeof(text)), "udp [fd00::2]:5000 -> [2001:db8::3]:53", "v6 tuple");
	CHECK_INT(p.ip_len, 56, "v6 length");

	struct test_ct c = { IPCTNL_MSG_CT_NEW, true, "10.65.0.2", "10.65.0.3", IPPROTO_TCP, 40000, 8080, false,
			     0, 0, 0, 0, TCP_CONNTRACK_SYN_SENT };
	CHECK_INT(ct_msg_parse(test_ct_msg(buf, &c), &m), 0, "a conntrack NEW parses");
	CHECK(m.type == CT_MSG_NEW && m.id == 77 && !m.has_counters && m.tcp_state == TCP_CONNTRACK_SYN_SENT,
	      "NEW, id, no counters, TCP state");
	CHECK(flow_tuple_eq(&m.orig, &p.t) == false && m.orig.dport == 8080 && m.orig.sport == 40000 &&
		      strcmp(ip_format(&m.orig.dst, ip), "10.65.0.3") == 0,
	      "original tuple");
	c.msg = IPCTNL_MSG_CT_DELETE;
	c.create = false;
	c.counters = true;
	c.op = 10;
	c.ob = 1000000;
	c.rp = 8;
	c.rb = 600;
	c.tcp_state = TCP_CONNTRACK_TIME_WAIT;
	CHECK_INT(ct_msg_parse(test_ct_msg(buf, &c), &m), 0, "a conntrack DESTROY parses");
	CHECK(m.type == CT_MSG_DESTROY && m.has_counters && m.orig_packets == 10 && m.orig_bytes == 1000000 &&
		      m.reply_packets == 8 && m.reply_bytes == 600,
	      "counters both ways");
	CHECK(ct_tcp_state_ended(m.tcp_state) && !ct_tcp_state_ended(TCP_CONNTRACK_ESTABLISHED) &&
		      !ct_tcp_state_ended(-1),
	      "TIME_WAIT has ended, ESTABLISHED has not");
	c.msg = IPCTNL_MSG_CT_NEW;
	CHECK(ct_msg_parse(test_ct_msg(buf, &c), &m) == 0 && m.type == CT_MSG_UPDATE, "NEW without CREATE: update");
	nlh = test_ct_msg(buf, &c);
	nlh->nlmsg_len -= 8; /* cut into the attributes */
	CHECK(ct_msg_parse(nlh, &m) < 0 || m.orig.proto == IPPROTO_TCP, "a cut message is refused or still whole");
	nlh = test_ct_msg(buf, &c);
	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8;
	CHECK_INT(ct_msg_parse(nlh, &m), -ENOENT, "another subsystem's message");
	return tap_done();
}
