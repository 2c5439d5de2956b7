/* Programming table inet calico: every change is one transaction holding
 * only the difference from what the kernel has.
 *
 * The first program, and the first after a failure, reads the kernel's table
 * back (netlink dumps, policy/nft_nl_read.h) and diffs against that, so a
 * restarted agent fixes only what changed while it was away and drops no
 * established connection. Later programs send the engine's batch scripts
 * (agent/nft_engine.h), whose model then is what the kernel holds: no copy
 * of it is kept here, and no full diff is made in steady state. The periodic
 * check reads the kernel back again and fixes any difference.
 *
 * A script goes to the kernel as a netlink batch of our own
 * (policy/nft_nl_batch.h) when the encoder knows every line's form, which is
 * every form our compilers write today; otherwise, or if the kernel refuses
 * our batch, through libnftables, which knows every form and words the
 * kernel's refusal. Element-only batches of selector sets have their own
 * shorter path (policy/nft_elem_batch.h). */
#ifndef CALICO_NODE_NFT_APPLY_H
#define CALICO_NODE_NFT_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/nft_model.h"

struct mnl_socket;

struct nft_applier {
	struct mnl_socket *nl; /* nf_tables netlink, for our own batches (policy/nft_elem_batch.h,
				  policy/nft_nl_batch.h); NULL: none, all through libnftables */
	uint32_t seq;
	size_t sndbuf;         /* the send buffer set for a large batch (0: the default) */
	uint64_t own_batches;  /* batches sent as our own netlink */
	uint64_t own_refused;  /* of ours the kernel refused (then libnftables ran the script) */
	bool have_applied;   /* the kernel holds the engine's model; false: read it back first */
};

int nft_applier_open(struct nft_applier *a);
void nft_applier_close(struct nft_applier *a);
/* Reads the kernel's table back and brings it to want (a finished model) by
 * the difference. *script_bytes gets the transaction's size (0: the kernel
 * had it all). On failure err has the kernel's message. 0 or -errno. */
int nft_applier_sync(struct nft_applier *a, const struct nft_model *want, size_t *script_bytes, char *err,
		     size_t errlen);
/* Sends one batch script (the kernel held the model before the batch; model
 * is the table after it). Our own netlink batch when every line's form is
 * known (policy/nft_nl_batch.h), else libnftables. On failure have_applied
 * drops, so the next program reads the kernel back. */
int nft_applier_run(struct nft_applier *a, const char *script, const struct nft_model *model, size_t *script_bytes,
		    char *err, size_t errlen);

#endif
