/* Datastore backend: one SQLite file in WAL mode, shared by every process on
 * the machine (DESIGN §2). Semantics are datastore.h's, modelled on etcd: one
 * global revision that each write transaction bumps by exactly one, an event
 * history for watches (ds_sqlite_watch.c), and leases whose expired keys are
 * never visible and are swept (as DELETE events) by writers and watchers.
 *
 * Concurrency: every write runs under BEGIN IMMEDIATE, so the write lock is
 * taken before anything is read and a compare-and-swap can never act on a
 * stale read; lock contention is retried with jittered back-off. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "datastore/ds_sqlite.h"
#include "util/array.h"

#define BUSY_TIMEOUT_MS 30000
/* History kept for watches, and how often writers check it (cheaply: one
 * indexed OFFSET query every TRIM_EVERY revisions). */
#define RETAIN_EVENTS 100000
#define TRIM_EVERY 1024

_Static_assert(DS_EV_PUT == 0 && DS_EV_DELETE == 1, "events.type stores enum ds_event_type");

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL,"
	" create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, lease INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS kv_by_lease ON kv(lease);"
	"CREATE TABLE IF NOT EXISTS events(rev INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" type INTEGER NOT NULL, key TEXT NOT NULL, value TEXT, PRIMARY KEY(rev, seq));"
	"CREATE TABLE IF NOT EXISTS leases(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ttl INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases(expires_at);"
	"INSERT OR IGNORE INTO meta(k, v) VALUES('schema', 1), ('rev', 0), ('compact', 0);";

/* A key is visible unless its lease has expired (or is gone). */
#define VISIBLE(p) "(lease = 0 OR EXISTS (SELECT 1 FROM leases WHERE id = kv.lease AND expires_at > " p "))"
#define KV_COLS "SELECT key, value, create_rev, mod_rev, lease FROM kv "
#define EV_INSERT "INSERT INTO events(rev, seq, type, key, value) "

static const char *const SQL[ST_COUNT] = {
	[ST_BEGIN_READ] = "BEGIN",
	[ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_META_GET] = "SELECT v FROM meta WHERE k = ?1",
	[ST_META_SET] = "UPDATE meta SET v = ?2 WHERE k = ?1",
	[ST_KV_GET] = KV_COLS "WHERE key = ?1 AND " VISIBLE("?2"),
	[ST_KV_LIST] = KV_COLS "WHERE key >= ?1 AND key < ?2 AND " VISIBLE("?3") " ORDER BY key",
	[ST_KV_LIST_ALL] = KV_COLS "WHERE key >= ?1 AND " VISIBLE("?3") " ORDER BY key",
	[ST_KV_UPSERT] = "INSERT INTO kv(key, value, create_rev, mod_rev, lease) VALUES(?1, ?2, ?3, ?3, ?4)"
			 " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
			 " mod_rev = excluded.mod_rev, lease = excluded.lease",
	[ST_KV_DELETE] = "DELETE FROM kv WHERE key = ?1",
	[ST_KV_DELETE_RANGE] = "DELETE FROM kv WHERE key >= ?1 AND key < ?2",
	[ST_KV_DELETE_RANGE_ALL] = "DELETE FROM kv WHERE key >= ?1",
	[ST_EV_ADD] = EV_INSERT "VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_EV_ADD_RANGE] = EV_INSERT "SELECT ?3, ?4 + row_number() OVER (ORDER BY key), 1, key, NULL"
				" FROM kv WHERE key >= ?1 AND key < ?2",
	[ST_EV_ADD_RANGE_ALL] = EV_INSERT "SELECT ?3, ?4 + row_number() OVER (ORDER BY key), 1, key, NULL"
				    " FROM kv WHERE key >= ?1",
	[ST_EV_SCAN] = "SELECT rev, type, key, value FROM events"
		       " WHERE rev > ?1 AND rev <= ?2 AND key >= ?3 AND key < ?4 ORDER BY rev, seq",
	[ST_EV_SCAN_ALL] = "SELECT rev, type, key, value FROM events"
			   " WHERE rev > ?1 AND rev <= ?2 AND key >= ?3 ORDER BY rev, seq",
	[ST_EV_TRIM_FIND] = "SELECT rev FROM events ORDER BY rev DESC, seq DESC LIMIT 1 OFFSET ?1",
	[ST_EV_TRIM] = "DELETE FROM events WHERE rev < ?1",
	[ST_LEASE_ANY_EXPIRED] = "SELECT 1 FROM leases WHERE expires_at <= ?1 LIMIT 1",
	[ST_LEASE_EXPIRED_EVENTS] = EV_INSERT "SELECT ?1, row_number() OVER (ORDER BY key) - 1, 1, key, NULL"
					" FROM kv WHERE lease IN (SELECT id FROM leases WHERE expires_at <= ?2)",
	[ST_LEASE_EXPIRED_KEYS_DELETE] = "DELETE FROM kv WHERE lease IN (SELECT id FROM leases WHERE expires_at <= ?1)",
	[ST_LEASE_EXPIRED_DELETE] = "DELETE FROM leases WHERE expires_at <= ?1",
	[ST_LEASE_INSERT] = "INSERT INTO leases(ttl, expires_at) VALUES(?1, ?2)",
	[ST_LEASE_LIVE] = "SELECT 1 FROM leases WHERE id = ?1 AND expires_at > ?2",
	[ST_LEASE_TOUCH] = "UPDATE leases SET expires_at = ?2 + ttl * 1000 WHERE id = ?1 AND expires_at > ?2",
	[ST_LEASE_EVENTS] = EV_INSERT "SELECT ?1, row_number() OVER (ORDER BY key) - 1, 1, key, NULL"
				" FROM kv WHERE lease = ?2",
	[ST_LEASE_KEYS_DELETE] = "DELETE FROM kv WHERE lease = ?1",
	[ST_LEASE_DELETE] = "DELETE FROM leases WHERE id = ?1",
};

