/* Heartbeat and endpoint status keys (status.h). */
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/keys.h"
#include "util/log.h"

#define STATUS_TXN_MAX 100

void status_init(struct status_reporter *s, int64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	s->started_ms = now_ms;
}

static void written_free(struct status_reporter *s)
{
	for (size_t i = 0; i < s->n_written; i++)
		free(s->written[i].key);
	free(s->written);
	s->written = NULL;
	s->n_written = 0;
}

void status_free(struct status_reporter *s)
{
	written_free(s);
	memset(s, 0, sizeof(*s));
}

void status_forget(struct status_reporter *s)
{
	written_free(s);
	s->cleaned = false;
	s->lease = 0;
}

int status_heartbeat(struct status_reporter *s, struct ds *ds, const char *host, unsigned ttl, size_t n_endpoints,
		     int64_t now_ms)
{
	char key[KEY_MAX], value[256], when[32];
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	if (!key_fmt(key, KEY_FELIX_HOST_PREFIX "%s/status", host))
		return -ENAMETOOLONG;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(value, sizeof(value), "{\"time\":\"%s\",\"uptime\":%lld,\"endpoints\":%zu}", when,
		 (long long)((now_ms - s->started_ms) / 1000), n_endpoints);
	if (s->lease && (rc = ds_lease_keepalive(ds, s->lease)) == -ENOENT)
		s->lease = 0;
	else if (s->lease && rc < 0)
		return rc;
	if (!s->lease && ttl && (rc = ds_lease_grant(ds, (int)ttl, &s->lease)) < 0)
		return rc;
	return ds_put_lease(ds, key, value, s->lease);
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct status_entry *)a)->key, ((const struct status_entry *)b)->key);
}

static const struct status_entry *find(const struct status_entry *v, size_t n, const char *key)
{
	struct status_entry probe = { .key = (char *)key };
	return n ? bsearch(&probe, v, n, sizeof(*v), entry_cmp) : NULL;
}

static int kv_key_cmp(const void *key, const void *item)
{
	return strcmp(key, ((const struct ds_kv *)item)->key);
}

/* key's entry in a list read from the datastore (sorted by key), or NULL */
static const struct ds_kv *listed(const struct ds_kv_list *l, const char *key)
{
	return l->n ? bsearch(key, l->items, l->n, sizeof(*l->items), kv_key_cmp) : NULL;
}

/* The status keys an earlier run of this host left behind. */
static int list_existing(struct ds *ds, const char *host, struct ds_kv_list *out)
{
	char prefix[KEY_MAX];
	if (!key_fmt(prefix, KEY_FELIX_HOST_PREFIX "%s/workload/", host))
		return -ENAMETOOLONG;
	return ds_list(ds, prefix, out);
}

int status_endpoints(struct status_reporter *s, struct ds *ds, const char *host, const char *const *keys,
		     const char *const *status, size_t n)
{
	struct status_entry *want = calloc(n ? n : 1, sizeof(*want));
	struct ds_kv_list old = { 0 };
	struct ds_op *ops = NULL;
	char (*values)[32] = NULL;
	size_t n_ops = 0, n_want = 0;
	int rc = 0;

	if (!want)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		/* the status key is the record's key under Felix's prefix (both
		 * name this host): no parse, on every change at every endpoint */
		char key[KEY_MAX];
		if (strncmp(keys[i], KEY_HOST_PREFIX, strlen(KEY_HOST_PREFIX)) != 0 ||
		    !key_fmt(key, KEY_FELIX_HOST_PREFIX "%s", keys[i] + strlen(KEY_HOST_PREFIX)))
			continue;
		if (!(want[n_want].key = strdup(key))) {
			rc = -ENOMEM;
			goto out;
		}
		want[n_want++].status = status[i];
	}
	if (n_want > 1)
		qsort(want, n_want, sizeof(*want), entry_cmp);
	if (!s->cleaned && (rc = list_existing(ds, host, &old)) < 0)
		goto out;
	if (!(ops = calloc(n_want + s->n_written + old.n + 1, sizeof(*ops))) ||
	    !(values = calloc(n_want ? n_want : 1, sizeof(*values)))) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_want; i++) {
		const struct status_entry *was = find(s->written, s->n_written, want[i].key);
		if (was && was->status == want[i].status)
			continue;
		snprintf(values[i], sizeof(values[i]), "{\"status\":\"%s\"}", want[i].status);
		/* after a resync the datastore's own copy tells: a status already
		 * there is not written again (thousands of keys after each outage) */
		const struct ds_kv *there = listed(&old, want[i].key);
		if (!was && there && strcmp(there->value, values[i]) == 0)
			continue;
		ops[n_ops++] = (struct ds_op){ .type = DS_OP_PUT, .key = want[i].key, .value = values[i] };
	}
	for (size_t i = 0; i < s->n_written; i++)
		if (!find(want, n_want, s->written[i].key))
			ops[n_ops++] = (struct ds_op){ .type = DS_OP_DELETE, .key = s->written[i].key };
	for (size_t i = 0; i < old.n; i++)
		if (!find(want, n_want, old.items[i].key) && !find(s->written, s->n_written, old.items[i].key))
			ops[n_ops++] = (struct ds_op){ .type = DS_OP_DELETE, .key = old.items[i].key };
	/* etcd refuses transactions of more than 128 operations */
	for (size_t at = 0; at < n_ops; at += STATUS_TXN_MAX) {
		size_t k = n_ops - at < STATUS_TXN_MAX ? n_ops - at : STATUS_TXN_MAX;
		if ((rc = ds_txn(ds, ops + at, k, NULL)) < 0) {
			status_forget(s);
			goto out;
		}
	}
	written_free(s);
	s->written = want;
	s->n_written = n_want;
	want = NULL;
	s->cleaned = true;
out:
	if (want) {
		for (size_t i = 0; i < n_want; i++)
			free(want[i].key);
		free(want);
	}
	free(values);
	free(ops);
	ds_kv_list_free(&old);
	return rc;
}
