/* IPv4/IPv6 addresses and CIDRs. inet_pton does the hard part; around it we
 * refuse everything it would let through that is ambiguous in a datastore key
 * or a rule (leading zeros read as octal by other tools, junk, odd prefixes). */
#include "util/ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int addr_len(int family)
{
	return family == 4 ? 4 : 16;
}

/* inet_pton(AF_INET) already refuses "1.2.3" and junk, but glibc accepts
 * "01.2.3.4"; other tools read that as octal, so it is ambiguous: refuse. */
static bool v4_octets_plain(const char *s)
{
	for (const char *p = s; *p; p++) {
		bool starts = p == s || p[-1] == '.';
		if (starts && p[0] == '0' && p[1] >= '0' && p[1] <= '9')
			return false;
	}
	return true;
}

int ip_parse(const char *text, struct ip_addr *out)
{
	struct ip_addr ip = { 0 };

	if (!text || !*text || strlen(text) >= IP_STR_MAX)
		return -EINVAL;
	if (strchr(text, ':')) {
		if (inet_pton(AF_INET6, text, ip.bytes) != 1)
			return -EINVAL;
		ip.family = 6;
	} else {
		if (!v4_octets_plain(text) || inet_pton(AF_INET, text, ip.bytes) != 1)
			return -EINVAL;
		ip.family = 4;
	}
	*out = ip;
	return 0;
}

/* Decimal 0..max, no sign, no leading zeros (so the text form is canonical). */
static int parse_prefix(const char *s, int max, int *out)
{
	int v = 0;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static void mask_host_bits(struct ip_addr *ip, int prefix)
{
	int len = addr_len(ip->family);
	for (int i = 0; i < len; i++) {
		int bits = prefix - 8 * i;
		if (bits >= 8)
			continue;
		ip->bytes[i] &= bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

int cidr_parse(const char *text, bool allow_bare, bool allow_host_bits, struct cidr *out)
{
	char addr[IP_STR_MAX];
	struct cidr c = { 0 };

	if (!text)
		return -EINVAL;
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (ip_parse(addr, &c.addr) < 0)
		return -EINVAL;
	int max = c.addr.family == 4 ? 32 : 128;
	if (!slash) {
		if (!allow_bare)
			return -EINVAL;
		c.prefix = max;
	} else if (parse_prefix(slash + 1, max, &c.prefix) < 0) {
		return -EINVAL;
	}
	struct ip_addr net = c.addr;
	mask_host_bits(&net, c.prefix);
	if (memcmp(&net, &c.addr, sizeof(net)) != 0 && !allow_host_bits)
		return -EINVAL;
	c.addr = net;
	*out = c;
	return 0;
}

char *ip_format(const struct ip_addr *ip, char *buf)
{
	if (!inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->bytes, buf, IP_STR_MAX))
		buf[0] = '\0';
	return buf;
}

char *cidr_format(const struct cidr *c, char *buf)
{
	char ip[IP_STR_MAX];
	snprintf(buf, CIDR_STR_MAX, "%s/%d", ip_format(&c->addr, ip), c->prefix);
	return buf;
}

bool cidr_contains(const struct cidr *outer, const struct ip_addr *ip)
{
	if (outer->addr.family != ip->family)
		return false;
	struct ip_addr net = *ip;
	mask_host_bits(&net, outer->prefix);
	return memcmp(net.bytes, outer->addr.bytes, (size_t)addr_len(ip->family)) == 0;
}

bool cidr_contains_cidr(const struct cidr *outer, const struct cidr *inner)
{
	return inner->prefix >= outer->prefix && cidr_contains(outer, &inner->addr);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	return cidr_contains_cidr(a, b) || cidr_contains_cidr(b, a);
}

int ip_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int r = memcmp(a->bytes, b->bytes, (size_t)addr_len(a->family));
	return r < 0 ? -1 : r > 0;
}

uint64_t cidr_size(const struct cidr *c)
{
	int host = (c->addr.family == 4 ? 32 : 128) - c->prefix;
	if (host >= 64)
		return UINT64_MAX;
	return (uint64_t)1 << host;
}

void ip_add(const struct ip_addr *base, uint64_t offset, struct ip_addr *out)
{
	struct ip_addr r = *base;
	unsigned carry = 0;
	for (int i = addr_len(base->family) - 1; i >= 0; i--) {
		unsigned sum = r.bytes[i] + (unsigned)(offset & 0xff) + carry;
		r.bytes[i] = (uint8_t)sum;
		carry = sum >> 8;
		offset >>= 8;
	}
	*out = r;
}

uint64_t ip_diff(const struct ip_addr *ip, const struct ip_addr *base)
{
	uint64_t a = 0, b = 0;
	int len = addr_len(ip->family);
	for (int i = len > 8 ? len - 8 : 0; i < len; i++) {
		a = (a << 8) | ip->bytes[i];
		b = (b << 8) | base->bytes[i];
	}
	return a - b;
}

char *cidr_to_key(const struct cidr *c, char *buf)
{
	cidr_format(c, buf);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '-';
	return buf;
}

int cidr_from_key(const char *text, struct cidr *out)
{
	char buf[CIDR_STR_MAX];
	if (!text || strlen(text) >= sizeof(buf) || strchr(text, '/'))
		return -EINVAL;
	strcpy(buf, text);
	char *dash = strrchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '/';
	return cidr_parse(buf, false, false, out);
}

bool cidr_after_last(const struct cidr *c, uint8_t after[16])
{
	size_t len = c->addr.family == 4 ? 4 : 16;
	memcpy(after, c->addr.bytes, len);
	for (size_t i = 0; i < len; i++) {
		int host_bits = (int)(i + 1) * 8 - c->prefix;
		if (host_bits >= 8)
			after[i] = 0xff;
		else if (host_bits > 0)
			after[i] |= (uint8_t)((1u << host_bits) - 1);
	}
	for (size_t i = len; i-- > 0;)
		if (++after[i] != 0)
			return true;
	return false;
}