/* ---- small helpers ---- */

int64_t sq_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sq_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *sq_col_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);
	if (!t)
		return NULL;
	char *p = malloc((size_t)n + 1);
	if (p) {
		memcpy(p, t, (size_t)n);
		p[n] = '\0';
	}
	return p;
}

int sq_prefix_successor(const char *prefix, char **out)
{
	size_t n = strlen(prefix);
	*out = NULL;
	while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
		n--;
	if (n == 0)
		return 0;
	char *s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, prefix, n);
	s[n - 1] = (char)((unsigned char)s[n - 1] + 1);
	s[n] = '\0';
	*out = s;
	return 0;
}

static uint64_t next_rand(struct sq *s)
{
	/* xorshift64: per-process jitter so contending writers do not retry in lockstep. */
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

/* SQLite's default handler sleeps up to 100 ms a try; writers here hold the
 * lock for well under a millisecond, so short jittered sleeps keep many
 * contending processes moving. */
static int busy_handler(void *arg, int n)
{
	struct sq *s = arg;
	if (n == 0)
		s->busy_start_ms = sq_mono_ms();
	if (sq_mono_ms() - s->busy_start_ms > BUSY_TIMEOUT_MS)
		return 0;
	long base = n < 20 ? 50 : n < 200 ? 500 : 5000;
	sleep_us(base + (long)(next_rand(s) % (uint64_t)(base * 4)));
	return 1;
}

sqlite3_stmt *sq_stmt(struct sq *s, enum sq_stmt id, int *rc)
{
	if (!s->st[id]) {
		*rc = sqlite3_prepare_v3(s->db, SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL);
		if (*rc != SQLITE_OK)
			return NULL;
	}
	sqlite3_reset(s->st[id]);
	sqlite3_clear_bindings(s->st[id]);
	*rc = SQLITE_OK;
	return s->st[id];
}

int sq_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int exec_id(struct sq *s, enum sq_stmt id)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, id, &rc);
	return st ? sq_step_done(st) : rc;
}

int sq_meta_get(struct sq *s, const char *k, int64_t *v)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_META_GET, &rc);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_CORRUPT; /* the schema always has these rows */
	}
	sqlite3_reset(st);
	return rc;
}

static int meta_set(struct sq *s, const char *k, int64_t v)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_META_SET, &rc);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return sq_step_done(st);
}

/* ---- errors ---- */

static void lower_first(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
	if (dst[0] >= 'A' && dst[0] <= 'Z')
		dst[0] = (char)(dst[0] - 'A' + 'a');
}

/* Maps an SQLite failure to -errno with a one-line reason naming the file. */
static int sq_fail(struct sq *s, int rc, const char *msg)
{
	struct ds *ds = &s->base;
	char why[256];
	int sys = sqlite3_system_errno(s->db);

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ds_fail(ds, -ENOSPC, "disk full writing datastore %s", s->path);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ds_fail(ds, -EIO, "datastore %s: %s", s->path, sqlite3_errstr(rc & 0xff));
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ds_fail(ds, -EBUSY, "datastore %s stayed locked by another process for %d s", s->path,
			       BUSY_TIMEOUT_MS / 1000);
	case SQLITE_READONLY:
		return ds_fail(ds, -EROFS, "datastore %s is read-only: %s", s->path, msg);
	case SQLITE_NOMEM:
		return ds_fail(ds, -ENOMEM, "out of memory in datastore %s", s->path);
	case SQLITE_TOOBIG:
		return ds_fail(ds, -E2BIG, "value too large for datastore %s", s->path);
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		lower_first(why, sizeof(why), sys ? strerror(sys) : msg);
		return ds_fail(ds, sys ? -sys : -EACCES, "cannot open datastore %s: %s", s->path, why);
	case SQLITE_IOERR:
		if (sys == ENOSPC || sys == EDQUOT)
			return ds_fail(ds, -ENOSPC, "disk full writing datastore %s", s->path);
		lower_first(why, sizeof(why), sys ? strerror(sys) : msg);
		return ds_fail(ds, -EIO, "I/O error on datastore %s: %s", s->path, why);
	default:
		return ds_fail(ds, -EIO, "datastore %s: %s", s->path, msg);
	}
}

