/* Rendered scripts as nf_tables netlink batches (nft_nl_batch.h). */
#include "policy/nft_nl_batch.h"

#include <errno.h>
#include <stdio.h> /* before libnftnl's headers, which use FILE */
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_compile.h"
#include "policy/nft_nl_rule.h"
#include "util/ipaddr.h"
#include "util/array.h"

#define TBL     NFT_FAMILY " " NFT_TABLE
#define IFNAMSZ 16

/* nft's datatype numbers (its datatype.h) and byte orders (NFTNL_UDATA_SET_*) */
#define TYPE_IPADDR       7
#define TYPE_IP6ADDR      8
#define TYPE_INET_SERVICE 13
#define TYPE_IFNAME       41
#define ORDER_HOST        1
#define ORDER_BIG         2

enum key_kind { KEY_ADDR4, KEY_ADDR6, KEY_PORT, KEY_IFNAME };

struct set_kind {
	char name[NFT_NAME_MAX];
	enum key_kind key;
	bool interval, map;
};

struct batch {
	char *buf;
	size_t used, cap, last; /* last: where the last message begins */
	uint32_t seq, set_ids; /* set_ids: the last set id given in this batch */
	size_t n_msgs;
	const struct nft_model *model;
	struct set_kind *declared; /* sets the script declares, for a model that lacks them */
	size_t n_declared, cap_declared;
};

/* room for one more message built from a line of n characters: the netlink
 * form of our lines is at most a few times their text */
static int reserve(struct batch *b, size_t n)
{
	size_t need = b->used + 16 * n + 8192;
	return array_reserve((void **)&b->buf, &b->cap, need, 1);
}

static struct nlmsghdr *msg(struct batch *b, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(b->buf + b->used, type, NFPROTO_INET, flags, b->seq++);
	b->last = b->used;
	b->n_msgs++;
	return nlh;
}

static void done(struct batch *b, struct nlmsghdr *nlh)
{
	b->used += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* "NAME" up to the next space or end of line; false when too long or empty */
static bool word(const char **p, char out[NFT_NAME_MAX])
{
	size_t n = strcspn(*p, " \n");
	if (!n || n >= NFT_NAME_MAX)
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	return true;
}

static bool skip(const char **p, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(*p, prefix, n) != 0)
		return false;
	*p += n;
	return true;
}

/* ---------- sets ---------- */

static bool kind_of(const char *key_type, const char *value_type, bool interval, struct set_kind *k)
{
	if (strcmp(key_type, "ipv4_addr") == 0)
		k->key = KEY_ADDR4;
	else if (strcmp(key_type, "ipv6_addr") == 0)
		k->key = KEY_ADDR6;
	else if (strcmp(key_type, "inet_service") == 0)
		k->key = KEY_PORT;
	else if (strcmp(key_type, "ifname") == 0)
		k->key = KEY_IFNAME;
	else
		return false;
	k->map = value_type[0] != '\0';
	k->interval = interval;
	if (k->map && (strcmp(value_type, "verdict") != 0 || k->key != KEY_IFNAME || interval))
		return false;
	return k->key != KEY_PORT || interval; /* port sets are ranges (nft_rule.h) */
}

/* The model first (a sorted lookup); a set only the script declares after. */
static const struct set_kind *find_kind(struct batch *b, const char *name, struct set_kind *scratch)
{
	const struct nft_set *s = b->model ? nft_model_find_set(b->model, name) : NULL;
	if (s) {
		if (!kind_of(s->key_type, s->value_type, s->interval, scratch))
			return NULL;
		snprintf(scratch->name, sizeof(scratch->name), "%s", name);
		return scratch;
	}
	for (size_t i = b->n_declared; i-- > 0;)
		if (strcmp(b->declared[i].name, name) == 0)
			return &b->declared[i];
	return NULL;
}

static int declare(struct batch *b, const struct set_kind *k)
{
	if (array_reserve((void **)&b->declared, &b->cap_declared, b->n_declared + 1, sizeof(*b->declared)) < 0)
		return -ENOMEM;
	b->declared[b->n_declared++] = *k;
	return 0;
}

