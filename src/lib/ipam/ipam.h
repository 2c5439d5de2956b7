/* The IPAM allocator of DESIGN §3 over the datastore: Calico's blocks with host
 * affinity, handles, borrowing, pool removal.
 *
 * Every write is one datastore transaction that compares the mod revision of
 * each key it read (block, handle, affinity marker), so a step either happens
 * whole or not at all, even if the process dies; conflicts are retried a
 * bounded number of times with jitter. Calls that take several steps (several
 * addresses, several blocks) undo the steps already done when a later one
 * fails, so callers see all or nothing.
 *
 * Every function returns 0 or -errno and writes a one-line reason to err:
 *   -ENOSPC     "no available IP addresses in the configured pools"
 *   -EEXIST     "IP '<ip>' already in use."
 *   -EBUSY      "IPAM: too much contention on block <cidr>, gave up after N tries"
 *   -ENOENT     (release, info) the address is not assigned
 *   -EINVAL     bad arguments (handle, host, pool names, attributes)
 *   other       the datastore's reason */
#ifndef CALICO_IPAM_H
#define CALICO_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "datastore/datastore.h"
#include "ipam/ipam_block.h"

#define IPAM_MAX_TRIES 100
#define IPAM_MSG_EXHAUSTED "no available IP addresses in the configured pools"
#define KEY_IPAM_CONFIG "/calico/ipam/v2/config"
#define KEY_IPAM_HOST_PREFIX "/calico/ipam/v2/host/"

struct ipam_request {
	const char *handle;            /* required: a Mesos task uid, "<network>.<container id>", ... */
	const char *host;              /* required: the host the addresses are for */
	size_t num_ipv4, num_ipv6;
	const char *const *ipv4_pools; /* pool CIDRs to draw from; NULL = every enabled pool */
	size_t n_ipv4_pools;
	const char *const *ipv6_pools;
	size_t n_ipv6_pools;
	const char *attrs_json;        /* caller's attributes, a JSON object; NULL = none */
};

/* Assigns req->num_ipv4 addresses to v4[] and req->num_ipv6 to v6[]. */
int ipam_auto_assign(struct ds *ds, const struct ipam_request *req, struct ip_addr *v4, struct ip_addr *v6,
		     char *err, size_t errlen);
/* Assigns exactly these addresses under handle, all or nothing; each must lie
 * in a configured pool (an enabled one, or one named by a block that exists). */
int ipam_assign(struct ds *ds, const struct ip_addr *ips, size_t n, const char *handle, const char *host,
		const char *attrs_json, char *err, size_t errlen);
/* Releases addresses; ones not assigned are skipped (idempotent). released[i]
 * (may be NULL) tells whether ips[i] was assigned. */
int ipam_release(struct ds *ds, const struct ip_addr *ips, size_t n, bool *released, char *err, size_t errlen);
/* Releases everything under handle; *released (may be NULL) gets how many. */
int ipam_release_handle(struct ds *ds, const char *handle, size_t *released, char *err, size_t errlen);
/* Releases ip only if it is still held by handle and was assigned before
 * created_before (the leak collector's guard against a fresh re-assignment).
 * -ENOENT when it no longer matches. */
int ipam_release_if(struct ds *ds, const struct ip_addr *ip, const char *handle, time_t created_before, char *err,
		    size_t errlen);
/* The addresses held by handle (malloc'd array; *n may be 0). */
int ipam_handle_addresses(struct ds *ds, const char *handle, struct ip_addr **out, size_t *n, char *err,
			  size_t errlen);
/* ip's attributes as JSON {"handle_id":..,"secondary":{..}} (malloc'd); -ENOENT when unassigned. */
int ipam_ip_info(struct ds *ds, const struct ip_addr *ip, char **attrs_json, char *err, size_t errlen);

/* /calico/ipam/v2/config {"strict_affinity":false}: with strict affinity a host
 * never borrows from another host's block. */
int ipam_strict_affinity(struct ds *ds, bool *strict, char *err, size_t errlen);
int ipam_set_strict_affinity(struct ds *ds, bool strict, char *err, size_t errlen);

/* Frees empty blocks that lie outside every pool (a removed pool's), with their
 * affinity markers. *freed (may be NULL) gets how many. */
int ipam_cleanup_removed_pools(struct ds *ds, size_t *freed, char *err, size_t errlen);

/* Gives back the empty blocks nobody needs (calicoctl ipam gc): those outside
 * every pool or without affinity, and a host's empty affine blocks while it
 * keeps another block of that family in a pool. A host's last block stays
 * with it, as in Calico, so its next address is a fresh one rather than one
 * it released a moment ago. Each block goes in one transaction with its
 * marker, only if it is still as listed (one that changed meanwhile is left);
 * with dry_run nothing is written. each (may be NULL) is called per block
 * given back, *freed (may be NULL) gets how many. */
typedef void (*ipam_block_fn)(void *arg, const struct ipam_block *b);
int ipam_free_empty_blocks(struct ds *ds, bool dry_run, ipam_block_fn each, void *arg, size_t *freed, char *err,
			   size_t errlen);

/* Lets go of every block affine to host (calicoctl node remove): an empty one
 * is freed with its marker; one still holding addresses keeps them but loses
 * its affinity, so other hosts may allocate from it. Each block is one
 * compare-and-swap transaction, retried when it changed meanwhile.
 * *released (may be NULL) gets how many blocks were let go. */
int ipam_release_host_affinities(struct ds *ds, const char *host, size_t *released, char *err, size_t errlen);

/* ---- inspection (calicoctl ipam show / gc, tests) ---- */

struct ipam_block_entry {
	struct ipam_block block;
	int64_t mod_rev;
};

/* Every block of family (4, 6, or 0 for both), sorted by address. Blocks that
 * do not decode are skipped with a warning. */
int ipam_block_list(struct ds *ds, int family, struct ipam_block_entry **out, size_t *n, char *err, size_t errlen);
void ipam_block_entries_free(struct ipam_block_entry *e, size_t n);
/* When an allocation was made (its "timestamp" attribute), 0 when unknown. */
time_t ipam_attr_created(const struct ipam_attr *a);

/* Keys. */
char *ipam_block_key(char *buf /* KEY_MAX */, const struct cidr *block);
char *ipam_affinity_key(char *buf /* KEY_MAX */, const char *host, const struct cidr *block);

#endif