static bool is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/* Tells the watchers (ds_sqlite_watch.c) that a commit is now visible. The
 * commit's last write to the -wal file wakes them through inotify, but
 * SQLite publishes the commit afterwards, in the shared-memory index, which
 * inotify does not see: a watcher that woke in between found nothing new
 * and slept until its next tick (the CNI benchmark's p99 was 200 ms for
 * that). Touching the database file after the commit raises IN_ATTRIB once
 * the commit can be read. Best effort: the tick still catches writers that
 * do not touch (another SQLite client, a read-only mount). */
static void notify_watchers(struct sq *s)
{
	utimensat(AT_FDCWD, s->path, NULL, 0);
}

int sq_run(struct sq *s, enum sq_tx tx, sq_body body, void *arg)
{
	int64_t deadline = sq_mono_ms() + BUSY_TIMEOUT_MS;
	char msg[256];

	for (int attempt = 0;; attempt++) {
		int rc = SQLITE_OK;
		sqlite3_int64 changes = sqlite3_total_changes64(s->db);
		if (tx != TX_NONE)
			rc = exec_id(s, tx == TX_WRITE ? ST_BEGIN_WRITE : ST_BEGIN_READ);
		if (rc == SQLITE_OK) {
			rc = body(s, arg);
			if (rc == SQLITE_OK && tx != TX_NONE)
				rc = exec_id(s, ST_COMMIT);
		}
		if (rc == SQLITE_OK) {
			if (tx == TX_WRITE && sqlite3_total_changes64(s->db) != changes)
				notify_watchers(s);
			return 0;
		}
		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(s->db));
		if (!sqlite3_get_autocommit(s->db))
			exec_id(s, ST_ROLLBACK);
		if (!is_busy(rc) || sq_mono_ms() >= deadline)
			return sq_fail(s, rc, msg);
		sleep_us(100 + (long)(next_rand(s) % (attempt < 10 ? 1000u : 20000u)));
	}
}

/* ---- revisions, history trimming, lease sweeping (inside write txns) ---- */

/* Records newrev as the store revision; every TRIM_EVERY revisions drops
 * history beyond the retention window, advancing the compaction point. */
