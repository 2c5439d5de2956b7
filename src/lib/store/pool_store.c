#include "store/pool_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"
#include "util/log.h"

char *pool_key(char *buf, const struct cidr *c)
{
	char ck[CIDR_STR_MAX];
	return key_pool(buf, c->addr.family, cidr_to_key(c, ck));
}

static int cmp_pool(const void *a, const void *b)
{
	const struct pool_entry *x = a, *y = b;
	int c = ip_cmp(&x->pool.cidr.addr, &y->pool.cidr.addr);
	return c ? c : x->pool.cidr.prefix - y->pool.cidr.prefix;
}

static int list_family(struct ds *ds, int family, struct pool_entry **v, size_t *n)
{
	struct ds_kv_list l = { 0 };
	int rc = ds_list(ds, family == 6 ? KEY_POOL_V6_PREFIX : KEY_POOL_V4_PREFIX, &l);
	if (rc < 0)
		return rc;
	struct pool_entry *grown = realloc(*v, (*n + l.n + 1) * sizeof(**v));
	if (!grown) {
		ds_kv_list_free(&l);
		return -ENOMEM;
	}
	*v = grown;
	size_t first = *n;
	for (size_t i = 0; i < l.n; i++) {
		char err[MODEL_ERR_MAX];
		struct pool_entry *e = &(*v)[*n];
		memset(e, 0, sizeof(*e));
		if (pool_decode(l.items[i].value, &e->pool, err, sizeof(err)) < 0 || e->pool.cidr.addr.family != family) {
			log_warn("skipping pool %s: %s", l.items[i].key, err);
			continue;
		}
		e->mod_rev = l.items[i].mod_rev;
		(*n)++;
	}
	qsort(*v + first, *n - first, sizeof(**v), cmp_pool);
	ds_kv_list_free(&l);
	return 0;
}

int pool_list(struct ds *ds, int family, struct pool_entry **out, size_t *n)
{
	struct pool_entry *v = NULL;
	size_t count = 0;
	int rc = 0;

	if (family == 0 || family == 4)
		rc = list_family(ds, 4, &v, &count);
	if (rc == 0 && (family == 0 || family == 6))
		rc = list_family(ds, 6, &v, &count);
	if (rc < 0) {
		free(v);
		*out = NULL;
		*n = 0;
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}