static int put_udata_u32(struct nftnl_set *s, const uint32_t *pairs, size_t n)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);
	int rc = 0;
	if (!u)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 2)
		nftnl_udata_put_u32(u, (uint8_t)pairs[i], pairs[i + 1]);
	if (nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u)) < 0)
		rc = -ENOMEM;
	nftnl_udata_buf_free(u);
	return rc;
}

/* "add set T NAME { type K; [flags interval;] }" or "add map T NAME { type ifname : verdict; }" */
static int line_add_set(struct batch *b, const char *p, bool map)
{
	struct set_kind k = { 0 };
	char key[24] = "", value[16] = "", line[96];
	int used = 0;
	if (!word(&p, k.name))
		return 0;
	/* sscanf on the line alone: on the script it would measure all that
	 * follows first, for every set (quadratic at thousands of sets) */
	size_t n = strcspn(p, "\n");
	if (n >= sizeof(line) || p[n] != '\n')
		return 0;
	memcpy(line, p, n);
	line[n] = '\0';
	if (map) {
		if (sscanf(line, " { type %23s : %15[a-z]; }%n", key, value, &used) != 2 || line[used])
			return 0;
	} else if (sscanf(line, " { type %23[a-z0-9_]; }%n", key, &used) == 1 && !line[used]) {
		k.interval = false;
	} else if (used = 0, sscanf(line, " { type %23[a-z0-9_]; flags interval; }%n", key, &used) == 1 && !line[used]) {
		k.interval = true;
	} else {
		return 0;
	}
	if (!kind_of(key, value, k.interval, &k))
		return 0;
	if (declare(b, &k) < 0)
		return -ENOMEM;

	static const uint32_t types[] = { TYPE_IPADDR, TYPE_IP6ADDR, TYPE_INET_SERVICE, TYPE_IFNAME };
	static const uint32_t lens[] = { 4, 16, 2, IFNAMSZ };
	struct nftnl_set *s = nftnl_set_alloc();
	int rc;
	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, k.name);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, types[k.key]);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, lens[k.key]);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, k.map ? NFT_SET_MAP : k.interval ? NFT_SET_INTERVAL : 0);
	nftnl_set_set_u32(s, NFTNL_SET_ID, ++b->set_ids); /* the kernel wants one for every new set */
	if (k.map) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 16);
		/* as nft stores them: the key in host order, the verdict, no data intervals */
		static const uint32_t ud[] = { NFTNL_UDATA_SET_KEYBYTEORDER, ORDER_HOST, NFTNL_UDATA_SET_DATABYTEORDER, 0,
					       NFTNL_UDATA_SET_DATA_INTERVAL, 0 };
		rc = put_udata_u32(s, ud, 6);
	} else {
		static const uint32_t ud[] = { NFTNL_UDATA_SET_KEYBYTEORDER, ORDER_BIG };
		rc = put_udata_u32(s, ud, 2);
	}
	if (rc == 0) {
		struct nlmsghdr *nlh = msg(b, NFT_MSG_NEWSET, NLM_F_CREATE);
		nftnl_set_nlmsg_build_payload(nlh, s);
		done(b, nlh);
		rc = 1;
	}
	nftnl_set_free(s);
	return rc;
}