static int bump_rev(struct sq *s, int64_t newrev)
{
	int rc = meta_set(s, "rev", newrev);
	if (rc != SQLITE_OK || newrev % TRIM_EVERY != 0)
		return rc;
	sqlite3_stmt *st = sq_stmt(s, ST_EV_TRIM_FIND, &rc);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, RETAIN_EVENTS);
	rc = sqlite3_step(st);
	int64_t cut = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? SQLITE_OK : rc;
	int64_t compact;
	if ((rc = sq_meta_get(s, "compact", &compact)) != SQLITE_OK || cut <= compact)
		return rc;
	if (!(st = sq_stmt(s, ST_EV_TRIM, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, cut);
	if ((rc = sq_step_done(st)) != SQLITE_OK)
		return rc;
	return meta_set(s, "compact", cut);
}

int sq_sweep(struct sq *s, int64_t now_ms, int64_t *rev)
{
	int rc;
	sqlite3_stmt *st;

	if ((rc = sq_meta_get(s, "rev", rev)) != SQLITE_OK)
		return rc;
	if (!(st = sq_stmt(s, ST_LEASE_ANY_EXPIRED, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, now_ms);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? SQLITE_OK : rc;

	if (!(st = sq_stmt(s, ST_LEASE_EXPIRED_EVENTS, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, *rev + 1);
	sqlite3_bind_int64(st, 2, now_ms);
	if ((rc = sq_step_done(st)) != SQLITE_OK)
		return rc;
	if (sqlite3_changes(s->db) > 0) {
		if (!(st = sq_stmt(s, ST_LEASE_EXPIRED_KEYS_DELETE, &rc)))
			return rc;
		sqlite3_bind_int64(st, 1, now_ms);
		if ((rc = sq_step_done(st)) != SQLITE_OK)
			return rc;
		if ((rc = bump_rev(s, *rev + 1)) != SQLITE_OK)
			return rc;
		++*rev;
	}
	if (!(st = sq_stmt(s, ST_LEASE_EXPIRED_DELETE, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, now_ms);
	return sq_step_done(st);
}

static int sweep_body(struct sq *s, void *arg)
{
	int64_t rev;
	(void)arg;
	return sq_sweep(s, sq_wall_ms(), &rev);
}

int sq_sweep_if_due(struct sq *s)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_LEASE_ANY_EXPIRED, &rc);
	if (!st)
		return sq_fail(s, rc, sqlite3_errmsg(s->db));
	sqlite3_bind_int64(st, 1, sq_wall_ms());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return is_busy(rc) ? 0 : sq_fail(s, rc, sqlite3_errmsg(s->db));
	return sq_run(s, TX_WRITE, sweep_body, NULL);
}

/* ---- reads ---- */

static int row_to_kv(sqlite3_stmt *st, struct ds_kv *kv)
{
	kv->key = sq_col_strdup(st, 0);
	kv->value = sq_col_strdup(st, 1);
	kv->create_rev = sqlite3_column_int64(st, 2);
	kv->mod_rev = sqlite3_column_int64(st, 3);
	kv->lease = sqlite3_column_int64(st, 4);
	if (!kv->key || !kv->value) {
		ds_kv_free(kv);
		return SQLITE_NOMEM;
	}
	return SQLITE_OK;
}

struct get_arg {
	const char *key;
	struct ds_kv *out;
	int result;
};

static int get_body(struct sq *s, void *p)
{
	struct get_arg *a = p;
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_KV_GET, &rc);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, a->key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, sq_wall_ms());
	rc = sqlite3_step(st);
	a->result = -ENOENT;
	if (rc == SQLITE_ROW) {
		rc = row_to_kv(st, a->out);
		a->result = 0;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_reset(st);
	return rc;
}

static int sq_get(struct ds *ds, const char *key, struct ds_kv *out)
{
	struct get_arg a = { key, out, 0 };
	memset(out, 0, sizeof(*out));
	int rc = sq_run((struct sq *)ds, TX_NONE, get_body, &a);
	if (rc < 0)
		return rc;
	if (a.result == -ENOENT)
		return ds_fail(ds, -ENOENT, "%s: not found", key);
	return a.result;
}

struct list_arg {
	const char *prefix;
	const char *succ;
	struct ds_kv_list *out;
};

/* The prefix's live keys in order (succ: the prefix's successor, NULL when
 * it has none), bound and ready to step; NULL with *rc set. */
static sqlite3_stmt *list_stmt(struct sq *s, const char *prefix, const char *succ, int *rc)
{
	sqlite3_stmt *st = sq_stmt(s, succ ? ST_KV_LIST : ST_KV_LIST_ALL, rc);
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	if (succ)
		sqlite3_bind_text(st, 2, succ, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, sq_wall_ms());
	return st;
}

static int list_body(struct sq *s, void *p)
{
	struct list_arg *a = p;
	size_t cap = 0;
	int rc;

	ds_kv_list_free(a->out); /* a retried attempt starts over */
	if ((rc = sq_meta_get(s, "rev", &a->out->rev)) != SQLITE_OK)
		return rc;
	sqlite3_stmt *st = list_stmt(s, a->prefix, a->succ, &rc);
	if (!st)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ds_kv_list *l = a->out;
		if (array_reserve((void **)&l->items, &cap, l->n + 1, sizeof(*l->items)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		if ((rc = row_to_kv(st, &l->items[l->n])) != SQLITE_OK)
			break;
		l->n++;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return SQLITE_OK;
	int64_t keep = a->out->rev;
	ds_kv_list_free(a->out);
	a->out->rev = keep;
	return rc;
}

static int sq_list(struct ds *ds, const char *prefix, struct ds_kv_list *out)
{
	char *succ;
	memset(out, 0, sizeof(*out));
	if (sq_prefix_successor(prefix, &succ) < 0)
		return ds_fail(ds, -ENOMEM, "out of memory listing %s", prefix);
	struct list_arg a = { prefix, succ, out };
	int rc = sq_run((struct sq *)ds, TX_READ, list_body, &a);
	free(succ);
	return rc;
}

struct pages_arg {
	const char *prefix, *succ;
	ds_page_fn page;
	void *ctx;
	int64_t rev;
	int page_rc;    /* page()'s refusal, returned as it is */
	bool attempted; /* a retry tells page() to start over */
};

/* The read in pages of DS_PAGE_KEYS rows, inside one read transaction (one
 * snapshot): only a page is held at a time. */
static int pages_body(struct sq *s, void *p)
{
	struct pages_arg *a = p;
	struct ds_kv_list l = { 0 };
	int rc;

	if (a->attempted && (a->page_rc = a->page(a->ctx, NULL)) < 0)
		return SQLITE_ABORT;
	a->attempted = true;
	if ((rc = sq_meta_get(s, "rev", &a->rev)) != SQLITE_OK)
		return rc;
	sqlite3_stmt *st = list_stmt(s, a->prefix, a->succ, &rc);
	if (!st)
		return rc;
	l.rev = a->rev;
	if (!(l.items = calloc(DS_PAGE_KEYS, sizeof(*l.items))))
		rc = SQLITE_NOMEM;
	while (l.items && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = row_to_kv(st, &l.items[l.n])) != SQLITE_OK)
			break;
		if (++l.n == DS_PAGE_KEYS) {
			if ((a->page_rc = a->page(a->ctx, &l)) < 0)
				break;
			for (size_t i = 0; i < l.n; i++)
				ds_kv_free(&l.items[i]);
			memset(l.items, 0, DS_PAGE_KEYS * sizeof(*l.items));
			l.n = 0;
		}
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && l.n && (a->page_rc = a->page(a->ctx, &l)) < 0)
		rc = SQLITE_ABORT;
	else if (a->page_rc < 0)
		rc = SQLITE_ABORT;
	ds_kv_list_free(&l);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int sq_list_pages(struct ds *ds, const char *prefix, ds_page_fn page, void *ctx, int64_t *rev)
{
	char *succ;
	if (sq_prefix_successor(prefix, &succ) < 0)
		return ds_fail(ds, -ENOMEM, "out of memory listing %s", prefix);
	struct pages_arg a = { .prefix = prefix, .succ = succ, .page = page, .ctx = ctx };
	int rc = sq_run((struct sq *)ds, TX_READ, pages_body, &a);
	free(succ);
	if (a.page_rc < 0)
		return a.page_rc;
	if (rc == 0)
		*rev = a.rev;
	return rc;
}

struct many_arg {
	const struct ds_read *reads;
	size_t n;
	char **succ; /* per prefix read: its successor (NULL: none, or not a prefix) */
	struct ds_kv_list *out;
};

/* Every read inside one read transaction: one snapshot. */
static int many_body(struct sq *s, void *p)
{
	struct many_arg *m = p;
	int rc = SQLITE_OK;

	for (size_t i = 0; i < m->n; i++)
		ds_kv_list_free(&m->out[i]); /* a retried attempt starts over */
	for (size_t i = 0; i < m->n && rc == SQLITE_OK; i++) {
		if (m->reads[i].prefix) {
			struct list_arg a = { m->reads[i].key, m->succ[i], &m->out[i] };
			rc = list_body(s, &a);
			continue;
		}
		struct ds_kv kv = { 0 };
		struct get_arg a = { m->reads[i].key, &kv, 0 };
		if ((rc = get_body(s, &a)) != SQLITE_OK || a.result < 0)
			continue;
		if (!(m->out[i].items = malloc(sizeof(kv)))) {
			ds_kv_free(&kv);
			rc = SQLITE_NOMEM;
			continue;
		}
		m->out[i].items[0] = kv;
		m->out[i].n = 1;
	}
	int64_t rev = 0;
	if (rc == SQLITE_OK && (rc = sq_meta_get(s, "rev", &rev)) == SQLITE_OK)
		for (size_t i = 0; i < m->n; i++)
			m->out[i].rev = rev;
	return rc;
}

static int sq_read_many(struct ds *ds, const struct ds_read *reads, size_t n, struct ds_kv_list *out)
{
	char **succ = calloc(n + 1, sizeof(*succ));
	int rc = succ ? 0 : -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (reads[i].prefix && sq_prefix_successor(reads[i].key, &succ[i]) < 0)
			rc = -ENOMEM;
	if (rc == 0) {
		struct many_arg m = { reads, n, succ, out };
		rc = sq_run((struct sq *)ds, TX_READ, many_body, &m);
	} else {
		rc = ds_fail(ds, -ENOMEM, "out of memory reading %zu keys", n);
	}
	for (size_t i = 0; succ && i < n; i++)
		free(succ[i]);
	free(succ);
	return rc;
}

static int rev_body(struct sq *s, void *p)
{
	return sq_meta_get(s, "rev", p);
}

static int sq_revision(struct ds *ds, int64_t *rev)
{
	return sq_run((struct sq *)ds, TX_NONE, rev_body, rev);
}

/* ---- writes ---- */

struct txn_arg {
	const struct ds_op *ops;
	size_t n;
	int64_t rev;
	int result;
};

/* mod_rev of key as visible at now (0 when absent). */
static int cur_mod_rev(struct sq *s, const char *key, int64_t now, int64_t *mod_rev)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_KV_GET, &rc);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	*mod_rev = rc == SQLITE_ROW ? sqlite3_column_int64(st, 3) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int lease_live(struct sq *s, int64_t id, int64_t now, bool *live)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_LEASE_LIVE, &rc);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	*live = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Every condition is judged against the state before any op applies, as in
 * an etcd Txn's compare list. Sets a->result on the first failed one. */
static int txn_check(struct sq *s, struct txn_arg *a, int64_t now)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct ds_op *op = &a->ops[i];
		int64_t cur = 0;
		int rc;

		if (op->type == DS_OP_DELETE_PREFIX)
			continue;
		if ((rc = cur_mod_rev(s, op->key, now, &cur)) != SQLITE_OK)
			return rc;
		switch (op->type) {
		case DS_OP_CREATE:
			if (cur != 0) {
				a->result = ds_fail(&s->base, -EEXIST, "%s already exists", op->key);
				return SQLITE_OK;
			}
			break;
		case DS_OP_CAS:
		case DS_OP_CHECK:
		case DS_OP_DELETE:
			if ((op->type != DS_OP_DELETE || op->mod_rev != 0) && cur != op->mod_rev) {
				a->result = ds_fail(&s->base, -ECANCELED,
						    "%s changed: its revision is %lld, expected %lld", op->key,
						    (long long)cur, (long long)op->mod_rev);
				return SQLITE_OK;
			}
			break;
		default:
			break;
		}
		if ((op->type == DS_OP_PUT || op->type == DS_OP_CREATE || op->type == DS_OP_CAS) && op->lease) {
			bool live = false;
			if ((rc = lease_live(s, op->lease, now, &live)) != SQLITE_OK)
				return rc;
			if (!live) {
				a->result = ds_fail(&s->base, -ENOENT, "lease %lld not found (expired or revoked)",
						    (long long)op->lease);
				return SQLITE_OK;
			}
		}
	}
	return SQLITE_OK;
}

static int add_event(struct sq *s, int64_t rev, int64_t seq, int type, const char *key, const char *value)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_EV_ADD, &rc);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, rev);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int(st, 3, type);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 5, value, -1, SQLITE_STATIC);
	return sq_step_done(st);
}

