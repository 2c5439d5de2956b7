/* The driver's own records in the datastore, beside Calico's:
 *   /calico/libnetwork/v1/network/<network id>            {"name": profile}
 *   /calico/libnetwork/v1/host/<host>/endpoint/<endpoint id>  what CreateEndpoint was given
 * Docker names a network only by id in its calls; the first record keeps the
 * profile chosen at CreateNetwork. The second carries an endpoint's
 * addresses from CreateEndpoint to Join (a restart between them loses
 * nothing). Codecs in proto.c. */
#ifndef CALICO_LNW_RECORDS_H
#define CALICO_LNW_RECORDS_H

#include <stddef.h>

#include "datastore/datastore.h"
#include "proto.h"

#define LNW_KEY_PREFIX "/calico/libnetwork/v1/"

/* The network's profile; -ENOENT when there is no record. */
int lnw_network_get(struct ds *ds, const char *network_id, char *profile, size_t len, char *err, size_t errlen);
int lnw_network_put(struct ds *ds, const char *network_id, const char *profile, char *err, size_t errlen);
/* Absent is fine. */
int lnw_network_forget(struct ds *ds, const char *network_id, char *err, size_t errlen);

/* -ENOENT when there is no record. */
int lnw_endpoint_get(struct ds *ds, const char *host, const char *endpoint_id, struct lnw_endpoint_state *s,
		     char *err, size_t errlen);
/* Create-if-absent: -EEXIST when Docker already created this endpoint. */
int lnw_endpoint_put(struct ds *ds, const char *host, const char *endpoint_id, const struct lnw_endpoint_state *s,
		     char *err, size_t errlen);
/* Whether an endpoint of host that Docker has not deleted yet holds ip:
 * 1 (its id in endpoint_id), 0, or -errno. Records that do not decode are
 * skipped. */
int lnw_endpoint_holding(struct ds *ds, const char *host, const struct ip_addr *ip, char *endpoint_id, size_t len,
			 char *err, size_t errlen);
/* Absent is fine. */
int lnw_endpoint_forget(struct ds *ds, const char *host, const char *endpoint_id, char *err, size_t errlen);

#endif
