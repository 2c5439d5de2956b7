/* The policy compiler: one host's desired state (dp_state.h) -> the nftables
 * model of table inet calico (nft_model.h). Pure logic, deterministic.
 *
 * Layout of table inet calico (chain names are never nft keywords; every name
 * below is a fixed prefix + a validated [A-Za-z0-9._-] name):
 *
 *   cali-forward      base, filter/forward: ct established,related accept;
 *                     jump cali-from-wl; jump cali-to-wl
 *   cali-input        base, filter/input: ct established,related accept;
 *                     IPv6 neighbour discovery from workloads accept (but
 *                     advertisements: the endpoint chain's);
 *                     jump cali-from-wl; then DefaultEndpointToHostAction
 *   cali-postrouting  base, nat/postrouting: masquerade @masq4/@masq6 sources
 *                     going outside @pools4/@pools6
 *   cali-from-wl      iifname vmap @from-wl (goto wl-from-<if>); iifname "<prefix>*" drop
 *   cali-to-wl        oifname vmap @to-wl (goto wl-to-<if>);    oifname "<prefix>*" drop
 *   wl-from-<if>      the endpoint's outbound policy: ct, neighbour advertisements
 *                     for its own addresses only (accepted when for the host),
 *                     no VXLAN (udp dport 4789) or IP-in-IP, anti-spoofing,
 *                     profiles, drop
 *   wl-to-<if>        the endpoint's inbound policy: ct, profiles, drop
 *   prof-out-<p>      a profile's outbound rules, prof-in-<p> its inbound rules
 *   sets tag4-<t>, tag6-<t>  the members of tag t; masq4/6, pools4/6 for NAT;
 *                     ports-<hash> a port list used by rules, shared by content
 *
 * Allow without ending the hook: a profile's allow sets mark bit NFT_ALLOW_MARK
 * and returns; the endpoint chain returns (clearing the bit) when it sees it,
 * so the forward hook goes on from the source's outbound policy to the
 * destination's inbound policy. The dispatch chains reach endpoint chains with
 * goto: "the endpoint chain returned" then means "allowed", which is what the
 * input hook needs to apply DefaultEndpointToHostAction to allowed traffic only. */
#ifndef CALICO_NFT_COMPILE_H
#define CALICO_NFT_COMPILE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/dp_state.h"
#include "policy/nft_flow.h"
#include "policy/nft_model.h"

#define NFT_FAMILY "inet"
#define NFT_TABLE  "calico"
#define NFT_ALLOW_MARK      "0x01000000"
#define NFT_ALLOW_MARK_MASK "0xfeffffff" /* every bit but NFT_ALLOW_MARK */

struct nft_compile_report {
	size_t endpoints, profiles, rules, tag_sets, tag_members; /* what was programmed */
	size_t skipped_endpoints; /* bad or duplicate interface names: their traffic is dropped */
	char problem[MODEL_ERR_MAX]; /* the first skipped endpoint, "" when none */
};

/* out is initialised here and owned by the caller (nft_model_free) on success
 * and failure alike. report may be NULL. 0, -ENOMEM or -E2BIG (a rule too
 * long to express). */
int nft_compile(const struct dp_state *s, struct nft_model *out, struct nft_compile_report *report);
/* The same, registering every verdict point rendered into flows (which the
 * caller initialised and owns; NULL: a registry of the compile's own,
 * dropped after it). With s->flow_logs false nothing is logged or registered.
 *
 * Verdict points (flow/flow_id.h), each logged on a new connection's first
 * packet only, drops rate-limited:
 *   profile rule      kind profile, name = the profile, rule = its index
 *   policy rule       kind policy, tier, name, namespace, rule = its index
 *                     (Allow, Deny and Pass; Log rules decide nothing)
 *   a tier's end      kind end-of-tier, action deny or pass; name and
 *                     namespace = the trigger: the last policy of the tier
 *                     that applies to the endpoint in that direction, the
 *                     one a tier chain (per endpoint) jumps to last, so it
 *                     is known when the chain is made; trigger = its name
 *   profiles' end     kind end-of-profiles (the endpoint chain's final drop),
 *                     name = trigger = the endpoint's last profile ("" when
 *                     it has none, or an inactive endpoint or a missing
 *                     profile leaves it with the drop alone)
 *   fail-closed       kind fail-closed: an unprogrammed interface, per direction
 *   anti-spoofing     kind anti-spoof: a source the endpoint does not own (egress)
 * Direction: a workload's inbound chains are ingress, its outbound egress. */
int nft_compile_flows(const struct dp_state *s, struct nft_model *out, struct nft_compile_report *report,
		      struct nft_flows *flows);