static int apply_put(struct sq *s, const struct ds_op *op, int64_t rev, int64_t *seq)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_KV_UPSERT, &rc);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, op->value ? op->value : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rev);
	sqlite3_bind_int64(st, 4, op->lease);
	if ((rc = sq_step_done(st)) != SQLITE_OK)
		return rc;
	return add_event(s, rev, (*seq)++, DS_EV_PUT, op->key, op->value ? op->value : "");
}

static int apply_delete(struct sq *s, const struct ds_op *op, int64_t rev, int64_t *seq)
{
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_KV_DELETE, &rc);
	if (!st)
		return rc;
	sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
	if ((rc = sq_step_done(st)) != SQLITE_OK || sqlite3_changes(s->db) == 0)
		return rc;
	return add_event(s, rev, (*seq)++, DS_EV_DELETE, op->key, NULL);
}

static int apply_delete_prefix(struct sq *s, const struct ds_op *op, int64_t rev, int64_t *seq)
{
	char *succ;
	int rc;
	sqlite3_stmt *st;

	if (sq_prefix_successor(op->key, &succ) < 0)
		return SQLITE_NOMEM;
	if (!(st = sq_stmt(s, succ ? ST_EV_ADD_RANGE : ST_EV_ADD_RANGE_ALL, &rc)))
		goto out;
	sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
	if (succ)
		sqlite3_bind_text(st, 2, succ, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, rev);
	sqlite3_bind_int64(st, 4, *seq - 1);
	if ((rc = sq_step_done(st)) != SQLITE_OK)
		goto out;
	int changed = sqlite3_changes(s->db);
	if (changed == 0)
		goto out;
	*seq += changed;
	if (!(st = sq_stmt(s, succ ? ST_KV_DELETE_RANGE : ST_KV_DELETE_RANGE_ALL, &rc)))
		goto out;
	sqlite3_bind_text(st, 1, op->key, -1, SQLITE_STATIC);
	if (succ)
		sqlite3_bind_text(st, 2, succ, -1, SQLITE_STATIC);
	rc = sq_step_done(st);
out:
	free(succ);
	return rc;
}

