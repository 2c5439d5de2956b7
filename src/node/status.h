/* Status keys (DESIGN §2): the heartbeat /calico/felix/v1/host/<h>/status
 * under a lease, and /calico/felix/v1/host/<h>/workload/<o>/<w>/endpoint/<id>
 * {"status":"up|down|error"} for each local endpoint, written only when a
 * status changes, deleted when the endpoint goes. */
#ifndef CALICO_NODE_STATUS_H
#define CALICO_NODE_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "datastore/datastore.h"

struct status_entry {
	char *key;
	const char *status; /* a static string */
};

struct status_reporter {
	int64_t lease;
	int64_t started_ms;
	struct status_entry *written; /* sorted by key */
	size_t n_written;
	bool cleaned; /* stale keys of an earlier run are gone */
};

void status_init(struct status_reporter *s, int64_t now_ms);
void status_free(struct status_reporter *s);
/* Puts the heartbeat (granting a lease of ttl seconds when there is none or it
 * expired). 0 or -errno from the datastore. */
int status_heartbeat(struct status_reporter *s, struct ds *ds, const char *host, unsigned ttl, size_t n_endpoints,
		     int64_t now_ms);
/* Brings the status keys of the endpoints whose datastore keys are keys to
 * status (n of them) in one transaction. On failure the next call rewrites
 * everything. */
int status_endpoints(struct status_reporter *s, struct ds *ds, const char *host, const char *const *keys,
		     const char *const *status, size_t n);
/* Forget what was written (the datastore may have lost it): everything is
 * rewritten by the next status_endpoints. */
void status_forget(struct status_reporter *s);

#endif
