/* calico-libnetwork's driver: one handler per plugin call, over the
 * datastore, the kernel (workload_create) and Docker's API (for network
 * names). Calls are served one at a time by one thread (server.c), so the
 * datastore handle is never shared. */
#ifndef CALICO_LNW_DRIVER_H
#define CALICO_LNW_DRIVER_H

#include <jansson.h>
#include <stddef.h>

#include "datastore.h"
#include "ipam_handle.h"
#include "nodename.h"
#include "proto.h"

struct lnw {
	struct ds *ds;
	char host[HOSTNAME_MAX + 1];
	const char *scope;          /* "local" (default) or "global" */
	const char *docker_socket;  /* Docker's API, for network names; NULL: never asked */
	/* IPAM handle of every address this driver hands out on this host:
	 * "libnetwork.<host>". Docker's RequestAddress says nothing about the
	 * endpoint to come, so one stable handle per host it is. */
	char handle[HOSTNAME_MAX + 16];
};

/* One call: 0 with *reply (NULL = {}), or -errno with a one-line reason in
 * err (answered {"Err": err}). */
int lnw_handle(struct lnw *d, enum lnw_call call, json_t *body, json_t **reply, char *err, size_t errlen);

/* The profile of a network: the recorded one, else learnt from Docker now
 * (created and recorded). */
int lnw_network_profile(struct lnw *d, const char *network_id, char *profile, size_t len, char *err, size_t errlen);

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