static int txn_body(struct sq *s, void *p)
{
	struct txn_arg *a = p;
	int64_t now = sq_wall_ms();
	int64_t seq = 0;
	int rc;

	a->result = 0;
	if ((rc = sq_sweep(s, now, &a->rev)) != SQLITE_OK)
		return rc;
	if ((rc = txn_check(s, a, now)) != SQLITE_OK || a->result < 0)
		return rc; /* commit only the sweep */
	for (size_t i = 0; i < a->n && rc == SQLITE_OK; i++) {
		const struct ds_op *op = &a->ops[i];
		switch (op->type) {
		case DS_OP_PUT:
		case DS_OP_CREATE:
		case DS_OP_CAS:
			rc = apply_put(s, op, a->rev + 1, &seq);
			break;
		case DS_OP_DELETE:
			rc = apply_delete(s, op, a->rev + 1, &seq);
			break;
		case DS_OP_DELETE_PREFIX:
			rc = apply_delete_prefix(s, op, a->rev + 1, &seq);
			break;
		case DS_OP_CHECK:
			break;
		}
	}
	/* Like etcd, a transaction that changed nothing does not move the revision. */
	if (rc == SQLITE_OK && seq > 0 && (rc = bump_rev(s, a->rev + 1)) == SQLITE_OK)
		a->rev++;
	return rc;
}

static int sq_txn(struct ds *ds, const struct ds_op *ops, size_t n, int64_t *rev_out)
{
	for (size_t i = 0; i < n; i++) {
		if (!ops[i].key || (ops[i].type != DS_OP_DELETE_PREFIX && !ops[i].key[0]))
			return ds_fail(ds, -EINVAL, "datastore operation %zu has an empty key", i);
		if ((unsigned)ops[i].type > DS_OP_CHECK)
			return ds_fail(ds, -EINVAL, "datastore operation %zu has an unknown type", i);
	}
	struct txn_arg a = { ops, n, 0, 0 };
	int rc = sq_run((struct sq *)ds, TX_WRITE, txn_body, &a);
	if (rc < 0)
		return rc;
	if (a.result < 0)
		return a.result;
	if (rev_out)
		*rev_out = a.rev;
	return 0;
}

