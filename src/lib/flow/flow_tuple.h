/* A connection's 5-tuple as the flow collector keys it, and the parsing of
 * the start of an IP packet (what NFLOG copies) into one. Pure logic. */
#ifndef CALICO_FLOW_TUPLE_H
#define CALICO_FLOW_TUPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

/* ICMP has no ports: sport holds the echo id, dport the type << 8 | code
 * (conntrack keys ICMP by id, type and code). */
struct flow_tuple {
	struct ip_addr src, dst;
	uint8_t proto; /* IPPROTO_* */
	uint16_t sport, dport;
};

/* Parses an IPv4 or IPv6 header and the ports (TCP, UDP, SCTP, UDP-Lite) or
 * ICMP type/code/id after it, from a copy of at least the headers (IPv6
 * extension headers are walked). *ip_len: the packet's length as its header
 * gives it. 0, or -EINVAL for a truncated or malformed packet, or a fragment
 * other than the first (it has no ports). */
int flow_tuple_from_packet(const uint8_t *pkt, size_t len, struct flow_tuple *t, uint32_t *ip_len);

bool flow_tuple_eq(const struct flow_tuple *a, const struct flow_tuple *b);
uint64_t flow_tuple_hash(const struct flow_tuple *t);
/* "tcp 10.0.0.1:3456 -> 10.0.0.2:80" into buf (at least 128 bytes). */
char *flow_tuple_format(const struct flow_tuple *t, char *buf, size_t len);
/* "tcp", "udp", "icmp", "icmp6", "sctp", else the number. */
const char *flow_proto_name(uint8_t proto, char *buf, size_t len);

#endif
