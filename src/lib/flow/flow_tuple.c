/* IP header parsing for the flow collector (flow_tuple.h). */
#include "flow/flow_tuple.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int l4(const uint8_t *p, size_t len, struct flow_tuple *t)
{
	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (len < 4)
			return -EINVAL;
		t->sport = be16(p);
		t->dport = be16(p + 2);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len < 8)
			return -EINVAL;
		t->dport = be16(p); /* type, code */
		t->sport = be16(p + 4);
		return 0;
	default:
		return 0;
	}
}

static int v4(const uint8_t *p, size_t len, struct flow_tuple *t, uint32_t *ip_len)
{
	size_t ihl;
	if (len < 20 || (ihl = (size_t)(p[0] & 0x0f) * 4) < 20 || ihl > len)
		return -EINVAL;
	if (be16(p + 6) & 0x1fff) /* a later fragment: no ports */
		return -EINVAL;
	t->proto = p[9];
	t->src.family = t->dst.family = 4;
	memcpy(t->src.bytes, p + 12, 4);
	memcpy(t->dst.bytes, p + 16, 4);
	*ip_len = be16(p + 2);
	return l4(p + ihl, len - ihl, t);
}

static int v6(const uint8_t *p, size_t len, struct flow_tuple *t, uint32_t *ip_len)
{
	size_t off = 40;
	uint8_t next;
	if (len < 40)
		return -EINVAL;
	t->src.family = t->dst.family = 6;
	memcpy(t->src.bytes, p + 8, 16);
	memcpy(t->dst.bytes, p + 24, 16);
	*ip_len = 40u + be16(p + 4);
	next = p[6];
	for (int hops = 0; hops < 8; hops++) {
		switch (next) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (off + 8 > len)
				return -EINVAL;
			next = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			continue;
		case 44: /* fragment */
			if (off + 8 > len || (be16(p + off + 2) & 0xfff8))
				return -EINVAL;
			next = p[off];
			off += 8;
			continue;
		default:
			if (off > len)
				return -EINVAL;
			t->proto = next;
			return l4(p + off, len - off, t);
		}
	}
	return -EINVAL;
}

int flow_tuple_from_packet(const uint8_t *pkt, size_t len, struct flow_tuple *t, uint32_t *ip_len)
{
	memset(t, 0, sizeof(*t));
	*ip_len = 0;
	if (len < 1)
		return -EINVAL;
	switch (pkt[0] >> 4) {
	case 4:
		return v4(pkt, len, t, ip_len);
	case 6:
		return v6(pkt, len, t, ip_len);
	default:
		return -EINVAL;
	}
}

bool flow_tuple_eq(const struct flow_tuple *a, const struct flow_tuple *b)
{
	return a->proto == b->proto && a->sport == b->sport && a->dport == b->dport && ip_cmp(&a->src, &b->src) == 0 &&
	       ip_cmp(&a->dst, &b->dst) == 0;
}

uint64_t flow_tuple_hash(const struct flow_tuple *t)
{
	uint64_t h = 1469598103934665603ull;
	size_t n = t->src.family == 6 ? 16 : 4;
	uint8_t head[5] = { t->proto, (uint8_t)(t->sport >> 8), (uint8_t)t->sport, (uint8_t)(t->dport >> 8),
			    (uint8_t)t->dport };
	for (size_t i = 0; i < sizeof(head); i++)
		h = (h ^ head[i]) * 1099511628211ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ t->src.bytes[i]) * 1099511628211ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ t->dst.bytes[i]) * 1099511628211ull;
	return h;
}

const char *flow_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

char *flow_tuple_format(const struct flow_tuple *t, char *buf, size_t len)
{
	char s[IP_STR_MAX], d[IP_STR_MAX], p[8];
	bool v6 = t->src.family == 6;
	snprintf(buf, len, "%s %s%s%s:%u -> %s%s%s:%u", flow_proto_name(t->proto, p, sizeof(p)), v6 ? "[" : "",
		 ip_format(&t->src, s), v6 ? "]" : "", t->sport, v6 ? "[" : "", ip_format(&t->dst, d), v6 ? "]" : "",
		 t->dport);
	return buf;
}
