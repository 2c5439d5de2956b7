/* Backend-independent part of the datastore: dispatch, environment, helpers. */
#include "datastore/datastore.h"
#include "datastore/ds_backend.h"
#include "util/fault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ds_kv_free(struct ds_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void ds_kv_list_free(struct ds_kv_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		ds_kv_free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void ds_event_free(struct ds_event *ev)
{
	if (!ev)
		return;
	free(ev->key);
	free(ev->value);
	memset(ev, 0, sizeof(*ev));
}

int ds_fail(struct ds *ds, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ds->err, sizeof(ds->err), fmt, ap);
	va_end(ap);
	return rc;
}

int ds_open(const struct ds_config *cfg, struct ds **out, char *err, size_t errlen)
{
	switch (cfg->backend) {
	case DS_SQLITE:
		return ds_sqlite_open(cfg, out, err, errlen);
	case DS_ETCD:
		return ds_etcd_open(cfg, out, err, errlen);
	}
	snprintf(err, errlen, "unknown datastore backend");
	return -EINVAL;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return (v && *v) ? v : NULL;
}

int ds_open_env(struct ds **out, char *err, size_t errlen)
{
	struct ds_config cfg = { 0 };
	char endpoints[1024];
	char sqlite_path[4096];
	const char *sel = env_nonempty("CALICO_DATASTORE");
	const char *eps = env_nonempty("ETCD_ENDPOINTS");
	const char *authority = env_nonempty("ETCD_AUTHORITY");

	cfg.etcd_ca_cert = env_nonempty("ETCD_CA_CERT_FILE");
	cfg.etcd_cert = env_nonempty("ETCD_CERT_FILE");
	cfg.etcd_key = env_nonempty("ETCD_KEY_FILE");

	if (sel && strncmp(sel, "sqlite:", 7) == 0) {
		cfg.backend = DS_SQLITE;
		cfg.sqlite_path = sel + 7;
		if (!*cfg.sqlite_path) {
			snprintf(err, errlen, "CALICO_DATASTORE=sqlite: needs a path (sqlite:/path/to/calico.db)");
			return -EINVAL;
		}
		return ds_open(&cfg, out, err, errlen);
	}
	if (sel && strcmp(sel, "sqlite") != 0 && strcmp(sel, "etcd") != 0) {
		snprintf(err, errlen, "CALICO_DATASTORE '%s' is not one of sqlite:PATH, sqlite, etcd", sel);
		return -EINVAL;
	}
	if ((sel && strcmp(sel, "etcd") == 0) || ((!sel) && (eps || authority))) {
		cfg.backend = DS_ETCD;
		if (eps) {
			cfg.etcd_endpoints = eps;
		} else {
			/* ETCD_AUTHORITY is host:port; the scheme follows whether TLS files are set. */
			const char *scheme = cfg.etcd_ca_cert || cfg.etcd_cert ? "https" : "http";
			snprintf(endpoints, sizeof(endpoints), "%s://%s", scheme, authority ? authority : "127.0.0.1:2379");
			cfg.etcd_endpoints = endpoints;
		}
		return ds_open(&cfg, out, err, errlen);
	}
	const char *state_dir = env_nonempty("CALICO_STATE_DIR");
	snprintf(sqlite_path, sizeof(sqlite_path), "%s/calico.db", state_dir ? state_dir : "/var/lib/calico");
	cfg.backend = DS_SQLITE;
	cfg.sqlite_path = sqlite_path;
	return ds_open(&cfg, out, err, errlen);
}

void ds_close(struct ds *ds)
{
	if (ds) {
		ds_set_client_cache(ds, NULL, NULL);
		ds->ops->close(ds);
	}
}

void *ds_client_cache(struct ds *ds)
{
	return ds->client_cache;
}

void ds_set_client_cache(struct ds *ds, void *cache, void (*free_fn)(void *))
{
	if (ds->client_cache && ds->client_cache_free)
		ds->client_cache_free(ds->client_cache);
	ds->client_cache = cache;
	ds->client_cache_free = free_fn;
}

enum ds_backend ds_backend_of(const struct ds *ds)
{
	return ds->backend;
}

const char *ds_describe(const struct ds *ds)
{
	return ds->describe;
}

const char *ds_strerror(const struct ds *ds)
{
	return ds->err;
}

int ds_get(struct ds *ds, const char *key, struct ds_kv *out)
{
	ds->err[0] = '\0';
	return ds->ops->get(ds, key, out);
}

int ds_list(struct ds *ds, const char *prefix, struct ds_kv_list *out)
{
	ds->err[0] = '\0';
	return ds->ops->list(ds, prefix, out);
}

