/* The agent's incremental policy engine: it keeps the desired nftables model
 * of one host (the same model nft_compile would make of node_calc's state)
 * current from the cache's changes, with work sized by what a change
 * touches, and hands out each batch's changes as one small nft script.
 *
 * Indexes, all updated in place from node_cache's observer:
 *   profile -> every endpoint (any host) carrying it, and the local interfaces
 *              whose endpoints name it (a profile appearing or vanishing
 *              changes their chains);
 *   tag     -> member addresses with a count (an address may come from several
 *              endpoints or profiles), and how many programmed rules use it
 *              per family (the set exists while some do);
 *   interface name -> the local endpoints on it (the first key wins, as in
 *              nft_compile);
 *   port set -> how many programmed profiles use it.
 * Calico's v3 policy (tiers, policies, network sets, labels) has indexes of
 * its own (nft_engine_v3.h): the selector index for the sets' members, and
 * per policy and per local interface what applies where.
 *
 * What each change costs: a profile's rules -> its two chains (and the
 * tag/port sets they start or stop using); its tags -> its members' set
 * elements; an endpoint of another host -> its addresses in the tags of its
 * profiles; a local endpoint -> its chains and map elements; pools -> the NAT
 * sets (all pools: they are few); config -> the dispatch chains.
 *
 * Chains are made by nft_compile's own pieces, so the answer is the full
 * compile's; tests/unit/test_nft_engine.c checks it after random events.
 *
 * Pure logic. Ownership: the engine owns its model and indexes; it reads the
 * cache it observes (which must outlive it, or be re-attached by a rebuild). */
#ifndef CALICO_NFT_ENGINE_H
#define CALICO_NFT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/count_map.h"
#include "agent/name_table.h"
#include "agent/node_cache.h"
#include "policy/nft_compile.h"
#include "policy/nft_model.h"

struct nft_engine_profile; /* nft_engine.c */
struct nft_engine_tag;
struct nft_engine_iface;
struct nft_engine_delta;
struct engine_v3;

struct nft_engine {
	struct node_cache *cache;
	struct nft_model model; /* the desired model, finished (sorted, hashed) between flushes */
	char iface_prefix[DP_IFACE_PREFIX_MAX + 1];
	enum dp_host_action endpoint_to_host;

	struct nft_engine_profile *profiles; /* by cache name id */
	size_t n_profiles;
	struct nft_engine_tag *tags;         /* by cache name id */
	size_t n_tags;
	struct name_table ifnames;           /* the engine's own ids for interface names */
	struct nft_engine_iface *ifaces;     /* by ifname id */
	size_t n_ifaces;
	struct count_map port_sets;          /* port set hash -> programmed profiles using it */

	uint32_t *dirty_ifaces, *dirty_profiles;
	size_t n_dirty_ifaces, cap_dirty_ifaces, n_dirty_profiles, cap_dirty_profiles;
	bool nat_dirty, dispatch_dirty;
	bool local_changed; /* a local endpoint changed since the last flush */
	bool bulk;          /* rebuilding: the model is appended to and sorted at the end */
	bool broken;        /* an allocation failed: only a rebuild helps */
	struct nft_engine_delta *delta; /* what the model held before this batch, for the script */

	struct engine_v3 *v3;  /* Calico's v3 policy (nft_engine_v3.c) */
	size_t v3_policies;    /* valid policies in the cache */

	/* Flow logs (nft_compile.h names the verdict points): the registry of
	 * every point rendered since the last rebuild. Points whose rules went
	 * stay registered until the next rebuild; nft_engine_wants_compaction
	 * asks for one when the registry doubled since the last, so stale
	 * points are bounded by the live ones (and 4,096). */
	bool flow_logs;
	struct nft_flows flows;
	size_t flows_at_rebuild;   /* points registered by the last rebuild */
	bool flows_replaced;       /* the registry was made anew: hand it over whole */

	size_t local_valid; /* decoded local endpoints */
	size_t compact_check_at; /* interned interface names at which to look again (nft_engine_wants_compaction) */
	struct nft_compile_report rep;
};

/* Attaches to c (its observer) with an empty model. 0 or -ENOMEM. */
int nft_engine_init(struct nft_engine *e, struct node_cache *c);
void nft_engine_free(struct nft_engine *e);
/* DefaultEndpointToHostAction and InterfacePrefix; the next flush applies them. */
void nft_engine_set_config(struct nft_engine *e, const char *iface_prefix, enum dp_host_action endpoint_to_host);
/* Forgets everything and builds the model from the whole cache (start-up, a
 * resync, recovery), re-attaching to it as its observer. The model is then
 * whole and no delta is pending: bring the kernel to it by a full diff.
 * 0 or -ENOMEM (the engine is then broken until a rebuild succeeds). */
int nft_engine_rebuild(struct nft_engine *e, struct node_cache *c);
/* Applies the batch's pending work to the model and renders what changed
 * since the last flush as one nft script (*script malloc'd, "" when nothing
 * changed). 0, or -ENOMEM / -EIO when the engine is broken: rebuild. */
/* FlowLogsEnabled: on, every verdict point logs (nft_compile.h) and is
 * registered in e->flows; off, no log statement at all. A change re-renders
 * every chain at the next flush. */
void nft_engine_set_flow_logs(struct nft_engine *e, bool on);
/* Interface names are interned and kept, so endpoint churn grows the
 * engine's tables by one name per endpoint ever seen. True when they hold
 * over 1,024 names and four times as many as interfaces in use: the caller
 * then rebuilds the engine (nft_engine_rebuild) right after a flush, which
 * makes the same model in fresh tables. Checked at most once per half again
 * as many names, so the check costs O(1) per churned endpoint. Also true when
 * the flow registry holds over 4,096 points and twice as many as the last
 * rebuild registered (stale points of rules that went). */
bool nft_engine_wants_compaction(struct nft_engine *e);
int nft_engine_flush(struct nft_engine *e, char **script);
/* The v3 layer's work since init or the last rebuild (what tests check the
 * incremental path by): policy chains compiled, local interfaces evaluated
 * against every policy, interfaces' tier chains rendered, selector-index
 * members put or deleted. */
struct nft_engine_v3_work {
	size_t chains, if_evals, if_renders, members;
};
void nft_engine_v3_work(const struct nft_engine *e, struct nft_engine_v3_work *out);
/* What is programmed, as nft_compile reports it. */
void nft_engine_report(const struct nft_engine *e, struct nft_compile_report *out);

#endif
