/* The IPAM consistency check of `calicoctl ipam check`: pure logic over the
 * datastore's listings, no I/O here, so a crash's leftovers can be replayed
 * in unit tests.
 *
 * What must hold (DESIGN §2-3), each violation one problem line:
 *   - every block decodes (allocations, unallocated and attributes agree:
 *     ipam_block_decode is strict) and sits under the key of its own CIDR;
 *   - every allocated address has a handle, the handle has a record, and the
 *     record's count for each block is what the block holds under it (and a
 *     record names no block that holds nothing of it);
 *   - every affinity marker /calico/ipam/v2/host/<h>/ipvN/block/<b> has block
 *     b affine to host h, and every block affine to a host has its marker;
 *   - every endpoint record decodes, every address it holds is allocated, to
 *     a handle that plausibly belongs to it (ipam_check_handle_plausible),
 *     and no address is held by two endpoints.
 * Addresses allocated but held by no endpoint are not a problem (Mesos
 * allocates before isolate, CNI IPAM before the endpoint): they are counted
 * (`unused`) and `calicoctl ipam gc` collects them once old enough. */
#ifndef CALICO_IPAM_CHECK_H
#define CALICO_IPAM_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "datastore/datastore.h"

struct ipam_check_input {
	const struct ds_kv_list *blocks;    /* /calico/ipam/v2/assignment/ (both families) */
	const struct ds_kv_list *handles;   /* /calico/ipam/v2/handle/ */
	const struct ds_kv_list *markers;   /* /calico/ipam/v2/host/ */
	const struct ds_kv_list *endpoints; /* /calico/v1/host/ (keys that are not endpoints are skipped) */
};

struct ipam_check_summary {
	size_t blocks, handles, markers, endpoints;
	size_t allocated; /* allocated addresses in the blocks that decode */
	size_t unused;    /* of those, held by no endpoint */
	size_t problems;
};

/* Called once per problem with a one-line description (no newline). */
typedef void (*ipam_check_report_fn)(void *arg, const char *problem);

/* Runs every check; problems go to report (may be NULL), counts to *sum.
 * 0 (whatever it found), or -ENOMEM. */
int ipam_check_run(const struct ipam_check_input *in, ipam_check_report_fn report, void *arg,
		   struct ipam_check_summary *sum);

/* Whether an address allocated under handle may belong to the endpoint
 * <orch>/<workload>/<endpoint_id>, by each orchestrator's handle scheme:
 * calicoctl "calicoctl.<endpoint id>", CNI "<network>.<container id>" with
 * workload = container id, libnetwork "libnetwork.<host>"; Mesos tasks use
 * their uid, which the endpoint does not record, so any handle that is not
 * another orchestrator's scheme will do; other orchestrators any handle. */
bool ipam_check_handle_plausible(const char *orch, const char *workload, const char *endpoint_id,
				 const char *handle);

#endif
