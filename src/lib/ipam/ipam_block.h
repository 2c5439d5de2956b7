/* IPAM blocks: the pure logic of DESIGN §3, no datastore here.
 *
 * A block is 64 consecutive addresses (/26 for IPv4, /122 for IPv6) of a pool.
 * Its JSON, at /calico/ipam/v2/assignment/ipv4/block/<cidr-key>, is Calico's:
 *   {"cidr":"10.0.0.0/26","affinity":"host:h1","strictAffinity":false,
 *    "allocations":[0,null,...x64],"unallocated":[1,2,...],
 *    "attributes":[{"handle_id":"h","secondary":{"host":"h1","timestamp":"..."}}]}
 * allocations[i] is the index of ordinal i's attribute, or null when free;
 * unallocated lists the free ordinals in the order they are handed out:
 * taking pops its front, releasing appends to its back, so a released
 * address comes back only after every fresh one of the block (conntrack,
 * neighbour caches and peers may still point at its old workload). A record
 * without it (absent or null) decodes with the free ordinals in address order.
 *
 * Ownership: a struct ipam_block owns its strings and JSON; ipam_block_free()
 * releases them and zeroes the struct. */
#ifndef CALICO_IPAM_BLOCK_H
#define CALICO_IPAM_BLOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define IPAM_BLOCK_SIZE 64
#define IPAM_BLOCK_PREFIX_V4 26
#define IPAM_BLOCK_PREFIX_V6 122

struct ipam_attr {
	char *handle_id;   /* NULL when the allocation has no handle */
	json_t *secondary; /* a JSON object, never NULL in a valid block */
};

struct ipam_block {
	struct cidr cidr;
	char *affinity; /* "host:<name>", or NULL */
	bool strict_affinity;
	int allocations[IPAM_BLOCK_SIZE]; /* attribute index, or -1 when free */
	uint8_t unallocated[IPAM_BLOCK_SIZE];
	size_t n_unallocated;
	/* May hold attributes no allocation refers to any more; the encoder drops them. */
	struct ipam_attr *attrs;
	size_t n_attrs;
};

/* The block that holds ip (its address masked to /26 or /122). */
void ipam_block_cidr_of(const struct ip_addr *ip, struct cidr *out);
int ipam_block_prefix(int family);

/* An empty block, affine to host (NULL = none). 0 or -ENOMEM. */
int ipam_block_init(struct ipam_block *b, const struct cidr *cidr, const char *host, bool strict_affinity);
void ipam_block_free(struct ipam_block *b);
/* Strict: the cidr must be a block, allocations exactly 64 entries that point at
 * attributes, unallocated (when present) exactly the free ordinals. -EINVAL
 * with a message. */
int ipam_block_decode(const char *json, struct ipam_block *b, char *err, size_t errlen);
/* Canonical JSON (malloc'd), attributes compacted; NULL on ENOMEM. */
char *ipam_block_encode(const struct ipam_block *b);

/* The host of "host:<name>" affinity, or NULL. */
const char *ipam_block_host(const struct ipam_block *b);
size_t ipam_block_used(const struct ipam_block *b);
bool ipam_block_is_empty(const struct ipam_block *b);
/* The ordinal of ip in b, or -1 when b does not hold it. */
int ipam_block_ordinal(const struct ipam_block *b, const struct ip_addr *ip);
void ipam_block_addr(const struct ipam_block *b, int ordinal, struct ip_addr *out);
/* The attribute of an allocated ordinal, NULL when it is free. */
const struct ipam_attr *ipam_block_attr(const struct ipam_block *b, int ordinal);

/* Takes up to n free ordinals (front of unallocated first) for handle with the
 * secondary attributes (an object, copied); writes them to ordinals. Returns
 * how many it took (0 when full), or -ENOMEM. */
int ipam_block_take(struct ipam_block *b, size_t n, const char *handle, const json_t *secondary, int *ordinals);
/* Allocates this ordinal. 0, -EEXIST when in use, -ENOMEM. */
int ipam_block_assign(struct ipam_block *b, int ordinal, const char *handle, const json_t *secondary);
/* Frees an ordinal. 0, or -ENOENT when it was free. */
int ipam_block_release(struct ipam_block *b, int ordinal);
/* Frees every ordinal of handle; returns how many. */
size_t ipam_block_release_handle(struct ipam_block *b, const char *handle);
size_t ipam_block_count_handle(const struct ipam_block *b, const char *handle);

/* ---- blocks of a pool ---- */

/* How many blocks pool holds (capped at 2^58 so offsets fit in 64 bits; 0 when
 * the pool is smaller than a block). */
uint64_t ipam_pool_block_count(const struct cidr *pool);
void ipam_pool_block_at(const struct cidr *pool, uint64_t index, struct cidr *out);
/* A stable 64-bit hash of a host name (FNV-1a), the seed of its block order. */
uint64_t ipam_host_seed(const char *host);
/* The first block of pool, in host's order, that is not in taken (any order,
 * any family). Host order starts at seed % count and wraps, so hosts spread out
 * over the pool instead of racing for its first block. 0, -ENOSPC when every
 * block is taken, -ENOMEM. */
int ipam_pool_free_block(const struct cidr *pool, const char *host, const struct cidr *taken, size_t n_taken,
			 struct cidr *out);

#endif
