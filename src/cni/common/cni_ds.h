/* What both plugins need from the config before touching anything: the
 * datastore it names (config keys first, then the environment, as Calico's
 * plugin did) and this host's name in it. Also STATUS's checks. */
#ifndef CALICO_CNI_DS_H
#define CALICO_CNI_DS_H

#include <stddef.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "datastore/datastore.h"

/* etcd_endpoints, else etcd_authority (http://), with the etcd_*_file TLS
 * files -> etcd; "datastore": "sqlite:PATH" -> SQLite; otherwise the
 * environment (CALICO_DATASTORE, ETCD_ENDPOINTS, ETCD_AUTHORITY, ...).
 * Failure is code 11 (try again later) with the store's reason. */
int cni_ds_open(const struct cni_conf *c, struct ds **out, struct cni_error *e);

/* "nodename", else HOSTNAME, else $CALICO_STATE_DIR/nodename, else the OS
 * host name. Code 7 when none is usable. */
int cni_host(const struct cni_conf *c, char *buf, size_t len, struct cni_error *e);

/* STATUS: the datastore answers (else 51: ADDs fail and the agents cannot
 * follow changes) and each family the config assigns has free addresses in
 * the pools it may use (else 50). */
int cni_status_check(struct ds *ds, const struct cni_conf *c, struct cni_error *e);

#endif
