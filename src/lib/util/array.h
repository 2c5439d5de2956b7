/* Growing a malloc'd array: one rule for every vector in the tree. */
#ifndef CALICO_ARRAY_H
#define CALICO_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Makes *items hold at least want elements of size bytes. The capacity
 * doubles (from 8), so n appends cost O(n) copies; the new slots are zeroed,
 * so an array indexed by id reads empty slots as zero. *items and *cap are
 * left as they were on failure. 0, or -ENOMEM (also when want * size does not
 * fit in a size_t). */
int array_reserve(void **items, size_t *cap, size_t want, size_t size);

/* Appends x to the *n ids of *v (capacity *cap). 0 or -ENOMEM. */
int array_push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x);

#endif
