/* One rule text of the policy compiler's (nft_rule.h, nft_compile.h) as the
 * nf_tables expressions libnftables 1.0.6 would make of it, built here so
 * that a batch need not go through libnftables (nft_nl_batch.h says why).
 *
 * Only the forms our compilers write are known: matches on ct state, meta
 * (nfproto, l4proto, mark, iifname, oifname), ip/ip6 addresses (exact,
 * prefix, named set), ports (number, range, named set), icmp/icmpv6 type and
 * code, ip6 hoplimit and raw transport-header bits; limit, log, mark
 * arithmetic, masquerade, verdicts, verdict maps and the comment. Anything
 * else is refused with -ENOTSUP and the caller leaves the batch to
 * libnftables, which knows every form: a form missing here costs time, never
 * a wrong rule.
 *
 * Dependencies are added as nft adds them in an inet table: an ip/ip6 match
 * first checks meta nfproto, a tcp/udp match meta l4proto, icmp and icmpv6
 * both; a dependency already implied by an earlier match of the rule is not
 * repeated. Pure logic (libnftnl objects only). */
#ifndef CALICO_NFT_NL_RULE_H
#define CALICO_NFT_NL_RULE_H

#include <stddef.h>
#include <stdint.h>

struct nftnl_rule;

#define NFT_NL_ANON_MAX 16

/* The rule's anonymous set ("icmpv6 type { a, b }"), which the caller
 * creates in the same batch before the rule: key_type is nft's datatype
 * number, elems the keys (key_len bytes each), id the batch-unique set id
 * the rule's lookup names. */
struct nft_nl_anon {
	uint32_t id;
	uint32_t key_type, key_len;
	uint8_t elems[NFT_NL_ANON_MAX][4];
	size_t n_elems;
	const uint8_t *udata; /* nft's description of the key, for listing it */
	size_t udata_len;
};

/* Appends the expressions (and comment) of text to r. *anon gets the rule's
 * anonymous set when it has one (anon->n_elems > 0; its id is anon_id).
 * 0, -ENOTSUP for a form not known here, -EINVAL for bad text, -ENOMEM. */
int nft_nl_rule_build(struct nftnl_rule *r, const char *text, uint32_t anon_id, struct nft_nl_anon *anon);

#endif
