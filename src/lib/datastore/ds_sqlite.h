/* Internal to the SQLite backend: shared between ds_sqlite.c (store, writes,
 * leases) and ds_sqlite_watch.c (watch). Not part of the datastore contract. */
#ifndef CALICO_DS_SQLITE_H
#define CALICO_DS_SQLITE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "datastore/ds_backend.h"

/* Prepared once per handle, lazily: the hot paths run the same few statements. */
enum sq_stmt {
	ST_BEGIN_READ,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_META_GET,
	ST_META_SET,
	ST_KV_GET,
	ST_KV_LIST,
	ST_KV_LIST_ALL,
	ST_KV_UPSERT,
	ST_KV_DELETE,
	ST_KV_DELETE_RANGE,
	ST_KV_DELETE_RANGE_ALL,
	ST_EV_ADD,
	ST_EV_ADD_RANGE,
	ST_EV_ADD_RANGE_ALL,
	ST_EV_SCAN,
	ST_EV_SCAN_ALL,
	ST_EV_TRIM_FIND,
	ST_EV_TRIM,
	ST_LEASE_ANY_EXPIRED,
	ST_LEASE_EXPIRED_EVENTS,
	ST_LEASE_EXPIRED_KEYS_DELETE,
	ST_LEASE_EXPIRED_DELETE,
	ST_LEASE_INSERT,
	ST_LEASE_LIVE,
	ST_LEASE_TOUCH,
	ST_LEASE_EVENTS,
	ST_LEASE_KEYS_DELETE,
	ST_LEASE_DELETE,
	ST_COUNT
};

struct sq {
	struct ds base;
	sqlite3 *db;
	char *path;
	char *dir;                   /* watched with inotify by watches */
	sqlite3_stmt *st[ST_COUNT];
	int64_t busy_start_ms;
	uint64_t rng;                /* per-handle jitter for lock back-off */
};

/* Transaction kinds for sq_run. */
enum sq_tx { TX_NONE, TX_READ, TX_WRITE };

/* A transaction body returns SQLITE_OK or an SQLite error code; logical
 * outcomes (-ENOENT, -ECANCELED, ...) travel in its argument. sq_run retries
 * the whole body on lock contention, so bodies must reset their outputs. */
typedef int (*sq_body)(struct sq *s, void *arg);
int sq_run(struct sq *s, enum sq_tx tx, sq_body body, void *arg);

/* Returns the reset statement (NULL and *rc set when preparing fails). */
sqlite3_stmt *sq_stmt(struct sq *s, enum sq_stmt id, int *rc);
/* Steps a statement without rows to completion and resets it. */
int sq_step_done(sqlite3_stmt *st);

/* successor(prefix): prefix with its last byte +1 (trailing 0xff bytes
 * dropped first), so "key >= prefix AND key < successor" is an exact bytewise
 * prefix match. *out is NULL when there is none (empty or all-0xff prefix):
 * no upper bound, the caller uses the _ALL statement variant. */
int sq_prefix_successor(const char *prefix, char **out);

int sq_meta_get(struct sq *s, const char *k, int64_t *v);
/* Deletes the keys of every expired lease at a new revision (a write
 * transaction must be open); *rev gets the store revision afterwards. */
int sq_sweep(struct sq *s, int64_t now_ms, int64_t *rev);
/* Runs sq_sweep in its own write transaction when some lease has expired. */
int sq_sweep_if_due(struct sq *s);

int64_t sq_wall_ms(void);
int64_t sq_mono_ms(void);
char *sq_col_strdup(sqlite3_stmt *st, int col);

int sq_watch_open(struct ds *ds, const char *prefix, int64_t from_rev, struct ds_watch **out);
int sq_watch_next(struct ds_watch *w, struct ds_event *ev, int timeout_ms);
int64_t sq_watch_revision(const struct ds_watch *w);
void sq_watch_close(struct ds_watch *w);

#endif
