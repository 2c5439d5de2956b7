/* Rule texts as nf_tables expressions (nft_nl_rule.h). */
#include "policy/nft_nl_rule.h"

#include <errno.h>
#include <stdio.h> /* before libnftnl's headers, which use FILE */
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/ipaddr.h"

#define MAX_TOKENS 160
#define IFNAME_LEN 16

/* nft's datatype numbers (its datatype.h), kept in a set's key type */
#define NFT_TYPE_ICMP6_TYPE 29

struct tok {
	const char *p;
	size_t n;
};

struct rule_ctx {
	struct nftnl_rule *r;
	struct tok t[MAX_TOKENS];
	size_t n, i;
	int nfproto;     /* 0, or the family an earlier match implied */
	int l4proto;     /* -1, or the protocol an earlier match implied */
	bool verdict;    /* the rule has its verdict: only a comment may follow */
	uint32_t anon_id;
	struct nft_nl_anon *anon;
};

/* ---------- tokens ---------- */

static int tokenize(struct rule_ctx *c, const char *text)
{
	const char *p = text;
	c->n = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return 0;
		if (c->n == MAX_TOKENS)
			return -ENOTSUP;
		const char *start = p;
		if (*p == '"') {
			const char *q = strchr(p + 1, '"');
			if (!q)
				return -EINVAL;
			p = q + 1;
		} else {
			p += strcspn(p, " \n");
		}
		c->t[c->n++] = (struct tok){ start, (size_t)(p - start) };
	}
}

static bool is(const struct tok *t, const char *word)
{
	return t->n == strlen(word) && memcmp(t->p, word, t->n) == 0;
}

/* The next token, or NULL at the end. */
static const struct tok *next(struct rule_ctx *c)
{
	return c->i < c->n ? &c->t[c->i++] : NULL;
}

static bool next_is(struct rule_ctx *c, const char *word)
{
	if (c->i < c->n && is(&c->t[c->i], word)) {
		c->i++;
		return true;
	}
	return false;
}

/* A token as a C string (without the quotes of a quoted one). */
static int tok_str(const struct tok *t, char *out, size_t cap, bool quoted)
{
	const char *p = t->p;
	size_t n = t->n;
	if (quoted) {
		if (n < 2 || p[0] != '"' || p[n - 1] != '"')
			return -EINVAL;
		p++;
		n -= 2;
	}
	if (n >= cap)
		return -ENOTSUP;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

static int tok_u64(const struct tok *t, uint64_t max, uint64_t *out)
{
	char s[32], *end;
	if (!t || tok_str(t, s, sizeof(s), false) < 0 || !s[0])
		return -ENOTSUP;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end || v > max || s[0] == '-')
		return -ENOTSUP;
	*out = v;
	return 0;
}

/* ---------- expressions ---------- */

static int add(struct rule_ctx *c, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(c->r, e);
	return 0;
}

static int meta_load(struct rule_ctx *c, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return add(c, e);
}

static int cmp(struct rule_ctx *c, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add(c, e);
}

static int bitwise(struct rule_ctx *c, const void *mask, const void *xor, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	}
	return add(c, e);
}

static int payload(struct rule_ctx *c, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	return add(c, e);
}

/* "@name" (a named set; a verdict map when vmap) or the rule's anonymous set (name NULL) */
static int lookup(struct rule_ctx *c, const struct tok *name, bool inverted, bool vmap)
{
	char set[NFT_SET_MAXNAMELEN];
	struct nftnl_expr *e;
	if (name) {
		if (name->n < 2 || name->p[0] != '@' || name->n - 1 >= sizeof(set))
			return -ENOTSUP;
		memcpy(set, name->p + 1, name->n - 1);
		set[name->n - 1] = '\0';
	} else {
		snprintf(set, sizeof(set), "__set%%d");
	}
	if (!(e = nftnl_expr_alloc("lookup")))
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (!name)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, c->anon_id);
	if (vmap)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	if (inverted)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
	return add(c, e);
}

