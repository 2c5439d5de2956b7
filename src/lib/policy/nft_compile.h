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

#include <stddef.h>

#include "policy/dp_state.h"
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

#endif
