/* BIRD 2's configuration for one host, rendered from the agent's datastore
 * copy (DESIGN §5). Pure logic: the same cache and host give the same bytes,
 * so the agent can tell whether BIRD needs a reload by comparing texts.
 *
 * What the text sets up (IPv6 parts only when the host has ip_addr_v6):
 *   - router id = the host's ip_addr_v4;
 *   - protocol device, direct (not cali* / vxlan.calico), kernel_v4 learning
 *     the agent's workload routes (protocol CALICO_RT_PROTO) and putting
 *     BGP routes and this host's block blackholes in the kernel;
 *   - protocol static blocks_v4: one blackhole per block affine to this host
 *     in an existing pool without VXLAN;
 *   - one protocol bgp per peer: Mesh_<ip> for every other host with an
 *     address (when the node-to-node mesh is on; the host with the higher
 *     address is the passive side of each pair), Node_<ip> for this host's
 *     own peers, Global_<ip> for the global ones;
 *   - to peers: this host's blocks, and /32 (/128) routes of this host's
 *     workloads whose addresses lie outside its blocks (borrowed), as the
 *     kernel has them; from peers: everything but routes inside pools with
 *     VXLAN, with this host's own routes preferred over a peer's for the
 *     same prefix. */
#ifndef CALICO_BIRD_CONF_H
#define CALICO_BIRD_CONF_H

#include <stddef.h>

#include "agent/node_cache.h"

#define BIRD_DEFAULT_AS 64511u

struct bird_conf_opts {
	const char *log_path; /* BIRD's log file; NULL: no log line */
};

/* Renders host's config into *out (malloc'd, the caller frees it).
 * 0; -ENOENT when host has no usable ip_addr_v4 (err says so: BIRD needs a
 * router id); -ENOMEM. *out is NULL on failure. */
int bird_conf_render(const struct node_cache *c, const char *host, const struct bird_conf_opts *opt, char **out,
		     char *err, size_t errlen);

/* The kind of peer a protocol name stands for, as calicoctl status prints it:
 * "node-to-node mesh", "global", "node specific"; NULL for other names. */
const char *bird_conf_peer_type(const char *proto_name);

#endif