/* A dependency nft adds before a match in an inet table, unless an earlier
 * match of the rule implied it. Two families or protocols in one rule are
 * libnftables' business (it refuses or reorders them). */
static int need_nfproto(struct rule_ctx *c, int family)
{
	if (c->nfproto == family)
		return 0;
	if (c->nfproto)
		return -ENOTSUP;
	c->nfproto = family;
	uint8_t v = (uint8_t)family;
	int rc = meta_load(c, NFT_META_NFPROTO);
	return rc < 0 ? rc : cmp(c, NFT_CMP_EQ, &v, 1);
}

static int need_l4proto(struct rule_ctx *c, int proto)
{
	if (c->l4proto == proto)
		return 0;
	if (c->l4proto >= 0)
		return -ENOTSUP;
	c->l4proto = proto;
	uint8_t v = (uint8_t)proto;
	int rc = meta_load(c, NFT_META_L4PROTO);
	return rc < 0 ? rc : cmp(c, NFT_CMP_EQ, &v, 1);
}

/* "!=" (true) or "==" / nothing (false) before a value */
static bool negated(struct rule_ctx *c)
{
	if (next_is(c, "!="))
		return true;
	next_is(c, "==");
	return false;
}

/* ---------- matches ---------- */

static const struct {
	const char *name;
	int proto;
} l4_names[] = { { "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "ipv6-icmp", 58 }, { "icmpv6", 58 },
		 { "sctp", 132 }, { "udplite", 136 }, { "dccp", 33 }, { "esp", 50 }, { "ah", 51 } };

static int l4proto_value(const struct tok *t)
{
	uint64_t v;
	for (size_t i = 0; t && i < sizeof(l4_names) / sizeof(l4_names[0]); i++)
		if (is(t, l4_names[i].name))
			return l4_names[i].proto;
	return tok_u64(t, 255, &v) < 0 ? -1 : (int)v;
}

static int match_meta(struct rule_ctx *c)
{
	const struct tok *key = next(c);
	int rc;
	if (!key)
		return -EINVAL;
	if (is(key, "nfproto")) {
		const struct tok *v = next(c);
		int fam = v && is(v, "ipv4") ? NFPROTO_IPV4 : v && is(v, "ipv6") ? NFPROTO_IPV6 : 0;
		if (!fam)
			return -ENOTSUP;
		return need_nfproto(c, fam);
	}
	if (is(key, "l4proto")) {
		bool neq = negated(c);
		int proto = l4proto_value(next(c));
		if (proto < 0)
			return -ENOTSUP;
		if (!neq)
			return need_l4proto(c, proto);
		uint8_t v = (uint8_t)proto;
		return (rc = meta_load(c, NFT_META_L4PROTO)) < 0 ? rc : cmp(c, NFT_CMP_NEQ, &v, 1);
	}
	if (!is(key, "mark"))
		return -ENOTSUP;
	uint64_t a, b;
	if (next_is(c, "&")) { /* meta mark & A == B */
		if (tok_u64(next(c), UINT32_MAX, &a) < 0 || !next_is(c, "==") || tok_u64(next(c), UINT32_MAX, &b) < 0)
			return -ENOTSUP;
		uint32_t mask = (uint32_t)a, zero = 0, want = (uint32_t)b;
		if ((rc = meta_load(c, NFT_META_MARK)) < 0 || (rc = bitwise(c, &mask, &zero, 4)) < 0)
			return rc;
		return cmp(c, NFT_CMP_EQ, &want, 4);
	}
	/* meta mark set meta mark & A  /  meta mark set meta mark | A */
	if (!next_is(c, "set") || !next_is(c, "meta") || !next_is(c, "mark"))
		return -ENOTSUP;
	bool or = next_is(c, "|");
	if (!or && !next_is(c, "&"))
		return -ENOTSUP;
	if (tok_u64(next(c), UINT32_MAX, &a) < 0)
		return -ENOTSUP;
	uint32_t mask = or ? ~(uint32_t)a : (uint32_t)a, xor = or ? (uint32_t)a : 0;
	if ((rc = meta_load(c, NFT_META_MARK)) < 0 || (rc = bitwise(c, &mask, &xor, 4)) < 0)
		return rc;
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	}
	return add(c, e);
}

