/* Translating one Calico rule into nftables rule texts.
 *
 * Expression order in a rule text: family guard or addresses first (cheap
 * compares and set lookups), then protocol, ports and ICMP type/code, then
 * the verdict. Port lists are sorted so that one rule has one spelling, and
 * lists of two or more are named sets shared by content (see nft_rule.h). */
#include "policy/nft_rule.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nft_text_put(struct nft_text *t, const char *fmt, ...)
{
	va_list ap;
	if (t->overflow)
		return;
	if (t->len) {
		if (t->len + 1 >= sizeof(t->buf)) {
			t->overflow = true;
			return;
		}
		t->buf[t->len++] = ' ';
		t->buf[t->len] = '\0';
	}
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(t->buf) - t->len)
		t->overflow = true;
	else
		t->len += (size_t)n;
}

/* The protocol as a canonical kind: a number that names tcp/udp/icmp/icmpv6
 * is that protocol. */
static enum rule_protocol proto_kind(const struct rule *r, int *number)
{
	*number = r->protocol_number;
	if (r->protocol != PROTO_NUMBER)
		return r->protocol;
	switch (r->protocol_number) {
	case 6: return PROTO_TCP;
	case 17: return PROTO_UDP;
	case 1: return PROTO_ICMP;
	case 58: return PROTO_ICMPV6;
	default: return PROTO_NUMBER;
	}
}

static unsigned family_bit(int family)
{
	return family == 4 ? NFT_FAMILY_V4 : family == 6 ? NFT_FAMILY_V6 : 0;
}

unsigned nft_rule_families(const struct rule *r)
{
	int number;
	unsigned fam = NFT_FAMILY_V4 | NFT_FAMILY_V6;
	enum rule_protocol p = proto_kind(r, &number);
	bool ported = p == PROTO_TCP || p == PROTO_UDP;

	if (r->ip_version)
		fam &= family_bit(r->ip_version);
	if (p == PROTO_ICMP)
		fam &= NFT_FAMILY_V4;
	if (p == PROTO_ICMPV6)
		fam &= NFT_FAMILY_V6;
	if (r->has_src_net)
		fam &= family_bit(r->src_net.addr.family);
	if (r->has_dst_net)
		fam &= family_bit(r->dst_net.addr.family);
	/* Matches the validator refuses; if one gets here, it matches nothing
	 * rather than something wider than written. */
	if ((r->n_src_ports || r->n_dst_ports) && !ported)
		fam = 0;
	if (r->icmp_type >= 0 && p != PROTO_ICMP && p != PROTO_ICMPV6)
		fam = 0;
	return fam;
}

void nft_tag_set_name(char out[NFT_NAME_MAX], const char *tag, int family)
{
	snprintf(out, NFT_NAME_MAX, "tag%d-%s", family, tag);
}

int nft_port_range_cmp(const void *a, const void *b)
{
	const struct port_range *x = a, *y = b;
	return x->first != y->first ? (x->first < y->first ? -1 : 1) : (x->last > y->last) - (x->last < y->last);
}

void nft_port_elem_text(const struct port_range *p, char out[16])
{
	if (p->first == p->last)
		snprintf(out, 16, "%u", p->first);
	else
		snprintf(out, 16, "%u-%u", p->first, p->last);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void nft_port_set_name(const struct port_range *sorted, size_t n, char out[NFT_NAME_MAX])
{
	char elem[16];
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		nft_port_elem_text(&sorted[i], elem);
		h = fnv1a(fnv1a(h, elem), ",");
	}
	snprintf(out, NFT_NAME_MAX, "ports-%016llx", (unsigned long long)h);
}

static int put_ports(struct nft_text *t, const char *proto, const char *dir, const struct port_range *in, size_t n,
		     const struct nft_rule_sets *sets)
{
	struct port_range sorted[RULE_PORTS_MAX];
	char elem[16], name[NFT_NAME_MAX];
	int rc;

	if (n == 0)
		return 0;
	if (n > RULE_PORTS_MAX)
		return -E2BIG;
	if (n == 1) {
		nft_port_elem_text(in, elem);
		nft_text_put(t, "%s %s %s", proto, dir, elem);
		return 0;
	}
	memcpy(sorted, in, n * sizeof(*in));
	qsort(sorted, n, sizeof(*sorted), nft_port_range_cmp);
	nft_port_set_name(sorted, n, name);
	if ((rc = sets->port_set(sets->ctx, name, sorted, n)) < 0)
		return rc;
	nft_text_put(t, "%s %s @%s", proto, dir, name);
	return 0;
}

