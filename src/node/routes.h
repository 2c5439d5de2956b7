/* Host-side routes and per-interface sysctls of this host's endpoints
 * (DESIGN §4). Only routes with CALICO_RT_PROTO through an interface of our
 * prefix are ever removed: never another protocol's, never our blackholes. */
#ifndef CALICO_NODE_ROUTES_H
#define CALICO_NODE_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/dp_state.h"

struct nl;

struct route_syncer {
	struct nl *nl;
	int *configured;    /* ifindexes whose sysctls are set (an interface re-made gets a new index) */
	size_t n_configured;
};

int route_syncer_open(struct route_syncer *r);
void route_syncer_close(struct route_syncer *r);
/* Makes routes and sysctls match st. present[i] (n_endpoints entries) tells
 * whether endpoint i's interface exists (and so got its routes). *changes
 * counts routes added or removed. 0, or -errno after doing what it could
 * (message in err). */
int route_syncer_sync(struct route_syncer *r, const struct dp_state *st, bool *present, size_t *changes, char *err,
		      size_t errlen);

#endif
