/* Element-only batches as nf_tables netlink messages (nft_elem_batch.h). */
#include "policy/nft_elem_batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_compile.h"
#include "policy/nft_model.h"
#include "util/ipaddr.h"

#define ADD_PREFIX "add element " NFT_FAMILY " " NFT_TABLE " "
#define DEL_PREFIX "delete element " NFT_FAMILY " " NFT_TABLE " "
#define TABLE_LINE "add table " NFT_FAMILY " " NFT_TABLE "\n" /* each batch's first line: the table is there */

struct line {
	bool add;
	int family;
	char set[NFT_NAME_MAX];
	const char *elems; /* after "{ " */
	const char *end;   /* at " }" */
};

/* One line of the script, or false when it is not an element command on a selector set. */
static bool parse_line(const char *p, const char *eol, struct line *l)
{
	size_t n;
	if (strncmp(p, ADD_PREFIX, strlen(ADD_PREFIX)) == 0) {
		l->add = true;
		p += strlen(ADD_PREFIX);
	} else if (strncmp(p, DEL_PREFIX, strlen(DEL_PREFIX)) == 0) {
		l->add = false;
		p += strlen(DEL_PREFIX);
	} else {
		return false;
	}
	if (strncmp(p, "sel4-", 5) != 0 && strncmp(p, "sel6-", 5) != 0)
		return false;
	l->family = p[3] == '4' ? 4 : 6;
	n = strcspn(p, " \n");
	if (n >= NFT_NAME_MAX || strncmp(p + n, " { ", 3) != 0)
		return false;
	memcpy(l->set, p, n);
	l->set[n] = '\0';
	l->elems = p + n + 3;
	if (eol - l->elems < 2 || strncmp(eol - 2, " }", 2) != 0)
		return false;
	l->end = eol - 2;
	return true;
}

/* The net's first address, and the one after its last (false when that
 * would wrap past the end of the address space: libnftables' business). */
static bool interval(const struct cidr *c, uint8_t first[16], uint8_t after[16])
{
	memcpy(first, c->addr.bytes, c->addr.family == 4 ? 4 : 16);
	return cidr_after_last(c, after);
}

static void put_key(struct nlmsghdr *nlh, const uint8_t *key, size_t len, bool end)
{
	struct nlattr *e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	if (end)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	struct nlattr *k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, key);
	mnl_attr_nest_end(nlh, k);
	mnl_attr_nest_end(nlh, e);
}

static struct nlmsghdr *put_header(char *at, uint16_t type, uint16_t flags, uint32_t seq, uint8_t family,
				   uint16_t res_id)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return nlh;
}

int nft_elem_batch_build(const char *script, uint32_t seq, void **out, size_t *len, size_t *n_acks)
{
	size_t lines = 0, elems = 0, used = 0;
	char *buf;

	*out = NULL;
	*len = *n_acks = 0;
	if (strncmp(script, TABLE_LINE, strlen(TABLE_LINE)) == 0)
		script += strlen(TABLE_LINE);
	/* first pass: only element lines of selector sets, and how big */
	for (const char *p = script; *p;) {
		const char *eol = strchr(p, '\n');
		struct line l;
		if (!eol || !parse_line(p, eol, &l))
			return 0;
		lines++;
		for (const char *q = l.elems; q < l.end; q++)
			elems += *q == ',';
		elems++;
		p = eol + 1;
	}
	if (!lines)
		return 0;
	size_t cap = 2 * MNL_NLMSG_HDRLEN + 64 + lines * (MNL_NLMSG_HDRLEN + 32 + 2 * (NFT_NAME_MAX + 8)) + elems * 2 * 48;
	if (!(buf = calloc(1, cap)))
		return -ENOMEM;
	struct nlmsghdr *nlh = put_header(buf, NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	used += nlh->nlmsg_len;
	for (const char *p = script; *p;) {
		const char *eol = strchr(p, '\n');
		struct line l;
		parse_line(p, eol, &l);
		nlh = put_header(buf + used,
				 (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | (l.add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM)),
				 (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | (l.add ? NLM_F_CREATE : 0)), seq++, NFPROTO_INET, 0);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, l.set);
		struct nlattr *list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (const char *q = l.elems; q < l.end;) {
			size_t n = strcspn(q, ", }");
			char text[CIDR_STR_MAX];
			struct cidr c;
			uint8_t first[16], after[16];
			if (n >= sizeof(text))
				goto not_ours;
			memcpy(text, q, n);
			text[n] = '\0';
			if (cidr_parse(text, true, false, &c) < 0 || c.addr.family != l.family || !interval(&c, first, after))
				goto not_ours;
			put_key(nlh, first, l.family == 4 ? 4 : 16, false);
			put_key(nlh, after, l.family == 4 ? 4 : 16, true);
			q += n;
			if (strncmp(q, ", ", 2) == 0)
				q += 2;
			else if (q != l.end)
				goto not_ours;
		}
		mnl_attr_nest_end(nlh, list);
		used += nlh->nlmsg_len;
		p = eol + 1;
	}
	nlh = put_header(buf + used, NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	used += nlh->nlmsg_len;
	*out = buf;
	*len = used;
	*n_acks = lines;
	return 1;
not_ours:
	free(buf);
	return 0;
}