/* ---------- the compile's pieces ----------
 * nft_compile is made of these; a builder that keeps a model current piece
 * by piece (the agent's engine) calls the same ones, so that the two cannot
 * give different answers. Each adds what it makes to m (not finished). */

struct nft_piece_hooks {
	/* whether a profile of that name exists in the state */
	bool (*profile_exists)(void *ctx, const char *name);
	/* a rule needs the port set `name` (nft_rule_sets); 0, -ENOMEM, -EEXIST */
	int (*port_set)(void *ctx, const char *name, const struct port_range *sorted, size_t n);
	/* a rule matches addresses of tag in these NFT_FAMILY_* families */
	int (*tag_use)(void *ctx, const char *tag, unsigned families);
	void *ctx;
	/* where verdict points are registered; NULL: flow logs off, no log statements */
	struct nft_flows *flows;
};

/* Whether an interface name can be programmed ([A-Za-z0-9._-], 1-15). */
bool nft_ifname_ok(const char *name);
/* "goto wl-<dir>-<ifname>": the verdict of the endpoint's dispatch-map element (dir "from" or "to"). */
void nft_endpoint_verdict(char out[NFT_NAME_MAX + 8], const char *dir, const char *ifname);
/* One endpoint's v3 tier chains, in evaluation order, per direction. */
struct nft_v3_jumps {
	char (*in)[NFT_NAME_MAX], (*out)[NFT_NAME_MAX];
	size_t n_in, n_out;
};

void nft_v3_jumps_free(struct nft_v3_jumps *j);
/* Appends a tier chain to the endpoint's list for its direction (ingress:
 * in, egress: out). 0 or -ENOMEM. */
int nft_v3_jumps_push(struct nft_v3_jumps *j, bool ingress, const char *chain);
bool nft_v3_jumps_equal(const struct nft_v3_jumps *a, const struct nft_v3_jumps *b);

/* The chains wl-from-<if> and wl-to-<if>: after conntrack and anti-spoofing,
 * the endpoint's tier chains (jumps, NULL or empty: none), then its
 * profiles. *uses_profiles: whether they jump to the endpoint's profiles
 * (active, all of them exist, at least one), which then need their chains.
 * 0 or -ENOMEM. */
int nft_piece_endpoint(struct nft_model *m, const struct endpoint *e, const struct nft_v3_jumps *jumps,
		       const struct nft_piece_hooks *h, bool *uses_profiles);
/* Calico's v3 policy (DESIGN §11 Evaluation) for the programmed local
 * endpoints eps (labels[i]: the effective labels of eps[i]), from the
 * state's tiers, policies, members and namespaces: the chains of the
 * policies that apply to some endpoint, each endpoint's tier chains
 * (jumps[i], which the caller frees), and the selector and net sets the
 * rules use, filled; port sets through h->port_set. *n_rules: rules in the
 * policy chains. Adds nothing when the state has no policy. 0, -ENOMEM or
 * -E2BIG. */
int nft_piece_v3(struct nft_model *m, const struct dp_state *s, const struct endpoint *const *eps,
		 const struct label_set *const *labels, size_t n, const struct nft_piece_hooks *h,
		 struct nft_v3_jumps *jumps, size_t *n_rules);
/* The elements of a selector or net set (interval): nets sorted (in place),
 * those another one contains left out, a full-length prefix bare. The
 * engine fills its sets as the compile does. 0 or -ENOMEM. */
int nft_piece_v3_nets(struct nft_set *set, struct cidr *nets, size_t n);
/* The chains prof-in-<name> and prof-out-<name>; *n_rules gets their rule count. */
int nft_piece_profile(struct nft_model *m, const char *name, const struct rule_list *inbound,
		      const struct rule_list *outbound, const struct nft_piece_hooks *h, size_t *n_rules);
/* A port set with its elements. */
int nft_piece_port_set(struct nft_model *m, const char *name, const struct port_range *sorted, size_t n);
/* The empty set tag4-<tag> / tag6-<tag>; NULL on ENOMEM. */
struct nft_set *nft_piece_tag_set(struct nft_model *m, const char *tag, int family);
/* A tag member's element text. */
const char *nft_member_text(const struct ip_addr *ip, char buf[IP_STR_MAX]);
/* masq4/6, pools4/6 and cali-postrouting from every pool. */
int nft_piece_nat(struct nft_model *m, const struct pool *pools, size_t n);
/* cali-from-wl, cali-to-wl, cali-forward, cali-input; flows as in the hooks. */
int nft_piece_dispatch(struct nft_model *m, const char *iface_prefix, enum dp_host_action endpoint_to_host,
		       struct nft_flows *flows);

#endif
