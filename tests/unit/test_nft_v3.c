/* v3 rules, policies and tiers as nftables chains (policy/nft_v3.h): the exact
 * rule texts, the sets asked for, and the chain names. */
#include <stdlib.h>
#include <string.h>

#include "policy/nft_rule.h"
#include "policy/nft_v3.h"
#include "resource/yaml_json.h"
#include "tap.h"

struct recorder {
	char calls[4096];
};

static void note(struct recorder *r, const char *fmt, const char *a, const char *b, const char *c, int fam)
{
	char line[512];
	snprintf(line, sizeof(line), fmt, a, b, c, fam);
	strncat(r->calls, line, sizeof(r->calls) - strlen(r->calls) - 1);
}

static int port_set(void *ctx, const char *name, const struct port_range *sorted, size_t n)
{
	char list[256] = "";
	for (size_t i = 0; i < n; i++) {
		char e[16];
		nft_port_elem_text(&sorted[i], e);
		strcat(list, i ? "," : "");
		strcat(list, e);
	}
	note(ctx, "ports %s=%s%s;", name, list, "", 0);
	return 0;
}

static int net_set(void *ctx, const char *name, int family, const struct cidr *nets, size_t n)
{
	char list[512] = "", s[CIDR_STR_MAX];
	for (size_t i = 0; i < n; i++) {
		strcat(list, i ? "," : "");
		strcat(list, cidr_format(&nets[i], s));
	}
	note(ctx, "nets %s=%s%s v%d;", name, list, "", family);
	return 0;
}

static int selector_set(void *ctx, const char *selector, const char *ns_selector, const char *scope_ns, int family,
			char name[NFT_NAME_MAX])
{
	char scope[256];
	snprintf(scope, sizeof(scope), "%s|%s", ns_selector ? ns_selector : "-", scope_ns ? scope_ns : "-");
	note(ctx, "sel [%s] %s%s v%d;", selector, scope, "", family);
	snprintf(name, NFT_NAME_MAX, "sel%d-x", family);
	return 0;
}

/* The rules of the one rule in yaml (a rules list under "ingress") as chain text. */
static void check_rule(const char *rule_yaml, const char *scope_ns, const char *want_rules, const char *want_calls,
		       const char *name)
{
	char doc[2048], err[256];
	snprintf(doc, sizeof(doc),
		 "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: p\nspec:\n  ingress:\n%s",
		 rule_yaml);
	json_t *docs = yaml_to_json_docs(doc, strlen(doc), err, sizeof(err));
	struct v3_resource res;
	if (!docs || v3_decode(json_array_get(docs, 0), &res, err, sizeof(err)) < 0) {
		CHECK(0, "%s: decodes (%s)", name, err);
		json_decref(docs);
		return;
	}
	struct recorder rec = { "" };
	struct nft_v3_sets sets = { port_set, net_set, selector_set, &rec, NULL };
	struct nft_model m;
	nft_model_init(&m, "inet", "calico");
	struct nft_chain *c = nft_model_add_chain(&m, "t", NULL);
	int rc = nft_v3_rule_append(c, &res.spec.policy.ingress.items[0], scope_ns, "calico default/p in 0: ", &sets);
	CHECK_INT(rc, 0, "%s: appended", name);
	char got[4096] = "";
	for (size_t i = 0; i < c->n_rules; i++) {
		strcat(got, i ? "\n" : "");
		strcat(got, c->rules[i]);
	}
	CHECK_STR(got, want_rules, "%s: rule texts", name);
	CHECK_STR(rec.calls, want_calls, "%s: sets asked for", name);
	nft_model_free(&m);
	v3_resource_free(&res);
	json_decref(docs);
}

