/* Verdict points in the compiled ruleset (flow/flow_id.h is the contract):
 * the log statement that names a point in the kernel, and the registry of
 * the points a compile rendered. Pure logic.
 *
 * Ids are flow_point_hash(); when that id already names another point of
 * the registry, the next free one (id + 1, ...). A full compile starts from
 * an empty registry and registers in its own fixed order, so the same state
 * always gives the same ids. The agent's engine keeps one registry for its
 * lifetime and registers points as it renders chains: a point keeps its id
 * for as long as the registry lives, and only points whose hashes collide
 * (about N^2 / 2^33 pairs for N points) may be numbered otherwise than a
 * full compile numbers them; both rulesets are then right, each with its
 * own registry. */
#ifndef CALICO_NFT_FLOW_H
#define CALICO_NFT_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow_id.h"

/* the rate limit on logged drops (flow_id.h's rule form) */
#define NFT_FLOW_DENY_LIMIT "limit rate 50/second burst 100 packets"
#define NFT_FLOW_TEXT_MAX 128

struct nft_flows {
	struct flow_registry reg;
	uint32_t *fresh; /* ids registered since the owner last took them (nft_flows_take_fresh) */
	size_t n_fresh, cap_fresh;
};

void nft_flows_init(struct nft_flows *f);
void nft_flows_free(struct nft_flows *f);
/* Forgets the fresh list (the owner has read it). */
void nft_flows_take_fresh(struct nft_flows *f);

/* Registers p (p->id is ignored: the id is chosen here) and writes the log
 * statement naming it into out. For allow and pass it goes on the deciding
 * rule, before the verdict: `ct state new log group 2 prefix "A|I|1f"`; for
 * deny it is a rule of its own before the drop, rate-limited:
 * `ct state new limit rate 50/second burst 100 packets log group 2 prefix "D|I|20"`.
 * f NULL (flow logs off): out is "" and nothing is registered. 0, -ENOMEM,
 * or -EINVAL (a string flow_registry_put refuses). */
int nft_flow_log(struct nft_flows *f, const struct flow_point *p, char out[NFT_FLOW_TEXT_MAX]);

/* A point with every string "" and rule -1. */
struct flow_point nft_flow_point(enum flow_kind kind, enum flow_action action, enum flow_dir dir);

#endif
