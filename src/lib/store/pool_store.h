/* IP pools in the datastore: /calico/v1/ipam/v4/pool/<cidr-key> and v6. */
#ifndef CALICO_POOL_STORE_H
#define CALICO_POOL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "datastore/datastore.h"
#include "model/model.h"

struct pool_entry {
	struct pool pool;
	int64_t mod_rev;
};

/* family 4, 6, or 0 for both (v4 first); each family sorted by address.
 * A value that does not decode is skipped with a warning. */
int pool_list(struct ds *ds, int family, struct pool_entry **out, size_t *n);
/* The datastore key of a pool's CIDR. NULL on overflow. */
char *pool_key(char *buf, const struct cidr *c);

#endif
