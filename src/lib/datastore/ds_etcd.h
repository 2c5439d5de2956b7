/* Internal to the etcd backend: the handle, shared by ds_etcd.c (key-value,
 * leases) and ds_etcd_watch.c (watches). */
#ifndef CALICO_DS_ETCD_H
#define CALICO_DS_ETCD_H

#include "datastore/ds_backend.h"
#include "datastore/etcd_http.h"

struct etcd_ds {
	struct ds base;
	struct etcd_conn conn;
};

int etcd_watch_open(struct ds *ds, const char *prefix, int64_t from_rev, struct ds_watch **out);
int etcd_watch_next(struct ds_watch *w, struct ds_event *ev, int timeout_ms);
int64_t etcd_watch_revision(const struct ds_watch *w);
void etcd_watch_close(struct ds_watch *w);

#endif
