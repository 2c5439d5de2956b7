/* The flow collector's names (DESIGN §12: endpoints, namespaces and labels
 * resolved from the agent's own indexes, other addresses as network sets by
 * name): workload endpoints of every host by address, network sets by their
 * nets (the longest that contains an address). Kept by deltas as the agent's
 * cache changes, so a change costs the record it touches, not the cluster.
 * Pure logic.
 *
 * Owners: every entry belongs to the record that put it (an id the caller
 * chooses, e.g. its key's hash). Two records may claim one address for a
 * moment (a workload moving): the later put wins, and a delete removes only
 * the deleting owner's entry, so the address keeps the other's name. */
#ifndef CALICO_FLOW_NAMES_H
#define CALICO_FLOW_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow_agg.h"
#include "util/ipaddr.h"

struct flow_names;

/* What a record is called: kind FLOW_EP_WEP (local: a workload of this host,
 * which reports its own side) or FLOW_EP_NS; labels a JSON object's text or
 * NULL. Strings are copied. */
struct flow_name_of {
	enum flow_ep_kind kind;
	bool local;
	const char *name, *namespace_, *labels;
};

struct flow_names *flow_names_new(void); /* NULL on ENOMEM */
void flow_names_free(struct flow_names *n);
/* Forgets everything (a full re-read of the datastore follows). */
void flow_names_clear(struct flow_names *n);

/* An endpoint's address. 0 or -ENOMEM (the table unchanged). */
int flow_names_put_addr(struct flow_names *n, uint64_t owner, const struct ip_addr *ip, const struct flow_name_of *what);
void flow_names_del_addr(struct flow_names *n, uint64_t owner, const struct ip_addr *ip);
/* A network set's net. 0 or -ENOMEM. */
int flow_names_put_net(struct flow_names *n, uint64_t owner, const struct cidr *net, const struct flow_name_of *what);
/* Every net the owner put. */
void flow_names_del_nets(struct flow_names *n, uint64_t owner);

/* A flow_resolve_fn (ctx: the table): an endpoint's address first, then the
 * longest network-set net containing ip. out->labels points into the table:
 * valid until its next change. */
bool flow_names_resolve(void *ctx, const struct ip_addr *ip, struct flow_ep *out);

size_t flow_names_addrs(const struct flow_names *n);
size_t flow_names_nets(const struct flow_names *n);

#endif
