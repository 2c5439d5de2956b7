/* Read-back from nf_tables netlink dumps (policy/nft_nl_read.h), on messages
 * built here as the kernel sends them:
 *  - a set's elements become the texts nft prints (and the JSON read-back
 *    gives): addresses, prefixes of interval sets, ranges, ports, interface
 *    names, verdicts; interval starts and ends are paired whatever their
 *    order, an end with no start is dropped, a start with no end runs to the
 *    end of the key's range;
 *  - sets: type names, maps, anonymous sets skipped;
 *  - rules: counted per chain, the first one's "h:" comment is the hash. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_nl_read.h"
#include "tap.h"

static char buf[1 << 16];

struct raw {
	uint8_t key[16];
	uint32_t len;
	bool end;
	const char *chain; /* a goto verdict */
};

/* one element dump message holding elems, as the kernel answers */
static const struct nlmsghdr *elems_msg(const struct raw *elems, size_t n)
{
	struct nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "calico");
	nftnl_set_set_str(s, NFTNL_SET_NAME, "x");
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, elems[i].key, elems[i].len);
		if (elems[i].end)
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
		if (elems[i].chain) {
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_GOTO);
			nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, elems[i].chain);
		}
		nftnl_set_elem_add(s, e);
	}
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSETELEM, NFPROTO_INET, 0, 1);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh;
}

/* the texts the set gets, joined by spaces, in the model's sorted order */
static const char *read_elems(const char *type, const char *value, bool interval, const struct raw *elems, size_t n)
{
	static char out[1024];
	struct nft_model m;
	struct nft_nl_elems acc = { 0 };
	nft_model_init(&m, "inet", "calico");
	struct nft_set *s = nft_model_add_set(&m, "x", type, value, interval);
	out[0] = '\0';
	if (nft_nl_read_elems(&acc, elems_msg(elems, n)) < 0 || nft_nl_elems_finish(&acc, s) < 0 ||
	    nft_model_finish(&m) < 0) {
		snprintf(out, sizeof(out), "(error)");
	} else {
		const struct nft_set *f = nft_model_find_set(&m, "x");
		for (size_t i = 0; i < f->n_elems; i++) {
			size_t used = strlen(out);
			snprintf(out + used, sizeof(out) - used, "%s%s%s%s", i ? " " : "", f->elems[i].key,
				 f->elems[i].value ? ":" : "", f->elems[i].value ? f->elems[i].value : "");
		}
	}
	nft_nl_elems_free(&acc);
	nft_model_free(&m);
	return out;
}

#define V4(a, b, c, d) { { a, b, c, d }, 4, false, NULL }
#define V4END(a, b, c, d) { { a, b, c, d }, 4, true, NULL }
#define PORT(p) { { (p) >> 8, (p) & 0xff }, 2, false, NULL }
#define PORTEND(p) { { (p) >> 8, (p) & 0xff }, 2, true, NULL }

static void elements(void)
{
	CHECK_STR(read_elems("ipv4_addr", "", true, NULL, 0), "", "an empty interval set");
	CHECK_STR(read_elems("ipv4_addr", "", false, NULL, 0), "", "an empty set");
	struct raw plain[] = { V4(10, 0, 0, 2), V4(10, 0, 0, 1) };
	CHECK_STR(read_elems("ipv4_addr", "", false, plain, 2), "10.0.0.1 10.0.0.2", "plain addresses");

	/* the kernel dumps an rbtree from its highest key down, ends after starts */
	struct raw ivals[] = { V4END(192, 168, 1, 2), V4(192, 168, 1, 1), V4END(10, 1, 0, 0), V4(10, 0, 0, 0),
			       V4END(172, 16, 0, 6), V4(172, 16, 0, 1) };
	CHECK_STR(read_elems("ipv4_addr", "", true, ivals, 6), "10.0.0.0/16 172.16.0.1-172.16.0.5 192.168.1.1",
		  "intervals: a prefix, a range, one address");

	struct raw adjacent[] = { V4(10, 0, 0, 0), V4END(10, 0, 1, 0), V4(10, 0, 1, 0), V4END(10, 0, 2, 0) };
	CHECK_STR(read_elems("ipv4_addr", "", true, adjacent, 4), "10.0.0.0/24 10.0.1.0/24",
		  "adjacent intervals: the first's end and the second's start share a key");

	struct raw stray[] = { V4END(0, 0, 0, 0), V4(10, 0, 0, 0), V4END(11, 0, 0, 0) };
	CHECK_STR(read_elems("ipv4_addr", "", true, stray, 3), "10.0.0.0/8", "an end with no start is dropped");

	struct raw open[] = { V4(128, 0, 0, 0) };
	CHECK_STR(read_elems("ipv4_addr", "", true, open, 1), "128.0.0.0/1", "a start with no end runs to the last address");

	struct raw not_prefix[] = { V4(10, 0, 0, 1), V4END(10, 0, 1, 1) };
	CHECK_STR(read_elems("ipv4_addr", "", true, not_prefix, 2), "10.0.0.1-10.0.1.0", "an unaligned span is a range");

	struct raw v6[] = { { { 0xfd, 0, 0, 0x65 }, 16, false, NULL }, { { 0xfd, 0, 0, 0x65, 0, 1 }, 16, true, NULL } };
	CHECK_STR(read_elems("ipv6_addr", "", true, v6, 2), "fd00:65::/48", "an IPv6 prefix");

	struct raw ports[] = { PORT(8000), PORTEND(8081), PORT(80), PORTEND(81) };
	CHECK_STR(read_elems("inet_service", "", true, ports, 4), "80 8000-8080", "ports: one, and a range (never a prefix)");

	struct raw ports_aligned[] = { PORT(1024), PORTEND(2048) };
	CHECK_STR(read_elems("inet_service", "", true, ports_aligned, 2), "1024-2047", "an aligned port range is still a range");

	struct raw names[] = { { "cali0ef24b0e6a2", 16, false, "wl-from-cali0ef24b0e6a2" }, { "tap1", 16, false, "wl-from-tap1" } };
	CHECK_STR(read_elems("ifname", "verdict", false, names, 2),
		  "cali0ef24b0e6a2:goto wl-from-cali0ef24b0e6a2 tap1:goto wl-from-tap1", "a verdict map: names and gotos");

	struct raw no_verdict[] = { { "cali1", 16, false, NULL } };
	CHECK_STR(read_elems("ifname", "verdict", false, no_verdict, 1), "(error)", "a map's element without a verdict is refused");
}

