/* The engine's counted sets: counts against a plain array under random
 * churn, growth from an empty map, and shrinking back once emptied. */
#include <stdlib.h>

#include "agent/count_map.h"
#include "tap.h"

#define SPACE 512

static struct count_key keys[SPACE + 2];

/* a pointer to key i (made once) */
static const struct count_key *key(unsigned i)
{
	keys[i] = count_key_u64(0x9e3779b97f4a7c15ULL * (i + 1));
	return &keys[i];
}

int main(void)
{
	struct count_map m = { 0 };
	static unsigned want[SPACE];
	size_t live = 0;
	bool counts_ok = true, n_ok = true;

	/* one key: the smallest table that holds it */
	CHECK_INT(count_map_add(&m, key(1), 1), 1, "first key: count 1");
	CHECK(m.cap == 4, "an empty map grows to 4 slots, not more (cap %zu)", m.cap);
	CHECK_INT(count_map_add(&m, key(1), 1), 2, "the same key again: count 2");
	CHECK_INT(count_map_add(&m, key(2), -1), 0, "removing an absent key gives 0");
	CHECK_INT(count_map_add(&m, key(1), -1), 1, "one less: 1");
	CHECK_INT(count_map_add(&m, key(1), -1), 0, "and it leaves the map");
	CHECK_INT((long)m.n, 0, "the map is empty");
	count_map_free(&m);

	/* churn: SPACE keys, counts 0..3, checked against the array after every step */
	srand(7);
	for (int step = 0; step < 20000; step++) {
		unsigned i = (unsigned)rand() % SPACE;
		int delta = (rand() % 2 && want[i] < 3) ? 1 : -1;
		const struct count_key *k = key(i);
		long got = count_map_add(&m, k, delta);
		if (delta > 0)
			live += want[i]++ == 0;
		else if (want[i])
			live -= --want[i] == 0;
		if (got != (long)want[i] || count_map_get(&m, k) != want[i])
			counts_ok = false;
		if (m.n != live)
			n_ok = false;
	}
	CHECK(counts_ok, "every count agrees with the reference through 20,000 random steps");
	CHECK(n_ok, "the number of keys agrees with the reference throughout");
	bool others = true;
	for (unsigned i = 0; i < SPACE; i++)
		others &= count_map_get(&m, key(i)) == want[i];
	CHECK(others, "a final read of every key agrees");

	/* emptied: the table shrinks back */
	size_t peak = m.cap;
	for (unsigned i = 0; i < SPACE; i++)
		while (want[i]) {
			count_map_add(&m, key(i), -1);
			want[i]--;
		}
	CHECK_INT((long)m.n, 0, "all removed");
	CHECK(m.cap < peak, "the table shrank once emptied (%zu -> %zu slots)", peak, m.cap);
	count_map_free(&m);
	return tap_done();
}