/* iifname / oifname: "name", "prefix*" (the prefix only), or vmap @map */
static int match_ifname(struct rule_ctx *c, uint32_t key)
{
	int rc;
	if ((rc = meta_load(c, key)) < 0)
		return rc;
	if (next_is(c, "vmap")) {
		if ((rc = lookup(c, next(c), false, true)) == 0)
			c->verdict = true;
		return rc;
	}
	bool neq = negated(c);
	const struct tok *v = next(c);
	char name[IFNAME_LEN + 1];
	uint8_t data[IFNAME_LEN] = { 0 };
	if (!v || tok_str(v, name, sizeof(name), true) < 0 || !name[0] || strchr(name, '\\'))
		return -ENOTSUP;
	size_t len = strlen(name);
	if (name[len - 1] == '*') {
		if (len == 1 || neq)
			return -ENOTSUP;
		memcpy(data, name, len - 1);
		return cmp(c, NFT_CMP_EQ, data, (uint32_t)(len - 1));
	}
	if (len >= IFNAME_LEN)
		return -ENOTSUP;
	memcpy(data, name, len);
	return cmp(c, neq ? NFT_CMP_NEQ : NFT_CMP_EQ, data, IFNAME_LEN);
}

static int match_ct(struct rule_ctx *c)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} states[] = { { "invalid", 1 }, { "established", 2 }, { "related", 4 }, { "new", 8 }, { "untracked", 64 } };
	const struct tok *v;
	uint32_t bits = 0, zero = 0;
	int rc;
	if (!next_is(c, "state") || (c->i < c->n && is(&c->t[c->i], "!=")) || !(v = next(c)))
		return -ENOTSUP;
	for (const char *p = v->p, *end = v->p + v->n; p < end;) {
		size_t n = (size_t)(end - p), k = 0;
		const char *comma = memchr(p, ',', n);
		if (comma)
			n = (size_t)(comma - p);
		for (; k < sizeof(states) / sizeof(states[0]); k++)
			if (n == strlen(states[k].name) && memcmp(p, states[k].name, n) == 0)
				break;
		if (k == sizeof(states) / sizeof(states[0]))
			return -ENOTSUP;
		bits |= states[k].bit;
		p += n + (comma ? 1 : 0);
	}
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	if ((rc = add(c, e)) < 0 || (rc = bitwise(c, &bits, &zero, 4)) < 0)
		return rc;
	return cmp(c, NFT_CMP_NEQ, &zero, 4);
}

/* an address or prefix after "ip saddr" etc.: nft loads only the prefix's
 * whole bytes, and masks a prefix that ends inside a byte */