static void put_net(struct nft_text *t, const char *ipkw, const char *dir, const struct cidr *c)
{
	char s[CIDR_STR_MAX];
	nft_text_put(t, "%s %s %s", ipkw, dir, cidr_format(c, s));
}

static void put_tag(struct nft_text *t, const char *ipkw, const char *dir, const char *tag, int family)
{
	char name[NFT_NAME_MAX];
	nft_tag_set_name(name, tag, family);
	nft_text_put(t, "%s %s @%s", ipkw, dir, name);
}

static int put_protocol(struct nft_text *t, const struct rule *r, const struct nft_rule_sets *sets)
{
	int number, rc = 0;
	enum rule_protocol p = proto_kind(r, &number);

	switch (p) {
	case PROTO_ANY:
		break;
	case PROTO_TCP:
	case PROTO_UDP: {
		const char *name = p == PROTO_TCP ? "tcp" : "udp";
		if (!r->n_src_ports && !r->n_dst_ports)
			nft_text_put(t, "meta l4proto %s", name);
		if ((rc = put_ports(t, name, "sport", r->src_ports, r->n_src_ports, sets)) == 0)
			rc = put_ports(t, name, "dport", r->dst_ports, r->n_dst_ports, sets);
		break;
	}
	case PROTO_ICMP:
	case PROTO_ICMPV6: {
		const char *name = p == PROTO_ICMP ? "icmp" : "icmpv6";
		if (r->icmp_type < 0)
			nft_text_put(t, "meta l4proto %s", p == PROTO_ICMP ? "icmp" : "ipv6-icmp");
		else
			nft_text_put(t, "%s type %d", name, r->icmp_type);
		if (r->icmp_type >= 0 && r->icmp_code >= 0)
			nft_text_put(t, "%s code %d", name, r->icmp_code);
		break;
	}
	case PROTO_NUMBER:
		nft_text_put(t, "meta l4proto %d", number);
		break;
	}
	return rc;
}

/* family 0: a text for both families (the rule names no address). */
static int append_one(struct nft_chain *c, const struct rule *r, int family, const char *verdict,
		      const struct nft_rule_sets *sets)
{
	int rc;
	struct nft_text t = { .len = 0 };
	const char *ipkw = family == 6 ? "ip6" : "ip";
	bool addressed = r->has_src_net || r->has_dst_net || r->src_tag[0] || r->dst_tag[0];

	t.buf[0] = '\0';
	if (family && !addressed)
		nft_text_put(&t, "meta nfproto ipv%d", family);
	if (r->has_src_net)
		put_net(&t, ipkw, "saddr", &r->src_net);
	if (r->src_tag[0])
		put_tag(&t, ipkw, "saddr", r->src_tag, family);
	if (r->has_dst_net)
		put_net(&t, ipkw, "daddr", &r->dst_net);
	if (r->dst_tag[0])
		put_tag(&t, ipkw, "daddr", r->dst_tag, family);
	if ((rc = put_protocol(&t, r, sets)) < 0)
		return rc;
	nft_text_put(&t, "%s", verdict);
	if (t.overflow)
		return -E2BIG;
	return nft_chain_add_rule(c, "%s", t.buf);
}

int nft_rule_append(struct nft_chain *c, const struct rule *r, const char *verdict, const struct nft_rule_sets *sets)
{
	unsigned fam = nft_rule_families(r);
	bool addressed = r->has_src_net || r->has_dst_net || r->src_tag[0] || r->dst_tag[0];
	int rc = 0;

	if (fam == (NFT_FAMILY_V4 | NFT_FAMILY_V6) && !addressed)
		return append_one(c, r, 0, verdict, sets);
	if (fam & NFT_FAMILY_V4)
		rc = append_one(c, r, 4, verdict, sets);
	if (rc == 0 && (fam & NFT_FAMILY_V6))
		rc = append_one(c, r, 6, verdict, sets);
	return rc;
}
