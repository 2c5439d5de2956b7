/* The compiled form of the dataplane: one nftables table as named sets,
 * verdict maps and chains of rule texts. Pure logic.
 *
 * A model is built by the policy compiler (nft_compile.h) or read back from
 * the kernel's `nft -j list table` (nft_model_from_json), and turned into nft
 * scripts by nft_render_full / nft_render_diff.
 *
 * Determinism: after nft_model_finish() sets and chains are sorted by name and
 * elements by key, so equal desired states give byte-identical scripts.
 *
 * Chain identity without parsing rules: every chain's rule texts (and the hook
 * line of a base chain) are hashed, and the hash rides in the kernel as the
 * comment of the chain's first rule ("h:<16 hex>"). Read-back recovers hash
 * and rule count only; two chains are equal when both agree. A flush + refill
 * rewrites the comment with the rules, so it can never go stale.
 *
 * Ownership: the model owns everything it points to; nft_model_free() releases
 * it all and leaves the struct zeroed. */
#ifndef CALICO_NFT_MODEL_H
#define CALICO_NFT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFT_NAME_MAX 64 /* ours are at most 9 + 40 characters; the kernel allows 255 */

struct nft_elem {
	char *key;   /* element text as nft prints it: "10.0.0.1", "10.0.0.0/16", "cali0ef24b0e6a2" */
	char *value; /* NULL in a set; a verdict in a verdict map: "goto wl-from-cali0ef24b0e6a2" */
};

struct nft_set {
	char name[NFT_NAME_MAX];
	char key_type[24];   /* "ipv4_addr", "ipv6_addr", "ifname" */
	char value_type[16]; /* "" for a set, "verdict" for a verdict map */
	bool interval;       /* elements may be prefixes */
	struct nft_elem *elems;
	size_t n_elems, cap_elems;
};

struct nft_chain {
	char name[NFT_NAME_MAX];
	char *base_spec; /* "type filter hook forward priority filter; policy accept;" or NULL */
	char **rules;    /* NULL (and n_rules > 0) in a model read back from the kernel */
	size_t n_rules, cap_rules;
	uint64_t hash; /* of base_spec and rules; 0 for an empty chain; set by nft_model_finish */
};

struct nft_model {
	char family[8];
	char table[NFT_NAME_MAX];
	bool table_present; /* false for a read-back that found no table */
	struct nft_set *sets;
	size_t n_sets, cap_sets;
	struct nft_chain *chains;
	size_t n_chains, cap_chains;
};

void nft_model_init(struct nft_model *m, const char *family, const char *table);
void nft_model_free(struct nft_model *m);

/* Add a set or a verdict map (value_type "verdict"). The pointer stays valid
 * until the next nft_model_add_set; NULL on ENOMEM or an over-long name. */
struct nft_set *nft_model_add_set(struct nft_model *m, const char *name, const char *key_type,
				  const char *value_type, bool interval);
/* key and value are copied; value NULL for a plain set. 0 or -ENOMEM. */
int nft_set_add_elem(struct nft_set *s, const char *key, const char *value);

/* base_spec NULL for a regular chain. Same pointer rule as nft_model_add_set. */
struct nft_chain *nft_model_add_chain(struct nft_model *m, const char *name, const char *base_spec);
/* printf-style rule text. 0, -ENOMEM, or -EINVAL for an empty rule. */
int nft_chain_add_rule(struct nft_chain *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sort sets, chains and elements; drop duplicate elements (same key; a
 * conflicting value is -EINVAL); compute chain hashes. -EEXIST when two sets
 * or two chains share a name. Call once, after the last add. */
int nft_model_finish(struct nft_model *m);

/* Lookups in a finished model (binary search); NULL when absent. */
const struct nft_set *nft_model_find_set(const struct nft_model *m, const char *name);
const struct nft_chain *nft_model_find_chain(const struct nft_model *m, const char *name);

/* ---------- editing a finished model in place (the agent's engine) ----------
 * Sorted order is kept: each is a binary search and one memmove. */

/* Index of name, or of where it would go (*found false). */
size_t nft_model_set_pos(const struct nft_model *m, const char *name, bool *found);
size_t nft_model_chain_pos(const struct nft_model *m, const char *name, bool *found);
/* Moves *src (a set or chain built elsewhere) into m at pos; src is zeroed.
 * A chain's hash is computed. 0 or -ENOMEM (src untouched). */
int nft_model_insert_set(struct nft_model *m, size_t pos, struct nft_set *src);
int nft_model_insert_chain(struct nft_model *m, size_t pos, struct nft_chain *src);
void nft_model_remove_set(struct nft_model *m, size_t pos);
void nft_model_remove_chain(struct nft_model *m, size_t pos);
/* Index of key in a sorted set, or where it would go. */
size_t nft_set_elem_pos(const struct nft_set *s, const char *key, bool *found);
/* Sorted insert (key absent) / removal. 0 or -ENOMEM. */
int nft_set_insert_elem(struct nft_set *s, size_t pos, const char *key, const char *value);
void nft_set_remove_elem(struct nft_set *s, size_t pos);
/* Deep copies (dst is overwritten); a set's elements only when elems. 0 or -ENOMEM
 * (dst then holds what can be freed). */
int nft_set_copy(const struct nft_set *src, struct nft_set *dst, bool elems);
int nft_chain_copy(const struct nft_chain *src, struct nft_chain *dst);
void nft_set_release(struct nft_set *s);
void nft_chain_release(struct nft_chain *c);

/* The hash of a chain as nft_model_finish computes it (FNV-1a 64, never 0 for
 * a chain with rules). */
uint64_t nft_chain_hash(const char *base_spec, char *const *rules, size_t n_rules);

/* ---------- rendering (nft_render.c) ---------- */

/* One nft script that replaces the whole table atomically: for the first
 * programming, or when a diff is impossible. *out is malloc'd. 0 or -errno. */
int nft_render_full(const struct nft_model *m, char **out);
/* One nft script with only what changed from old to new (both finished, same
 * table): set and map elements, new/changed/vanished chains and sets. "" when
 * nothing changed. -ESTALE when old cannot be patched into new (a set changed
 * type): the caller then loads nft_render_full(new). */
int nft_render_diff(const struct nft_model *old, const struct nft_model *new, char **out);

/* ---------- read-back (nft_readback.c) ---------- */

/* Recover a finished model of table family/table from `nft -j list table`
 * (or `list ruleset`) output. Sets and maps come back with their elements;
 * chains with their hash (from the first rule's comment; 0 when missing) and
 * rule count, no rule texts. A JSON without the table gives an empty model
 * with table_present false. 0, or -EINVAL with a message in err. */
int nft_model_from_json(const char *json, const char *family, const char *table, struct nft_model *out,
			char *err, size_t errlen);

#endif
