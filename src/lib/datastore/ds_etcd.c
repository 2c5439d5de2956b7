/* Datastore backend: etcd v3 through its JSON gateway (DESIGN §2, LAB-NOTES §2).
 * One reused curl easy handle per ds keeps the connection alive (~0.5 ms a
 * request); endpoints are tried in order and a connection failure moves on to
 * the next. Request bodies and response parsing live in etcd_json.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datastore/curl_dl.h"

#include "datastore/ds_etcd.h"
#include "datastore/etcd_json.h"

static struct etcd_conn *conn_of(struct ds *ds)
{
	return &((struct etcd_ds *)ds)->conn;
}

/* POSTs body to path; on HTTP 200 *resp gets the body (caller frees). Records
 * the reason on ds for any failure. */
static int post(struct ds *ds, const char *path, const char *body, char **resp)
{
	char msg[sizeof(ds->err)];
	int rc;

	if (!body)
		return ds_fail(ds, -ENOMEM, "out of memory building an etcd request");
	rc = etcd_http_post(conn_of(ds), path, body, resp, msg, sizeof(msg));
	if (rc < 0)
		return ds_fail(ds, rc, "%s", msg);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* For requests that change nothing: while a cluster elects a leader ("leader
 * changed", "no leader": Unavailable) they are retried within the timeout.
 * Writes are not, since such a write may or may not have been applied. */
static int post_read(struct ds *ds, const char *path, const char *body, char **resp)
{
	int64_t end = now_ms() + conn_of(ds)->timeout_ms;
	long pause_ms = 20;
	int rc;

	while ((rc = post(ds, path, body, resp)) == -EAGAIN && now_ms() + pause_ms < end) {
		nanosleep(&(struct timespec){ .tv_nsec = pause_ms * 1000000L }, NULL);
		pause_ms = pause_ms * 2 > 500 ? 500 : pause_ms * 2;
	}
	return rc;
}

static int proto_fail(struct ds *ds, int rc, const char *what)
{
	if (rc == -ENOMEM)
		return ds_fail(ds, rc, "out of memory reading etcd's %s response", what);
	return ds_fail(ds, -EPROTO, "unexpected %s response from etcd at %s", what, etcd_http_url(conn_of(ds)));
}

static int etcd_get(struct ds *ds, const char *key, struct ds_kv *out)
{
	struct ds_kv_list l = { 0 };
	char *body = etcd_req_range(key, strlen(key), NULL, 0, 0, false);
	char *resp = NULL;
	int rc;

	rc = post_read(ds, "/v3/kv/range", body, &resp);
	if (rc < 0)
		goto out;
	if ((rc = etcd_parse_range(resp, &l, NULL)) < 0) {
		rc = proto_fail(ds, rc, "range");
		goto out;
	}
	if (l.n == 0) {
		rc = ds_fail(ds, -ENOENT, "%s: not found", key);
		goto out;
	}
	*out = l.items[0];
	memset(&l.items[0], 0, sizeof(l.items[0]));
out:
	ds_kv_list_free(&l);
	free(body);
	free(resp);
	return rc;
}

/* Pages keep responses small on big prefixes; every page reads the revision of
 * the first so the list is one consistent snapshot (a compaction past it in
 * between fails the read: the caller starts again). */
static int etcd_list_pages(struct ds *ds, const char *prefix, ds_page_fn page, void *ctx, int64_t *rev_out)
{
	struct ds_kv_list l = { 0 };
	char *from = strdup(prefix), *next = NULL;
	size_t from_len = strlen(prefix);
	int64_t rev = 0;
	bool more = true;
	int rc = 0;

	if (!from)
		return ds_fail(ds, -ENOMEM, "out of memory");
	while (more) {
		char *body = etcd_req_range(from, from_len, prefix, rev, DS_PAGE_KEYS, false);
		char *resp = NULL;
		rc = post_read(ds, "/v3/kv/range", body, &resp);
		free(body);
		if (rc < 0)
			goto out;
		rc = etcd_parse_range(resp, &l, &more);
		free(resp);
		if (rc < 0) {
			rc = proto_fail(ds, rc, "range");
			goto out;
		}
		if (rev == 0)
			rev = l.rev;
		l.rev = rev;
		if (l.n == 0)
			break;
		/* Continue just after the last key: last key + "\0" (taken before page() may take the item). */
		size_t len = strlen(l.items[l.n - 1].key);
		if (!(next = malloc(len + 1))) {
			rc = ds_fail(ds, -ENOMEM, "out of memory");
			goto out;
		}
		memcpy(next, l.items[l.n - 1].key, len + 1);
		if ((rc = page(ctx, &l)) < 0)
			goto out;
		ds_kv_list_free(&l);
		free(from);
		from = next;
		from_len = len + 1;
		next = NULL;
	}
	*rev_out = rev;
out:
	ds_kv_list_free(&l);
	free(from);
	free(next);
	return rc;
}

/* ds_list gathers the pages into one list. */
static int gather_page(void *ctx, struct ds_kv_list *page)
{
	struct ds_kv_list *all = ctx;
	if (!page) {
		ds_kv_list_free(all);
		return 0;
	}
	struct ds_kv *items = realloc(all->items, (all->n + page->n) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	all->items = items;
	memcpy(all->items + all->n, page->items, page->n * sizeof(*items));
	all->n += page->n;
	free(page->items); /* the items moved: only the array goes */
	page->items = NULL;
	page->n = 0;
	return 0;
}

static int etcd_list(struct ds *ds, const char *prefix, struct ds_kv_list *out)
{
	struct ds_kv_list l = { 0 };
	int rc = etcd_list_pages(ds, prefix, gather_page, &l, &l.rev);
	if (rc == -ENOMEM && !ds->err[0])
		rc = ds_fail(ds, rc, "out of memory");
	if (rc < 0) {
		ds_kv_list_free(&l);
		return rc;
	}
	*out = l;
	return 0;
}

/* One transaction of ranges, retried like any read. A prefix read is not
 * paged here (a transaction's range has no continuation): it is for the few
 * small prefixes (pools, config) a client reads before acting. */
static int etcd_read_many(struct ds *ds, const struct ds_read *reads, size_t n, struct ds_kv_list *out)
{
	char *body = etcd_req_read_many(reads, n), *resp = NULL;
	int rc = post_read(ds, "/v3/kv/txn", body, &resp);
	if (rc == 0 && (rc = etcd_parse_read_many(resp, n, out)) < 0)
		rc = proto_fail(ds, rc, "txn");
	free(body);
	free(resp);
	return rc;
}

static int etcd_revision(struct ds *ds, int64_t *rev)
{
	char *body = etcd_req_range("/", 1, NULL, 0, 1, true);
	char *resp = NULL;
	int rc = post_read(ds, "/v3/kv/range", body, &resp);

	if (rc == 0 && (rc = etcd_parse_header_rev(resp, rev)) < 0)
		rc = proto_fail(ds, rc, "range");
	free(body);
	free(resp);
	return rc;
}

static const char *op_name(enum ds_op_type t)
{
	switch (t) {
	case DS_OP_PUT: return "put";
	case DS_OP_CREATE: return "create";
	case DS_OP_CAS: return "compare-and-swap";
	case DS_OP_DELETE: return "delete";
	case DS_OP_DELETE_PREFIX: return "delete-prefix";
	case DS_OP_CHECK: return "check";
	}
	return "?";
}

/* An unconditional single put skips the txn machinery on the server. */
static int etcd_put_one(struct ds *ds, const struct ds_op *op, int64_t *rev_out)
{
	char *body = etcd_req_put(op);
	char *resp = NULL;
	int64_t rev = 0;
	int rc = post(ds, "/v3/kv/put", body, &resp);

	if (rc == 0 && (rc = etcd_parse_header_rev(resp, &rev)) < 0)
		rc = proto_fail(ds, rc, "put");
	if (rc == 0 && rev_out)
		*rev_out = rev;
	free(body);
	free(resp);
	return rc;
}

static int etcd_txn(struct ds *ds, const struct ds_op *ops, size_t n, int64_t *rev_out)
{
	if (n == 1 && ops[0].type == DS_OP_PUT)
		return etcd_put_one(ds, &ops[0], rev_out);

	char *body = etcd_req_txn(ops, n);
	char *resp = NULL;
	int64_t rev = 0;
	int rc;

	rc = post(ds, "/v3/kv/txn", body, &resp);

	if (rc < 0)
		goto out;
	rc = etcd_parse_txn(resp, ops, n, &rev);
	if (rc == -EEXIST || rc == -ECANCELED) {
		/* Name the first conditional op: enough for a one-line reason. */
		for (size_t i = 0; i < n; i++)
			if (ops[i].type != DS_OP_PUT && ops[i].type != DS_OP_DELETE_PREFIX) {
				ds_fail(ds, rc, "%s %s: %s", op_name(ops[i].type), ops[i].key,
					rc == -EEXIST ? "already exists" : "changed since it was read");
				break;
			}
		goto out;
	}
	if (rc < 0) {
		rc = proto_fail(ds, rc, "txn");
		goto out;
	}
	if (rev_out)
		*rev_out = rev;
out:
	free(body);
	free(resp);
	return rc;
}

static int etcd_lease_grant(struct ds *ds, int ttl_seconds, int64_t *id)
{
	char *body = etcd_req_lease_grant(ttl_seconds);
	char *resp = NULL;
	int rc = post(ds, "/v3/lease/grant", body, &resp);

	if (rc == 0 && (rc = etcd_parse_lease_grant(resp, id)) < 0)
		rc = proto_fail(ds, rc, "lease grant");
	free(body);
	free(resp);
	return rc;
}

static int etcd_lease_keepalive(struct ds *ds, int64_t id)
{
	char *body = etcd_req_lease_id(id);
	char *resp = NULL;
	int64_t ttl = 0;
	int rc = post_read(ds, "/v3/lease/keepalive", body, &resp);

	if (rc < 0)
		goto out;
	rc = etcd_parse_keepalive(resp, &ttl);
	if (rc == -ENOENT)
		ds_fail(ds, rc, "lease %lld has expired or does not exist", (long long)id);
	else if (rc < 0)
		rc = proto_fail(ds, rc, "lease keepalive");
out:
	free(body);
	free(resp);
	return rc;
}

static int etcd_lease_revoke(struct ds *ds, int64_t id)
{
	char *body = etcd_req_lease_id(id);
	char *resp = NULL;
	int rc = post(ds, "/v3/lease/revoke", body, &resp);

	free(body);
	free(resp);
	return rc;
}

static int etcd_compact(struct ds *ds, int64_t rev)
{
	char *body = etcd_req_compact(rev);
	char *resp = NULL;
	int rc = post(ds, "/v3/kv/compaction", body, &resp);

	free(body);
	free(resp);
	/* Both come as OutOfRange (-ESTALE); only etcd's words tell them apart. */
	if (rc == -ESTALE && strstr(ds->err, "has been compacted")) {
		ds->err[0] = '\0'; /* history before rev is gone already: done */
		return 0;
	}
	if (rc == -ESTALE && strstr(ds->err, "future revision")) {
		int64_t cur = 0;
		if (etcd_revision(ds, &cur) < 0)
			return ds_fail(ds, -EINVAL, "cannot compact at revision %lld: the store is not there yet",
				       (long long)rev);
		return ds_fail(ds, -EINVAL, "cannot compact at revision %lld: the store is at %lld", (long long)rev,
			       (long long)cur);
	}
	return rc;
}

static void etcd_close(struct ds *ds)
{
	etcd_http_close(conn_of(ds));
	free(ds);
}

static const struct ds_ops etcd_ops = {
	.get = etcd_get,
	.list = etcd_list,
	.list_pages = etcd_list_pages,
	.revision = etcd_revision,
	.read_many = etcd_read_many,
	.txn = etcd_txn,
	.lease_grant = etcd_lease_grant,
	.lease_keepalive = etcd_lease_keepalive,
	.lease_revoke = etcd_lease_revoke,
	.watch_open = etcd_watch_open,
	.watch_next = etcd_watch_next,
	.watch_revision = etcd_watch_revision,
	.watch_close = etcd_watch_close,
	.compact = etcd_compact,
	.close = etcd_close,
};

/* No request is made here: etcd may come up after us, and the first call
 * reports an unreachable cluster with the URLs it tried. */
int ds_etcd_open(const struct ds_config *cfg, struct ds **out, char *err, size_t errlen)
{
	struct etcd_ds *e = calloc(1, sizeof(*e));
	int rc;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = etcd_http_init(&e->conn, cfg, err, errlen);
	if (rc < 0) {
		free(e);
		return rc;
	}
	e->base.ops = &etcd_ops;
	e->base.backend = DS_ETCD;
	snprintf(e->base.describe, sizeof(e->base.describe), "etcd:%s", cfg->etcd_endpoints);
	*out = &e->base;
	return 0;
}