/* One element's key (and interval end) from its text. */
static bool elem_key(const struct set_kind *k, const char *text, uint8_t key[IFNAMSZ], uint8_t end[IFNAMSZ],
		     uint32_t *len)
{
	if (k->key == KEY_IFNAME) {
		size_t n = strlen(text);
		if (n < 3 || text[0] != '"' || text[n - 1] != '"' || n - 2 >= IFNAMSZ || memchr(text + 1, '*', n - 2))
			return false;
		memset(key, 0, IFNAMSZ);
		memcpy(key, text + 1, n - 2);
		*len = IFNAMSZ;
		return true;
	}
	if (k->key == KEY_PORT) {
		unsigned lo, hi;
		int used = 0;
		if (sscanf(text, "%u%n", &lo, &used) != 1)
			return false;
		hi = lo;
		if (text[used] == '-') {
			int more = 0;
			if (sscanf(text + used + 1, "%u%n", &hi, &more) != 1)
				return false;
			used += 1 + more;
		}
		if (text[used] || lo > hi || hi >= 65535) /* the end after 65535 would wrap: libnftables' case */
			return false;
		key[0] = (uint8_t)(lo >> 8);
		key[1] = (uint8_t)lo;
		end[0] = (uint8_t)((hi + 1) >> 8);
		end[1] = (uint8_t)(hi + 1);
		*len = 2;
		return true;
	}
	struct cidr c;
	int family = k->key == KEY_ADDR4 ? 4 : 6;
	if (cidr_parse(text, true, false, &c) < 0 || c.addr.family != family || (!k->interval && c.prefix != (family == 4 ? 32 : 128)))
		return false;
	*len = family == 4 ? 4 : 16;
	memcpy(key, c.addr.bytes, *len);
	if (!k->interval)
		return true;
	/* the interval's end, as the kernel keeps it; a net to the end of the
	 * address space has none here (libnftables' business) */
	return cidr_after_last(&c, end);
}

static struct nftnl_set_elem *new_elem(const uint8_t *key, uint32_t len, uint32_t flags)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	if (e) {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
		if (flags)
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
	}
	return e;
}

/* the value of a verdict map's element: "goto CHAIN" / "jump CHAIN" */
static bool elem_verdict(struct nftnl_set_elem *e, const char *text)
{
	char chain[NFT_NAME_MAX];
	const char *p = text;
	int code = skip(&p, "goto ") ? NFT_GOTO : skip(&p, "jump ") ? NFT_JUMP : 0;
	if (!code || !word(&p, chain) || *p)
		return false;
	nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)code);
	nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain);
	return true;
}

/* "add element T NAME { a, b : v }" / "delete element T NAME { a, b }" */
static int line_elements(struct batch *b, const char *p, bool add)
{
	struct set_kind scratch;
	const struct set_kind *k;
	char name[NFT_NAME_MAX];
	if (!word(&p, name) || !skip(&p, " { ") || !(k = find_kind(b, name, &scratch)))
		return 0;
	const char *close = strchr(p, '\n');
	if (!close || close - p < 2 || strncmp(close - 2, " }", 2) != 0)
		return 0;
	close -= 2;
	struct nftnl_set *s = nftnl_set_alloc();
	int rc = 1;
	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	while (rc == 1 && p < close) {
		char text[160], *colon;
		size_t n = (size_t)(close - p), comma;
		/* an element ends at ", " (names and verdicts hold no comma) */
		const char *sep = memmem(p, n, ", ", 2);
		comma = sep ? (size_t)(sep - p) : n;
		if (comma >= sizeof(text)) {
			rc = 0;
			break;
		}
		memcpy(text, p, comma);
		text[comma] = '\0';
		p += comma + (comma < n ? 2 : 0);
		const char *value = NULL;
		if ((colon = strstr(text, " : "))) {
			*colon = '\0';
			value = colon + 3;
		}
		uint8_t key[IFNAMSZ], end[IFNAMSZ];
		uint32_t len;
		if (!value != !(k->map && add) || !elem_key(k, text, key, end, &len)) {
			rc = 0;
			break;
		}
		struct nftnl_set_elem *e = new_elem(key, len, 0);
		if (!e) {
			rc = -ENOMEM;
			break;
		}
		nftnl_set_elem_add(s, e);
		if (value && !elem_verdict(e, value)) {
			rc = 0;
			break;
		}
		if (k->interval) {
			if (!(e = new_elem(end, len, NFT_SET_ELEM_INTERVAL_END))) {
				rc = -ENOMEM;
				break;
			}
			nftnl_set_elem_add(s, e);
		}
	}
	if (rc == 1) {
		struct nlmsghdr *nlh = msg(b, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, add ? NLM_F_CREATE : 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		done(b, nlh);
	}
	nftnl_set_free(s);
	return rc;
}

/* ---------- chains and rules ---------- */

static const struct {
	const char *name;
	uint32_t num;
} hooks[] = { { "prerouting", NF_INET_PRE_ROUTING }, { "input", NF_INET_LOCAL_IN }, { "forward", NF_INET_FORWARD },
	      { "output", NF_INET_LOCAL_OUT }, { "postrouting", NF_INET_POST_ROUTING } };

static const struct {
	const char *name;
	int prio;
} priorities[] = { { "raw", -300 }, { "mangle", -150 }, { "dstnat", -100 }, { "filter", 0 }, { "security", 50 },
		   { "srcnat", 100 } };

/* "type filter hook forward priority filter; policy accept;" */
static bool base_spec(struct nftnl_chain *c, const char *spec)
{
	char type[16], hook[16], prio[16], policy[16];
	int used = 0;
	size_t h = 0, q = 0;
	if (sscanf(spec, "type %15[a-z] hook %15[a-z] priority %15[a-z0-9-]; policy %15[a-z];%n", type, hook, prio,
		   policy, &used) != 4 || spec[used] != '\0' || (strcmp(type, "filter") != 0 && strcmp(type, "nat") != 0))
		return false;
	for (; h < sizeof(hooks) / sizeof(hooks[0]) && strcmp(hooks[h].name, hook) != 0; h++)
		;
	for (; q < sizeof(priorities) / sizeof(priorities[0]) && strcmp(priorities[q].name, prio) != 0; q++)
		;
	if (h == sizeof(hooks) / sizeof(hooks[0]) || q == sizeof(priorities) / sizeof(priorities[0]) ||
	    (strcmp(policy, "accept") != 0 && strcmp(policy, "drop") != 0))
		return false;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooks[h].num);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, priorities[q].prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, strcmp(policy, "accept") == 0 ? NF_ACCEPT : NF_DROP);
	return true;
}

