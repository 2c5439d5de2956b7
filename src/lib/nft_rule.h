/* One Calico rule (model.h) as nftables rule texts, and the names the policy
 * compiler gives to what rules refer to. Pure logic; used by nft_compile.c. */
#ifndef CALICO_NFT_RULE_H
#define CALICO_NFT_RULE_H

#include "model.h"
#include "nft_model.h"

#define NFT_FAMILY_V4 1u
#define NFT_FAMILY_V6 2u

/* The IP families in which the rule can match at all (NFT_FAMILY_* bits):
 * ip_version, icmp/icmpv6 and the nets narrow it. 0 = it never matches. */
unsigned nft_rule_families(const struct rule *r);

/* Append the rule to chain c as 0, 1 or 2 rule texts ending in verdict: one
 * text when the rule needs no address of a given family, otherwise one per
 * family it can match in. Tags become set lookups (@tag4-<tag>, @tag6-<tag>).
 * 0, -ENOMEM or -E2BIG. */
int nft_rule_append(struct nft_chain *c, const struct rule *r, const char *verdict);

/* "tag4-<tag>" / "tag6-<tag>". Tags are [A-Za-z0-9._-]{1,40}, which nft
 * takes as an identifier after a letter; the prefix also keeps keywords out. */
void nft_tag_set_name(char out[NFT_NAME_MAX], const char *tag, int family);

#endif
