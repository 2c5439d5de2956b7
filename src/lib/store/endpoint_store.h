/* Endpoints in the datastore:
 * /calico/v1/host/<host>/workload/<orch>/<workload>/endpoint/<id> */
#ifndef CALICO_ENDPOINT_STORE_H
#define CALICO_ENDPOINT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "datastore/datastore.h"
#include "model/model.h"

struct endpoint_ref {
	char host[256];
	char orch[128];
	char workload[256];
	char id[256];
};

/* -EINVAL when key is not an endpoint key. */
int endpoint_key_parse(const char *key, struct endpoint_ref *ref);

struct endpoint_entry {
	struct endpoint_ref ref;
	struct endpoint ep;
	int64_t mod_rev;
};

/* Every endpoint (of one host when host is non-NULL), sorted by key. Values
 * that do not decode are skipped with a warning in the log, so one bad record
 * does not hide the others. *out stays NULL when *n is 0. */
int endpoint_list(struct ds *ds, const char *host, struct endpoint_entry **out, size_t *n);
/* The same for the endpoints whose keys start with prefix (one workload's,
 * say); keys under it that are not endpoints are skipped. */
int endpoint_list_under(struct ds *ds, const char *prefix, struct endpoint_entry **out, size_t *n);
void endpoint_entries_free(struct endpoint_entry *e, size_t n);

#endif