/* add chain / delete chain / flush chain T NAME */
static int line_chain(struct batch *b, const char *p, uint16_t type)
{
	char name[NFT_NAME_MAX], spec[128] = "";
	if (!word(&p, name))
		return 0;
	if (type == NFT_MSG_NEWCHAIN && skip(&p, " { ")) {
		const char *eol = strchr(p, '\n'), *close = eol ? memmem(p, (size_t)(eol - p) + 1, " }\n", 3) : NULL;
		if (!close || close + 2 != eol || (size_t)(close - p) >= sizeof(spec))
			return 0;
		memcpy(spec, p, (size_t)(close - p));
		spec[close - p] = '\0';
		p = close + 2;
	}
	if (*p != '\n')
		return 0;
	if (type == NFT_MSG_DELRULE) { /* a flush: every rule of the chain */
		struct nftnl_rule *r = nftnl_rule_alloc();
		if (!r)
			return -ENOMEM;
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
		struct nlmsghdr *nlh = msg(b, NFT_MSG_DELRULE, 0);
		nftnl_rule_nlmsg_build_payload(nlh, r);
		done(b, nlh);
		nftnl_rule_free(r);
		return 1;
	}
	struct nftnl_chain *c = nftnl_chain_alloc();
	int rc = 1;
	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (spec[0] && !base_spec(c, spec))
		rc = 0;
	if (rc == 1) {
		struct nlmsghdr *nlh = msg(b, type, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0);
		nftnl_chain_nlmsg_build_payload(nlh, c);
		done(b, nlh);
	}
	nftnl_chain_free(c);
	return rc;
}