static int match_addr(struct rule_ctx *c, int family, uint32_t offset, const struct tok *v, bool neq)
{
	char text[CIDR_STR_MAX];
	struct cidr net;
	int rc;
	if (tok_str(v, text, sizeof(text), false) < 0 || cidr_parse(text, true, false, &net) < 0 ||
	    net.addr.family != family || net.prefix == 0)
		return -ENOTSUP;
	uint32_t len = family == 4 ? 4 : 16, op = neq ? NFT_CMP_NEQ : NFT_CMP_EQ;
	if (net.prefix % 8 == 0) {
		uint32_t bytes = (uint32_t)net.prefix / 8;
		if ((rc = payload(c, NFT_PAYLOAD_NETWORK_HEADER, offset, bytes)) < 0)
			return rc;
		return cmp(c, op, net.addr.bytes, bytes);
	}
	uint8_t mask[16] = { 0 }, zero[16] = { 0 };
	for (int b = 0; b < net.prefix; b++)
		mask[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	if ((rc = payload(c, NFT_PAYLOAD_NETWORK_HEADER, offset, len)) < 0 || (rc = bitwise(c, mask, zero, len)) < 0)
		return rc;
	return cmp(c, op, net.addr.bytes, len);
}

static int match_ip(struct rule_ctx *c, int family)
{
	const struct tok *field = next(c);
	int nfproto = family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6, rc;
	if (!field)
		return -EINVAL;
	if ((rc = need_nfproto(c, nfproto)) < 0)
		return rc;
	if (family == 6 && is(field, "hoplimit")) {
		uint64_t v;
		if (negated(c) || tok_u64(next(c), 255, &v) < 0)
			return -ENOTSUP;
		uint8_t b = (uint8_t)v;
		return (rc = payload(c, NFT_PAYLOAD_NETWORK_HEADER, 7, 1)) < 0 ? rc : cmp(c, NFT_CMP_EQ, &b, 1);
	}
	uint32_t offset;
	if (is(field, "saddr"))
		offset = family == 4 ? 12 : 8;
	else if (is(field, "daddr"))
		offset = family == 4 ? 16 : 24;
	else
		return -ENOTSUP;
	bool neq = negated(c);
	const struct tok *v = next(c);
	if (!v)
		return -EINVAL;
	if (v->p[0] == '@') {
		if ((rc = payload(c, NFT_PAYLOAD_NETWORK_HEADER, offset, family == 4 ? 4 : 16)) < 0)
			return rc;
		return lookup(c, v, neq, false);
	}
	return match_addr(c, family, offset, v, neq);
}

/* tcp/udp/th sport/dport: a port, "a-b", or a named set */
static int match_port(struct rule_ctx *c, int proto)
{
	const struct tok *field = next(c);
	uint32_t offset;
	int rc;
	if (!field)
		return -EINVAL;
	if (is(field, "sport"))
		offset = 0;
	else if (is(field, "dport"))
		offset = 2;
	else
		return -ENOTSUP;
	if (proto && (rc = need_l4proto(c, proto)) < 0)
		return rc;
	bool neq = negated(c);
	const struct tok *v = next(c);
	if (!v)
		return -EINVAL;
	if ((rc = payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2)) < 0)
		return rc;
	if (v->p[0] == '@')
		return lookup(c, v, neq, false);
	char text[16], *dash;
	uint64_t lo, hi;
	if (tok_str(v, text, sizeof(text), false) < 0)
		return -ENOTSUP;
	if ((dash = strchr(text, '-')))
		*dash = '\0';
	struct tok a = { text, strlen(text) }, b = { dash ? dash + 1 : text, strlen(dash ? dash + 1 : text) };
	if (tok_u64(&a, 65535, &lo) < 0 || tok_u64(&b, 65535, &hi) < 0 || hi < lo)
		return -ENOTSUP;
	uint8_t from[2] = { (uint8_t)(lo >> 8), (uint8_t)lo }, to[2] = { (uint8_t)(hi >> 8), (uint8_t)hi };
	if (!dash)
		return cmp(c, neq ? NFT_CMP_NEQ : NFT_CMP_EQ, from, 2);
	if (!neq) { /* as nft 1.0.6 writes a range it matches */
		if ((rc = cmp(c, NFT_CMP_GTE, from, 2)) < 0)
			return rc;
		return cmp(c, NFT_CMP_LTE, to, 2);
	}
	struct nftnl_expr *e = nftnl_expr_alloc("range");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RANGE_OP, NFT_RANGE_NEQ);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_FROM_DATA, from, 2);
		nftnl_expr_set(e, NFTNL_EXPR_RANGE_TO_DATA, to, 2);
	}
	return add(c, e);
}

