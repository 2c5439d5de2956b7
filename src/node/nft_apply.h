/* Programming table inet calico through libnftables: every change is one
 * transaction holding only the difference from what the kernel has.
 *
 * The first program, and the first after a failure, reads the kernel's table
 * back (`list table inet calico` as JSON) and diffs against that, so a
 * restarted agent fixes only what changed while it was away and drops no
 * established connection. Later programs diff against the model last applied. */
#ifndef CALICO_NODE_NFT_APPLY_H
#define CALICO_NODE_NFT_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/nft_model.h"

struct nft_applier {
	struct nft_ctx *ctx; /* made in the agent's namespace: its socket stays there */
	struct nft_model applied;
	bool have_applied; /* false: the kernel's state is unknown, read it back first */
};

int nft_applier_open(struct nft_applier *a);
void nft_applier_close(struct nft_applier *a);
/* Brings the kernel to want (a finished model) and takes ownership of it,
 * success or not. *script_bytes gets the transaction's size (0: nothing to
 * do). On failure err has the kernel's message and the next call re-reads
 * the kernel. 0 or -errno. */
int nft_applier_program(struct nft_applier *a, struct nft_model *want, size_t *script_bytes, char *err,
			size_t errlen);

#endif
