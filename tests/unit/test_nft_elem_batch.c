/* Element-only batches of selector sets as nf_tables netlink messages
 * (policy/nft_elem_batch.h): which scripts qualify, and the messages'
 * shape — batch begin, one command per line with each net as its first
 * address and the address after its last (interval end), batch end. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_elem_batch.h"
#include "tap.h"

struct seen {
	size_t msgs, cmds, adds, dels, keys, ends;
	char first_keys[8][40]; /* "start:a.b.c.d" / "end:a.b.c.d" of the first command */
	size_t n_first;
	char set[64];
};

static int elem_cb(const struct nlattr *attr, void *data)
{
	struct seen *s = data;
	const struct nlattr *a;
	bool end = false;
	const unsigned char *key = NULL;
	size_t len = 0;
	mnl_attr_for_each_nested(a, attr)
	{
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS)
			end = ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END;
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY) {
			const struct nlattr *v = mnl_attr_get_payload(a);
			key = mnl_attr_get_payload(v);
			len = mnl_attr_get_payload_len(v);
		}
	}
	s->keys++;
	s->ends += end;
	if (s->cmds == 1 && s->n_first < 8 && key && len == 4)
		snprintf(s->first_keys[s->n_first++], 40, "%s:%u.%u.%u.%u", end ? "end" : "start", key[0], key[1], key[2],
			 key[3]);
	return MNL_CB_OK;
}

static void walk(const void *buf, size_t len, struct seen *s)
{
	int left = (int)len;
	memset(s, 0, sizeof(*s));
	for (const struct nlmsghdr *h = buf; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
		s->msgs++;
		uint16_t type = h->nlmsg_type & 0xff;
		if (h->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES)
			continue;
		s->cmds++;
		s->adds += type == NFT_MSG_NEWSETELEM;
		s->dels += type == NFT_MSG_DELSETELEM;
		const struct nlattr *a;
		mnl_attr_for_each(a, h, sizeof(struct nfgenmsg))
		{
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET && s->cmds == 1)
				snprintf(s->set, sizeof(s->set), "%s", mnl_attr_get_str(a));
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				mnl_attr_parse_nested(a, elem_cb, s);
		}
	}
}

int main(void)
{
	void *buf = NULL;
	size_t len, acks;
	struct seen s;

	CHECK_INT(nft_elem_batch_build("add table inet calico\n"
				       "add element inet calico sel4-abc { 10.0.0.5, 10.1.0.0/16 }\n"
				       "delete element inet calico sel6-def { fd00::1 }\n",
				       7, &buf, &len, &acks),
		  1, "element lines of selector sets make a batch");
	CHECK_INT((long)acks, 2L, "... one acknowledged command per line");
	walk(buf, len, &s);
	CHECK(s.msgs == 4 && s.cmds == 2 && s.adds == 1 && s.dels == 1, "... begin, an add, a delete, end (%zu messages)",
	      s.msgs);
	CHECK_STR(s.set, "sel4-abc", "... naming the set");
	CHECK(s.keys == 6 && s.ends == 3, "... each net as a start and an interval end (%zu keys, %zu ends)", s.keys,
	      s.ends);
	CHECK(s.n_first == 4 && strcmp(s.first_keys[0], "start:10.0.0.5") == 0 &&
		      strcmp(s.first_keys[1], "end:10.0.0.6") == 0 && strcmp(s.first_keys[2], "start:10.1.0.0") == 0 &&
		      strcmp(s.first_keys[3], "end:10.2.0.0") == 0,
	      "... an address ends at the next one, a /16 at the address after its last");
	free(buf);

	static const char *const not_ours[] = {
		"add element inet calico tag4-web { 10.0.0.5 }\n",           /* not a selector set */
		"add chain inet calico pi-x\n",                              /* not an element */
		"add element inet calico sel4-abc { 10.0.0.5 }\nflush chain inet calico x\n",
		"add element inet calico sel4-abc { 255.255.255.255 }\n",    /* its end would wrap */
		"add element inet calico sel4-abc { fd00::1 }\n",            /* the wrong family */
		"add element inet calico sel4-abc { 10.0.0.5 }",             /* not a whole line */
		"add element inet other sel4-abc { 10.0.0.5 }\n",            /* another table */
		"",
		"add table inet calico\n",                                  /* no element */
		"add table inet calico\nadd table inet calico\nadd element inet calico sel4-abc { 10.0.0.5 }\n",
	};
	for (size_t i = 0; i < sizeof(not_ours) / sizeof(*not_ours); i++) {
		buf = NULL;
		CHECK_INT(nft_elem_batch_build(not_ours[i], 1, &buf, &len, &acks), 0,
			  "not an element-only batch of selector sets: %zu", i);
		CHECK(buf == NULL, "... and nothing made");
	}
	return tap_done();
}
