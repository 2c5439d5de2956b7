/* array_reserve: capacity, zeroed growth, failure leaves the array as it was. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/array.h"
#include "tap.h"

struct wide {
	uint64_t a, b, c;
};

int main(void)
{
	uint32_t *v = NULL;
	size_t cap = 0;

	CHECK_INT(array_reserve((void **)&v, &cap, 0, sizeof(*v)), 0, "want 0 on an empty array: nothing to do");
	CHECK(v == NULL && cap == 0, "... and nothing allocated");
	CHECK_INT(array_reserve((void **)&v, &cap, 1, sizeof(*v)), 0, "want 1");
	CHECK(v != NULL && cap == 8, "... the first capacity is 8 (got %zu)", cap);
	bool zero = true;
	for (size_t i = 0; i < cap; i++)
		zero = zero && v[i] == 0;
	CHECK(zero, "... its slots are zeroed");

	/* appends: the capacity doubles, old values stay, new slots are zero */
	size_t n = 0, reallocs = 0, last_cap = cap;
	bool kept = true, fresh_zero = true;
	for (uint32_t i = 0; i < 10000; i++) {
		if (array_reserve((void **)&v, &cap, n + 1, sizeof(*v)) < 0)
			break;
		if (cap != last_cap) {
			reallocs++;
			for (size_t j = n; j < cap; j++)
				fresh_zero = fresh_zero && v[j] == 0;
			last_cap = cap;
		}
		v[n++] = i * 3 + 1;
	}
	for (size_t i = 0; i < n; i++)
		kept = kept && v[i] == (uint32_t)i * 3 + 1;
	CHECK_INT((long)n, 10000, "10,000 appends");
	CHECK(kept, "... every value kept across the moves");
	CHECK(fresh_zero, "... every new slot zeroed");
	CHECK(cap == 16384, "... capacity 16384, a power of two from 8 (got %zu)", cap);
	CHECK(reallocs == 11, "... in 11 moves: 8 -> 16384 doubling (got %zu)", reallocs);
	CHECK_INT(array_reserve((void **)&v, &cap, 100, sizeof(*v)), 0, "want less than held: nothing to do");
	CHECK(cap == 16384, "... capacity unchanged");

	/* a jump: one call reaches a want far past double */
	CHECK_INT(array_reserve((void **)&v, &cap, 1000000, sizeof(*v)), 0, "want 1,000,000 at once");
	CHECK(cap >= 1000000 && cap < 2000000, "... capacity %zu, the first doubling past it", cap);
	CHECK(v[1000000 - 1] == 0 && v[9999] == 29998, "... zero at the end, values kept");
	free(v);

	/* appending ids */
	uint32_t *ids = NULL;
	size_t n_ids = 0, cap_ids = 0;
	bool pushed = true;
	for (uint32_t i = 0; i < 100; i++)
		pushed = pushed && array_push_u32(&ids, &n_ids, &cap_ids, i * 7) == 0;
	CHECK(pushed && n_ids == 100 && cap_ids == 128 && ids[0] == 0 && ids[99] == 693,
	      "array_push_u32: 100 ids appended in order, capacity 128");
	free(ids);

	/* size overflow: refused, the array as it was */
	struct wide *w = NULL;
	size_t wcap = 0;
	CHECK_INT(array_reserve((void **)&w, &wcap, 3, sizeof(*w)), 0, "3 wide elements");
	w[2].c = 7;
	struct wide *before = w;
	CHECK_INT(array_reserve((void **)&w, &wcap, SIZE_MAX / sizeof(*w) + 1, sizeof(*w)), -ENOMEM,
		  "a want whose bytes overflow size_t: -ENOMEM");
	CHECK(w == before && wcap == 8 && w[2].c == 7, "... and the array is as it was");
	free(w);
	return tap_done();
}
