/* The policy compiler: dp_state -> nft_model (layout in nft_compile.h). */
#include "policy/nft_compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_rule.h"
#include "policy/nft_v3.h"
#include "model/overlay.h"
#include "util/array.h"

#define ALLOW_VERDICT "meta mark set meta mark | " NFT_ALLOW_MARK " return"
#define CLEAR_MARK    "meta mark set meta mark & " NFT_ALLOW_MARK_MASK
#define CLEAR_MARKS   "meta mark set meta mark & " NFT_VERDICT_MARKS_CLEAR

struct tag_use {
	const char *tag;
	unsigned families;
};

struct port_set_slot {
	char *name; /* NULL = free */
	char *text; /* the canonical list, to tell a hash collision from a reuse */
};

struct compiler {
	const struct dp_state *s;
	struct nft_model *m;
	struct nft_compile_report *rep;
	const struct profile **profiles; /* sorted by name */
	bool *profile_used;              /* parallel to profiles */
	const struct dp_tag **tags;      /* sorted by name */
	struct tag_use *uses;
	size_t n_uses, cap_uses;
	struct port_set_slot *port_slots; /* open addressing on the name's hash */
	size_t n_port_sets, cap_port_slots;
	struct nft_piece_hooks hooks; /* the pieces' view of this compiler */
};

/* ---------- lookups ---------- */

static int profile_ptr_cmp(const void *a, const void *b)
{
	const struct profile *x = *(const struct profile *const *)a, *y = *(const struct profile *const *)b;
	int c = strcmp(x->name, y->name);
	/* the state's first profile of a name wins, whatever qsort does */
	return c ? c : (x > y) - (x < y);
}

static int tag_ptr_cmp(const void *a, const void *b)
{
	const struct dp_tag *x = *(const struct dp_tag *const *)a, *y = *(const struct dp_tag *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x > y) - (x < y);
}