static const struct {
	const char *name;
	uint8_t type;
} icmp6_names[] = { { "destination-unreachable", 1 }, { "packet-too-big", 2 }, { "time-exceeded", 3 },
		    { "parameter-problem", 4 }, { "echo-request", 128 }, { "echo-reply", 129 },
		    { "mld-listener-query", 130 }, { "mld-listener-report", 131 }, { "mld-listener-done", 132 },
		    { "nd-router-solicit", 133 }, { "nd-router-advert", 134 }, { "nd-neighbor-solicit", 135 },
		    { "nd-neighbor-advert", 136 }, { "nd-redirect", 137 }, { "mld2-listener-report", 143 } };

/* an icmpv6 type by name or number (a trailing comma of a list stripped) */
static int icmp6_type(const struct tok *t, uint8_t *out)
{
	struct tok s = *t;
	uint64_t v;
	if (s.n && s.p[s.n - 1] == ',')
		s.n--;
	for (size_t i = 0; i < sizeof(icmp6_names) / sizeof(icmp6_names[0]); i++)
		if (is(&s, icmp6_names[i].name)) {
			*out = icmp6_names[i].type;
			return 0;
		}
	if (tok_u64(&s, 255, &v) < 0)
		return -ENOTSUP;
	*out = (uint8_t)v;
	return 0;
}

/* nft's description of an icmpv6 type key ("typeof icmpv6 type"), as
 * libnftables 1.0.6 stores it with an anonymous set of such types */
static const uint8_t icmp6_type_udata[] = { 0x00, 0x04, 0x02, 0x00, 0x00, 0x00, 0x03, 0x14, 0x00, 0x04,
					    0x07, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x04, 0x0e, 0x00,
					    0x00, 0x00, 0x01, 0x04, 0x01, 0x00, 0x00, 0x00 };

/* icmp / icmpv6 type and code (a number, a name for icmpv6, or a list of types) */
static int match_icmp(struct rule_ctx *c, int family)
{
	const struct tok *field = next(c);
	int rc;
	if (!field)
		return -EINVAL;
	uint32_t offset = is(field, "type") ? 0 : is(field, "code") ? 1 : 2;
	if (offset == 2)
		return -ENOTSUP;
	if ((rc = need_nfproto(c, family == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6)) < 0 ||
	    (rc = need_l4proto(c, family == 4 ? 1 : 58)) < 0)
		return rc;
	bool neq = negated(c);
	const struct tok *v = next(c);
	if (!v)
		return -EINVAL;
	if (is(v, "{")) {
		if ((rc = payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 1)) < 0)
			return rc;
		if (family != 6 || offset != 0 || !c->anon || c->anon->n_elems)
			return -ENOTSUP;
		struct nft_nl_anon *a = c->anon;
		const struct tok *e;
		while ((e = next(c)) && !is(e, "}")) {
			if (a->n_elems == NFT_NL_ANON_MAX || icmp6_type(e, &a->elems[a->n_elems][0]) < 0)
				return -ENOTSUP;
			a->n_elems++;
		}
		if (!e || !a->n_elems)
			return -EINVAL;
		a->id = c->anon_id;
		a->key_type = NFT_TYPE_ICMP6_TYPE;
		a->key_len = 1;
		a->udata = icmp6_type_udata;
		a->udata_len = sizeof(icmp6_type_udata);
		return lookup(c, NULL, neq, false);
	}
	uint8_t b[2];
	uint64_t n;
	if (family == 6 && offset == 0) {
		if (icmp6_type(v, &b[0]) < 0)
			return -ENOTSUP;
	} else {
		if (tok_u64(v, 255, &n) < 0)
			return -ENOTSUP;
		b[0] = (uint8_t)n;
	}
	/* "type T <family> code C": nft loads and compares both bytes at once */
	uint32_t len = 1;
	if (offset == 0 && !neq && c->i + 2 < c->n && is(&c->t[c->i], family == 4 ? "icmp" : "icmpv6") &&
	    is(&c->t[c->i + 1], "code") && tok_u64(&c->t[c->i + 2], 255, &n) == 0) {
		b[1] = (uint8_t)n;
		len = 2;
		c->i += 3;
	}
	if ((rc = payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, offset, len)) < 0)
		return rc;
	return cmp(c, neq ? NFT_CMP_NEQ : NFT_CMP_EQ, b, len);
}

