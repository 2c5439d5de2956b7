/* Counted sets (count_map.h). */
#include "agent/count_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t hash_key(const struct count_key *k)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ k->family;
	for (int i = 0; i < 16; i++) {
		h ^= k->bytes[i];
		h *= 0x100000001b3ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

static int key_eq(const struct count_key *a, const struct count_key *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

struct count_key count_key_ip(const struct ip_addr *ip)
{
	struct count_key k;
	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)ip->family;
	memcpy(k.bytes, ip->bytes, ip->family == 4 ? 4 : 16);
	return k;
}

struct count_key count_key_u64(uint64_t v)
{
	struct count_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.bytes, &v, sizeof(v));
	return k;
}

struct ip_addr count_key_to_ip(const struct count_key *k)
{
	struct ip_addr ip;
	memset(&ip, 0, sizeof(ip));
	ip.family = k->family;
	memcpy(ip.bytes, k->bytes, k->family == 4 ? 4 : 16);
	return ip;
}

uint64_t count_key_to_u64(const struct count_key *k)
{
	uint64_t v;
	memcpy(&v, k->bytes, sizeof(v));
	return v;
}

void count_map_free(struct count_map *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t find(const struct count_map *m, const struct count_key *k)
{
	size_t i = hash_key(k) & (m->cap - 1);
	while (m->slots[i].n && !key_eq(&m->slots[i].k, k))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int resize(struct count_map *m, size_t ncap)
{
	struct count_entry *old = m->slots;
	size_t old_cap = m->cap;

	if (!(m->slots = calloc(ncap, sizeof(*m->slots)))) {
		m->slots = old;
		return -ENOMEM;
	}
	m->cap = ncap;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].n)
			m->slots[find(m, &old[i].k)] = old[i];
	free(old);
	return 0;
}

uint32_t count_map_get(const struct count_map *m, const struct count_key *k)
{
	return m->cap ? m->slots[find(m, k)].n : 0;
}

/* Backward-shift deletion: pull later entries of the probe run into the hole. */
static void remove_at(struct count_map *m, size_t hole)
{
	size_t mask = m->cap - 1, j = hole;
	m->slots[hole].n = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].n)
			break;
		size_t home = hash_key(&m->slots[j].k) & mask;
		/* j's entry may move to hole when its home is not in (hole, j] */
		if (hole <= j ? (home <= hole || home > j) : (home <= hole && home > j)) {
			m->slots[hole] = m->slots[j];
			m->slots[j].n = 0;
			hole = j;
		}
	}
	m->n--;
}

long count_map_add(struct count_map *m, const struct count_key *k, int delta)
{
	int rc;

	/* 4 slots to start: most maps count one or two keys (a profile's
	 * members, its local interfaces), and there is one per profile and tag
	 * (16 slots cost 5.8 MB at 5,000 profiles) */
	if (delta > 0 && (m->n + 1) * 4 > m->cap * 3 && (rc = resize(m, m->cap ? m->cap * 2 : 4)) < 0)
		return rc;
	if (!m->cap)
		return 0;
	size_t i = find(m, k);
	struct count_entry *e = &m->slots[i];
	if (!e->n) {
		if (delta <= 0)
			return 0;
		e->k = *k;
		e->n = (uint32_t)delta;
		m->n++;
		return e->n;
	}
	if (delta < 0 && e->n <= (uint32_t)-delta) {
		remove_at(m, i);
		if (m->cap > 64 && m->n * 8 < m->cap)
			resize(m, m->cap / 2); /* if it fails, the larger table stays: still correct */
		return 0;
	}
	e->n = (uint32_t)((long)e->n + delta);
	return e->n;
}