int ds_list_pages(struct ds *ds, const char *prefix, ds_page_fn page, void *ctx, int64_t *rev)
{
	ds->err[0] = '\0';
	return ds->ops->list_pages(ds, prefix, page, ctx, rev);
}

int ds_read_many(struct ds *ds, const struct ds_read *reads, size_t n, struct ds_kv_list *out)
{
	ds->err[0] = '\0';
	memset(out, 0, n * sizeof(*out));
	if (n == 0)
		return 0;
	int rc = ds->ops->read_many(ds, reads, n, out);
	if (rc < 0)
		for (size_t i = 0; i < n; i++)
			ds_kv_list_free(&out[i]);
	return rc;
}

int ds_revision(struct ds *ds, int64_t *rev)
{
	ds->err[0] = '\0';
	return ds->ops->revision(ds, rev);
}

int ds_txn(struct ds *ds, const struct ds_op *ops, size_t n, int64_t *rev_out)
{
	ds->err[0] = '\0';
	if (n == 0)
		return ds_revision(ds, rev_out ? rev_out : &(int64_t){ 0 });
	fault_point("txn-before");
	int rc = ds->ops->txn(ds, ops, n, rev_out);
	fault_point("txn-after");
	return rc;
}

int ds_put(struct ds *ds, const char *key, const char *value)
{
	struct ds_op op = { .type = DS_OP_PUT, .key = key, .value = value };
	return ds_txn(ds, &op, 1, NULL);
}

int ds_put_lease(struct ds *ds, const char *key, const char *value, int64_t lease)
{
	struct ds_op op = { .type = DS_OP_PUT, .key = key, .value = value, .lease = lease };
	return ds_txn(ds, &op, 1, NULL);
}

int ds_create(struct ds *ds, const char *key, const char *value)
{
	struct ds_op op = { .type = DS_OP_CREATE, .key = key, .value = value };
	return ds_txn(ds, &op, 1, NULL);
}

int ds_cas(struct ds *ds, const char *key, const char *value, int64_t mod_rev)
{
	struct ds_op op = { .type = DS_OP_CAS, .key = key, .value = value, .mod_rev = mod_rev };
	return ds_txn(ds, &op, 1, NULL);
}

int ds_delete(struct ds *ds, const char *key)
{
	struct ds_kv kv = { 0 };
	/* Delete exactly the version we saw, so "absent" is reported truthfully. */
	for (;;) {
		int rc = ds_get(ds, key, &kv);
		if (rc < 0)
			return rc;
		struct ds_op op = { .type = DS_OP_DELETE, .key = key, .mod_rev = kv.mod_rev };
		ds_kv_free(&kv);
		rc = ds_txn(ds, &op, 1, NULL);
		if (rc != -ECANCELED)
			return rc;
	}
}

int ds_delete_prefix(struct ds *ds, const char *prefix)
{
	struct ds_op op = { .type = DS_OP_DELETE_PREFIX, .key = prefix };
	return ds_txn(ds, &op, 1, NULL);
}

int ds_lease_grant(struct ds *ds, int ttl_seconds, int64_t *id)
{
	ds->err[0] = '\0';
	if (ttl_seconds <= 0)
		return ds_fail(ds, -EINVAL, "lease TTL must be positive, got %d", ttl_seconds);
	return ds->ops->lease_grant(ds, ttl_seconds, id);
}

int ds_lease_keepalive(struct ds *ds, int64_t id)
{
	ds->err[0] = '\0';
	return ds->ops->lease_keepalive(ds, id);
}

int ds_lease_revoke(struct ds *ds, int64_t id)
{
	ds->err[0] = '\0';
	return ds->ops->lease_revoke(ds, id);
}

int ds_watch_open(struct ds *ds, const char *prefix, int64_t from_rev, struct ds_watch **out)
{
	ds->err[0] = '\0';
	return ds->ops->watch_open(ds, prefix, from_rev, out);
}

int ds_watch_next(struct ds_watch *w, struct ds_event *ev, int timeout_ms)
{
	return w->ds->ops->watch_next(w, ev, timeout_ms);
}

int64_t ds_watch_revision(const struct ds_watch *w)
{
	return w->ds->ops->watch_revision(w);
}

void ds_watch_close(struct ds_watch *w)
{
	if (w)
		w->ds->ops->watch_close(w);
}

int ds_compact(struct ds *ds, int64_t rev)
{
	ds->err[0] = '\0';
	return ds->ops->compact(ds, rev);
}