static const struct nlmsghdr *set_msg(const char *name, uint32_t flags, uint32_t key_type, uint32_t data_type)
{
	struct nftnl_set *s = nftnl_set_alloc();
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "calico");
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
	if (flags & NFT_SET_MAP)
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, data_type);
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSET, NFPROTO_INET, 0, 1);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh;
}

static const struct nlmsghdr *chain_msg(const char *name, bool base)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, "calico");
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (base) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	}
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, NFPROTO_INET, 0, 1);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	return nlh;
}

static const struct nlmsghdr *rule_msg(const char *chain, const char *comment)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "calico");
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	if (comment) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(256);
		nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, comment);
		nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
		nftnl_udata_buf_free(u);
	}
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWRULE, NFPROTO_INET, 0, 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return nlh;
}

static void sets_chains_rules(void)
{
	struct nft_model m;
	nft_model_init(&m, "inet", "calico");
	CHECK_INT(nft_nl_read_set(&m, set_msg("tag4-p1", 0, 7, 0)), 0, "a set of addresses");
	CHECK_INT(nft_nl_read_set(&m, set_msg("pools6", NFT_SET_INTERVAL, 8, 0)), 0, "an interval set");
	CHECK_INT(nft_nl_read_set(&m, set_msg("from-wl", NFT_SET_MAP, 41, NFT_DATA_VERDICT)), 0, "a verdict map");
	CHECK_INT(nft_nl_read_set(&m, set_msg("odd", 0, 19, 0)), 0, "a set of a type we never make");
	CHECK_INT(nft_nl_read_set(&m, set_msg("__set0", NFT_SET_ANONYMOUS | NFT_SET_CONSTANT, 29, 0)), 0, "an anonymous set");
	CHECK_INT(nft_nl_read_chain(&m, chain_msg("cali-forward", true)), 0, "a base chain");
	CHECK_INT(nft_nl_read_chain(&m, chain_msg("prof-in-p1", false)), 0, "a regular chain");
	CHECK_INT(nft_nl_read_chains_done(&m), 0, "sorted");
	CHECK_INT(m.n_sets, 4, "the anonymous set is not one of the table's sets");
	const struct nft_set *s = nft_model_find_set(&m, "tag4-p1");
	CHECK(s && strcmp(s->key_type, "ipv4_addr") == 0 && !s->interval && !s->value_type[0], "tag4-p1: ipv4_addr");
	s = nft_model_find_set(&m, "pools6");
	CHECK(s && strcmp(s->key_type, "ipv6_addr") == 0 && s->interval, "pools6: ipv6_addr, interval");
	s = nft_model_find_set(&m, "from-wl");
	CHECK(s && strcmp(s->key_type, "ifname") == 0 && strcmp(s->value_type, "verdict") == 0, "from-wl: ifname : verdict");
	s = nft_model_find_set(&m, "odd");
	CHECK(s && strcmp(s->key_type, "?") == 0, "a type we never make reads as ?");
	const struct nft_chain *c = nft_model_find_chain(&m, "cali-forward");
	CHECK(c && c->base_spec, "a base chain is marked as one");
	c = nft_model_find_chain(&m, "prof-in-p1");
	CHECK(c && !c->base_spec, "a regular chain is not");

	CHECK_INT(nft_nl_read_rule(&m, rule_msg("prof-in-p1", "h:00000000deadbeef")), 0, "first rule");
	CHECK_INT(nft_nl_read_rule(&m, rule_msg("prof-in-p1", "h:1111111111111111")), 0, "second rule");
	CHECK_INT(nft_nl_read_rule(&m, rule_msg("prof-in-p1", NULL)), 0, "third rule, no comment");
	CHECK_INT(nft_nl_read_rule(&m, rule_msg("cali-forward", "someone else's words")), 0, "a rule with another comment");
	CHECK_INT(nft_nl_read_rule(&m, rule_msg("nosuch", NULL)), -EINVAL, "a rule of a chain not read is refused");
	c = nft_model_find_chain(&m, "prof-in-p1");
	CHECK(c && c->n_rules == 3 && c->hash == 0xdeadbeefull, "prof-in-p1: 3 rules, the first one's hash");
	c = nft_model_find_chain(&m, "cali-forward");
	CHECK(c && c->n_rules == 1 && c->hash == 0, "cali-forward: 1 rule, no hash (it will be rewritten)");
	nft_model_free(&m);
}

int main(void)
{
	elements();
	sets_chains_rules();
	return tap_done();
}