int main(void)
{
	check_rule("  - action: Allow\n", NULL, "meta mark set meta mark | 0x01000000 return", "", "allow all");
	check_rule("  - action: Deny\n    protocol: TCP\n    destination:\n      ports: [80]\n", NULL,
		   "tcp dport 80 drop", "", "deny tcp to a port");
	check_rule("  - action: Allow\n    protocol: TCP\n    source:\n      selector: role == 'web'\n"
		   "    destination:\n      ports: [443, 8000:8080]\n",
		   NULL,
		   "ip saddr @sel4-x tcp dport @ports-34713a499d628973 meta mark set meta mark | 0x01000000 return\n"
		   "ip6 saddr @sel6-x tcp dport @ports-34713a499d628973 meta mark set meta mark | 0x01000000 return",
		   "sel [role == 'web'] -|- v4;ports ports-34713a499d628973=443,8000-8080;"
		   "sel [role == 'web'] -|- v6;ports ports-34713a499d628973=443,8000-8080;",
		   "a selector: one set per family; a port list: one shared set");
	check_rule("  - action: Allow\n    source:\n      selector: app == 'db'\n", "prod",
		   "ip saddr @sel4-x meta mark set meta mark | 0x01000000 return\n"
		   "ip6 saddr @sel6-x meta mark set meta mark | 0x01000000 return",
		   "sel [app == 'db'] -|prod v4;sel [app == 'db'] -|prod v6;",
		   "a namespaced policy's selector is scoped to its namespace");
	check_rule("  - action: Allow\n    source:\n      namespaceSelector: env == 'prod'\n", NULL,
		   "ip saddr @sel4-x meta mark set meta mark | 0x01000000 return\n"
		   "ip6 saddr @sel6-x meta mark set meta mark | 0x01000000 return",
		   "sel [all()] env == 'prod'|- v4;sel [all()] env == 'prod'|- v6;",
		   "a namespace selector alone selects every endpoint of those namespaces");
	check_rule("  - action: Deny\n    source:\n      nets: [10.0.0.0/8, 192.168.0.0/16]\n      notSelector: x == 'y'\n",
		   NULL, "ip saddr @nets4-e486d298088b7674 ip saddr != @sel4-x drop",
		   "nets nets4-e486d298088b7674=10.0.0.0/8,192.168.0.0/16 v4;sel [x == 'y'] -|- v4;",
		   "IPv4 nets confine the rule to IPv4; notSelector");
	check_rule("  - action: Allow\n    destination:\n      notNets: [10.0.0.0/8, 'fd00::/8']\n", NULL,
		   "ip daddr != 10.0.0.0/8 meta mark set meta mark | 0x01000000 return\n"
		   "ip6 daddr != fd00::/8 meta mark set meta mark | 0x01000000 return",
		   "", "notNets keep both families, each its own");
	check_rule("  - action: Allow\n    protocol: TCP\n    source:\n      notNets: [10.0.0.5/32]\n", NULL,
		   "ip saddr != 10.0.0.5/32 meta l4proto tcp meta mark set meta mark | 0x01000000 return\n"
		   "meta nfproto ipv6 meta l4proto tcp meta mark set meta mark | 0x01000000 return",
		   "", "IPv4 notNets only: the IPv6 text still matches IPv6 alone (no IPv4 packet gets past the exclusion)");
	check_rule("  - action: Pass\n    protocol: ICMP\n    icmp: {type: 8, code: 0}\n", NULL,
		   "meta nfproto ipv4 icmp type 8 icmp code 0 meta mark set meta mark | 0x02000000 return", "",
		   "Pass, ICMP type and code");
	check_rule("  - action: Deny\n    protocol: ICMPv6\n    notICMP: {type: 128, code: 0}\n", NULL,
		   "meta nfproto ipv6 meta l4proto ipv6-icmp icmpv6 type . icmpv6 code != { 128 . 0 } drop", "",
		   "notICMP with a code needs a concatenation");
	check_rule("  - action: Log\n    notProtocol: UDP\n", NULL, "meta l4proto != udp log prefix \"calico default/p in 0: \"",
		   "", "Log goes on (no verdict), notProtocol");
	check_rule("  - action: Allow\n    protocol: SCTP\n    destination:\n      notPorts: [9]\n", NULL,
		   "meta l4proto 132 th dport != 9 meta mark set meta mark | 0x01000000 return", "",
		   "other protocols' ports through th");
	check_rule("  - action: Allow\n    ipVersion: 6\n    protocol: UDP\n", NULL,
		   "meta nfproto ipv6 meta l4proto udp meta mark set meta mark | 0x01000000 return", "", "ipVersion 6");
	check_rule("  - action: Allow\n    source:\n      nets: [10.0.0.0/8]\n    destination:\n      nets: ['fd00::/8']\n",
		   NULL, "", "", "nets of two families in one rule never match: no text");

	/* names */
	char a[NFT_NAME_MAX], b[NFT_NAME_MAX];
	nft_v3_policy_chain_name(a, NFT_V3_INGRESS, "default", NULL, "allow-db");
	nft_v3_policy_chain_name(b, NFT_V3_EGRESS, "default", NULL, "allow-db");
	CHECK(strncmp(a, "pi-", 3) == 0 && strncmp(b, "po-", 3) == 0 && strcmp(a + 3, b + 3) == 0 && strlen(a) == 29,
	      "policy chains: pi-/po- and 26 letters (%s)", a);
	nft_v3_policy_chain_name(b, NFT_V3_INGRESS, "default", "prod", "allow-db");
	CHECK(strcmp(a, b) != 0, "a namespace makes another chain");
	char long_name[300];
	memset(long_name, 'a', 253);
	long_name[253] = '\0';
	nft_v3_policy_chain_name(a, NFT_V3_INGRESS, long_name, long_name, long_name);
	CHECK(strlen(a) < NFT_NAME_MAX, "253-character names still fit");
	nft_v3_tier_chain_name(a, NFT_V3_EGRESS, "cali0123456789a", "security");
	CHECK(strncmp(a, "to-cali0123456789a-", 19) == 0 && strlen(a) == 31, "tier chains: to-<if>-<12> (%s)", a);

	/* a tier chain */
	struct nft_model m;
	nft_model_init(&m, "inet", "calico");
	char *pols[] = { "pi-aaa", "pi-bbb" };
	CHECK_INT(nft_v3_tier_chain(&m, "ti-cali1-x", pols, 2, V3_DEFAULT_DENY, NULL, NULL), 0, "tier chain made");
	CHECK_INT(nft_v3_tier_chain(&m, "ti-cali1-y", pols, 1, V3_DEFAULT_PASS, NULL, NULL), 0, "passing tier chain made");
	const struct nft_chain *c = &m.chains[0];
	CHECK(c->n_rules == 7 && strcmp(c->rules[0], "jump pi-aaa") == 0 &&
		      strcmp(c->rules[1], "meta mark & 0x01000000 == 0x01000000 return") == 0 &&
		      strcmp(c->rules[2], "meta mark & 0x02000000 == 0x02000000 return") == 0 &&
		      strcmp(c->rules[6], "drop") == 0,
	      "a tier: each policy, return on allow or pass, then the default action");
	CHECK_STR(m.chains[1].rules[m.chains[1].n_rules - 1], "meta mark set meta mark | 0x02000000 return",
		  "a tier whose default action is Pass passes");
	nft_model_free(&m);
	return tap_done();
}
