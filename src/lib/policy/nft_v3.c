/* Calico's v3 rules, policies and tiers as nftables chains (nft_v3.h).
 *
 * Expression order in a rule text, as for the 2016 rules (nft_rule.c): the
 * family guard or addresses first (compares and set lookups), then protocol,
 * ports and ICMP, then the verdict. */
#include "policy/nft_v3.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_compile.h"
#include "policy/nft_rule.h"
#include "selector/selector.h"
#include "util/sha256.h"

#define LOG_PREFIX_MAX 127 /* what nft accepts for "log prefix" */

#define ALLOW_VERDICT "meta mark set meta mark | " NFT_ALLOW_MARK " return"
#define PASS_VERDICT  "meta mark set meta mark | " NFT_PASS_MARK " return"

/* n base32 letters (a-z, 2-7) of the SHA-256 of text */
static void hash_letters(char *out, size_t n, const char *text)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t d[32];
	sha256(text, strlen(text), d);
	for (size_t i = 0; i < n && i < 51; i++) {
		size_t bit = i * 5;
		unsigned v = ((unsigned)d[bit / 8] << 8 | (bit / 8 + 1 < 32 ? d[bit / 8 + 1] : 0)) >> (11 - bit % 8);
		out[i] = alphabet[v & 31];
	}
	out[n] = '\0';
}

void nft_v3_policy_chain_name(char out[NFT_NAME_MAX], enum nft_v3_direction dir, const char *tier,
			      const char *namespace_, const char *name)
{
	char key[1024], h[27];
	/* '/' never appears in a tier, namespace or policy name: the key is unambiguous */
	snprintf(key, sizeof(key), "%s/%s/%s", tier, namespace_ ? namespace_ : "", name);
	hash_letters(h, 26, key);
	snprintf(out, NFT_NAME_MAX, "%s-%s", dir == NFT_V3_INGRESS ? "pi" : "po", h);
}

void nft_v3_tier_chain_name(char out[NFT_NAME_MAX], enum nft_v3_direction dir, const char *ifname, const char *tier)
{
	char h[13];
	hash_letters(h, 12, tier);
	snprintf(out, NFT_NAME_MAX, "%s-%s-%s", dir == NFT_V3_INGRESS ? "ti" : "to", ifname, h);
}

void nft_v3_selector_set_name(char out[NFT_NAME_MAX], int family, const char *selector_text,
			      const char *namespace_selector_text, const char *scope_namespace)
{
	const char *b = namespace_selector_text ? namespace_selector_text : "";
	const char *c = !namespace_selector_text && scope_namespace ? scope_namespace : "";
	size_t len = strlen(selector_text) + strlen(b) + strlen(c) + 8;
	char *key = malloc(len), h[27];
	if (!key) { /* a name no selector gets: the set stays empty, the rule matches nothing */
		snprintf(out, NFT_NAME_MAX, "sel%d-nomem", family);
		return;
	}
	snprintf(key, len, "%s\x1f%s%s\x1f%s", selector_text, namespace_selector_text ? "ns:" : "", b, c);
	hash_letters(h, 26, key);
	free(key);
	snprintf(out, NFT_NAME_MAX, "sel%d-%s", family, h);
}

int nft_v3_selector_set_parse(char out[NFT_NAME_MAX], int family, const char *selector,
			      const char *namespace_selector, const char *scope_namespace, struct selector **sel,
			      struct selector **ns_sel)
{
	char err[256];
	int rc;

