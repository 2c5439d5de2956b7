/* Calico's v3 policy in the incremental engine (nft_engine.h): the
 * engine's v3 layer kept by what each change touches. Used by nft_engine.c
 * only; pure logic.
 *
 * Indexes:
 *   selector index (selector_index.h): every endpoint (any host) and network
 *     set with its effective labels and addresses, for the selectors that
 *     programmed policy chains use; its member callback edits set elements;
 *   policy -> its ordering key, selectors, and how many local interfaces it
 *     applies to per direction (its chain exists while some do);
 *   local interface -> its effective labels and the policies that apply to
 *     it per direction (its tier chains and jumps follow them);
 *   selector set / net set -> how many programmed chains use it.
 *
 * What each change costs: an endpoint's labels or addresses -> the selectors
 * in use evaluated once for it, and set elements; a local one also its
 * policy lists (every policy evaluated once) and, when they changed, its
 * tier chains. A policy -> its chains, the sets it starts or stops using,
 * and every local interface evaluated against it once (the tier chains of
 * those whose lists changed). A tier -> its policies as above. A network
 * set -> set elements. A namespace's labels -> the selectors with a
 * namespace selector, for its members, and its local interfaces.
 *
 * The index holds members only while some policy exists, so a host with
 * the 2016 model alone pays nothing for it. */
#ifndef CALICO_NFT_ENGINE_V3_H
#define CALICO_NFT_ENGINE_V3_H

#include <stdint.h>

#include "agent/nft_engine.h"
#include "policy/nft_compile.h"

struct engine_v3;

/* NULL on ENOMEM. */
struct engine_v3 *engine_v3_new(void);
void engine_v3_free(struct engine_v3 *v);
/* A change of the cache the v3 layer may depend on (any kind). */
void engine_v3_observe(struct nft_engine *e, const struct node_change *ch);
/* The local endpoints on interface id changed. */
void engine_v3_local(struct nft_engine *e, uint32_t ifid);
/* Brings the v3 layer of the model up to date: chains, sets, and the
 * interfaces' jumps (those that changed are marked for rebuild_iface).
 * 0 or -errno (the engine is then broken). */
int engine_v3_flush(struct nft_engine *e);

/* nft_engine.c's services to the v3 layer. */
struct nft_engine_delta *engine_delta_of(struct nft_engine *e);
/* where verdict points are registered; NULL while flow logs are off */
struct nft_flows *engine_flows_of(struct nft_engine *e);
/* A port set (ports-<hash>) used once more (built: its elements) or less. */
int engine_port_use(struct nft_engine *e, const char *name, struct nft_set *built, int delta_n);
/* The first (programmed) endpoint key of interface id, or NULL. */
const char *engine_iface_key(const struct nft_engine *e, uint32_t id);
/* The interface's current jumps; NULL on ENOMEM. */
struct nft_v3_jumps *engine_iface_jumps(struct nft_engine *e, uint32_t id);
void engine_iface_mark(struct nft_engine *e, uint32_t id);
/* Calls fn for every endpoint (key hash, any host) naming profile name, and
 * for every local interface (id) whose endpoints name it. */
void engine_profile_users(struct nft_engine *e, const char *name, void (*ep_fn)(void *ctx, uint64_t key_hash),
			  void (*if_fn)(void *ctx, uint32_t ifid), void *ctx);

#endif
