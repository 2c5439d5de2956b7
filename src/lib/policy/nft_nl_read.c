/* Read-back from nf_tables netlink dumps (nft_nl_read.h). */
#include "policy/nft_nl_read.h"

#include <arpa/inet.h> /* before the kernel's headers, which would define in_addr again */
#include <errno.h>
#include <stdio.h> /* before libnftnl's headers, which use FILE */
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_compile.h"
#include "util/ipaddr.h"
#include "util/array.h"

#define KEY_MAX 16

struct nft_nl_raw_elem {
	uint8_t key[KEY_MAX];
	uint32_t len;
	bool end;      /* NFT_SET_ELEM_INTERVAL_END */
	int verdict;   /* a verdict map's value */
	char chain[NFT_NAME_MAX];
	bool has_verdict;
};

struct nlmsghdr *nft_nl_read_request(char *buf, uint16_t type, uint32_t seq, const char *name)
{
	uint16_t flags = type == NFT_MSG_GETTABLE ? NLM_F_ACK : NLM_F_DUMP;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, seq);
	switch (type) {
	case NFT_MSG_GETTABLE:
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, NFT_TABLE);
		break;
	case NFT_MSG_GETSET:
		mnl_attr_put_strz(nlh, NFTA_SET_TABLE, NFT_TABLE);
		break;
	case NFT_MSG_GETSETELEM:
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name);
		break;
	case NFT_MSG_GETCHAIN:
		mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, NFT_TABLE);
		break;
	case NFT_MSG_GETRULE:
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, NFT_TABLE);
		if (name)
			mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, name);
		break;
	}
	return nlh;
}

/* ---------- sets ---------- */

static const char *type_name(uint32_t type)
{
	switch (type) {
	case 7:
		return "ipv4_addr";
	case 8:
		return "ipv6_addr";
	case 13:
		return "inet_service";
	case 41:
		return "ifname";
	default:
		return "?";
	}
}

int nft_nl_read_set(struct nft_model *m, const struct nlmsghdr *h)
{
	struct nftnl_set *s = nftnl_set_alloc();
	int rc = 0;
	if (!s)
		return -ENOMEM;
	if (nftnl_set_nlmsg_parse(h, s) < 0 || !nftnl_set_is_set(s, NFTNL_SET_NAME)) {
		rc = -EINVAL;
		goto out;
	}
	uint32_t flags = nftnl_set_is_set(s, NFTNL_SET_FLAGS) ? nftnl_set_get_u32(s, NFTNL_SET_FLAGS) : 0;
	const char *table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
	if ((flags & NFT_SET_ANONYMOUS) || !table || strcmp(table, NFT_TABLE) != 0)
		goto out;
	const char *value = NULL;
	if (flags & NFT_SET_MAP)
		value = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE) == NFT_DATA_VERDICT ? "verdict" : "?";
	if (!nft_model_add_set(m, nftnl_set_get_str(s, NFTNL_SET_NAME), type_name(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE)),
			       value, (flags & NFT_SET_INTERVAL) != 0))
		rc = -ENOMEM;
out:
	nftnl_set_free(s);
	return rc;
}

/* ---------- elements ---------- */

struct elem_ctx {
	struct nft_nl_raw_elem *e;
};

static int data_value(const struct nlattr *nest, uint8_t *out, uint32_t *len)
{
	const struct nlattr *a;
	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) == NFTA_DATA_VALUE && mnl_attr_get_payload_len(a) <= KEY_MAX) {
			*len = mnl_attr_get_payload_len(a);
			memcpy(out, mnl_attr_get_payload(a), *len);
			return 0;
		}
	}
	return -EINVAL;
}

static int data_verdict(const struct nlattr *nest, struct nft_nl_raw_elem *e)
{
	const struct nlattr *a, *v;
	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) != NFTA_DATA_VERDICT)
			continue;
		mnl_attr_for_each_nested(v, a)
		{
			if (mnl_attr_get_type(v) == NFTA_VERDICT_CODE)
				e->verdict = (int)ntohl(mnl_attr_get_u32(v));
			else if (mnl_attr_get_type(v) == NFTA_VERDICT_CHAIN)
				snprintf(e->chain, sizeof(e->chain), "%s", mnl_attr_get_str(v));
		}
		e->has_verdict = true;
		return 0;
	}
	return -EINVAL;
}