/* ---- leases ---- */

struct lease_arg {
	int64_t id;
	int ttl;
	int result;
};

static int grant_body(struct sq *s, void *p)
{
	struct lease_arg *a = p;
	int rc;
	sqlite3_stmt *st = sq_stmt(s, ST_LEASE_INSERT, &rc);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, a->ttl);
	sqlite3_bind_int64(st, 2, sq_wall_ms() + (int64_t)a->ttl * 1000);
	if ((rc = sq_step_done(st)) == SQLITE_OK)
		a->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sq_lease_grant(struct ds *ds, int ttl_seconds, int64_t *id)
{
	struct lease_arg a = { 0, ttl_seconds, 0 };
	int rc = sq_run((struct sq *)ds, TX_NONE, grant_body, &a);
	if (rc == 0)
		*id = a.id;
	return rc;
}

static int keepalive_body(struct sq *s, void *p)
{
	struct lease_arg *a = p;
	int64_t now = sq_wall_ms(), rev;
	int rc;
	sqlite3_stmt *st;

	if ((rc = sq_sweep(s, now, &rev)) != SQLITE_OK)
		return rc;
	if (!(st = sq_stmt(s, ST_LEASE_TOUCH, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = sq_step_done(st)) != SQLITE_OK)
		return rc;
	a->result = sqlite3_changes(s->db) ? 0 : -ENOENT;
	return SQLITE_OK;
}

static int sq_lease_keepalive(struct ds *ds, int64_t id)
{
	struct lease_arg a = { id, 0, 0 };
	int rc = sq_run((struct sq *)ds, TX_WRITE, keepalive_body, &a);
	if (rc < 0)
		return rc;
	if (a.result < 0)
		return ds_fail(ds, a.result, "lease %lld not found (expired or revoked)", (long long)id);
	return 0;
}

static int revoke_body(struct sq *s, void *p)
{
	struct lease_arg *a = p;
	int64_t now = sq_wall_ms(), rev;
	bool live = false;
	int rc;
	sqlite3_stmt *st;

	if ((rc = sq_sweep(s, now, &rev)) != SQLITE_OK || (rc = lease_live(s, a->id, now, &live)) != SQLITE_OK)
		return rc;
	a->result = live ? 0 : -ENOENT;
	if (!live)
		return SQLITE_OK;
	if (!(st = sq_stmt(s, ST_LEASE_EVENTS, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, rev + 1);
	sqlite3_bind_int64(st, 2, a->id);
	if ((rc = sq_step_done(st)) != SQLITE_OK)
		return rc;
	if (sqlite3_changes(s->db) > 0) {
		if (!(st = sq_stmt(s, ST_LEASE_KEYS_DELETE, &rc)))
			return rc;
		sqlite3_bind_int64(st, 1, a->id);
		if ((rc = sq_step_done(st)) != SQLITE_OK || (rc = bump_rev(s, rev + 1)) != SQLITE_OK)
			return rc;
	}
	if (!(st = sq_stmt(s, ST_LEASE_DELETE, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, a->id);
	return sq_step_done(st);
}

static int sq_lease_revoke(struct ds *ds, int64_t id)
{
	struct lease_arg a = { id, 0, 0 };
	int rc = sq_run((struct sq *)ds, TX_WRITE, revoke_body, &a);
	if (rc < 0)
		return rc;
	if (a.result < 0)
		return ds_fail(ds, a.result, "lease %lld not found (expired or revoked)", (long long)id);
	return 0;
}

/* ---- compaction ---- */

struct compact_arg {
	int64_t rev;
	int64_t cur;
};

static int compact_body(struct sq *s, void *p)
{
	struct compact_arg *a = p;
	int64_t compact;
	int rc;
	sqlite3_stmt *st;

	if ((rc = sq_meta_get(s, "rev", &a->cur)) != SQLITE_OK)
		return rc;
	if (a->rev > a->cur)
		return SQLITE_OK;
	if ((rc = sq_meta_get(s, "compact", &compact)) != SQLITE_OK || a->rev <= compact)
		return rc;
	if (!(st = sq_stmt(s, ST_EV_TRIM, &rc)))
		return rc;
	sqlite3_bind_int64(st, 1, a->rev);
	if ((rc = sq_step_done(st)) != SQLITE_OK)
		return rc;
	return meta_set(s, "compact", a->rev);
}

static int sq_compact(struct ds *ds, int64_t rev)
{
	struct compact_arg a = { rev, 0 };
	int rc = sq_run((struct sq *)ds, TX_WRITE, compact_body, &a);
	if (rc < 0)
		return rc;
	if (rev > a.cur)
		return ds_fail(ds, -EINVAL, "cannot compact at revision %lld: the store is at %lld", (long long)rev,
			       (long long)a.cur);
	return 0;
}

/* ---- open / close ---- */

static void sq_close(struct ds *ds)
{
	struct sq *s = (struct sq *)ds;
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s->dir);
	free(s);
}

static const struct ds_ops sq_ops = {
	.get = sq_get,
	.list = sq_list,
	.list_pages = sq_list_pages,
	.revision = sq_revision,
	.read_many = sq_read_many,
	.txn = sq_txn,
	.lease_grant = sq_lease_grant,
	.lease_keepalive = sq_lease_keepalive,
	.lease_revoke = sq_lease_revoke,
	.watch_open = sq_watch_open,
	.watch_next = sq_watch_next,
	.watch_revision = sq_watch_revision,
	.watch_close = sq_watch_close,
	.compact = sq_compact,
	.close = sq_close,
};

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	int rc = 0;
	if (!p)
		return -ENOMEM;
	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*c = saved;
		if (!saved)
			break;
	}
	free(p);
	return rc;
}

/* Creates the file ourselves so it is 0600 whatever the umask (SQLite would
 * honour the umask, and its -wal/-shm files copy the main file's mode). */
static int create_file(struct sq *s, char *err, size_t errlen)
{
	char why[128];
	int fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int rc = fchmod(fd, 0600) < 0 ? -errno : 0;
		close(fd);
		if (rc < 0) {
			lower_first(why, sizeof(why), strerror(-rc));
			snprintf(err, errlen, "cannot set mode 0600 on datastore %s: %s", s->path, why);
		}
		return rc;
	}
	if (errno == EEXIST)
		fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;
		lower_first(why, sizeof(why), strerror(errno));
		snprintf(err, errlen, "cannot open datastore %s: %s", s->path, why);
		return rc;
	}
	close(fd);
	return 0;
}

