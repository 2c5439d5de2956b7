/* The agent's own nf_tables batches (policy/nft_nl_batch.h, nft_nl_rule.h):
 *  - each rule form our compilers write becomes the expressions
 *    libnftables 1.0.6 sends for it, as `nft --debug=netlink -f` printed
 *    them on this project's machine (the table below; tests/lab/nft_netlink.sh
 *    compares every golden ruleset against the live nft the same way);
 *  - a form or line not known here makes the whole script "not ours";
 *  - the batch's frame: begin, one message per command, end; the last
 *    command asks for an ack; every new set has its own id; interval
 *    elements come with their ends; a set's kind comes from the model. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_model.h"
#include "policy/nft_nl_batch.h"
#include "tap.h"

#define DECLS                                                        \
	"add table inet calico\n"                                   \
	"add set inet calico s4 { type ipv4_addr; }\n"              \
	"add set inet calico s6 { type ipv6_addr; }\n"              \
	"add set inet calico n4 { type ipv4_addr; flags interval; }\n" \
	"add set inet calico ps { type inet_service; flags interval; }\n" \
	"add map inet calico vm { type ifname : verdict; }\n"       \
	"add chain inet calico c\n"                                 \
	"add chain inet calico c2\n"

static const struct {
	const char *rule, *want;
} forms[] = {
#include "nft_nl_forms.inc"
};

struct msgs {
	size_t n, begins, ends, acks, rules, sets, elem_msgs, elems, interval_ends;
	uint16_t types[64];
	uint32_t set_ids[16];
	size_t n_set_ids;
	char rule_text[8192];
};

static int elem_count(const struct nlattr *attr, void *data)
{
	struct msgs *m = data;
	if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
		return MNL_CB_OK;
	const struct nlattr *e, *a;
	mnl_attr_for_each_nested(e, attr)
	{
		m->elems++;
		mnl_attr_for_each_nested(a, e) if (mnl_attr_get_type(a) == NFTA_SET_ELEM_FLAGS &&
						   (ntohl(mnl_attr_get_u32(a)) & NFT_SET_ELEM_INTERVAL_END)) m->interval_ends++;
	}
	return MNL_CB_OK;
}

static void walk(const void *batch, size_t len, struct msgs *m)
{
	int left = (int)len;
	memset(m, 0, sizeof(*m));
	for (const struct nlmsghdr *h = batch; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
		if (m->n < 64)
			m->types[m->n] = h->nlmsg_type;
		m->n++;
		m->acks += !!(h->nlmsg_flags & NLM_F_ACK);
		if (h->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
			m->begins++;
			continue;
		}
		if (h->nlmsg_type == NFNL_MSG_BATCH_END) {
			m->ends++;
			continue;
		}
		switch (h->nlmsg_type & 0xff) {
		case NFT_MSG_NEWRULE: {
			struct nftnl_rule *r = nftnl_rule_alloc();
			if (r && nftnl_rule_nlmsg_parse(h, r) == 0)
				nftnl_rule_snprintf(m->rule_text, sizeof(m->rule_text), r, NFTNL_OUTPUT_DEFAULT, 0);
			nftnl_rule_free(r);
			m->rules++;
			break;
		}
		case NFT_MSG_NEWSET: {
			struct nftnl_set *s = nftnl_set_alloc();
			if (s && nftnl_set_nlmsg_parse(h, s) == 0 && m->n_set_ids < 16)
				m->set_ids[m->n_set_ids++] = nftnl_set_get_u32(s, NFTNL_SET_ID);
			nftnl_set_free(s);
			m->sets++;
			break;
		}
		case NFT_MSG_NEWSETELEM:
		case NFT_MSG_DELSETELEM:
			m->elem_msgs++;
			mnl_attr_parse(h, sizeof(struct nfgenmsg), elem_count, m);
			break;
		}
	}
}

/* the expressions of the script's last rule, without its "inet calico c" line */
static int last_rule(const char *script, const struct nft_model *model, struct msgs *m)
{
	void *batch;
	size_t len, n;
	int rc = nft_nl_batch_build(script, model, 100, &batch, &len, &n);
	memset(m, 0, sizeof(*m));
	if (rc == 1) {
		walk(batch, len, m);
		free(batch);
	}
	return rc;
}

static void expressions_as_nft(void)
{
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char script[2048];
		struct msgs m;
		snprintf(script, sizeof(script), DECLS "add rule inet calico c %s\n", forms[i].rule);
		int rc = last_rule(script, NULL, &m);
		CHECK_INT(rc, 1, "known form: %s", forms[i].rule);
		/* nftnl prints "inet calico c <handle> <position>" first, then the
		 * expressions indented as nft's debug output has them */
		char got[8192] = "";
		size_t used = 0;
		const char *line = strchr(m.rule_text, '\n');
		while (line && *++line) {
			size_t n = strcspn(line, "\n");
			const char *t = line + strspn(line, " \t");
			if ((size_t)(t - line) < n && used + n + 2 < sizeof(got)) {
				memcpy(got + used, t, n - (size_t)(t - line));
				used += n - (size_t)(t - line);
				got[used++] = '\n';
				got[used] = '\0';
			}
			line = strchr(line, '\n');
		}
		CHECK_STR(got, forms[i].want, "as nft sends it: %s", forms[i].rule);
	}
}