int nft_nl_read_elems(struct nft_nl_elems *acc, const struct nlmsghdr *h)
{
	const struct nlattr *a, *list = NULL, *item, *x;
	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
			list = a;
	}
	if (!list)
		return 0;
	mnl_attr_for_each_nested(item, list)
	{
		if (array_reserve((void **)&acc->items, &acc->cap, acc->n + 1, sizeof(*acc->items)) < 0)
			return -ENOMEM;
		struct nft_nl_raw_elem *e = &acc->items[acc->n];
		memset(e, 0, sizeof(*e));
		bool have_key = false;
		mnl_attr_for_each_nested(x, item)
		{
			switch (mnl_attr_get_type(x)) {
			case NFTA_SET_ELEM_KEY:
				if (data_value(x, e->key, &e->len) < 0)
					return -EINVAL;
				have_key = true;
				break;
			case NFTA_SET_ELEM_FLAGS:
				e->end = (ntohl(mnl_attr_get_u32(x)) & NFT_SET_ELEM_INTERVAL_END) != 0;
				break;
			case NFTA_SET_ELEM_DATA:
				if (data_verdict(x, e) < 0)
					return -EINVAL;
				break;
			}
		}
		if (!have_key)
			return -EINVAL;
		acc->n++;
	}
	return 0;
}

static int raw_cmp(const void *pa, const void *pb)
{
	const struct nft_nl_raw_elem *a = pa, *b = pb;
	int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
	if (c)
		return c;
	return (int)b->end - (int)a->end; /* at one key, an interval's end before the next one's start */
}

static void key_text(const char *type, const uint8_t *key, uint32_t len, char *out, size_t cap)
{
	if (strcmp(type, "inet_service") == 0 && len == 2) {
		snprintf(out, cap, "%u", (unsigned)(key[0] << 8 | key[1]));
	} else if (strcmp(type, "ifname") == 0) {
		snprintf(out, cap, "%.*s", (int)strnlen((const char *)key, len), (const char *)key);
	} else {
		struct ip_addr ip = { .family = len == 4 ? 4 : 6 };
		char text[IP_STR_MAX];
		memcpy(ip.bytes, key, len);
		snprintf(out, cap, "%s", ip_format(&ip, text));
	}
}

/* [lo, hi] as nft prints an interval: one value, a prefix of addresses, or a range */
static void interval_text(const char *type, const uint8_t *lo, const uint8_t *hi, uint32_t len, char *out, size_t cap)
{
	char a[IP_STR_MAX + 8], b[IP_STR_MAX];
	key_text(type, lo, len, a, sizeof(a));
	if (memcmp(lo, hi, len) == 0) {
		snprintf(out, cap, "%s", a);
		return;
	}
	if (strcmp(type, "inet_service") != 0) {
		/* a prefix: lo and hi differ in trailing bits only, all zero in lo and one in hi */
		int prefix = -1;
		bool ok = true;
		for (uint32_t i = 0; i < len && ok; i++) {
			uint8_t d = lo[i] ^ hi[i];
			if (prefix < 0 && d) {
				int lead = 0;
				while (!(d & (0x80 >> lead)))
					lead++;
				prefix = (int)i * 8 + lead;
				ok = d == (uint8_t)(0xff >> lead);
			} else if (prefix >= 0) {
				ok = d == 0xff;
			}
			if (d && (lo[i] & d))
				ok = false;
		}
		if (ok && prefix >= 0) {
			size_t n = strlen(a);
			snprintf(a + n, sizeof(a) - n, "/%d", prefix);
			snprintf(out, cap, "%s", a);
			return;
		}
	}
	key_text(type, hi, len, b, sizeof(b));
	snprintf(out, cap, "%s-%s", a, b);
}

static void before(uint8_t *key, uint32_t len) /* key - 1 */
{
	for (uint32_t i = len; i-- > 0;)
		if (key[i]-- != 0)
			return;
}

static int verdict_text(const struct nft_nl_raw_elem *e, char *out, size_t cap)
{
	switch (e->verdict) {
	case NFT_GOTO:
		return snprintf(out, cap, "goto %s", e->chain) < (int)cap ? 0 : -EINVAL;
	case NFT_JUMP:
		return snprintf(out, cap, "jump %s", e->chain) < (int)cap ? 0 : -EINVAL;
	case NF_ACCEPT:
		snprintf(out, cap, "accept");
		return 0;
	case NF_DROP:
		snprintf(out, cap, "drop");
		return 0;
	case NFT_RETURN:
		snprintf(out, cap, "return");
		return 0;
	case NFT_CONTINUE:
		snprintf(out, cap, "continue");
		return 0;
	default:
		return -EINVAL;
	}
}

