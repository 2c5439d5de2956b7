/* The datastore: one interface, two backends (SQLite file, etcd v3 gateway).
 * DESIGN §2. Every function returns 0 or -errno; a human one-line reason for
 * the last failure is available from ds_strerror() (e.g. "cannot reach etcd at
 * http://127.0.0.1:2379: connection refused").
 *
 * Revisions are etcd's: one global counter that every successful write bumps;
 * each key carries create_rev and mod_rev. Values are text (JSON). */
#ifndef CALICO_DATASTORE_H
#define CALICO_DATASTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;

struct ds_kv {
	char *key;
	char *value;
	int64_t create_rev;
	int64_t mod_rev;
	int64_t lease; /* 0 = none */
};

struct ds_kv_list {
	struct ds_kv *items; /* sorted by key, bytewise */
	size_t n;
	int64_t rev; /* store revision at which the list was read */
};

void ds_kv_free(struct ds_kv *kv);
void ds_kv_list_free(struct ds_kv_list *l);

/* ---- opening ---- */

enum ds_backend { DS_SQLITE, DS_ETCD };

struct ds_config {
	enum ds_backend backend;
	const char *sqlite_path;     /* DS_SQLITE */
	const char *etcd_endpoints;  /* DS_ETCD: "http://a:2379,http://b:2379" */
	const char *etcd_ca_cert;    /* optional TLS */
	const char *etcd_cert;
	const char *etcd_key;
	int timeout_ms;              /* per request; 0 = default (5000) */
};

/* Opens per cfg. On failure returns -errno and writes a one-line reason to err. */
int ds_open(const struct ds_config *cfg, struct ds **out, char *err, size_t errlen);
/* Picks the backend from the environment, as Calico users set it:
 *   CALICO_DATASTORE=sqlite:PATH | etcd
 *   ETCD_ENDPOINTS (comma list of URLs) or ETCD_AUTHORITY (host:port) -> etcd
 *   ETCD_CA_CERT_FILE, ETCD_CERT_FILE, ETCD_KEY_FILE                  -> TLS
 *   otherwise SQLite at $CALICO_STATE_DIR/calico.db (default /var/lib/calico/calico.db). */
int ds_open_env(struct ds **out, char *err, size_t errlen);
void ds_close(struct ds *ds);
enum ds_backend ds_backend_of(const struct ds *ds);
/* "sqlite:/var/lib/calico/calico.db" or "etcd:http://..." for messages. */
const char *ds_describe(const struct ds *ds);
/* The reason for the last failed call on this handle ("" if none). */
const char *ds_strerror(const struct ds *ds);

/* ---- reads ---- */

/* -ENOENT when absent. */
int ds_get(struct ds *ds, const char *key, struct ds_kv *out);
/* Every key starting with prefix, sorted. An empty list is not an error. */
int ds_list(struct ds *ds, const char *prefix, struct ds_kv_list *out);
/* The same keys, one page (at most DS_PAGE_KEYS) at a time, so that reading a
 * large store never holds all of it: page() gets each page in key order (its
 * items are page()'s to take: a taken item is left zeroed) and returns 0 to go
 * on or a -errno, which stops the read and is returned. page(ctx, NULL) means
 * "start over": the backend is retrying the read at a newer snapshot, and what
 * earlier pages gave is void. The pages are one consistent snapshot, at
 * revision *rev. */
#define DS_PAGE_KEYS 1000
typedef int (*ds_page_fn)(void *ctx, struct ds_kv_list *page);
int ds_list_pages(struct ds *ds, const char *prefix, ds_page_fn page, void *ctx, int64_t *rev);
int ds_revision(struct ds *ds, int64_t *rev);

/* Several reads from one snapshot, in one round trip on etcd (one
 * transaction of ranges) and one read transaction on SQLite: for a client
 * that needs a handful of unrelated keys before it can act. out[i] answers
 * reads[i]: every key under a prefix (sorted), or the key itself, 0 or 1
 * item. out is n lists the caller frees with ds_kv_list_free; on failure
 * they are left empty. */
struct ds_read {
	const char *key;
	bool prefix;
};
int ds_read_many(struct ds *ds, const struct ds_read *reads, size_t n, struct ds_kv_list *out);

