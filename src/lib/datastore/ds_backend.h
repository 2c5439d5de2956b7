/* Internal: what a datastore backend implements. datastore.c dispatches here. */
#ifndef CALICO_DS_BACKEND_H
#define CALICO_DS_BACKEND_H

#include "datastore/datastore.h"

struct ds_ops {
	int (*get)(struct ds *ds, const char *key, struct ds_kv *out);
	int (*list)(struct ds *ds, const char *prefix, struct ds_kv_list *out);
	int (*list_pages)(struct ds *ds, const char *prefix, ds_page_fn page, void *ctx, int64_t *rev);
	int (*revision)(struct ds *ds, int64_t *rev);
	int (*read_many)(struct ds *ds, const struct ds_read *reads, size_t n, struct ds_kv_list *out);
	int (*txn)(struct ds *ds, const struct ds_op *ops, size_t n, int64_t *rev_out);
	int (*lease_grant)(struct ds *ds, int ttl_seconds, int64_t *id);
	int (*lease_keepalive)(struct ds *ds, int64_t id);
	int (*lease_revoke)(struct ds *ds, int64_t id);
	int (*watch_open)(struct ds *ds, const char *prefix, int64_t from_rev, struct ds_watch **out);
	int (*watch_next)(struct ds_watch *w, struct ds_event *ev, int timeout_ms);
	int64_t (*watch_revision)(const struct ds_watch *w);
	void (*watch_close)(struct ds_watch *w);
	int (*compact)(struct ds *ds, int64_t rev);
	void (*close)(struct ds *ds);
};

/* Every backend's handle starts with this header. */
struct ds {
	const struct ds_ops *ops;
	enum ds_backend backend;
	char describe[512];
	char err[512];
	/* ds_set_client_cache's slot; backends calloc the handle, so it starts empty. */
	void *client_cache;
	void (*client_cache_free)(void *);
};

/* Records a one-line reason on the handle; returns rc (a -errno) for tail calls. */
int ds_fail(struct ds *ds, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Every backend's watch embeds this first (struct sqlite_watch { struct ds_watch base; ... }),
 * so that dispatch needs no registry. */
struct ds_watch {
	struct ds *ds;
};

int ds_sqlite_open(const struct ds_config *cfg, struct ds **out, char *err, size_t errlen);
int ds_etcd_open(const struct ds_config *cfg, struct ds **out, char *err, size_t errlen);

#endif