static void unknown_forms(void)
{
	static const char *rules[] = {
		"counter accept",                          /* a statement not written by our compilers */
		"ip saddr { 10.0.0.1, 10.0.0.2 } accept",  /* an anonymous address set */
		"ip saddr 0.0.0.0/0 accept",               /* a prefix of length 0 */
		"ip saddr 10.0.0.1 ip6 daddr fd00::1 drop", /* two families */
		"ct state != new drop",
		"meta nfproto != ipv4 drop",
		"tcp dport 80 udp dport 53 drop",          /* two protocols */
		"limit rate 10/minute accept",
		"reject",
		"accept drop",                             /* two verdicts */
		"iifname \"cali\\x\" drop",
		"icmp type { 8, 0 } accept",
		"@th,3,16 0x1 drop",                       /* bits not on a byte */
		"log level debug prefix \"x\"",
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char script[512];
		struct msgs m;
		snprintf(script, sizeof(script), DECLS "add rule inet calico c %s\n", rules[i]);
		CHECK_INT(last_rule(script, NULL, &m), 0, "not ours (libnftables' business): %s", rules[i]);
	}
	static const char *scripts[] = {
		"add table ip calico\n",
		"add counter inet calico x\n",
		"add set inet calico s { type mark; }\n",
		"add set inet calico s { type ipv4_addr; size 10; }\n",
		"add chain inet calico b { type route hook output priority mangle; policy accept; }\n",
		"add element inet calico nosuch { 10.0.0.1 }\n", /* a set neither declared nor in the model */
		DECLS "add element inet calico s4 { 10.0.0.0/8 }\n",     /* a prefix in a set of addresses */
		DECLS "add element inet calico ps { 65000-65535 }\n",    /* an interval to the last port */
		DECLS "add element inet calico n4 { 255.0.0.0/8 }\n",    /* an interval to the last address */
		DECLS "add element inet calico vm { \"cali1\" : accept }\n",
		DECLS "add rule inet calico c drop", /* no newline: not a whole line */
		"",
	};
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		struct msgs m;
		CHECK_INT(last_rule(scripts[i], NULL, &m), 0, "script %zu is not ours", i);
	}
}

static void frame(void)
{
	struct msgs m;
	const char *script = DECLS
		"add element inet calico n4 { 10.0.0.0/8, 192.168.1.1 }\n"
		"add element inet calico ps { 80, 8000-8080 }\n"
		"add element inet calico vm { \"cali1\" : goto c, \"cali2\" : jump c2 }\n"
		"add rule inet calico c iifname \"cali*\" icmpv6 type { nd-router-solicit, nd-neighbor-solicit } accept\n"
		"flush chain inet calico c2\n"
		"delete element inet calico s4 { 10.1.1.1 }\n";
	CHECK_INT(last_rule(script, NULL, &m), 1, "a script of every kind of line is ours");
	/* begin, table, 5 sets, 2 chains, 3 element lines, anonymous set + its elements, rule, flush, delete, end */
	CHECK_INT(m.n, 18, "one message per command, the anonymous set's two, begin and end");
	CHECK_INT(m.types[0], NFNL_MSG_BATCH_BEGIN, "the batch begins");
	CHECK_INT(m.types[17], NFNL_MSG_BATCH_END, "the batch ends");
	CHECK_INT(m.begins + m.ends, 2, "one begin, one end");
	CHECK_INT(m.acks, 1, "only one message asks for an ack");
	CHECK_INT(m.types[16], NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM, "the last command is the one acked");
	CHECK_INT(m.sets, 6, "five named sets and the rule's anonymous one");
	int unique = 1;
	for (size_t i = 0; i < m.n_set_ids; i++)
		for (size_t j = i + 1; j < m.n_set_ids; j++)
			unique &= m.set_ids[i] != m.set_ids[j] && m.set_ids[i] != 0;
	CHECK(unique && m.n_set_ids == 6, "every new set has its own id");
	/* n4: 2 starts + 2 ends; ps: 2 + 2; vm: 2; anonymous: 2; delete: 1 */
	CHECK_INT(m.elems, 13, "elements, with an end for each interval");
	CHECK_INT(m.interval_ends, 4, "interval ends in the interval sets only");
	CHECK_INT(m.elem_msgs, 5, "one element message per line and the anonymous set's");

	/* a diff's element line names a set the model holds */
	struct nft_model model;
	nft_model_init(&model, "inet", "calico");
	CHECK(nft_model_add_set(&model, "tag4-p1", "ipv4_addr", "", false) != NULL, "model: a set");
	CHECK(nft_model_add_set(&model, "from-wl", "ifname", "verdict", false) != NULL, "model: a map");
	CHECK_INT(nft_model_finish(&model), 0, "model finished");
	CHECK_INT(last_rule("add table inet calico\nadd element inet calico tag4-p1 { 10.0.0.1, 10.0.0.2 }\n"
			    "delete element inet calico from-wl { \"cali9\" }\n",
			    &model, &m),
		  1, "element lines of sets the model knows are ours");
	CHECK_INT(m.elems, 3, "their elements");
	CHECK_INT(m.interval_ends, 0, "no interval ends in a plain set");
	CHECK_INT(last_rule("add element inet calico tag4-p1 { 10.0.0.0/24 }\n", &model, &m), 0,
		  "a prefix in the model's plain set is not ours");
	nft_model_free(&model);
}

int main(void)
{
	expressions_as_nft();
	unknown_forms();
	frame();
	return tap_done();
}
