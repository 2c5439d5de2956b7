/* The agent's selector index (DESIGN §11): for every selector some rule uses,
 * the addresses of every endpoint (on any host) and the nets of every network
 * set it selects, kept up to date by deltas. A rule's selector is one nftables
 * set; an endpoint that starts or stops matching changes set elements only,
 * and the index says exactly which (a member callback, called once per
 * element that appears in or leaves a set). Pure logic, no I/O.
 *
 * Work per change: an endpoint's put or delete evaluates each selector in use
 * once (no allocation in the evaluation); a selector's first use evaluates
 * every endpoint and network set once; a namespace's labels changing
 * re-evaluates that namespace's members for the selectors that have a
 * namespace selector. Nothing is recomputed from scratch.
 *
 * Scope of a selector, as Calico's: with a namespace selector, the members of
 * the namespaces it selects (global() selects the global network sets); without
 * one, in a namespaced policy, its own namespace; in a global policy, every
 * namespace and the global network sets.
 *
 * An element contributed by two members (two records claiming one address
 * while one moves) stays until both are gone: members are counted. */
#ifndef CALICO_SELECTOR_INDEX_H
#define CALICO_SELECTOR_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "selector/selector.h"
#include "util/ipaddr.h"

#define SEL_INDEX_ID_LEN 26 /* base32 letters naming a selector's set */

struct sel_index;

/* id: the set's id (SEL_INDEX_ID_LEN letters); member: an address as a /32 or
 * /128, or a network set's net; added: it entered (true) or left the set. */
typedef void (*sel_index_member_cb)(void *ctx, const char *id, const struct cidr *member, bool added);

/* NULL on ENOMEM. cb may be NULL (then only the queries below tell). */
struct sel_index *sel_index_new(sel_index_member_cb cb, void *ctx);
void sel_index_free(struct sel_index *ix);

/* A rule uses selector (with namespace_selector, in scope_namespace; see above).
 * Counted: the first use evaluates every member (the callback reports each
 * one added) and every use writes the set's id to id_out. 0, -EINVAL (a
 * selector that does not parse) or -ENOMEM. */
int sel_index_ref(struct sel_index *ix, const char *selector, const char *namespace_selector,
		  const char *scope_namespace, char id_out[SEL_INDEX_ID_LEN + 1]);
/* The last release forgets the selector (no callbacks: its set goes with it).
 * -ENOENT when not in use. */
int sel_index_unref(struct sel_index *ix, const char *selector, const char *namespace_selector,
		    const char *scope_namespace);

/* An endpoint (key: its datastore key) or network set ("global" when
 * namespace is NULL) with its effective labels and its addresses or nets:
 * added, or replaced whole. 0 or -ENOMEM (the index is then as before). */
int sel_index_put(struct sel_index *ix, const char *key, const char *namespace_, const struct label_set *labels,
		  const struct cidr *members, size_t n);
/* 0, or -ENOENT when the key is unknown. */
int sel_index_del(struct sel_index *ix, const char *key);

/* A namespace's labels (those its namespace selectors match on). Absent: no
 * labels. 0 or -ENOMEM. */
int sel_index_put_namespace(struct sel_index *ix, const char *namespace_, const struct label_set *labels);
int sel_index_del_namespace(struct sel_index *ix, const char *namespace_);

/* The members of a set (a full compile's view): calls fn for each. -ENOENT
 * when no selector in use has that id. */
int sel_index_members(const struct sel_index *ix, const char *id, void (*fn)(void *ctx, const struct cidr *member),
		      void *ctx);
/* Selectors in use, members known (endpoints and network sets). */
size_t sel_index_selectors(const struct sel_index *ix);
size_t sel_index_size(const struct sel_index *ix);

#endif