/* hex digits of a value of len bytes, most significant first */
static int hex_bytes(const struct tok *t, uint8_t *out, size_t len)
{
	char text[80];
	if (!t || tok_str(t, text, sizeof(text), false) < 0 || strncmp(text, "0x", 2) != 0)
		return -ENOTSUP;
	size_t digits = strlen(text + 2);
	if (!digits || digits > 2 * len)
		return -ENOTSUP;
	memset(out, 0, len);
	for (size_t k = 0; k < digits; k++) {
		char ch = text[2 + digits - 1 - k];
		int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
		if (v < 0)
			return -ENOTSUP;
		out[len - 1 - k / 2] |= (uint8_t)(k % 2 ? v << 4 : v);
	}
	return 0;
}

/* "@th,OFFSET,LENGTH [& MASK] != VALUE": raw transport-header bits, whole bytes only */
static int match_raw(struct rule_ctx *c, const struct tok *t)
{
	unsigned off, bits;
	int used = 0, rc;
	char text[32];
	if (tok_str(t, text, sizeof(text), false) < 0 || sscanf(text, "@th,%u,%u%n", &off, &bits, &used) != 2 ||
	    text[used] || off % 8 || bits % 8 || !bits || bits > 128)
		return -ENOTSUP;
	uint32_t len = bits / 8;
	uint8_t mask[16], zero[16] = { 0 }, value[16];
	if ((rc = payload(c, NFT_PAYLOAD_TRANSPORT_HEADER, off / 8, len)) < 0)
		return rc;
	if (next_is(c, "&")) {
		if (hex_bytes(next(c), mask, len) < 0)
			return -ENOTSUP;
		if ((rc = bitwise(c, mask, zero, len)) < 0)
			return rc;
	}
	bool neq = negated(c);
	if (hex_bytes(next(c), value, len) < 0)
		return -ENOTSUP;
	return cmp(c, neq ? NFT_CMP_NEQ : NFT_CMP_EQ, value, len);
}

/* ---------- statements ---------- */

/* limit rate N/second burst M packets */
static int stmt_limit(struct rule_ctx *c)
{
	char text[32], *slash;
	uint64_t rate, burst;
	const struct tok *v;
	if (!next_is(c, "rate") || !(v = next(c)) || tok_str(v, text, sizeof(text), false) < 0 ||
	    !(slash = strchr(text, '/')) || strcmp(slash, "/second") != 0)
		return -ENOTSUP;
	*slash = '\0';
	struct tok r = { text, strlen(text) };
	if (tok_u64(&r, UINT32_MAX, &rate) < 0 || !next_is(c, "burst") || tok_u64(next(c), UINT32_MAX, &burst) < 0 ||
	    !next_is(c, "packets"))
		return -ENOTSUP;
	struct nftnl_expr *e = nftnl_expr_alloc("limit");
	if (e) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, (uint32_t)burst);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
	}
	return add(c, e);
}

/* log [group N] [prefix "S"] */
static int stmt_log(struct rule_ctx *c)
{
	char prefix[128] = "";
	uint64_t group = 0;
	bool has_group = false, has_prefix = false;
	for (;;) {
		if (next_is(c, "group")) {
			if (has_group || tok_u64(next(c), 65535, &group) < 0)
				return -ENOTSUP;
			has_group = true;
		} else if (next_is(c, "prefix")) {
			const struct tok *v = next(c);
			if (has_prefix || !v || tok_str(v, prefix, sizeof(prefix), true) < 0 || strchr(prefix, '\\'))
				return -ENOTSUP;
			has_prefix = true;
		} else {
			break;
		}
	}
	struct nftnl_expr *e = nftnl_expr_alloc("log");
	if (e) {
		if (has_prefix)
			nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix);
		if (has_group)
			nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, (uint16_t)group);
	}
	return add(c, e);
}

