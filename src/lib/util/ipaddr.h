/* IPv4/IPv6 addresses and CIDRs: parsing, formatting and arithmetic. Pure logic. */
#ifndef CALICO_IPADDR_H
#define CALICO_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* family is 4 or 6; addr holds 4 or 16 bytes in network order. */
struct ip_addr {
	int family;
	uint8_t bytes[16];
};

struct cidr {
	struct ip_addr addr; /* always the network address (host bits zero) after cidr_parse */
	int prefix;          /* 0..32 or 0..128 */
};

#define IP_STR_MAX   46 /* INET6_ADDRSTRLEN */
#define CIDR_STR_MAX 50

/* Strict parsing: no leading/trailing junk, no leading zeros in IPv4 octets. -EINVAL on error. */
int ip_parse(const char *text, struct ip_addr *out);
/* "a.b.c.d/n" or "x::y/n". A bare address is accepted as /32 or /128 only when
 * allow_bare is true. Host bits must be zero unless allow_host_bits (then masked). */
int cidr_parse(const char *text, bool allow_bare, bool allow_host_bits, struct cidr *out);

/* Canonical text (inet_ntop). buf must hold IP_STR_MAX / CIDR_STR_MAX. Returns buf. */
char *ip_format(const struct ip_addr *ip, char *buf);
char *cidr_format(const struct cidr *c, char *buf);

/* The address after the net's last (4 or 16 bytes, network order): where an
 * interval of the net ends, as nf_tables keeps it. false when that would wrap
 * past the end of the address space. */
bool cidr_after_last(const struct cidr *c, uint8_t after[16]);

bool cidr_contains(const struct cidr *outer, const struct ip_addr *ip);
bool cidr_contains_cidr(const struct cidr *outer, const struct cidr *inner);
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);
int ip_cmp(const struct ip_addr *a, const struct ip_addr *b);
/* Number of addresses in a CIDR of at most 64 host bits (saturates at UINT64_MAX). */
uint64_t cidr_size(const struct cidr *c);
/* ip = base + offset (same family; wraps silently). */
void ip_add(const struct ip_addr *base, uint64_t offset, struct ip_addr *out);
/* Offset of ip from base (low 64 bits of the difference). */
uint64_t ip_diff(const struct ip_addr *ip, const struct ip_addr *base);

/* Datastore keys write a CIDR with '/' replaced by '-': "10.0.0.0-26". */
char *cidr_to_key(const struct cidr *c, char *buf);
int cidr_from_key(const char *text, struct cidr *out);

#endif
