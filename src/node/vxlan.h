/* The VXLAN overlay of this host in the kernel (vxlan_calc.h computes what
 * it should be): the device vxlan.calico, routes of CALICO_RT_PROTO through
 * it, its permanent neighbours and fdb entries. The device is ours, so every
 * neighbour and fdb entry on it is ours to remove; routes elsewhere, and
 * other devices, are never touched. */
#ifndef CALICO_NODE_VXLAN_H
#define CALICO_NODE_VXLAN_H

#include <stddef.h>

#include "agent/node_cache.h"

struct nl;

struct vxlan_syncer {
	char problem[512]; /* the last problem logged, so that a lasting one is logged once */
	size_t changes;    /* kernel objects added or removed, over the agent's life */
};

/* Makes the kernel match the desired overlay of host, through nl (a handle
 * in the host's namespace). Fixes only what differs. Problems are logged
 * (once while they last); what can be done is done. */
void vxlan_syncer_sync(struct vxlan_syncer *v, struct nl *nl, const struct node_cache *c, const char *host);

#endif
