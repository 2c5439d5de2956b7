/* The engine's v3 layer's own types, shared by nft_engine_v3.c (what
 * applies where) and nft_engine_v3_chain.c (a policy's chains and the sets
 * they read). Used by those two files only. */
#ifndef CALICO_NFT_ENGINE_V3_INT_H
#define CALICO_NFT_ENGINE_V3_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/count_map.h"
#include "agent/name_table.h"
#include "agent/nft_engine_v3.h"
#include "agent/selector_index.h"
#include "policy/nft_model.h"
#include "resource/resource.h"
#include "selector/selector.h"
#include "util/array.h"

struct eng_tier {
	bool exists, has_order;
	double order;
	enum v3_default_action action;
};

enum use_kind { USE_PORTS, USE_NETS, USE_SEL };

/* A set one programmed policy chain reads. */
struct v3_use {
	uint8_t kind, family;
	uint32_t sel; /* USE_SEL: its selector slot */
	char name[NFT_NAME_MAX];
};

struct v3_pol {
	bool defined;    /* a valid policy in the cache whose selectors parse */
	bool live;       /* defined, and its tier exists: it may apply */
	bool queued;     /* in the dirty list */
	bool reloaded;   /* its resource changed: re-evaluate and recompile */
	bool key_changed; /* its place in the order (or its tier's) changed */
	bool chain_queued;
	uint32_t tier;   /* tier name id */
	char *name, *meta_ns, *ns; /* ns: a NetworkPolicy's namespace, NULL for a global one */
	bool has_order;
	double order;
	unsigned types;
	struct selector *sel, *ns_sel;
	uint32_t users[2];       /* local interfaces it applies to, per direction */
	bool programmed[2];
	char chain[2][NFT_NAME_MAX];
	struct v3_use *uses[2];
	size_t n_uses[2], n_rules[2];
};

struct v3_sel {
	char *sel, *ns_sel, *scope; /* as first used; the index normalises them */
	uint32_t use[2];            /* programmed chains' rules reading sel4-/sel6- */
	uint32_t wide[2];           /* nets shorter than an address among its members */
	bool recompute[2], queued;
};

struct v3_if {
	bool on;            /* programmed: its first endpoint valid, its name usable */
	bool eval, render, queued;
	bool fresh;         /* evaluated whole in this batch: every policy seen */
	struct label_set labels;
	const char *ns;     /* its namespace: in labels, or "default" */
	uint32_t *pols[2];  /* the policies that apply to it, per direction */
	size_t n[2], cap[2];
};

struct v3_ns {
	bool fresh;
	struct label_set labels; /* kns.<ns>'s, plus projectcalico.org/name */
};

struct engine_v3 {
	struct nft_engine_v3_work work;
	bool active; /* some policy exists: the index holds every member */
	struct nft_engine *e;
	struct sel_index *ix;
	int cb_rc;
	struct name_table pol_keys, tier_names, sel_ids, ns_names;
	struct v3_pol *pols;
	size_t n_pols;
	struct eng_tier *tiers;
	size_t n_tiers;
	struct v3_sel *sels;
	size_t n_sels;
	struct v3_if *ifs;
	size_t n_ifs;
	struct v3_ns *nss;
	size_t n_nss;
	struct count_map nets; /* net set name hash -> programmed chains using it */

	/* the batch's work */
	uint64_t *eps;
	size_t n_eps, cap_eps;
	char **keys, **profs, **nsd;
	size_t n_keys, cap_keys, n_profs, cap_profs, n_nsd, cap_nsd;
	uint32_t *dirty_pols, *chain_pols, *dirty_ifs, *dirty_sels;
	size_t n_dirty_pols, cap_dirty_pols, n_chain_pols, cap_chain_pols, n_dirty_ifs, cap_dirty_ifs, n_dirty_sels,
		cap_dirty_sels;
};

/* nft_engine_v3_chain.c */
/* The selector index's member callback (ctx: the engine_v3). */
void engine_v3_on_member(void *ctx, const char *id, const struct cidr *net, bool added);
/* A selector set's elements brought to the index's answer (after a wider net came or went). */
int engine_v3_recompute(struct nft_engine *e, uint32_t slot, int f);
/* Policy pid's chain in direction d compiled (again), or removed, with the sets it reads. */
int engine_v3_pol_compile(struct nft_engine *e, uint32_t pid, int d);
int engine_v3_pol_unprogram(struct nft_engine *e, uint32_t pid, int d);

#endif
