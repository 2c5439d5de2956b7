/* A counted set of small fixed-size keys (an address, or a 64-bit record
 * hash): the engine's indexes count how many times each key is wanted, and
 * act when a count leaves or reaches zero. Open addressing with linear
 * probing and backward-shift deletion, so no tombstones pile up under churn.
 * Pure logic. */
#ifndef CALICO_COUNT_MAP_H
#define CALICO_COUNT_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

struct count_key {
	uint8_t bytes[16];
	uint8_t family; /* 4, 6, or 0 for a 64-bit hash in bytes[0..7] */
};

struct count_entry {
	struct count_key k;
	uint32_t n; /* 0 = free slot */
};

struct count_map {
	struct count_entry *slots;
	size_t n, cap;
};

void count_map_free(struct count_map *m);
/* Adds delta (+1 or -1) to key's count. The new count (0 when it left the
 * map), or -ENOMEM. Removing a key that is not there gives 0. */
long count_map_add(struct count_map *m, const struct count_key *k, int delta);
uint32_t count_map_get(const struct count_map *m, const struct count_key *k);

struct count_key count_key_ip(const struct ip_addr *ip);
struct count_key count_key_u64(uint64_t v);
struct ip_addr count_key_to_ip(const struct count_key *k);
uint64_t count_key_to_u64(const struct count_key *k);

#endif