/* the rule's anonymous set and its elements, before the rule */
static int anon_set(struct batch *b, const struct nft_nl_anon *a)
{
	struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, "__set%d");
	nftnl_set_set_u32(s, NFTNL_SET_ID, a->id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, a->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, a->key_len);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, (uint32_t)a->n_elems);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, a->udata, (uint32_t)a->udata_len);
	struct nlmsghdr *nlh = msg(b, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	done(b, nlh);
	for (size_t i = 0; i < a->n_elems; i++) {
		struct nftnl_set_elem *e = new_elem(a->elems[i], a->key_len, 0);
		if (!e) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		nftnl_set_elem_add(s, e);
	}
	nlh = msg(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	done(b, nlh);
	nftnl_set_free(s);
	return 1;
}

/* "add rule T CHAIN TEXT" */
static int line_rule(struct batch *b, const char *p, size_t n)
{
	char chain[NFT_NAME_MAX];
	struct nft_nl_anon anon;
	if (!word(&p, chain) || !skip(&p, " "))
		return 0;
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	int rc = nft_nl_rule_build(r, p, b->set_ids + 1, &anon);
	if (rc == -ENOMEM)
		goto out;
	if (rc < 0) {
		rc = 0;
		goto out;
	}
	if (anon.n_elems) {
		b->set_ids++;
		if ((rc = anon_set(b, &anon)) < 0 || (rc = reserve(b, n)) < 0)
			goto out;
	}
	struct nlmsghdr *nlh = msg(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	done(b, nlh);
	rc = 1;
out:
	nftnl_rule_free(r);
	return rc;
}

/* ---------- the script ---------- */

static int line_table(struct batch *b, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	struct nlmsghdr *nlh = msg(b, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	done(b, nlh);
	nftnl_table_free(t);
	return 1;
}

/* 1 done, 0 not a line known here, -ENOMEM */
static int one_line(struct batch *b, const char *p, size_t n)
{
	if (strncmp(p, "add table " TBL "\n", strlen("add table " TBL "\n")) == 0)
		return line_table(b, NFT_MSG_NEWTABLE);
	if (strncmp(p, "delete table " TBL "\n", strlen("delete table " TBL "\n")) == 0)
		return line_table(b, NFT_MSG_DELTABLE);
	if (skip(&p, "add rule " TBL " "))
		return line_rule(b, p, n);
	if (skip(&p, "add element " TBL " "))
		return line_elements(b, p, true);
	if (skip(&p, "delete element " TBL " "))
		return line_elements(b, p, false);
	if (skip(&p, "add chain " TBL " "))
		return line_chain(b, p, NFT_MSG_NEWCHAIN);
	if (skip(&p, "flush chain " TBL " "))
		return line_chain(b, p, NFT_MSG_DELRULE);
	if (skip(&p, "delete chain " TBL " "))
		return line_chain(b, p, NFT_MSG_DELCHAIN);
	if (skip(&p, "add set " TBL " "))
		return line_add_set(b, p, false);
	if (skip(&p, "add map " TBL " "))
		return line_add_set(b, p, true);
	if (skip(&p, "delete set " TBL " ") || skip(&p, "delete map " TBL " ")) {
		char name[NFT_NAME_MAX];
		if (!word(&p, name) || *p != '\n')
			return 0;
		struct nftnl_set *s = nftnl_set_alloc();
		if (!s)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
		struct nlmsghdr *nlh = msg(b, NFT_MSG_DELSET, 0);
		nftnl_set_nlmsg_build_payload(nlh, s);
		done(b, nlh);
		nftnl_set_free(s);
		return 1;
	}
	return 0;
}

int nft_nl_batch_build(const char *script, const struct nft_model *model, uint32_t seq, void **out, size_t *len,
		       size_t *n_msgs)
{
	struct batch *b = calloc(1, sizeof(*b));
	int rc = 1;

	*out = NULL;
	*len = *n_msgs = 0;
	if (!b)
		return -ENOMEM;
	b->seq = seq;
	b->model = model;
	if (reserve(b, 0) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	done(b, nftnl_batch_begin(b->buf, b->seq++));
	for (const char *p = script; *p && rc == 1;) {
		const char *eol = strchr(p, '\n');
		if (!eol) {
			rc = 0;
			break;
		}
		size_t n = (size_t)(eol - p) + 1;
		if ((rc = reserve(b, n)) == 0)
			rc = one_line(b, p, n);
		p = eol + 1;
	}
	if (rc == 1 && !b->n_msgs)
		rc = 0;
	if (rc == 1 && (rc = reserve(b, 0)) == 0) {
		/* the last message asks for an ack: its answer comes after every error */
		((struct nlmsghdr *)(b->buf + b->last))->nlmsg_flags |= NLM_F_ACK;
		done(b, nftnl_batch_end(b->buf + b->used, b->seq++));
		*out = b->buf;
		*len = b->used;
		*n_msgs = b->n_msgs;
		b->buf = NULL;
		rc = 1;
	}
out:
	free(b->declared);
	free(b->buf);
	free(b);
	return rc;
}
