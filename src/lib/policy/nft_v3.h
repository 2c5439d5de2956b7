/* Calico's v3 policies (resource/resource.h) as nftables chains: a policy's
 * rules, a tier's walk through the policies that apply to one endpoint, and
 * the names of both. Pure logic, used by the policy compiler.
 *
 * Verdicts without ending the hook, as for profiles (nft_compile.h): Allow
 * sets NFT_ALLOW_MARK and returns; Pass sets NFT_PASS_MARK and returns; Deny
 * drops; Log logs with a prefix naming tier, policy and rule and goes on to
 * the next rule. A tier chain jumps to its policies in order and returns as
 * soon as one allowed or passed; at its end it applies the tier's default
 * action: drop, or pass (return with NFT_PASS_MARK). The endpoint chain jumps
 * to its tiers in order, returns (allowed) on the allow mark, clears the
 * pass mark before each tier, and reaches the profiles only after the last
 * tier passed — or when no policy of any tier applies to the endpoint.
 *
 * A rule's selector is a set of addresses, one per family, named by the
 * selector's normalised text and its scope; who fills it is the caller's
 * business (nft_v3_sets). */
#ifndef CALICO_NFT_V3_H
#define CALICO_NFT_V3_H

#include <stddef.h>

#include "model/model.h"
#include "policy/nft_flow.h"
#include "policy/nft_model.h"
#include "resource/resource.h"

#define NFT_PASS_MARK "0x02000000"
/* every bit but NFT_ALLOW_MARK and NFT_PASS_MARK */
#define NFT_VERDICT_MARKS_CLEAR "0xfcffffff"

/* What rules refer to, made by the caller. */
struct nft_v3_sets {
	/* The set `name` (type inet_service, interval) holds exactly these
	 * sorted ranges: as nft_rule_sets.port_set. */
	int (*port_set)(void *ctx, const char *name, const struct port_range *sorted, size_t n);
	/* The set `name` (family's address type, interval) holds exactly these nets. */
	int (*net_set)(void *ctx, const char *name, int family, const struct cidr *nets, size_t n);
	/* The set of the family's addresses of every endpoint and network-set
	 * net that `selector` selects among the namespaces that
	 * `namespace_selector` selects (NULL: only `scope_namespace`; NULL too:
	 * every namespace and the global network sets). Writes its name (at
	 * most NFT_NAME_MAX) and records the use; the caller fills it. */
	int (*selector_set)(void *ctx, const char *selector, const char *namespace_selector,
			    const char *scope_namespace, int family, char name[NFT_NAME_MAX]);
	void *ctx;
	/* where verdict points are registered (nft_compile.h); NULL: no log statements */
	struct nft_flows *flows;
};

enum nft_v3_direction { NFT_V3_INGRESS, NFT_V3_EGRESS };

/* "pi-" / "po-" and 26 base32 letters of a hash of tier, namespace and name:
 * policy names are up to 253 characters, chain names are kept short. */
void nft_v3_policy_chain_name(char out[NFT_NAME_MAX], enum nft_v3_direction dir, const char *tier,
			      const char *namespace_, const char *name);
/* "ti-<ifname>-<12 base32>" / "to-<ifname>-...": one endpoint's walk through a tier. */
void nft_v3_tier_chain_name(char out[NFT_NAME_MAX], enum nft_v3_direction dir, const char *ifname, const char *tier);

/* "sel4-" / "sel6-" and 26 base32 letters of a hash of the selector's
 * normalised text, the namespace selector's (NULL: none) and the scope
 * namespace (NULL: none; ignored with a namespace selector): the agent's
 * selector index (agent/selector_index.h) names a selector the same way. */
void nft_v3_selector_set_name(char out[NFT_NAME_MAX], int family, const char *selector_text,
			      const char *namespace_selector_text, const char *scope_namespace);
/* The same from the selectors' texts as a rule gives them: both parsed (the
 * set is named after their normalised text, so equal selectors share it),
 * *sel and *ns_sel (NULL without a namespace selector) the caller's to free.
 * 0, -ENOMEM, or -EINVAL for a selector that does not parse. */
struct selector;
int nft_v3_selector_set_parse(char out[NFT_NAME_MAX], int family, const char *selector,
			      const char *namespace_selector, const char *scope_namespace, struct selector **sel,
			      struct selector **ns_sel);

/* Appends one rule to chain c, as 0, 1 or 2 rule texts (one per IP family it
 * can match in; none when it can match in neither). verdict ends each text
 * (NULL for Log, whose text is a log statement instead). scope_namespace is
 * the policy's namespace (NULL for a global policy). log_prefix is used for
 * Log rules. 0, -ENOMEM, -E2BIG (a rule too long), or what a set callback
 * returned. */
int nft_v3_rule_append(struct nft_chain *c, const struct v3_rule *r, const char *scope_namespace,
		       const char *log_prefix, const struct nft_v3_sets *sets);

/* The chain of one policy in one direction (nft_v3_policy_chain_name), its
 * rules in order; with sets->flows, each Allow, Deny and Pass rule a verdict
 * point. 0 or -errno. */
int nft_v3_policy_chain(struct nft_model *m, enum nft_v3_direction dir, const char *tier, const char *namespace_,
			const char *name, const struct v3_rules *rules, const struct nft_v3_sets *sets);

/* One endpoint's walk through a tier: its policies' chains in order, then
 * the tier's default action — logged as the verdict point end (its action is
 * set here) when flows is not NULL. 0 or -ENOMEM. */
int nft_v3_tier_chain(struct nft_model *m, const char *chain_name, char *const *policy_chains, size_t n,
		      enum v3_default_action default_action, struct nft_flows *flows, const struct flow_point *end);

#endif
