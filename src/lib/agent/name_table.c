/* Interned names (name_table.h). */
#include "agent/name_table.h"
#include "util/array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void name_table_init(struct name_table *t)
{
	memset(t, 0, sizeof(*t));
}

void name_table_free(struct name_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	free(t->slots);
	name_table_init(t);
}

static size_t slot_of(const struct name_table *t, const char *name)
{
	size_t i = (size_t)hash_str(name) & (t->n_slots - 1);
	while (t->slots[i] && strcmp(t->names[t->slots[i] - 1], name) != 0)
		i = (i + 1) & (t->n_slots - 1);
	return i;
}

long name_table_find(const struct name_table *t, const char *name)
{
	if (!t->n_slots)
		return -1;
	uint32_t v = t->slots[slot_of(t, name)];
	return v ? (long)v - 1 : -1;
}

static int rehash(struct name_table *t)
{
	size_t ncap = t->n_slots ? t->n_slots * 2 : 64;
	uint32_t *old = t->slots;
	size_t old_n = t->n_slots;

	if (!(t->slots = calloc(ncap, sizeof(*t->slots)))) {
		t->slots = old;
		return -ENOMEM;
	}
	t->n_slots = ncap;
	for (size_t i = 0; i < old_n; i++)
		if (old[i])
			t->slots[slot_of(t, t->names[old[i] - 1])] = old[i];
	free(old);
	return 0;
}

int name_table_intern(struct name_table *t, const char *name, uint32_t *id)
{
	long found = name_table_find(t, name);
	int rc;

	if (found >= 0) {
		*id = (uint32_t)found;
		return 0;
	}
	if ((t->n + 1) * 2 > t->n_slots && (rc = rehash(t)) < 0)
		return rc;
	if (array_reserve((void **)&t->names, &t->cap, t->n + 1, sizeof(*t->names)) < 0)
		return -ENOMEM;
	if (!(t->names[t->n] = strdup(name)))
		return -ENOMEM;
	t->slots[slot_of(t, name)] = (uint32_t)t->n + 1;
	*id = (uint32_t)t->n++;
	return 0;
}

const char *name_table_name(const struct name_table *t, uint32_t id)
{
	return id < t->n ? t->names[id] : "";
}