/* ---- writes: one atomic transaction of several operations ---- */

enum ds_op_type {
	DS_OP_PUT,           /* set value unconditionally */
	DS_OP_CREATE,        /* set value; the key must be absent, else -EEXIST */
	DS_OP_CAS,           /* set value; key's mod_rev must equal mod_rev (0 = must be absent), else -ECANCELED */
	DS_OP_DELETE,        /* delete; mod_rev 0 = unconditional (absent is fine), else must equal, else -ECANCELED */
	DS_OP_DELETE_PREFIX, /* delete every key under key (a prefix) */
	DS_OP_CHECK,         /* no write; key's mod_rev must equal mod_rev (0 = must be absent), else -ECANCELED */
};

struct ds_op {
	enum ds_op_type type;
	const char *key;
	const char *value; /* PUT, CREATE, CAS */
	int64_t mod_rev;   /* CAS, DELETE, CHECK */
	int64_t lease;     /* PUT, CREATE, CAS: attach to this lease (0 = none) */
};

/* All operations apply, or none does. rev_out (may be NULL) gets the new store
 * revision. A transaction with conditions that fail returns -EEXIST (a CREATE
 * found the key) or -ECANCELED (a CAS/DELETE/CHECK revision did not match). */
int ds_txn(struct ds *ds, const struct ds_op *ops, size_t n, int64_t *rev_out);

/* Conveniences over ds_txn. */
int ds_put(struct ds *ds, const char *key, const char *value);
int ds_create(struct ds *ds, const char *key, const char *value);
int ds_cas(struct ds *ds, const char *key, const char *value, int64_t mod_rev);
int ds_delete(struct ds *ds, const char *key); /* -ENOENT when absent */
int ds_delete_prefix(struct ds *ds, const char *prefix);

/* ---- leases ---- */

int ds_lease_grant(struct ds *ds, int ttl_seconds, int64_t *id);
int ds_lease_keepalive(struct ds *ds, int64_t id); /* -ENOENT when expired/unknown */
int ds_lease_revoke(struct ds *ds, int64_t id);    /* deletes its keys */
int ds_put_lease(struct ds *ds, const char *key, const char *value, int64_t lease);

/* ---- watch ---- */

enum ds_event_type { DS_EV_PUT, DS_EV_DELETE };

struct ds_event {
	enum ds_event_type type;
	char *key;
	char *value;    /* NULL for DELETE */
	int64_t mod_rev; /* revision of this event */
};

void ds_event_free(struct ds_event *ev);

struct ds_watch;

/* Watches every key under prefix, delivering events with revision >= from_rev
 * in revision order (from_rev 0 = from now on). */
int ds_watch_open(struct ds *ds, const char *prefix, int64_t from_rev, struct ds_watch **out);
/* Waits up to timeout_ms (-1 = forever) for the next event.
 *   0          an event in *ev (free with ds_event_free)
 *   -ETIMEDOUT nothing yet
 *   -ESTALE    history from the requested revision was compacted: the caller
 *              must re-list and open a new watch from the list's revision + 1
 *   other      connection trouble that reconnecting did not fix (the watch stays
 *              usable; calling again retries from the last delivered revision) */
int ds_watch_next(struct ds_watch *w, struct ds_event *ev, int timeout_ms);
/* Revision of the last event delivered (or from_rev - 1); while more events of
 * that revision (one transaction) are still to come, one less, so a watch
 * reopened from this + 1 misses nothing (it may repeat part of a transaction). */
int64_t ds_watch_revision(const struct ds_watch *w);
void ds_watch_close(struct ds_watch *w);

/* ---- a client's cache, tied to the handle ---- */

/* One slot per handle for what a client learnt through it (IPAM keeps the
 * blocks it last wrote here). A cache of revisions is only meaningful for the
 * store it came from, so it lives and dies with the handle: ds_close calls
 * free_fn, and setting a new cache frees the old one. */
void *ds_client_cache(struct ds *ds);
void ds_set_client_cache(struct ds *ds, void *cache, void (*free_fn)(void *));

/* ---- testing and maintenance ---- */

/* Drops history before rev (watches from older revisions get -ESTALE). */
int ds_compact(struct ds *ds, int64_t rev);

#endif
