#include "endpoint_id.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash3(uint64_t basis, const char *a, const char *b, const char *c)
{
	uint64_t h = fnv1a(basis, a, strlen(a) + 1); /* the NULs keep ("ab","c") apart from ("a","bc") */
	h = fnv1a(h, b, strlen(b) + 1);
	h = fnv1a(h, c, strlen(c));
	/* FNV's low bits mix poorly; a final avalanche (splitmix64's) spreads them. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void cni_endpoint_id(const char *network, const char *container_id, const char *ifname, char out[33])
{
	uint64_t a = hash3(0xcbf29ce484222325ULL, network, container_id, ifname);
	uint64_t b = hash3(0x84222325cbf29ce4ULL, network, container_id, ifname);
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}