/* Index of the first profile of that name, or -1. */
static long profile_find(const struct compiler *c, const char *name)
{
	size_t lo = 0, hi = c->s->n_profiles;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(c->profiles[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->s->n_profiles && strcmp(c->profiles[lo]->name, name) == 0 ? (long)lo : -1;
}

static const struct dp_tag *tag_find(const struct compiler *c, const char *name)
{
	size_t lo = 0, hi = c->s->n_tags;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(c->tags[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->s->n_tags && strcmp(c->tags[lo]->name, name) == 0 ? c->tags[lo] : NULL;
}

static bool compiler_has_profile(void *ctx, const char *name)
{
	return profile_find(ctx, name) >= 0;
}

static int note_tag(void *ctx, const char *tag, unsigned families)
{
	struct compiler *c = ctx;
	if (!tag[0] || !families)
		return 0;
	if (array_reserve((void **)&c->uses, &c->cap_uses, c->n_uses + 1, sizeof(*c->uses)) < 0)
		return -ENOMEM;
	c->uses[c->n_uses++] = (struct tag_use){ tag, families };
	return 0;
}

/* ---------- port sets ---------- */

static size_t slot_of(const struct port_set_slot *slots, size_t cap, const char *name)
{
	/* the name ends in 16 hex digits of the list's hash */
	size_t i = (size_t)strtoull(name + strlen(name) - 16, NULL, 16) & (cap - 1);
	while (slots[i].name && strcmp(slots[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int port_slots_grow(struct compiler *c)
{
	size_t ncap = c->cap_port_slots ? c->cap_port_slots * 2 : 64;
	struct port_set_slot *slots = calloc(ncap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap_port_slots; i++)
		if (c->port_slots[i].name)
			slots[slot_of(slots, ncap, c->port_slots[i].name)] = c->port_slots[i];
	free(c->port_slots);
	c->port_slots = slots;
	c->cap_port_slots = ncap;
	return 0;
}

static int port_set(void *ctx, const char *name, const struct port_range *sorted, size_t n)
{
	struct compiler *c = ctx;
	char text[RULE_PORTS_MAX * 13], elem[16];
	size_t len = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		nft_port_elem_text(&sorted[i], elem);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", i ? "," : "", elem);
	}
	if ((c->n_port_sets + 1) * 2 > c->cap_port_slots && (rc = port_slots_grow(c)) < 0)
		return rc;
	struct port_set_slot *slot = &c->port_slots[slot_of(c->port_slots, c->cap_port_slots, name)];
	if (slot->name)
		return strcmp(slot->text, text) == 0 ? 0 : -EEXIST;
	if (!(slot->name = strdup(name)) || !(slot->text = strdup(text))) {
		free(slot->name);
		slot->name = NULL;
		return -ENOMEM;
	}
	c->n_port_sets++;
	return nft_piece_port_set(c->m, name, sorted, n);
}

int nft_piece_port_set(struct nft_model *m, const char *name, const struct port_range *sorted, size_t n)
{
	char elem[16];
	int rc;
	struct nft_set *set = nft_model_add_set(m, name, "inet_service", NULL, true);
	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		nft_port_elem_text(&sorted[i], elem);
		if ((rc = nft_set_add_elem(set, elem, NULL)) < 0)
			return rc;
	}
	return 0;
}

/* ---------- endpoints ---------- */

bool nft_ifname_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= IFNAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static int ip_ptr_cmp(const void *a, const void *b)
{
	return ip_cmp(a, b);
}

/* "ip saddr != a ip saddr != b drop": one compare per address, no set, as an
 * endpoint has a handful of addresses (and an anonymous set per endpoint would
 * make large loads quadratic, see nft_rule.h). "meta nfproto ipv4 drop" for a
 * family the endpoint has no address in. */
static int add_anti_spoof(struct nft_chain *ch, const struct cidr *nets, size_t n, int family, const char *log)
{
	struct ip_addr *addrs;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (n == 0)
		return (log[0] && (rc = nft_chain_add_rule(ch, "meta nfproto ipv%d %s", family, log)) < 0)
			       ? rc
			       : nft_chain_add_rule(ch, "meta nfproto ipv%d drop", family);
	if (!(addrs = calloc(n, sizeof(*addrs))) || !(text = malloc(n * (IP_STR_MAX + 16) + 8))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		addrs[i] = nets[i].addr;
	qsort(addrs, n, sizeof(*addrs), ip_ptr_cmp);
	for (size_t i = 0; i < n; i++) {
		char s[IP_STR_MAX];
		if (i && ip_cmp(&addrs[i - 1], &addrs[i]) == 0)
			continue;
		len += (size_t)sprintf(text + len, "%s saddr != %s ", family == 4 ? "ip" : "ip6", ip_format(&addrs[i], s));
	}
	/* the spoofed source's first packet logged (rate-limited), then dropped */
	if (!log[0] || (rc = nft_chain_add_rule(ch, "%s%s", text, log)) == 0)
		rc = nft_chain_add_rule(ch, "%sdrop", text);
out:
	free(addrs);
	free(text);
	return rc;
}

/* Neighbour advertisements from a workload may only claim its own addresses
 * (or a link-local one, which only names something on its own veth): a
 * workload must not answer neighbour solicitations for another workload's
 * address. nftables 1.0.6 has no "icmpv6 taddr", so the target (bytes 8-23
 * of the ICMPv6 header) is matched as a raw payload, one compare per address
 * as in add_anti_spoof. Then the NAs left are accepted when they are for the
 * host itself: ND comes from link-local sources that anti-spoofing would drop,
 * conntrack does not track it, and a real NA has hop limit 255, which a
 * forwarded packet has lost before the forward hook. */
static int add_na_guard(struct nft_chain *ch, const struct cidr *nets, size_t n)
{
	struct ip_addr *addrs = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = -ENOMEM;

	if (!(text = malloc(n * 56 + 128)) || (n && !(addrs = calloc(n, sizeof(*addrs)))))
		goto out;
	len = (size_t)sprintf(text, "icmpv6 type nd-neighbor-advert @th,64,16 & 0xffc0 != 0xfe80 ");
	for (size_t i = 0; i < n; i++)
		addrs[i] = nets[i].addr;
	if (n > 1)
		qsort(addrs, n, sizeof(*addrs), ip_ptr_cmp);
	for (size_t i = 0; i < n; i++) {
		if (addrs[i].family != 6 || (i && ip_cmp(&addrs[i - 1], &addrs[i]) == 0))
			continue;
		len += (size_t)sprintf(text + len, "@th,64,128 != 0x");
		for (int b = 0; b < 16; b++)
			len += (size_t)sprintf(text + len, "%02x", addrs[i].bytes[b]);
		text[len++] = ' ';
	}
	sprintf(text + len, "drop");
	if ((rc = nft_chain_add_rule(ch, "%s", text)) < 0)
		goto out;
	rc = nft_chain_add_rule(ch, "ip6 hoplimit 255 icmpv6 type nd-neighbor-advert accept");
out:
	free(addrs);
	free(text);
	return rc;
}

/* A workload must not send what a host would decapsulate: a VXLAN datagram to
 * a VTEP (its own host's or another's) or an IP-in-IP packet would deliver an
 * inner packet that no endpoint chain saw, from any source the workload
 * likes, past its outbound policy and anti-spoofing (the lab showed a forged
 * VXLAN datagram reaching another host's workload). Felix drops both from
 * workloads too. Dropped whatever the pools say, so that turning VXLAN on
 * never opens a window; protocol 4 in both families (IPv4-in-IPv6 too). */
static int add_encap_guard(struct nft_chain *ch)
{
	int rc = nft_chain_add_rule(ch, "udp dport %d drop", VXLAN_PORT);
	return rc < 0 ? rc : nft_chain_add_rule(ch, "meta l4proto 4 drop");
}

/* Profiles in order; an allow returns at once. Any missing profile, or an
 * inactive endpoint, leaves the endpoint with nothing: drop. */
static int add_profile_jumps(struct nft_chain *ch, const struct endpoint *e, const char *dir, bool complete,
			     struct nft_flows *flows)
{
	struct flow_point end = nft_flow_point(FLOW_KIND_END_OF_PROFILES, FLOW_DENY,
					       strcmp(dir, "in") == 0 ? FLOW_INGRESS : FLOW_EGRESS);
	char log[NFT_FLOW_TEXT_MAX];
	int rc;

	if (complete && e->n_profile_ids) {
		if ((rc = nft_chain_add_rule(ch, CLEAR_MARK)) < 0)
			return rc;
		for (size_t i = 0; i < e->n_profile_ids; i++)
			if ((rc = nft_chain_add_rule(ch, "jump prof-%s-%s", dir, e->profile_ids[i])) < 0 ||
			    (rc = nft_chain_add_rule(ch, "meta mark & " NFT_ALLOW_MARK " == " NFT_ALLOW_MARK
							 " " CLEAR_MARK " return")) < 0)
				return rc;
	}
	if (complete && e->n_profile_ids)
		end.name = end.trigger = e->profile_ids[e->n_profile_ids - 1];
	if ((rc = nft_flow_log(flows, &end, log)) < 0 || (log[0] && (rc = nft_chain_add_rule(ch, "%s", log)) < 0))
		return rc;
	return nft_chain_add_rule(ch, "drop");
}

void nft_endpoint_verdict(char out[NFT_NAME_MAX + 8], const char *dir, const char *ifname)
{
	snprintf(out, NFT_NAME_MAX + 8, "goto wl-%s-%s", dir, ifname);
}

/* Each tier in order: both verdict marks cleared, the tier's walk, and a
 * return (the mark cleared) when it allowed; a tier that denied dropped the
 * packet, one that passed leaves the pass mark, cleared for the next one.
 * After the last tier, the profiles begin with no verdict mark set. */
static int add_tier_jumps(struct nft_chain *ch, char (*chains)[NFT_NAME_MAX], size_t n)
{
	int rc;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((rc = nft_chain_add_rule(ch, CLEAR_MARKS)) < 0 || (rc = nft_chain_add_rule(ch, "jump %s", chains[i])) < 0 ||
		    (rc = nft_chain_add_rule(ch, "meta mark & " NFT_ALLOW_MARK " == " NFT_ALLOW_MARK " " CLEAR_MARK
						 " return")) < 0)
			return rc;
	return nft_chain_add_rule(ch, CLEAR_MARKS);
}

int nft_piece_endpoint(struct nft_model *m, const struct endpoint *e, const struct nft_v3_jumps *jumps,
		       const struct nft_piece_hooks *h, bool *uses_profiles)
{
	char name[NFT_NAME_MAX], spoof_log[NFT_FLOW_TEXT_MAX];
	struct nft_chain *ch;
	bool complete = strcmp(e->state, "inactive") != 0;
	const struct flow_point spoof = nft_flow_point(FLOW_KIND_ANTI_SPOOF, FLOW_DENY, FLOW_EGRESS);
	int rc;

	for (size_t i = 0; complete && i < e->n_profile_ids; i++)
		if (!h->profile_exists(h->ctx, e->profile_ids[i]))
			complete = false;
	*uses_profiles = complete && e->n_profile_ids;

	snprintf(name, sizeof(name), "wl-from-%s", e->name);
	if (!(ch = nft_model_add_chain(m, name, NULL)))
		return -ENOMEM;
	if ((rc = nft_flow_log(h->flows, &spoof, spoof_log)) < 0 ||
	    (rc = nft_chain_add_rule(ch, "ct state established,related accept")) < 0 ||
	    (rc = add_na_guard(ch, e->ipv6_nets, e->n_ipv6_nets)) < 0 ||
	    (rc = nft_chain_add_rule(ch, "ct state invalid drop")) < 0 || (rc = add_encap_guard(ch)) < 0 ||
	    (rc = add_anti_spoof(ch, e->ipv4_nets, e->n_ipv4_nets, 4, spoof_log)) < 0 ||
	    (rc = add_anti_spoof(ch, e->ipv6_nets, e->n_ipv6_nets, 6, spoof_log)) < 0 ||
	    (jumps && (rc = add_tier_jumps(ch, jumps->out, jumps->n_out)) < 0) ||
	    (rc = add_profile_jumps(ch, e, "out", complete, h->flows)) < 0)
		return rc;

	snprintf(name, sizeof(name), "wl-to-%s", e->name);
	if (!(ch = nft_model_add_chain(m, name, NULL)))
		return -ENOMEM;
	if ((rc = nft_chain_add_rule(ch, "ct state established,related accept")) < 0 ||
	    (rc = nft_chain_add_rule(ch, "ct state invalid drop")) < 0 ||
	    (jumps && (rc = add_tier_jumps(ch, jumps->in, jumps->n_in)) < 0) ||
	    (rc = add_profile_jumps(ch, e, "in", complete, h->flows)) < 0)
		return rc;
	return 0;
}

static int add_endpoint(struct compiler *c, const struct endpoint *e, const struct nft_v3_jumps *jumps,
			struct nft_set *from_map, struct nft_set *to_map)
{
	char verdict[NFT_NAME_MAX + 8];
	bool uses;
	int rc;

	nft_endpoint_verdict(verdict, "from", e->name);
	if ((rc = nft_set_add_elem(from_map, e->name, verdict)) < 0)
		return rc;
	nft_endpoint_verdict(verdict, "to", e->name);
	if ((rc = nft_set_add_elem(to_map, e->name, verdict)) < 0)
		return rc;
	if ((rc = nft_piece_endpoint(c->m, e, jumps, &c->hooks, &uses)) < 0)
		return rc;
	for (size_t i = 0; uses && i < e->n_profile_ids; i++)
		c->profile_used[profile_find(c, e->profile_ids[i])] = true;
	c->rep->endpoints++;
	return 0;
}

static int endpoint_ptr_cmp(const void *a, const void *b)
{
	const struct endpoint *x = *(const struct endpoint *const *)a, *y = *(const struct endpoint *const *)b;
	int r = strcmp(x->name, y->name);
	return r ? r : (x > y) - (x < y);
}

static void skip(struct compiler *c, const char *fmt, const char *what)
{
	if (!c->rep->skipped_endpoints++)
		snprintf(c->rep->problem, sizeof(c->rep->problem), fmt, what);
}

static int add_endpoints(struct compiler *c)
{
	const struct dp_state *s = c->s;
	const struct endpoint **eps = NULL, **prog = NULL;
	const struct label_set **labels = NULL;
	struct nft_v3_jumps *jumps = NULL;
	struct nft_set *from_map, *to_map;
	static const struct label_set none = LABEL_SET_INIT;
	size_t n = 0, v3_rules;
	int rc = -ENOMEM;

	if (s->n_endpoints && (!(eps = calloc(s->n_endpoints, sizeof(*eps))) ||
			       !(prog = calloc(s->n_endpoints, sizeof(*prog))) ||
			       !(labels = calloc(s->n_endpoints, sizeof(*labels))) ||
			       !(jumps = calloc(s->n_endpoints, sizeof(*jumps)))))
		goto out;
	for (size_t i = 0; i < s->n_endpoints; i++)
		eps[i] = &s->endpoints[i];
	if (s->n_endpoints > 1)
		qsort(eps, s->n_endpoints, sizeof(*eps), endpoint_ptr_cmp);
	for (size_t i = 0; i < s->n_endpoints; i++) {
		if (!nft_ifname_ok(eps[i]->name)) {
			skip(c, "endpoint with interface name \"%.32s\" skipped: not a valid name", eps[i]->name);
			continue;
		}
		if (i && strcmp(eps[i - 1]->name, eps[i]->name) == 0) {
			skip(c, "second endpoint on interface \"%s\" skipped", eps[i]->name);
			continue;
		}
		labels[n] = s->endpoint_labels ? &s->endpoint_labels[eps[i] - s->endpoints] : &none;
		prog[n++] = eps[i];
	}
	if ((rc = nft_piece_v3(c->m, s, prog, labels, n, &c->hooks, jumps, &v3_rules)) < 0)
		goto out;
	c->rep->rules += v3_rules;
	rc = -ENOMEM;
	/* the maps stay valid: no other set is added until the endpoints are done
	 * (the first one found again: adding the second may move the array) */
	if (!nft_model_add_set(c->m, "from-wl", "ifname", "verdict", false) ||
	    !(to_map = nft_model_add_set(c->m, "to-wl", "ifname", "verdict", false)))
		goto out;
	from_map = to_map - 1;
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_endpoint(c, prog[i], &jumps[i], from_map, to_map);
out:
	for (size_t i = 0; jumps && i < s->n_endpoints; i++)
		nft_v3_jumps_free(&jumps[i]);
	free(jumps);
	free(labels);
	free(prog);
	free(eps);
	return rc;
}

/* ---------- profiles and tags ---------- */

static int add_profile_chain(struct nft_model *m, const char *profile, const char *dir,
			     const struct rule_list *rules, const struct nft_piece_hooks *h, size_t *n_rules)
{
	const struct nft_rule_sets sets = { h->port_set, h->ctx };
	char name[NFT_NAME_MAX], log[NFT_FLOW_TEXT_MAX], verdict[NFT_FLOW_TEXT_MAX + 64];
	int rc;

	snprintf(name, sizeof(name), "prof-%s-%s", dir, profile);
	struct nft_chain *ch = nft_model_add_chain(m, name, NULL);
	if (!ch)
		return -ENOMEM;
	for (size_t i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->items[i];
		unsigned fam = nft_rule_families(r);
		struct flow_point p = nft_flow_point(FLOW_KIND_PROFILE, r->action == RULE_ALLOW ? FLOW_ALLOW : FLOW_DENY,
						     strcmp(dir, "in") == 0 ? FLOW_INGRESS : FLOW_EGRESS);
		p.name = profile;
		p.rule = (int)i;
		if (fam && (rc = nft_flow_log(h->flows, &p, log)) < 0)
			return rc;
		/* allow: the log on the deciding rule; deny: a log rule of its own first */
		snprintf(verdict, sizeof(verdict), "%s%s%s", fam && log[0] && r->action == RULE_ALLOW ? log : "",
			 fam && log[0] && r->action == RULE_ALLOW ? " " : "", r->action == RULE_ALLOW ? ALLOW_VERDICT : "drop");
		if ((fam && log[0] && r->action != RULE_ALLOW && (rc = nft_rule_append(ch, r, log, &sets)) < 0) ||
		    (rc = nft_rule_append(ch, r, verdict, &sets)) < 0 ||
		    (r->src_tag[0] && fam && (rc = h->tag_use(h->ctx, r->src_tag, fam)) < 0) ||
		    (r->dst_tag[0] && fam && (rc = h->tag_use(h->ctx, r->dst_tag, fam)) < 0))
			return rc;
	}
	*n_rules += ch->n_rules;
	return 0;
}

int nft_piece_profile(struct nft_model *m, const char *name, const struct rule_list *inbound,
		      const struct rule_list *outbound, const struct nft_piece_hooks *h, size_t *n_rules)
{
	int rc;
	*n_rules = 0;
	if ((rc = add_profile_chain(m, name, "in", inbound, h, n_rules)) < 0 ||
	    (rc = add_profile_chain(m, name, "out", outbound, h, n_rules)) < 0)
		return rc;
	return 0;
}

static int add_profiles(struct compiler *c)
{
	size_t rules;
	int rc;
	for (size_t i = 0; i < c->s->n_profiles; i++) {
		if (!c->profile_used[i])
			continue;
		const struct profile *p = c->profiles[i];
		if ((rc = nft_piece_profile(c->m, p->name, &p->inbound, &p->outbound, &c->hooks, &rules)) < 0)
			return rc;
		c->rep->rules += rules;
		c->rep->profiles++;
	}
	return 0;
}

static int use_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tag_use *)a)->tag, ((const struct tag_use *)b)->tag);
}

/* ip_format without the stdio cost, for the 100,000s of IPv4 tag members. */
const char *nft_member_text(const struct ip_addr *ip, char buf[IP_STR_MAX])
{
	if (ip->family != 4)
		return ip_format(ip, buf);
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		unsigned v = ip->bytes[i];
		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	return buf;
}

struct nft_set *nft_piece_tag_set(struct nft_model *m, const char *tag, int family)
{
	char name[NFT_NAME_MAX];
	nft_tag_set_name(name, tag, family);
	return nft_model_add_set(m, name, family == 4 ? "ipv4_addr" : "ipv6_addr", NULL, false);
}

static int add_tag_set(struct compiler *c, const char *tag, int family)
{
	char s[IP_STR_MAX];
	int rc;

	struct nft_set *set = nft_piece_tag_set(c->m, tag, family);
	if (!set)
		return -ENOMEM;
	const struct dp_tag *t = tag_find(c, tag);
	for (size_t i = 0; t && i < t->n_members; i++) {
		if (t->members[i].family != family)
			continue;
		if ((rc = nft_set_add_elem(set, nft_member_text(&t->members[i], s), NULL)) < 0)
			return rc;
		c->rep->tag_members++;
	}
	c->rep->tag_sets++;
	return 0;
}

static int add_tag_sets(struct compiler *c)
{
	int rc;

	if (c->n_uses > 1)
		qsort(c->uses, c->n_uses, sizeof(*c->uses), use_cmp);
	for (size_t i = 0; i < c->n_uses;) {
		unsigned fam = 0;
		size_t j = i;
		for (; j < c->n_uses && strcmp(c->uses[j].tag, c->uses[i].tag) == 0; j++)
			fam |= c->uses[j].families;
		if ((fam & NFT_FAMILY_V4) && (rc = add_tag_set(c, c->uses[i].tag, 4)) < 0)
			return rc;
		if ((fam & NFT_FAMILY_V6) && (rc = add_tag_set(c, c->uses[i].tag, 6)) < 0)
			return rc;
		i = j;
	}
	return 0;
}

/* ---------- NAT ---------- */

/* Interval sets refuse overlapping elements: keep only pools that no other
 * pool of the list contains (equal ones once). */
static int add_pool_set(struct nft_model *m, const struct pool *pools, size_t n_pools, const char *name,
			int family, bool masq_only)
{
	char text[CIDR_STR_MAX];
	int rc;

	struct nft_set *set = nft_model_add_set(m, name, family == 4 ? "ipv4_addr" : "ipv6_addr", NULL, true);
	if (!set)
		return -ENOMEM;
	for (size_t i = 0; i < n_pools; i++) {
		const struct pool *p = &pools[i];
		bool covered = false;
		if (p->cidr.addr.family != family || (masq_only && !p->masquerade))
			continue;
		for (size_t j = 0; j < n_pools && !covered; j++) {
			const struct pool *q = &pools[j];
			if (j == i || q->cidr.addr.family != family || (masq_only && !q->masquerade) ||
			    !cidr_contains_cidr(&q->cidr, &p->cidr))
				continue;
			covered = q->cidr.prefix < p->cidr.prefix || j < i;
		}
		if (covered)
			continue;
		if (p->cidr.prefix == (family == 4 ? 32 : 128))
			ip_format(&p->cidr.addr, text); /* nft lists a one-address interval bare */
		else
			cidr_format(&p->cidr, text);
		if ((rc = nft_set_add_elem(set, text, NULL)) < 0)
			return rc;
	}
	return 0;
}

int nft_piece_nat(struct nft_model *m, const struct pool *pools, size_t n)
{
	int rc;
	if ((rc = add_pool_set(m, pools, n, "masq4", 4, true)) < 0 || (rc = add_pool_set(m, pools, n, "masq6", 6, true)) < 0 ||
	    (rc = add_pool_set(m, pools, n, "pools4", 4, false)) < 0 ||
	    (rc = add_pool_set(m, pools, n, "pools6", 6, false)) < 0)
		return rc;
	struct nft_chain *ch =
		nft_model_add_chain(m, "cali-postrouting", "type nat hook postrouting priority srcnat; policy accept;");
	if (!ch)
		return -ENOMEM;
	if ((rc = nft_chain_add_rule(ch, "ip saddr @masq4 ip daddr != @pools4 masquerade")) < 0 ||
	    (rc = nft_chain_add_rule(ch, "ip6 saddr @masq6 ip6 daddr != @pools6 masquerade")) < 0)
		return rc;
	return 0;
}

/* ---------- fixed chains ---------- */

int nft_piece_dispatch(struct nft_model *m, const char *iface_prefix, enum dp_host_action endpoint_to_host,
		       struct nft_flows *flows)
{
	const char *pfx = iface_prefix[0] ? iface_prefix : "cali";
	const struct flow_point from = nft_flow_point(FLOW_KIND_FAIL_CLOSED, FLOW_DENY, FLOW_EGRESS),
				to = nft_flow_point(FLOW_KIND_FAIL_CLOSED, FLOW_DENY, FLOW_INGRESS);
	char log[NFT_FLOW_TEXT_MAX];
	struct nft_chain *ch;
	int rc;

	if (!(ch = nft_model_add_chain(m, "cali-from-wl", NULL)))
		return -ENOMEM;
	if ((rc = nft_chain_add_rule(ch, "iifname vmap @from-wl")) < 0 || (rc = nft_flow_log(flows, &from, log)) < 0 ||
	    (log[0] && (rc = nft_chain_add_rule(ch, "iifname \"%s*\" %s", pfx, log)) < 0) ||
	    (rc = nft_chain_add_rule(ch, "iifname \"%s*\" drop", pfx)) < 0)
		return rc;
	if (!(ch = nft_model_add_chain(m, "cali-to-wl", NULL)))
		return -ENOMEM;
	if ((rc = nft_chain_add_rule(ch, "oifname vmap @to-wl")) < 0 || (rc = nft_flow_log(flows, &to, log)) < 0 ||
	    (log[0] && (rc = nft_chain_add_rule(ch, "oifname \"%s*\" %s", pfx, log)) < 0) ||
	    (rc = nft_chain_add_rule(ch, "oifname \"%s*\" drop", pfx)) < 0)
		return rc;

	if (!(ch = nft_model_add_chain(m, "cali-forward", "type filter hook forward priority filter; policy accept;")))
		return -ENOMEM;
	if ((rc = nft_chain_add_rule(ch, "ct state established,related accept")) < 0 ||
	    (rc = nft_chain_add_rule(ch, "jump cali-from-wl")) < 0 || (rc = nft_chain_add_rule(ch, "jump cali-to-wl")) < 0)
		return rc;

	if (!(ch = nft_model_add_chain(m, "cali-input", "type filter hook input priority filter; policy accept;")))
		return -ENOMEM;
	/* Neighbour discovery comes from link-local sources that anti-spoofing
	 * would drop; IPv6 does not work without it (Felix accepts it too).
	 * Advertisements are the endpoint chain's: only its own addresses
	 * (add_na_guard). */
	if ((rc = nft_chain_add_rule(ch, "ct state established,related accept")) < 0 ||
	    (rc = nft_chain_add_rule(ch,
				     "iifname \"%s*\" icmpv6 type { mld-listener-query, mld-listener-report, "
				     "mld-listener-done, nd-router-solicit, nd-neighbor-solicit } accept",
				     pfx)) < 0 ||
	    (rc = nft_chain_add_rule(ch, "jump cali-from-wl")) < 0)
		return rc;
	/* Reached only by allowed traffic from programmed workloads (the rest
	 * was dropped in cali-from-wl). RETURN and ACCEPT are the same here:
	 * accepting in our own table lets the host's other tables have their say. */
	return nft_chain_add_rule(ch, "iifname \"%s*\" %s", pfx,
				  endpoint_to_host == DP_HOST_DROP ? "drop" : "accept");
}

int nft_compile(const struct dp_state *s, struct nft_model *out, struct nft_compile_report *report)
{
	return nft_compile_flows(s, out, report, NULL);
}

int nft_compile_flows(const struct dp_state *s, struct nft_model *out, struct nft_compile_report *report,
		      struct nft_flows *flows)
{
	struct nft_compile_report dummy;
	struct compiler c = { .s = s, .m = out, .rep = report ? report : &dummy };
	struct nft_flows own;
	int rc = -ENOMEM;

	nft_flows_init(&own);
	memset(c.rep, 0, sizeof(*c.rep));
	c.hooks = (struct nft_piece_hooks){ compiler_has_profile, port_set, note_tag, &c,
					    s->flow_logs ? flows ? flows : &own : NULL };
	nft_model_init(out, NFT_FAMILY, NFT_TABLE);
	if (s->n_profiles && (!(c.profiles = calloc(s->n_profiles, sizeof(*c.profiles))) ||
			      !(c.profile_used = calloc(s->n_profiles, sizeof(*c.profile_used)))))
		goto out;
	if (s->n_tags && !(c.tags = calloc(s->n_tags, sizeof(*c.tags))))
		goto out;
	for (size_t i = 0; i < s->n_profiles; i++)
		c.profiles[i] = &s->profiles[i];
	if (s->n_profiles > 1)
		qsort(c.profiles, s->n_profiles, sizeof(*c.profiles), profile_ptr_cmp);
	for (size_t i = 0; i < s->n_tags; i++)
		c.tags[i] = &s->tags[i];
	if (s->n_tags > 1)
		qsort(c.tags, s->n_tags, sizeof(*c.tags), tag_ptr_cmp);

	if ((rc = add_endpoints(&c)) < 0 || (rc = add_profiles(&c)) < 0 || (rc = add_tag_sets(&c)) < 0 ||
	    (rc = nft_piece_nat(out, s->pools, s->n_pools)) < 0 ||
	    (rc = nft_piece_dispatch(out, s->iface_prefix, s->endpoint_to_host, c.hooks.flows)) < 0)
		goto out;
	rc = nft_model_finish(out);
out:
	free(c.profiles);
	free(c.profile_used);
	free(c.tags);
	free(c.uses);
	for (size_t i = 0; i < c.cap_port_slots; i++) {
		free(c.port_slots[i].name);
		free(c.port_slots[i].text);
	}
	free(c.port_slots);
	nft_flows_free(&own);
	return rc;
}