	*sel = *ns_sel = NULL;
	if ((rc = selector_parse(selector, sel, err, sizeof(err))) < 0 ||
	    (namespace_selector && (rc = selector_parse(namespace_selector, ns_sel, err, sizeof(err))) < 0)) {
		selector_free(*sel);
		*sel = NULL;
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	nft_v3_selector_set_name(out, family, selector_text(*sel), *ns_sel ? selector_text(*ns_sel) : NULL,
				 scope_namespace);
	return 0;
}

/* ---------- one rule ---------- */

static unsigned net_families(const struct cidr *nets, size_t n)
{
	unsigned f = 0;
	for (size_t i = 0; i < n; i++)
		f |= nets[i].addr.family == 4 ? NFT_FAMILY_V4 : NFT_FAMILY_V6;
	return f;
}

static unsigned rule_families(const struct v3_rule *r)
{
	unsigned f = NFT_FAMILY_V4 | NFT_FAMILY_V6;
	if (r->ip_version)
		f &= r->ip_version == 4 ? NFT_FAMILY_V4 : NFT_FAMILY_V6;
	if (r->protocol.set && r->protocol.number == 1)
		f &= NFT_FAMILY_V4;
	if (r->protocol.set && r->protocol.number == 58)
		f &= NFT_FAMILY_V6;
	if (r->source.n_nets)
		f &= net_families(r->source.nets, r->source.n_nets);
	if (r->destination.n_nets)
		f &= net_families(r->destination.nets, r->destination.n_nets);
	return f;
}

static bool entity_addressed(const struct v3_entity *e)
{
	return e->n_nets || e->n_not_nets || e->selector || e->not_selector || e->namespace_selector;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/* nets of one family: one net inline, several as a named set shared by content */
static int put_nets(struct nft_text *t, const char *ipkw, const char *dir, bool negate, const struct cidr *nets,
		    size_t n, int family, const struct nft_v3_sets *sets)
{
	struct cidr *mine;
	char text[CIDR_STR_MAX], name[NFT_NAME_MAX];
	size_t k = 0;
	uint64_t h = 0xcbf29ce484222325ULL;
	int rc = 0;

	if (!n)
		return 0;
	if (!(mine = calloc(n, sizeof(*mine))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (nets[i].addr.family == family)
			mine[k++] = nets[i];
	if (k == 1) {
		nft_text_put(t, "%s %s %s%s", ipkw, dir, negate ? "!= " : "", cidr_format(&mine[0], text));
	} else if (k > 1) {
		for (size_t i = 0; i < k; i++)
			h = fnv1a(fnv1a(h, cidr_format(&mine[i], text)), ",");
		snprintf(name, sizeof(name), "nets%d-%016llx", family, (unsigned long long)h);
		if ((rc = sets->net_set(sets->ctx, name, family, mine, k)) == 0)
			nft_text_put(t, "%s %s %s@%s", ipkw, dir, negate ? "!= " : "", name);
	}
	free(mine);
	return rc;
}

static int put_selectors(struct nft_text *t, const char *ipkw, const char *dir, const struct v3_entity *e,
			 const char *scope_ns, int family, const struct nft_v3_sets *sets)
{
	char name[NFT_NAME_MAX];
	int rc;
	const char *sel = e->selector ? e->selector : e->namespace_selector ? "all()" : NULL;

	if (sel) {
		if ((rc = sets->selector_set(sets->ctx, sel, e->namespace_selector, scope_ns, family, name)) < 0)
			return rc;
		nft_text_put(t, "%s %s @%s", ipkw, dir, name);
	}
	if (e->not_selector) {
		if ((rc = sets->selector_set(sets->ctx, e->not_selector, e->namespace_selector, scope_ns, family, name)) <
		    0)
			return rc;
		nft_text_put(t, "%s %s != @%s", ipkw, dir, name);
	}
	return 0;
}

static int put_ports(struct nft_text *t, const char *l4, const char *dir, bool negate, const struct v3_port *ports,
		     size_t n, const struct nft_v3_sets *sets)
{
	struct port_range *sorted;
	char elem[16], name[NFT_NAME_MAX];
	int rc = 0;

	if (!n)
		return 0;
	if (!(sorted = calloc(n, sizeof(*sorted))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		sorted[i] = (struct port_range){ ports[i].first, ports[i].last };
	qsort(sorted, n, sizeof(*sorted), nft_port_range_cmp);
	if (n == 1) {
		nft_port_elem_text(&sorted[0], elem);
		nft_text_put(t, "%s %s %s%s", l4, dir, negate ? "!= " : "", elem);
	} else {
		/* the name the 2016 rules give the same list: one set serves both */
		nft_port_set_name(sorted, n, name);
		if ((rc = sets->port_set(sets->ctx, name, sorted, n)) == 0)
			nft_text_put(t, "%s %s %s@%s", l4, dir, negate ? "!= " : "", name);
	}
	free(sorted);
	return rc;
}

static const char *l4_name(uint8_t number)
{
	switch (number) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "ipv6-icmp";
	default: return NULL;
	}
}

static void put_l4proto(struct nft_text *t, const struct v3_protocol *p, bool negate)
{
	const char *name = l4_name(p->number);
	if (name)
		nft_text_put(t, "meta l4proto %s%s", negate ? "!= " : "", name);
	else
		nft_text_put(t, "meta l4proto %s%u", negate ? "!= " : "", p->number);
}

static void put_icmp(struct nft_text *t, const struct v3_rule *r, const struct v3_icmp *ic, bool negate)
{
	const char *kw = r->protocol.number == 58 ? "icmpv6" : "icmp";
	if (ic->type < 0)
		return;
	if (ic->code < 0)
		nft_text_put(t, "%s type %s%d", kw, negate ? "!= " : "", ic->type);
	else if (!negate)
		nft_text_put(t, "%s type %d %s code %d", kw, ic->type, kw, ic->code);
	else /* not (type and code): a concatenation, which nft takes only in a set */
		nft_text_put(t, "%s type . %s code != { %d . %d }", kw, kw, ic->type, ic->code);
}

/* protocol, ports and ICMP */
static int put_l4(struct nft_text *t, const struct v3_rule *r, const struct nft_v3_sets *sets)
{
	const struct v3_entity *src = &r->source, *dst = &r->destination;
	bool ports = src->n_ports || src->n_not_ports || dst->n_ports || dst->n_not_ports;
	const char *l4 = "th";
	int rc;

	if (r->protocol.set) {
		if (r->protocol.number == 6 || r->protocol.number == 17)
			l4 = r->protocol.number == 6 ? "tcp" : "udp";
		bool icmp = (r->protocol.number == 1 || r->protocol.number == 58) && r->icmp.set && r->icmp.type >= 0;
		/* "tcp dport" implies the protocol; "th dport" does not */
		if (!(ports && strcmp(l4, "th") != 0) && !icmp)
			put_l4proto(t, &r->protocol, false);
	}
	if (r->not_protocol.set)
		put_l4proto(t, &r->not_protocol, true);
	if ((rc = put_ports(t, l4, "sport", false, src->ports, src->n_ports, sets)) < 0 ||
	    (rc = put_ports(t, l4, "sport", true, src->not_ports, src->n_not_ports, sets)) < 0 ||
	    (rc = put_ports(t, l4, "dport", false, dst->ports, dst->n_ports, sets)) < 0 ||
	    (rc = put_ports(t, l4, "dport", true, dst->not_ports, dst->n_not_ports, sets)) < 0)
		return rc;
	if (r->icmp.set)
		put_icmp(t, r, &r->icmp, false);
	if (r->not_icmp.set)
		put_icmp(t, r, &r->not_icmp, true);
	return 0;
}

/* family 0: one text for both families (the rule names no address) */
static int append_one(struct nft_chain *c, const struct v3_rule *r, int family, const char *scope_ns,
		      const char *verdict, const struct nft_v3_sets *sets)
{
	struct nft_text *t = calloc(1, sizeof(*t));
	const char *ipkw = family == 6 ? "ip6" : "ip";
	int rc = -ENOMEM;

	if (!t)
		return rc;
	if ((rc = put_nets(t, ipkw, "saddr", false, r->source.nets, r->source.n_nets, family, sets)) < 0 ||
	    (rc = put_nets(t, ipkw, "saddr", true, r->source.not_nets, r->source.n_not_nets, family, sets)) < 0 ||
	    (rc = put_selectors(t, ipkw, "saddr", &r->source, scope_ns, family, sets)) < 0 ||
	    (rc = put_nets(t, ipkw, "daddr", false, r->destination.nets, r->destination.n_nets, family, sets)) < 0 ||
	    (rc = put_nets(t, ipkw, "daddr", true, r->destination.not_nets, r->destination.n_not_nets, family, sets)) <
		    0 ||
	    (rc = put_selectors(t, ipkw, "daddr", &r->destination, scope_ns, family, sets)) < 0)
		goto out;
	/* nothing of this family's addresses written (no address at all, or
	 * notNets of the other family only): the text must still match this
	 * family alone */
	if (family && t->len == 0)
		nft_text_put(t, "meta nfproto ipv%d", family);
	if ((rc = put_l4(t, r, sets)) < 0)
		goto out;
	nft_text_put(t, "%s", verdict);
	rc = t->overflow ? -E2BIG : nft_chain_add_rule(c, "%s", t->buf);
out:
	free(t);
	return rc;
}

/* The rule's texts, one per family it can match in, each ending in verdict. */
static int append_texts(struct nft_chain *c, const struct v3_rule *r, const char *scope_namespace, const char *verdict,
			const struct nft_v3_sets *sets)
{
	unsigned fam = rule_families(r);
	bool addressed = entity_addressed(&r->source) || entity_addressed(&r->destination);
	int rc = 0;

	if (fam == (NFT_FAMILY_V4 | NFT_FAMILY_V6) && !addressed)
		return append_one(c, r, 0, scope_namespace, verdict, sets);
	if (fam & NFT_FAMILY_V4)
		rc = append_one(c, r, 4, scope_namespace, verdict, sets);
	if (rc == 0 && (fam & NFT_FAMILY_V6))
		rc = append_one(c, r, 6, scope_namespace, verdict, sets);
	return rc;
}

int nft_v3_rule_append(struct nft_chain *c, const struct v3_rule *r, const char *scope_namespace,
		       const char *log_prefix, const struct nft_v3_sets *sets)
{
	char verdict[LOG_PREFIX_MAX + 32];

	switch (r->action) {
	case V3_ALLOW:
		snprintf(verdict, sizeof(verdict), "%s", ALLOW_VERDICT);
		break;
	case V3_DENY:
		snprintf(verdict, sizeof(verdict), "drop");
		break;
	case V3_PASS:
		snprintf(verdict, sizeof(verdict), "%s", PASS_VERDICT);
		break;
	case V3_LOG:
		snprintf(verdict, sizeof(verdict), "log prefix \"%.*s\"", LOG_PREFIX_MAX, log_prefix ? log_prefix : "");
		break;
	}
	return append_texts(c, r, scope_namespace, verdict, sets);
}

/* A rule that decides (Allow, Deny, Pass) as a verdict point: the log on the
 * deciding rule for allow and pass, a rate-limited log rule of its own
 * before the drop for deny (flow/flow_id.h). */
static int append_logged(struct nft_chain *c, const struct v3_rule *r, const char *tier, const char *namespace_,
			 const char *name, enum nft_v3_direction dir, size_t index, const struct nft_v3_sets *sets)
{
	static const enum flow_action actions[] = { [V3_ALLOW] = FLOW_ALLOW, [V3_DENY] = FLOW_DENY, [V3_PASS] = FLOW_PASS };
	struct flow_point p = nft_flow_point(FLOW_KIND_POLICY, actions[r->action],
					     dir == NFT_V3_INGRESS ? FLOW_INGRESS : FLOW_EGRESS);
	char log[NFT_FLOW_TEXT_MAX], verdict[NFT_FLOW_TEXT_MAX + 64];
	int rc;

	if (!rule_families(r))
		return 0; /* matches nothing: no text, no point */
	p.tier = tier;
	p.namespace = namespace_ ? namespace_ : "";
	p.name = name;
	p.rule = (int)index;
	if ((rc = nft_flow_log(sets->flows, &p, log)) < 0)
		return rc;
	if (r->action == V3_DENY)
		return (rc = append_texts(c, r, namespace_, log, sets)) < 0 ? rc : append_texts(c, r, namespace_, "drop", sets);
	snprintf(verdict, sizeof(verdict), "%s %s", log, r->action == V3_ALLOW ? ALLOW_VERDICT : PASS_VERDICT);
	return append_texts(c, r, namespace_, verdict, sets);
}

/* ---------- chains ---------- */

int nft_v3_policy_chain(struct nft_model *m, enum nft_v3_direction dir, const char *tier, const char *namespace_,
			const char *name, const struct v3_rules *rules, const struct nft_v3_sets *sets)
{
	char chain[NFT_NAME_MAX], prefix[LOG_PREFIX_MAX + 1];
	struct nft_chain *c;
	int rc;

	nft_v3_policy_chain_name(chain, dir, tier, namespace_, name);
	if (!(c = nft_model_add_chain(m, chain, NULL)))
		return -ENOMEM;
	for (size_t i = 0; i < rules->n; i++) {
		/* "calico <tier>/<ns>/<policy> in 0: " names the rule the kernel logged */
		snprintf(prefix, sizeof(prefix), "calico %s/%s%s%s %s %zu: ", tier, namespace_ ? namespace_ : "",
			 namespace_ ? "/" : "", name, dir == NFT_V3_INGRESS ? "in" : "out", i);
		const struct v3_rule *r = &rules->items[i];
		rc = sets->flows && r->action != V3_LOG
			     ? append_logged(c, r, tier, namespace_, name, dir, i, sets)
			     : nft_v3_rule_append(c, r, namespace_, prefix, sets);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int nft_v3_tier_chain(struct nft_model *m, const char *chain_name, char *const *policy_chains, size_t n,
		      enum v3_default_action default_action, struct nft_flows *flows, const struct flow_point *end)
{
	struct nft_chain *c = nft_model_add_chain(m, chain_name, NULL);
	char log[NFT_FLOW_TEXT_MAX] = "";
	int rc;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((rc = nft_chain_add_rule(c, "jump %s", policy_chains[i])) < 0 ||
		    (rc = nft_chain_add_rule(c, "meta mark & " NFT_ALLOW_MARK " == " NFT_ALLOW_MARK " return")) < 0 ||
		    (rc = nft_chain_add_rule(c, "meta mark & " NFT_PASS_MARK " == " NFT_PASS_MARK " return")) < 0)
			return rc;
	/* no policy of the tier decided: the tier's default action */
	if (flows && end) {
		struct flow_point p = *end;
		p.action = default_action == V3_DEFAULT_PASS ? FLOW_PASS : FLOW_DENY;
		if ((rc = nft_flow_log(flows, &p, log)) < 0)
			return rc;
	}
	if (default_action == V3_DEFAULT_PASS)
		return nft_chain_add_rule(c, "%s%s" PASS_VERDICT, log, log[0] ? " " : "");
	if (log[0] && (rc = nft_chain_add_rule(c, "%s", log)) < 0)
		return rc;
	return nft_chain_add_rule(c, "drop");
}