int nft_nl_elems_finish(struct nft_nl_elems *acc, struct nft_set *s)
{
	char text[2 * IP_STR_MAX + 8], value[NFT_NAME_MAX + 8];
	int rc = 0;
	if (!s->interval) {
		for (size_t i = 0; i < acc->n && rc == 0; i++) {
			const struct nft_nl_raw_elem *e = &acc->items[i];
			key_text(s->key_type, e->key, e->len, text, sizeof(text));
			if (s->value_type[0] && (!e->has_verdict || verdict_text(e, value, sizeof(value)) < 0))
				return -EINVAL;
			rc = nft_set_add_elem(s, text, s->value_type[0] ? value : NULL);
		}
		acc->n = 0;
		return rc;
	}
	if (acc->n)
		qsort(acc->items, acc->n, sizeof(acc->items[0]), raw_cmp);
	const struct nft_nl_raw_elem *open = NULL;
	for (size_t i = 0; i < acc->n && rc == 0; i++) {
		const struct nft_nl_raw_elem *e = &acc->items[i];
		if (!e->end) {
			open = e;
			continue;
		}
		if (!open || open->len != e->len)
			continue; /* an end without a start: the empty interval below the first */
		uint8_t last[KEY_MAX];
		memcpy(last, e->key, e->len);
		before(last, e->len);
		interval_text(s->key_type, open->key, last, e->len, text, sizeof(text));
		rc = nft_set_add_elem(s, text, NULL);
		open = NULL;
	}
	if (open && rc == 0) { /* open to the end of the key's range */
		uint8_t last[KEY_MAX];
		memset(last, 0xff, open->len);
		interval_text(s->key_type, open->key, last, open->len, text, sizeof(text));
		rc = nft_set_add_elem(s, text, NULL);
	}
	acc->n = 0;
	return rc;
}

void nft_nl_elems_free(struct nft_nl_elems *acc)
{
	free(acc->items);
	memset(acc, 0, sizeof(*acc));
}

/* ---------- chains and rules ---------- */

int nft_nl_read_chain(struct nft_model *m, const struct nlmsghdr *h)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	int rc = 0;
	if (!c)
		return -ENOMEM;
	if (nftnl_chain_nlmsg_parse(h, c) < 0 || !nftnl_chain_is_set(c, NFTNL_CHAIN_NAME))
		rc = -EINVAL;
	else if (!nft_model_add_chain(m, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
				      nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) ? "" : NULL))
		rc = -ENOMEM; /* the hook line is inside the hash, as in the JSON read-back */
	nftnl_chain_free(c);
	return rc;
}

int nft_nl_read_chains_done(struct nft_model *m)
{
	return nft_model_finish(m);
}

/* "h:<16 hex>" -> the hash; 0 for anything else */
static uint64_t comment_hash(const uint8_t *udata, size_t len)
{
	for (size_t i = 0; i + 2 <= len; i += 2u + udata[i + 1]) {
		uint8_t type = udata[i], n = udata[i + 1];
		if (i + 2 + n > len)
			return 0;
		if (type != 0 /* NFTNL_UDATA_RULE_COMMENT */ || n != 19 || memcmp(udata + i + 2, "h:", 2) != 0)
			continue;
		char hex[17], *end;
		memcpy(hex, udata + i + 4, 16);
		hex[16] = '\0';
		uint64_t h = strtoull(hex, &end, 16);
		return *end ? 0 : h;
	}
	return 0;
}

int nft_nl_read_rule(struct nft_model *m, const struct nlmsghdr *h)
{
	const struct nlattr *a;
	const char *chain = NULL;
	const uint8_t *udata = NULL;
	size_t ulen = 0;
	mnl_attr_for_each(a, h, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == NFTA_RULE_CHAIN)
			chain = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == NFTA_RULE_USERDATA) {
			udata = mnl_attr_get_payload(a);
			ulen = mnl_attr_get_payload_len(a);
		}
	}
	struct nft_chain *c = chain ? (struct nft_chain *)nft_model_find_chain(m, chain) : NULL;
	if (!c)
		return -EINVAL;
	if (c->n_rules++ == 0)
		c->hash = udata ? comment_hash(udata, ulen) : 0;
	return 0;
}
