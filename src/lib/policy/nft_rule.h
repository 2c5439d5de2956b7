/* One Calico rule (model.h) as nftables rule texts, and the names the policy
 * compiler gives to what rules refer to. Pure logic; used by nft_compile.c. */
#ifndef CALICO_NFT_RULE_H
#define CALICO_NFT_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/model.h"
#include "policy/nft_model.h"

#define NFT_FAMILY_V4 1u
#define NFT_FAMILY_V6 2u

/* The IP families in which the rule can match at all (NFT_FAMILY_* bits):
 * ip_version, icmp/icmpv6 and the nets narrow it. 0 = it never matches. */
unsigned nft_rule_families(const struct rule *r);

/* Named sets the rule texts refer to, made by the caller.
 *
 * Port lists of two or more entries become named sets shared by content
 * ("ports-<16 hex>", type inet_service, interval), not anonymous sets: the
 * kernel (6.x) walks the whole transaction for every anonymous set a rule
 * binds, so a ruleset load with thousands of them is quadratic (measured: 40 s
 * and more for 10,000 such rules; linear with named sets). */
struct nft_rule_sets {
	/* Ensure the set `name` holds exactly these sorted ranges. 0, -ENOMEM, or
	 * -EEXIST when the name already holds other ports (a hash collision). */
	int (*port_set)(void *ctx, const char *name, const struct port_range *sorted, size_t n);
	void *ctx;
};

/* Append the rule to chain c as 0, 1 or 2 rule texts ending in verdict: one
 * text when the rule needs no address of a given family, otherwise one per
 * family it can match in. Tags become set lookups (@tag4-<tag>, @tag6-<tag>).
 * 0, -ENOMEM, -EEXIST or -E2BIG. */
int nft_rule_append(struct nft_chain *c, const struct rule *r, const char *verdict, const struct nft_rule_sets *sets);

/* A rule text being built: expressions joined by single spaces. */
struct nft_text {
	char buf[4096];
	size_t len;
	bool overflow; /* too long: the caller refuses the rule (-E2BIG) */
};

/* Appends one expression (printf-style), a space before it when needed. */
void nft_text_put(struct nft_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Port ranges in the order a set lists them (qsort comparator). */
int nft_port_range_cmp(const void *a, const void *b);
/* The name of the shared set holding a sorted port list: "ports-<16 hex>",
 * a hash of its elements, so every rule with the same list uses one set. */
void nft_port_set_name(const struct port_range *sorted, size_t n, char out[NFT_NAME_MAX]);

/* The text of one port set element: "80" or "8000-8080". */
void nft_port_elem_text(const struct port_range *p, char out[16]);

/* "tag4-<tag>" / "tag6-<tag>". Tags are [A-Za-z0-9._-]{1,40}, which nft
 * takes as an identifier after a letter; the prefix also keeps keywords out. */
void nft_tag_set_name(char out[NFT_NAME_MAX], const char *tag, int family);

#endif
