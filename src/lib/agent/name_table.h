/* Interned names: each distinct string (a profile or tag name) stored once
 * and named by a small number, so that 100,000 endpoints naming the same
 * profile hold 4 bytes each instead of a copy. Names are kept until the
 * table is freed: they are as many as the distinct names ever seen, which
 * grows with the cluster's profiles, not with its endpoints or churn.
 * Pure logic. Ownership: the table owns every name. */
#ifndef CALICO_NAME_TABLE_H
#define CALICO_NAME_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct name_table {
	char **names;   /* by id */
	size_t n, cap;
	uint32_t *slots; /* open addressing: id + 1, 0 = free */
	size_t n_slots;
};

void name_table_init(struct name_table *t);
void name_table_free(struct name_table *t);
/* The id of name, adding it when new. 0 or -ENOMEM. */
int name_table_intern(struct name_table *t, const char *name, uint32_t *id);
/* The id of name, or -1 when it was never interned. */
long name_table_find(const struct name_table *t, const char *name);
/* The name of an id the table handed out. */
const char *name_table_name(const struct name_table *t, uint32_t id);

#endif