static int stmt_verdict(struct rule_ctx *c, int code, const struct tok *chain)
{
	char name[NFT_CHAIN_MAXNAMELEN];
	if (chain && tok_str(chain, name, sizeof(name), false) < 0)
		return -ENOTSUP;
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)code);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, name);
	}
	c->verdict = true;
	return add(c, e);
}

static int stmt_comment(struct rule_ctx *c)
{
	char text[NFT_USERDATA_MAXLEN];
	const struct tok *v = next(c);
	if (!v || tok_str(v, text, sizeof(text) - 8, true) < 0 || strchr(text, '\\') || c->i != c->n)
		return -ENOTSUP;
	struct nftnl_udata_buf *buf = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	if (!buf)
		return -ENOMEM;
	int rc = nftnl_udata_put_strz(buf, NFTNL_UDATA_RULE_COMMENT, text) ? 0 : -ENOTSUP;
	if (rc == 0 && nftnl_rule_set_data(c->r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(buf),
					   nftnl_udata_buf_len(buf)) < 0)
		rc = -ENOMEM;
	nftnl_udata_buf_free(buf);
	return rc;
}

static int one(struct rule_ctx *c)
{
	const struct tok *t = next(c);
	if (is(t, "comment"))
		return stmt_comment(c);
	if (c->verdict)
		return -ENOTSUP; /* nothing but a comment after the verdict */
	if (is(t, "accept"))
		return stmt_verdict(c, NF_ACCEPT, NULL);
	if (is(t, "drop"))
		return stmt_verdict(c, NF_DROP, NULL);
	if (is(t, "return"))
		return stmt_verdict(c, NFT_RETURN, NULL);
	if (is(t, "jump") || is(t, "goto")) {
		const struct tok *chain = next(c);
		if (!chain)
			return -EINVAL;
		return stmt_verdict(c, is(t, "jump") ? NFT_JUMP : NFT_GOTO, chain);
	}
	if (is(t, "masquerade")) {
		struct nftnl_expr *e = nftnl_expr_alloc("masq");
		return add(c, e);
	}
	if (is(t, "ct"))
		return match_ct(c);
	if (is(t, "meta"))
		return match_meta(c);
	if (is(t, "iifname"))
		return match_ifname(c, NFT_META_IIFNAME);
	if (is(t, "oifname"))
		return match_ifname(c, NFT_META_OIFNAME);
	if (is(t, "ip"))
		return match_ip(c, 4);
	if (is(t, "ip6"))
		return match_ip(c, 6);
	if (is(t, "tcp"))
		return match_port(c, 6);
	if (is(t, "udp"))
		return match_port(c, 17);
	if (is(t, "th"))
		return match_port(c, 0);
	if (is(t, "icmp"))
		return match_icmp(c, 4);
	if (is(t, "icmpv6"))
		return match_icmp(c, 6);
	if (is(t, "limit"))
		return stmt_limit(c);
	if (is(t, "log"))
		return stmt_log(c);
	if (t->n > 4 && memcmp(t->p, "@th,", 4) == 0)
		return match_raw(c, t);
	return -ENOTSUP;
}

int nft_nl_rule_build(struct nftnl_rule *r, const char *text, uint32_t anon_id, struct nft_nl_anon *anon)
{
	struct rule_ctx *c = calloc(1, sizeof(*c));
	int rc;
	if (!c)
		return -ENOMEM;
	c->r = r;
	c->l4proto = -1;
	c->anon_id = anon_id;
	c->anon = anon;
	if (anon)
		anon->n_elems = 0;
	if ((rc = tokenize(c, text)) == 0 && c->n == 0)
		rc = -EINVAL;
	while (rc == 0 && c->i < c->n)
		rc = one(c);
	free(c);
	return rc;
}
