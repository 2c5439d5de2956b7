/* The engine's edits of its model (nft_engine.h), each remembering what the
 * model held before the batch, so that the batch's nft script is rendered
 * from the touched chains and elements alone: nft_render_diff of "before"
 * against "after", both holding only what was touched. Pure logic; used by
 * nft_engine.c only.
 *
 * d NULL: a rebuild, nothing remembered; chains, sets and elements are then
 * appended, and the caller sorts the model once at the end (nft_model_finish). */
#ifndef CALICO_NFT_ENGINE_DELTA_H
#define CALICO_NFT_ENGINE_DELTA_H

#include "policy/nft_model.h"

struct nft_engine_delta;

int engine_delta_new(struct nft_engine_delta **out);
void engine_delta_free(struct nft_engine_delta *d);
/* Moves *built into m, replacing a chain of the same name. 0 or -ENOMEM. */
int edit_put_chain(struct nft_model *m, struct nft_engine_delta *d, struct nft_chain *built);
int edit_del_chain(struct nft_model *m, struct nft_engine_delta *d, const char *name);
/* Moves *built (a set that m does not hold, with its elements) into m. */
int edit_put_set(struct nft_model *m, struct nft_engine_delta *d, struct nft_set *built);
int edit_del_set(struct nft_model *m, struct nft_engine_delta *d, const char *name);
/* Element key (value for a map, else NULL) in set; the set must exist. */
int edit_put_elem(struct nft_model *m, struct nft_engine_delta *d, const char *set, const char *key,
		  const char *value);
int edit_del_elem(struct nft_model *m, struct nft_engine_delta *d, const char *set, const char *key);
/* The script from the state before the batch to m's. *script malloc'd. */
int engine_delta_render(const struct nft_model *m, struct nft_engine_delta *d, char **script);

#endif
