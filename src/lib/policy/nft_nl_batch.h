/* A rendered script (nft_render.h) as one nf_tables netlink transaction,
 * built here and sent by the agent, instead of through libnftables.
 *
 * Why: before it runs any "add rule", libnftables 1.0.6 lists every chain,
 * set, object and flowtable of the table from the kernel into a cache of its
 * own, because the kernel's generation changed since its last listing (our
 * previous commit changed it). At 1,000 local endpoints that is 4,005 chains
 * and 2,006 sets listed and freed for a one-chain change; at 5,000 it was
 * about 40 % of a change's time, and its allocations were most of the
 * agent's cold start (measured with perf; bench/README.md). The script's
 * objects are ours and the model says what each set holds, so the batch is
 * built from the script's lines without reading anything back.
 *
 * The lines are those nft_render.c writes: add/delete table, add set/map,
 * add chain (regular or base), flush chain, add rule, add/delete element,
 * delete chain and delete set/map. A rule's text goes through
 * nft_nl_rule.h. A line or rule form not known here makes the whole script
 * "not ours", and the caller sends it through libnftables as before.
 * Pure logic: the batch is returned, not sent. */
#ifndef CALICO_NFT_NL_BATCH_H
#define CALICO_NFT_NL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "policy/nft_model.h"

/* model: the table as it is after the script (it says each set's key type
 * and whether it holds intervals; a set the script declares is read from
 * its line). 1 with *out (malloc'd, *len bytes: batch begin, the messages,
 * batch end, sequence numbers from seq upwards; *n_msgs of them between
 * begin and end, the last of them asking for an ack: its answer comes
 * after any error of the batch); 0 when the script has a line or form not
 * known here, or no line; -ENOMEM. */
int nft_nl_batch_build(const char *script, const struct nft_model *model, uint32_t seq, void **out, size_t *len,
		       size_t *n_msgs);

#endif