static int setup_body(struct sq *s, void *p)
{
	(void)p;
	return sqlite3_exec(s->db, SCHEMA, NULL, NULL, NULL);
}

static int count_cb(void *p, int ncols, char **vals, char **names)
{
	(void)names;
	*(int *)p = ncols == 1 && vals[0] ? atoi(vals[0]) : 0;
	return 0;
}

/* The schema is made in one transaction, so its four tables exist together
 * or not at all. Checking that under a read lock lets every later open skip
 * the write lock: the plugins open the file once per request, often eight at
 * a time, and a write lock per open serialised them all. */
static int schema_body(struct sq *s, void *p)
{
	return sqlite3_exec(s->db,
			    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
			    " name IN ('meta', 'kv', 'events', 'leases')",
			    count_cb, p, NULL);
}

static int wal_body(struct sq *s, void *p)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		*(bool *)p = mode && strcmp(mode, "wal") == 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int sq_open_db(struct sq *s, char *err, size_t errlen)
{
	char why[128];
	bool wal = false;
	int rc = mkdir_p(s->dir);
	if (rc < 0) {
		lower_first(why, sizeof(why), strerror(-rc));
		snprintf(err, errlen, "cannot create directory %s for datastore %s: %s", s->dir, s->path, why);
		return rc;
	}
	if ((rc = create_file(s, err, errlen)) < 0)
		return rc;
	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		rc = s->db ? sq_fail(s, rc, sqlite3_errmsg(s->db)) : ds_fail(&s->base, -ENOMEM, "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_handler(s->db, busy_handler, s);
	if ((rc = sq_run(s, TX_NONE, wal_body, &wal)) < 0)
		goto fail;
	if (!wal) {
		rc = ds_fail(&s->base, -EIO, "datastore %s: cannot switch to WAL mode", s->path);
		goto fail;
	}
	/* WAL + NORMAL: a commit survives a crash of the process; only a power
	 * loss can lose the last transactions, never corrupt the file. */
	sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	int tables = 0;
	if ((rc = sq_run(s, TX_READ, schema_body, &tables)) < 0)
		goto fail;
	if (tables != 4 && (rc = sq_run(s, TX_WRITE, setup_body, NULL)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s", s->base.err);
	return rc;
}

int ds_sqlite_open(const struct ds_config *cfg, struct ds **out, char *err, size_t errlen)
{
	const char *path = cfg->sqlite_path;
	int rc;

	*out = NULL;
	if (!path || !*path) {
		snprintf(err, errlen, "no SQLite datastore path given");
		return -EINVAL;
	}
	struct sq *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory opening datastore %s", path);
		return -ENOMEM;
	}
	s->base.ops = &sq_ops;
	s->base.backend = DS_SQLITE;
	snprintf(s->base.describe, sizeof(s->base.describe), "sqlite:%s", path);
	s->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)sq_wall_ms() ^ 0x9e3779b97f4a7c15ull;
	s->path = strdup(path);
	const char *slash = strrchr(path, '/');
	s->dir = slash == path ? strdup("/") : slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!s->path || !s->dir) {
		snprintf(err, errlen, "out of memory opening datastore %s", path);
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = sq_open_db(s, err, errlen)) < 0)
		goto fail;
	*out = &s->base;
	return 0;
fail:
	sq_close(&s->base);
	return rc;
}
