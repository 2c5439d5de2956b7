/* calico-libnetwork's driver: one handler per plugin call, over the
 * datastore, the kernel (workload_create) and Docker's API (for network
 * names). Calls are served one at a time by one thread (server.c), so the
 * datastore handle is never shared. */
#ifndef CALICO_LNW_DRIVER_H
#define CALICO_LNW_DRIVER_H

#include <jansson.h>
#include <stddef.h>

#include "datastore/datastore.h"
#include "ipam/ipam_handle.h"
#include "util/nodename.h"
#include "proto.h"

#define LNW_PENDING_MAX 64
#define LNW_LEARN_MS    10000
#define LNW_TICK_MS     100

struct lnw {
	struct ds *ds;
	char host[HOSTNAME_MAX + 1];
	const char *scope;          /* "local" (default) or "global" */
	const char *docker_socket;  /* Docker's API, for network names; NULL: never asked */
	/* IPAM handle of every address this driver hands out on this host:
	 * "libnetwork.<host>". Docker's RequestAddress says nothing about the
	 * endpoint to come, so one stable handle per host it is. */
	char handle[HOSTNAME_MAX + 16];
	/* Networks whose name Docker could not tell yet: Docker calls
	 * CreateNetwork before it stores the network, so GET /networks/<id>
	 * answers 404 during the call. The main loop asks again right after
	 * (lnw_learn_names) until Docker knows or LNW_LEARN_MS passed. */
	struct lnw_pending {
		char network_id[LNW_ID_MAX + 1];
		long deadline_ms;
	} pending[LNW_PENDING_MAX];
	size_t n_pending;
	/* Endpoints joined whose container's labels are not in their record
	 * yet (container_labels.c): asked of Docker by the main loop after
	 * Join, never during it. */
	struct lnw_label_wait {
		char endpoint_id[LNW_ID_MAX + 1];
		char network_id[LNW_ID_MAX + 1];
		long deadline_ms, next_ms;
	} label_waits[LNW_PENDING_MAX];
	size_t n_label_waits;
};

/* CLOCK_MONOTONIC in milliseconds. */
long lnw_now_ms(void);

/* One call: 0 with *reply (NULL = {}), or -errno with a one-line reason in
 * err (answered {"Err": err}). */
int lnw_handle(struct lnw *d, enum lnw_call call, json_t *body, json_t **reply, char *err, size_t errlen);

/* The profile of a network: the recorded one, else learnt from Docker now
 * (created and recorded). */
int lnw_network_profile(struct lnw *d, const char *network_id, char *profile, size_t len, char *err, size_t errlen);

/* The main loop's tick: asks Docker again for the names of pending
 * networks; a name learnt gets its profile and record. */
void lnw_learn_names(struct lnw *d);

/* After a Join: the container's labels are to be learnt from Docker and
 * patched into the endpoint's record (container_labels.c). */
void lnw_labels_wait(struct lnw *d, const char *endpoint_id, const char *network_id);
/* The endpoint is gone (Leave, DeleteEndpoint): no more waiting for it. */
void lnw_labels_forget(struct lnw *d, const char *endpoint_id);
/* The main loop's tick for them: at most one question to Docker. */
void lnw_learn_labels(struct lnw *d);
/* Every tick's work: names, then labels. */
void lnw_tick(struct lnw *d);

int lnw_network_create(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_network_delete(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_endpoint_create(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_endpoint_delete(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_join(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_leave(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_request_pool(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_request_address(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);
int lnw_release_address(struct lnw *d, json_t *body, json_t **reply, char *err, size_t errlen);

/* Removes Calico's endpoint record of a Docker endpoint and its cali
 * interface (either may be gone already). The addresses the record held are
 * appended to *addrs (malloc'd) when addrs is non-NULL. */
int lnw_endpoint_unmake(struct lnw *d, const char *endpoint_id, struct ip_addr **addrs, size_t *n_addrs, char *err,
			size_t errlen);

/* On start: endpoints of this host under orchestrator libnetwork whose
 * cali interface is gone (the container died while nobody told us, e.g.
 * dockerd was killed) lose their record and driver state, and their
 * addresses go back to IPAM. *removed (may be NULL) gets how many. */
int lnw_reconcile(struct lnw *d, size_t *removed, char *err, size_t errlen);

#endif
