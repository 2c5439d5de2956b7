/* Datastore conformance: the contract of datastore.h, run unchanged against
 * whichever backend the environment selects (CALICO_DATASTORE=sqlite:PATH, or
 * ETCD_ENDPOINTS=http://...). Everything lives under a run-unique prefix that
 * is removed at the end, so it can share a store with other users. TAP output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "datastore/datastore.h"
#include "tap.h"

static struct ds *ds;
static char P[128]; /* run-unique prefix, ends with '/' */

/* The key P + suffix, in one of a few rotating buffers so calls can nest. */
static const char *K(const char *suffix)
{
	static char bufs[8][512];
	static int i;
	char *b = bufs[i++ % 8];
	snprintf(b, sizeof(bufs[0]), "%s%s", P, suffix);
	return b;
}

static int64_t rev_now(void)
{
	int64_t r = -1;
	ds_revision(ds, &r);
	return r;
}

static int64_t mod_rev_of(const char *key)
{
	struct ds_kv kv;
	if (ds_get(ds, key, &kv) < 0)
		return -1;
	int64_t r = kv.mod_rev;
	ds_kv_free(&kv);
	return r;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_basic(void)
{
	struct ds_kv kv = { 0 };

	CHECK_INT(ds_get(ds, K("missing"), &kv), -ENOENT, "get of a missing key is -ENOENT");
	CHECK(strlen(ds_strerror(ds)) > 0, "a failed get leaves a reason: %s", ds_strerror(ds));

	CHECK_INT(ds_put(ds, K("a"), "1"), 0, "put");
	CHECK_INT(ds_get(ds, K("a"), &kv), 0, "get after put");
	CHECK_STR(kv.key, K("a"), "get returns the key");
	CHECK_STR(kv.value, "1", "get returns the value");
	CHECK(kv.create_rev > 0 && kv.create_rev == kv.mod_rev, "a new key has create_rev == mod_rev > 0");
	CHECK_INT(kv.lease, 0, "no lease");
	int64_t created = kv.create_rev, first_mod = kv.mod_rev;
	ds_kv_free(&kv);
	CHECK_INT(rev_now() >= first_mod, 1, "store revision is at least the key's mod_rev");

	CHECK_INT(ds_put(ds, K("a"), "2"), 0, "second put");
	CHECK_INT(ds_get(ds, K("a"), &kv), 0, "get after second put");
	CHECK_STR(kv.value, "2", "value replaced");
	CHECK_INT(kv.create_rev, created, "create_rev unchanged by an update");
	CHECK(kv.mod_rev > first_mod, "mod_rev moved forward on update");
	ds_kv_free(&kv);

	CHECK_INT(ds_create(ds, K("c"), "first"), 0, "create of an absent key");
	CHECK_INT(ds_create(ds, K("c"), "second"), -EEXIST, "second create is -EEXIST");
	CHECK_INT(ds_get(ds, K("c"), &kv), 0, "get created key");
	CHECK_STR(kv.value, "first", "failed create left the value alone");
	ds_kv_free(&kv);
}

static void test_cas_delete(void)
{
	struct ds_kv kv = { 0 };
	int64_t m = mod_rev_of(K("a"));

	CHECK_INT(ds_cas(ds, K("a"), "3", m), 0, "CAS with the current mod_rev");
	CHECK_INT(ds_cas(ds, K("a"), "4", m), -ECANCELED, "CAS with a stale mod_rev is -ECANCELED");
	CHECK_INT(ds_get(ds, K("a"), &kv), 0, "get after CAS");
	CHECK_STR(kv.value, "3", "stale CAS changed nothing");
	ds_kv_free(&kv);
	CHECK_INT(ds_cas(ds, K("cas0"), "new", 0), 0, "CAS with mod_rev 0 on an absent key creates it");
	CHECK_INT(ds_get(ds, K("cas0"), &kv), 0, "CAS-created key exists");
	CHECK_STR(kv.value, "new", "CAS-created value");
	ds_kv_free(&kv);
	CHECK_INT(ds_cas(ds, K("cas0"), "again", 0), -ECANCELED, "CAS with mod_rev 0 on a present key is -ECANCELED");

	CHECK_INT(ds_delete(ds, K("cas0")), 0, "delete");
	CHECK_INT(ds_get(ds, K("cas0"), &kv), -ENOENT, "deleted key is gone");
	CHECK_INT(ds_delete(ds, K("cas0")), -ENOENT, "delete of an absent key is -ENOENT");

	ds_put(ds, K("d"), "x");
	int64_t dm = mod_rev_of(K("d"));
	ds_put(ds, K("d"), "y");
	struct ds_op del = { .type = DS_OP_DELETE, .key = K("d"), .mod_rev = dm };
	CHECK_INT(ds_txn(ds, &del, 1, NULL), -ECANCELED, "DELETE op with a stale mod_rev is -ECANCELED");
	CHECK_INT(ds_get(ds, K("d"), &kv), 0, "key survives a stale DELETE");
	del.mod_rev = kv.mod_rev;
	ds_kv_free(&kv);
	CHECK_INT(ds_txn(ds, &del, 1, NULL), 0, "DELETE op with the current mod_rev");
	CHECK_INT(ds_get(ds, K("d"), &kv), -ENOENT, "key deleted by a conditional DELETE");
	del.mod_rev = 0;
	CHECK_INT(ds_txn(ds, &del, 1, NULL), 0, "unconditional DELETE op of an absent key is fine");
}

static void test_prefixes(void)
{
	struct ds_kv_list l = { 0 };
	struct ds_kv kv = { 0 };

	ds_put(ds, K("p/a/x"), "1");
	ds_put(ds, K("p/a/y"), "2");
	ds_put(ds, K("p/ab"), "3");
	CHECK_INT(ds_delete_prefix(ds, K("p/a/")), 0, "delete_prefix");
	CHECK_INT(ds_get(ds, K("p/a/x"), &kv), -ENOENT, "delete_prefix removed p/a/x");
	CHECK_INT(ds_get(ds, K("p/a/y"), &kv), -ENOENT, "delete_prefix removed p/a/y");
	CHECK_INT(ds_get(ds, K("p/ab"), &kv), 0, "delete_prefix kept p/ab");
	ds_kv_free(&kv);

	const char *puts[] = { "l/c", "l/a", "l/b", "l/a/deep", "l_x", "l%y", "lz", "l" };
	int64_t last = 0;
	for (size_t i = 0; i < sizeof(puts) / sizeof(puts[0]); i++)
		ds_put(ds, K(puts[i]), puts[i]);
	last = mod_rev_of(K("l"));
	CHECK_INT(ds_list(ds, K("l/"), &l), 0, "list");
	CHECK_INT(l.n, 4, "list returns exactly the prefix's keys");
	const char *want[] = { "l/a", "l/a/deep", "l/b", "l/c" };
	for (size_t i = 0; i < 4 && i < l.n; i++) {
		CHECK_STR(l.items[i].key, K(want[i]), "list item %zu sorted bytewise", i);
		CHECK_STR(l.items[i].value, want[i], "list item %zu value", i);
		CHECK(l.items[i].mod_rev > 0 && l.items[i].create_rev > 0, "list item %zu carries revisions", i);
	}
	CHECK(l.rev >= last, "list revision is at least the last write's");
	ds_kv_list_free(&l);

	CHECK_INT(ds_list(ds, K("l_"), &l), 0, "list with '_' in the prefix");
	CHECK(l.n == 1 && strcmp(l.items[0].key, K("l_x")) == 0, "'_' is literal, not a wildcard");
	ds_kv_list_free(&l);
	CHECK_INT(ds_list(ds, K("l%"), &l), 0, "list with '%%' in the prefix");
	CHECK(l.n == 1 && strcmp(l.items[0].key, K("l%y")) == 0, "'%%' is literal, not a wildcard");
	ds_kv_list_free(&l);
	CHECK_INT(ds_list(ds, K("nothing-here/"), &l), 0, "empty list is not an error");
	CHECK_INT(l.n, 0, "empty list has no items");
	ds_kv_list_free(&l);
}

static void test_txn(void)
{
	struct ds_kv kv = { 0 };
	int64_t r0 = rev_now();

	struct ds_op bad[] = {
		{ .type = DS_OP_PUT, .key = K("t/a"), .value = "a" },
		{ .type = DS_OP_CHECK, .key = K("t/none"), .mod_rev = 12345 },
	};
	CHECK_INT(ds_txn(ds, bad, 2, NULL), -ECANCELED, "txn with a failing CHECK is -ECANCELED");
	CHECK_INT(ds_get(ds, K("t/a"), &kv), -ENOENT, "failed txn applied none of its ops");
	CHECK_INT(rev_now(), r0, "failed txn did not move the revision");

	ds_put(ds, K("t/exists"), "e");
	r0 = rev_now();
	struct ds_op bad2[] = {
		{ .type = DS_OP_PUT, .key = K("t/a"), .value = "a" },
		{ .type = DS_OP_CREATE, .key = K("t/exists"), .value = "e2" },
	};
	CHECK_INT(ds_txn(ds, bad2, 2, NULL), -EEXIST, "txn whose CREATE finds the key is -EEXIST");
	CHECK_INT(ds_get(ds, K("t/a"), &kv), -ENOENT, "-EEXIST txn applied nothing");
	CHECK_INT(rev_now(), r0, "-EEXIST txn did not move the revision");

	int64_t em = mod_rev_of(K("t/exists")), rev = 0;
	struct ds_op good[] = {
		{ .type = DS_OP_CHECK, .key = K("t/exists"), .mod_rev = em },
		{ .type = DS_OP_PUT, .key = K("t/a"), .value = "a" },
		{ .type = DS_OP_CREATE, .key = K("t/b"), .value = "b" },
		{ .type = DS_OP_CAS, .key = K("t/exists"), .value = "e3", .mod_rev = em },
	};
	CHECK_INT(ds_txn(ds, good, 4, &rev), 0, "multi-op txn");
	CHECK_INT(rev, r0 + 1, "a txn moves the revision by exactly one");
	CHECK_INT(mod_rev_of(K("t/a")), rev, "txn op 1 at the txn's revision");
	CHECK_INT(mod_rev_of(K("t/b")), rev, "txn op 2 at the txn's revision");
	CHECK_INT(mod_rev_of(K("t/exists")), rev, "txn op 3 at the txn's revision");

	int64_t prev = rev, ok = 1;
	for (int i = 0; i < 5; i++) {
		int64_t r;
		struct ds_op op = { .type = DS_OP_PUT, .key = K("t/seq"), .value = "v" };
		if (ds_txn(ds, &op, 1, &r) < 0 || r <= prev)
			ok = 0;
		prev = r;
	}
	CHECK(ok, "revisions strictly increase");
}

static void test_values(void)
{
	const char *vals[] = {
		"{\"a\":\"q\\\"uote\",\"b\":[1,2]}", "back\\slash\\\\", "line1\nline2\r\n\ttab", "ünïcødé ☃ 日本語 🎉",
		"", "'single' \"double\" `tick` $x %s %n",
	};
	struct ds_kv kv = { 0 };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char key[32];
		snprintf(key, sizeof(key), "v/%zu", i);
		ds_put(ds, K(key), vals[i]);
		int rc = ds_get(ds, K(key), &kv);
		CHECK(rc == 0 && strcmp(kv.value, vals[i]) == 0, "value %zu round-trips", i);
		ds_kv_free(&kv);
	}
	CHECK_INT(ds_put(ds, K("v/ключ ☃"), "k"), 0, "UTF-8 key put");
	CHECK_INT(ds_get(ds, K("v/ключ ☃"), &kv), 0, "UTF-8 key get");
	ds_kv_free(&kv);

	size_t big = 1 << 20;
	char *v = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		v[i] = (char)('a' + i % 26);
	v[big] = '\0';
	CHECK_INT(ds_put(ds, K("v/big"), v), 0, "1 MB put");
	int rc = ds_get(ds, K("v/big"), &kv);
	CHECK(rc == 0 && strlen(kv.value) == big && memcmp(kv.value, v, big) == 0, "1 MB value round-trips");
	ds_kv_free(&kv);
	ds_delete(ds, K("v/big"));
	free(v);
}

/* Reads up to n events (timeout each), returns how many arrived. */
static size_t read_events(struct ds_watch *w, struct ds_event *evs, size_t n, int timeout_ms)
{
	size_t got = 0;
	while (got < n && ds_watch_next(w, &evs[got], timeout_ms) == 0)
		got++;
	return got;
}

static void free_events(struct ds_event *evs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ds_event_free(&evs[i]);
}

struct want_ev {
	enum ds_event_type type;
	const char *key;
	const char *value;
};

static void check_events(const char *what, struct ds_event *evs, size_t got, const struct want_ev *want, size_t n)
{
	CHECK_INT(got, n, "%s: %zu events", what, n);
	bool order = true, content = true;
	for (size_t i = 0; i < got && i < n; i++) {
		if (i > 0 && evs[i].mod_rev < evs[i - 1].mod_rev)
			order = false;
		if (evs[i].type != want[i].type || strcmp(evs[i].key, K(want[i].key)) != 0 ||
		    (want[i].value && (!evs[i].value || strcmp(evs[i].value, want[i].value) != 0)) ||
		    (!want[i].value && evs[i].value)) {
			content = false;
			printf("#   event %zu: %s %s\n", i, evs[i].type == DS_EV_PUT ? "PUT" : "DELETE", evs[i].key);
		}
	}
	CHECK(order, "%s: revisions never go backwards", what);
	CHECK(content, "%s: the expected events, in order", what);
}

static void test_watch(void)
{
	struct ds_event evs[16];
	struct ds_watch *w = NULL;
	int64_t start = rev_now() + 1;

	CHECK_INT(ds_watch_open(ds, K("w/"), start, &w), 0, "watch open");
	CHECK_INT(ds_watch_revision(w), start - 1, "a fresh watch reports from_rev - 1");
	ds_put(ds, K("w/a"), "1");
	ds_put(ds, K("wx"), "outside");
	ds_put(ds, K("w/b"), "2");
	ds_put(ds, K("other/w/c"), "outside");
	ds_delete(ds, K("w/a"));
	ds_put(ds, K("w/c/1"), "c1");
	ds_put(ds, K("w/c/2"), "c2");
	ds_delete_prefix(ds, K("w/c/"));
	ds_put(ds, K("w/z"), "end");
	int64_t end = mod_rev_of(K("w/z"));

	const struct want_ev want[] = {
		{ DS_EV_PUT, "w/a", "1" },      { DS_EV_PUT, "w/b", "2" },       { DS_EV_DELETE, "w/a", NULL },
		{ DS_EV_PUT, "w/c/1", "c1" },   { DS_EV_PUT, "w/c/2", "c2" },    { DS_EV_DELETE, "w/c/1", NULL },
		{ DS_EV_DELETE, "w/c/2", NULL }, { DS_EV_PUT, "w/z", "end" },
	};
	size_t got = read_events(w, evs, 8, 3000);
	check_events("live watch", evs, got, want, 8);
	if (got == 8) {
		CHECK(evs[5].mod_rev == evs[6].mod_rev, "delete_prefix's DELETEs share one revision");
		CHECK_INT(evs[7].mod_rev, end, "event revision is the key's mod_rev");
	}
	CHECK_INT(ds_watch_revision(w), end, "watch revision is the last delivered event's");
	struct ds_event extra;
	CHECK_INT(ds_watch_next(w, &extra, 200), -ETIMEDOUT, "nothing outside the prefix, nothing more");
	double t0 = now_s();
	ds_put(ds, K("w/late"), "x");
	int rc = ds_watch_next(w, &extra, 2000);
	CHECK(rc == 0 && strcmp(extra.key, K("w/late")) == 0 && now_s() - t0 < 1.0,
	      "watch wakes promptly on a new write (%.0f ms)", (now_s() - t0) * 1000);
	if (rc == 0)
		ds_event_free(&extra);
	ds_watch_close(w);
	free_events(evs, got);

	/* The same history, replayed from the past. */
	CHECK_INT(ds_watch_open(ds, K("w/"), start, &w), 0, "watch open from a past revision");
	got = read_events(w, evs, 8, 3000);
	check_events("replayed watch", evs, got, want, 8);
	ds_watch_close(w);
	free_events(evs, got);
}

static void test_resume(void)
{
	struct ds_event evs[8];
	struct ds_watch *w = NULL;

	CHECK_INT(ds_watch_open(ds, K("r/"), rev_now() + 1, &w), 0, "resume: watch open");
	ds_put(ds, K("r/1"), "1");
	ds_put(ds, K("r/2"), "2");
	ds_put(ds, K("r/3"), "3");
	size_t got = read_events(w, evs, 2, 3000);
	CHECK_INT(got, 2, "resume: read two events");
	int64_t last = ds_watch_revision(w);
	CHECK_INT(last, mod_rev_of(K("r/2")), "resume: watch revision is r/2's");
	ds_watch_close(w);
	free_events(evs, got);

	ds_put(ds, K("r/4"), "4");
	ds_put(ds, K("r/5"), "5");
	CHECK_INT(ds_watch_open(ds, K("r/"), last + 1, &w), 0, "resume: reopen from last + 1");
	const struct want_ev want[] = { { DS_EV_PUT, "r/3", "3" }, { DS_EV_PUT, "r/4", "4" }, { DS_EV_PUT, "r/5", "5" } };
	got = read_events(w, evs, 3, 3000);
	check_events("resumed watch", evs, got, want, 3);
	struct ds_event extra;
	CHECK_INT(ds_watch_next(w, &extra, 300), -ETIMEDOUT, "resume: nothing delivered twice");
	ds_watch_close(w);
	free_events(evs, got);
}

static void test_compact(void)
{
	struct ds_event ev;
	struct ds_watch *w = NULL, *early = NULL;

	ds_put(ds, K("k/1"), "1");
	int64_t r1 = mod_rev_of(K("k/1"));
	ds_put(ds, K("k/2"), "2");
	int64_t r2 = mod_rev_of(K("k/2"));
	bool sqlite = ds_backend_of(ds) == DS_SQLITE;
	if (sqlite) /* an open watch that has not read yet falls behind the compaction */
		ds_watch_open(ds, K("k/"), r1, &early);
	CHECK_INT(ds_compact(ds, r2), 0, "compact");
	int rc = ds_watch_open(ds, K("k/"), r1, &w);
	if (rc == 0)
		rc = ds_watch_next(w, &ev, 3000);
	CHECK_INT(rc, -ESTALE, "watch from before the compaction is -ESTALE");
	if (rc == 0)
		ds_event_free(&ev);
	ds_watch_close(w);
	w = NULL;
	rc = ds_watch_open(ds, K("k/"), r2, &w);
	if (rc == 0)
		rc = ds_watch_next(w, &ev, 3000);
	CHECK(rc == 0 && strcmp(ev.key, K("k/2")) == 0 && ev.mod_rev == r2,
	      "watch from the compaction revision still works");
	if (rc == 0)
		ds_event_free(&ev);
	ds_watch_close(w);
	if (sqlite) {
		rc = early ? ds_watch_next(early, &ev, 1000) : -EINVAL;
		CHECK_INT(rc, -ESTALE, "sqlite: an open watch that fell behind a compaction is -ESTALE");
		if (rc == 0)
			ds_event_free(&ev);
		ds_watch_close(early);
	}
}

/* One child: CAS increments of a shared counter, on its own handle. */
static int cas_worker(const char *key, int n)
{
	struct ds *mine;
	char err[512], buf[32];
	if (ds_open_env(&mine, err, sizeof(err)) < 0) {
		fprintf(stderr, "child: %s\n", err);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		for (;;) {
			struct ds_kv kv;
			if (ds_get(mine, key, &kv) < 0) {
				fprintf(stderr, "child get: %s\n", ds_strerror(mine));
				return 1;
			}
			snprintf(buf, sizeof(buf), "%ld", strtol(kv.value, NULL, 10) + 1);
			int rc = ds_cas(mine, key, buf, kv.mod_rev);
			ds_kv_free(&kv);
			if (rc == 0)
				break;
			if (rc != -ECANCELED) {
				fprintf(stderr, "child cas: %s\n", ds_strerror(mine));
				return 1;
			}
		}
	}
	ds_close(mine);
	return 0;
}

static void test_concurrent_cas(void)
{
	enum { PROCS = 4, EACH = 1000 };
	pid_t kids[PROCS];
	const char *key = K("counter");
	char keycopy[512];
	struct ds_kv kv;

	snprintf(keycopy, sizeof(keycopy), "%s", key);
	ds_put(ds, keycopy, "0");
	fflush(stdout);
	double t0 = now_s();
	for (int i = 0; i < PROCS; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(cas_worker(keycopy, EACH));
	}
	int clean = 0;
	for (int i = 0; i < PROCS; i++) {
		int st;
		if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			clean++;
	}
	CHECK_INT(clean, PROCS, "%d processes of CAS increments all succeeded (%.1f s)", PROCS, now_s() - t0);
	int rc = ds_get(ds, keycopy, &kv);
	CHECK(rc == 0 && strcmp(kv.value, "4000") == 0, "counter is exactly %d (got %s)", PROCS * EACH,
	      rc == 0 ? kv.value : "nothing");
	if (rc == 0)
		ds_kv_free(&kv);
}

static void test_leases(void)
{
	struct ds_kv kv = { 0 };
	struct ds_watch *w = NULL;
	int64_t id = 0;

	CHECK_INT(ds_lease_grant(ds, 2, &id), 0, "lease grant (TTL 2 s)");
	CHECK(id != 0, "lease id is not 0");
	CHECK_INT(ds_put_lease(ds, K("lease/a"), "alive", id), 0, "put with lease");
	CHECK_INT(ds_get(ds, K("lease/a"), &kv), 0, "leased key exists");
	CHECK_INT(kv.lease, id, "leased key carries its lease");
	ds_kv_free(&kv);
	CHECK_INT(ds_watch_open(ds, K("lease/"), rev_now() + 1, &w), 0, "watch on the leased key");

	double t0 = now_s();
	bool kept = true;
	while (now_s() - t0 < 3.2) {
		if (ds_lease_keepalive(ds, id) < 0)
			kept = false;
		msleep(500);
	}
	CHECK(kept, "keepalive succeeds while the lease lives");
	CHECK_INT(ds_get(ds, K("lease/a"), &kv), 0, "key alive past its TTL thanks to keepalive");
	ds_kv_free(&kv);

	/* Stop keeping it alive: the key must go, and the watcher must see it go. */
	t0 = now_s();
	struct ds_event ev;
	int rc;
	bool saw = false;
	while (now_s() - t0 < 8 && (rc = ds_watch_next(w, &ev, 500)) != -ESTALE) {
		if (rc == 0) {
			saw = ev.type == DS_EV_DELETE && strcmp(ev.key, K("lease/a")) == 0;
			ds_event_free(&ev);
			if (saw)
				break;
		}
	}
	CHECK(saw, "watcher saw the DELETE of the expired key (%.1f s after the last keepalive)", now_s() - t0);
	CHECK_INT(ds_get(ds, K("lease/a"), &kv), -ENOENT, "expired lease's key is gone");
	CHECK_INT(ds_lease_keepalive(ds, id), -ENOENT, "keepalive of an expired lease is -ENOENT");
	ds_watch_close(w);

	CHECK_INT(ds_lease_grant(ds, 30, &id), 0, "second lease");
	ds_put_lease(ds, K("lease/b"), "b", id);
	ds_put_lease(ds, K("lease/c"), "c", id);
	CHECK_INT(ds_lease_revoke(ds, id), 0, "revoke");
	CHECK_INT(ds_get(ds, K("lease/b"), &kv), -ENOENT, "revoke deleted its keys at once");
	CHECK_INT(ds_get(ds, K("lease/c"), &kv), -ENOENT, "revoke deleted every key of the lease");
	CHECK_INT(ds_lease_keepalive(ds, id), -ENOENT, "keepalive of a revoked lease is -ENOENT");
}

/* The empty prefix is every key: list, watch and delete-prefix accept it. */
static void test_empty_prefix(void)
{
	struct ds_kv_list l = { 0 };
	struct ds_watch *w = NULL;
	struct ds_event ev;

	ds_put(ds, K("empty/x"), "x");
	int rc = ds_list(ds, "", &l);
	CHECK_INT(rc, 0, "list of the empty prefix (%s)", rc ? ds_strerror(ds) : "ok");
	bool found = false, sorted = true;
	for (size_t i = 0; i < l.n; i++) {
		found = found || strcmp(l.items[i].key, K("empty/x")) == 0;
		if (i > 0 && strcmp(l.items[i - 1].key, l.items[i].key) >= 0)
			sorted = false;
	}
	CHECK(found && sorted, "the empty prefix lists every key, sorted");
	ds_kv_list_free(&l);

	CHECK_INT(ds_watch_open(ds, "", rev_now() + 1, &w), 0, "watch on the empty prefix");
	ds_put(ds, K("empty/y"), "y");
	bool saw = false;
	while (!saw && ds_watch_next(w, &ev, 3000) == 0) {
		saw = strcmp(ev.key, K("empty/y")) == 0;
		ds_event_free(&ev);
	}
	CHECK(saw, "a watch on the empty prefix sees every key");
	ds_watch_close(w);
}

/* One transaction's events share its revision and come in the order of its ops. */
static void test_txn_events(void)
{
	struct ds_event evs[8];
	struct ds_watch *w = NULL;
	int64_t rev = 0;

	ds_put(ds, K("te/old"), "o");
	CHECK_INT(ds_watch_open(ds, K("te/"), rev_now() + 1, &w), 0, "txn events: watch open");
	struct ds_op ops[] = {
		{ .type = DS_OP_PUT, .key = K("te/b"), .value = "b" },
		{ .type = DS_OP_DELETE, .key = K("te/old") },
		{ .type = DS_OP_PUT, .key = K("te/a"), .value = "a" },
		{ .type = DS_OP_PUT, .key = K("outside-te"), .value = "x" },
	};
	CHECK_INT(ds_txn(ds, ops, 4, &rev), 0, "txn events: one txn of three watched writes");
	const struct want_ev want[] = { { DS_EV_PUT, "te/b", "b" }, { DS_EV_DELETE, "te/old", NULL }, { DS_EV_PUT, "te/a", "a" } };
	size_t got = read_events(w, evs, 3, 3000);
	check_events("txn events", evs, got, want, 3);
	bool same = got == 3;
	for (size_t i = 0; i < got; i++)
		same = same && evs[i].mod_rev == rev;
	CHECK(same, "txn events: every event carries the txn's revision");
	free_events(evs, got);
	ds_watch_close(w);
}

/* A watch that is closed part-way through one revision's events and reopened
 * from ds_watch_revision() + 1 must still get the rest of that revision. */
static void test_resume_mid_revision(void)
{
	struct ds_event ev;
	struct ds_watch *w = NULL;

	CHECK_INT(ds_watch_open(ds, K("rm/"), rev_now() + 1, &w), 0, "mid-revision resume: watch open");
	struct ds_op ops[] = {
		{ .type = DS_OP_PUT, .key = K("rm/1"), .value = "1" },
		{ .type = DS_OP_PUT, .key = K("rm/2"), .value = "2" },
	};
	int64_t rev = 0;
	ds_txn(ds, ops, 2, &rev);
	int rc = ds_watch_next(w, &ev, 3000);
	CHECK(rc == 0 && strcmp(ev.key, K("rm/1")) == 0, "mid-revision resume: first event of the txn");
	if (rc == 0)
		ds_event_free(&ev);
	int64_t resume = ds_watch_revision(w) + 1;
	ds_watch_close(w);
	CHECK_INT(ds_watch_open(ds, K("rm/"), resume, &w), 0, "mid-revision resume: reopen from revision + 1");
	bool saw = false; /* rm/1 may come again: a repeat is allowed, a loss is not */
	for (int i = 0; i < 2 && !saw && ds_watch_next(w, &ev, 2000) == 0; i++) {
		saw = strcmp(ev.key, K("rm/2")) == 0 && ev.mod_rev == rev;
		ds_event_free(&ev);
	}
	CHECK(saw, "mid-revision resume: the rest of the txn is not lost");
	ds_watch_close(w);
}

/* Writers in other processes, a watcher here: every write arrives once, in order. */
static void test_watch_other_processes(void)
{
	enum { PROCS = 3, EACH = 100 };
	struct ds_watch *w = NULL;
	pid_t kids[PROCS];
	static bool seen[PROCS][EACH];

	CHECK_INT(ds_watch_open(ds, K("xp/"), rev_now() + 1, &w), 0, "cross-process watch: open");
	fflush(stdout);
	for (int i = 0; i < PROCS; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct ds *mine;
			char err[512], key[64], val[32];
			if (ds_open_env(&mine, err, sizeof(err)) < 0)
				_exit(1);
			for (int j = 0; j < EACH; j++) {
				snprintf(key, sizeof(key), "xp/%d/%d", i, j);
				snprintf(val, sizeof(val), "%d.%d", i, j);
				if (ds_put(mine, K(key), val) < 0)
					_exit(1);
			}
			ds_close(mine);
			_exit(0);
		}
	}
	int clean = 0;
	for (int i = 0; i < PROCS; i++) {
		int st;
		if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			clean++;
	}
	CHECK_INT(clean, PROCS, "cross-process watch: writers done");
	int got = 0, dup = 0, bad = 0;
	int64_t last = 0;
	bool order = true;
	struct ds_event ev;
	while (got < PROCS * EACH && ds_watch_next(w, &ev, 3000) == 0) {
		int a, b;
		if (ev.type != DS_EV_PUT || !ev.value || sscanf(ev.value, "%d.%d", &a, &b) != 2 || a < 0 || a >= PROCS ||
		    b < 0 || b >= EACH)
			bad++;
		else if (seen[a][b])
			dup++;
		else
			seen[a][b] = true;
		if (ev.mod_rev <= last)
			order = false;
		last = ev.mod_rev;
		got++;
		ds_event_free(&ev);
	}
	CHECK_INT(got, PROCS * EACH, "cross-process watch: every write arrived");
	CHECK(dup == 0 && bad == 0, "cross-process watch: none twice, none garbled (%d twice, %d bad)", dup, bad);
	CHECK(order, "cross-process watch: revisions strictly increase");
	CHECK_INT(ds_watch_next(w, &ev, 300), -ETIMEDOUT, "cross-process watch: nothing more");
	ds_watch_close(w);
}

/* Compaction is idempotent: history before an already-compacted revision is gone. */
static void test_compact_again(void)
{
	ds_put(ds, K("ca/1"), "1");
	int64_t r = rev_now();
	CHECK_INT(ds_compact(ds, r), 0, "compact at the current revision");
	int rc = ds_compact(ds, r);
	CHECK_INT(rc, 0, "compact again at the same revision is fine (%s)", rc ? ds_strerror(ds) : "ok");
	rc = ds_compact(ds, r + 1000000);
	CHECK_INT(rc, -EINVAL, "compact at a future revision is -EINVAL (%s)", ds_strerror(ds));
}

/* Several reads in one: exact keys (present and absent) and prefixes, each
 * answered as ds_get / ds_list would, all at one revision. */
static void test_read_many(void)
{
	char k1[256], k2[256], p1[256], p2[256], missing[256];
	snprintf(k1, sizeof(k1), "%s", K("rm/one"));
	snprintf(k2, sizeof(k2), "%s", K("rm/sub/b"));
	snprintf(p1, sizeof(p1), "%s", K("rm/sub/"));
	snprintf(p2, sizeof(p2), "%s", K("rm/none/"));
	snprintf(missing, sizeof(missing), "%s", K("rm/missing"));
	CHECK_INT(ds_put(ds, k1, "1"), 0, "read_many: put one");
	CHECK_INT(ds_put(ds, k2, "b"), 0, "read_many: put sub/b");
	CHECK_INT(ds_put(ds, K("rm/sub/a"), "a"), 0, "read_many: put sub/a");
	CHECK_INT(ds_put(ds, K("rm/subway"), "x"), 0, "read_many: put subway (outside sub/)");
	const struct ds_read reads[] = { { k1, false }, { missing, false }, { p1, true }, { p2, true }, { k2, false } };
	struct ds_kv_list out[5];
	memset(out, 0xff, sizeof(out)); /* ds_read_many must not rely on the caller zeroing them */
	int64_t before = rev_now();
	CHECK_INT(ds_read_many(ds, reads, 5, out), 0, "read_many of 5 reads");
	CHECK(out[0].n == 1 && strcmp(out[0].items[0].key, k1) == 0 && strcmp(out[0].items[0].value, "1") == 0 &&
		      out[0].items[0].mod_rev > 0,
	      "an exact key present: one item with its value and revision");
	CHECK_INT(out[1].n, 0, "an exact key absent: no item, no error");
	CHECK(out[2].n == 2 && strcmp(out[2].items[0].value, "a") == 0 && strcmp(out[2].items[1].value, "b") == 0,
	      "a prefix: its keys in order, not the neighbour sharing the letters");
	CHECK_INT(out[3].n, 0, "an empty prefix: no item");
	CHECK(out[4].n == 1 && strcmp(out[4].items[0].value, "b") == 0, "a key also under a listed prefix");
	bool same_rev = true;
	for (int i = 0; i < 5; i++)
		same_rev &= out[i].rev == before;
	CHECK(same_rev, "every answer carries the store revision (%lld)", (long long)before);
	for (int i = 0; i < 5; i++)
		ds_kv_list_free(&out[i]);
	CHECK_INT(ds_read_many(ds, reads, 0, out), 0, "read_many of nothing");
}

struct page_log {
	size_t pages, keys, sizes[8];
	bool ordered;
	char last[256];
	int stop_at; /* refuse the page with this number (1-based), 0 = never */
	int restarts;
};

static int log_page(void *ctx, struct ds_kv_list *page)
{
	struct page_log *g = ctx;
	if (!page) {
		g->restarts++;
		return 0;
	}
	if (g->pages < 8)
		g->sizes[g->pages] = page->n;
	g->pages++;
	if (g->stop_at && (int)g->pages == g->stop_at)
		return -EIO;
	for (size_t i = 0; i < page->n; i++) {
		if (strcmp(page->items[i].key, g->last) <= 0)
			g->ordered = false;
		snprintf(g->last, sizeof(g->last), "%s", page->items[i].key);
	}
	g->keys += page->n;
	/* take the first item: the reader owns what it takes */
	free(page->items[0].key);
	free(page->items[0].value);
	memset(&page->items[0], 0, sizeof(page->items[0]));
	return 0;
}

static void test_list_pages(void)
{
	enum { N = 2 * DS_PAGE_KEYS + 345, BATCH = 100 };
	static char keys[BATCH][64];
	struct ds_op ops[BATCH];
	bool written = true;

	for (int i = 0; i < N; i += BATCH) {
		int n = N - i < BATCH ? N - i : BATCH;
		for (int j = 0; j < n; j++) {
			snprintf(keys[j], sizeof(keys[j]), "%s", K(""));
			snprintf(keys[j] + strlen(keys[j]), sizeof(keys[j]) - strlen(keys[j]), "pg/%05d", i + j);
			ops[j] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[j], .value = "v" };
		}
		written &= ds_txn(ds, ops, (size_t)n, NULL) == 0;
	}
	CHECK(written, "pages: %d keys written", N);
	int64_t last = rev_now(), rev = 0;

	struct page_log g = { .ordered = true };
	CHECK_INT(ds_list_pages(ds, K("pg/"), log_page, &g, &rev), 0, "list in pages");
	CHECK(g.pages == 3 && g.sizes[0] == DS_PAGE_KEYS && g.sizes[1] == DS_PAGE_KEYS && g.sizes[2] == 345,
	      "pages of %d keys at most, all keys once (%zu pages: %zu, %zu, %zu)", DS_PAGE_KEYS, g.pages, g.sizes[0],
	      g.sizes[1], g.sizes[2]);
	CHECK(g.keys == N && g.ordered, "every key once, in order across pages (%zu)", g.keys);
	CHECK(rev >= last, "the pages' revision is the store's (%lld >= %lld)", (long long)rev, (long long)last);
	CHECK_INT(g.restarts, 0, "no start-over on a quiet store");

	struct ds_kv_list l = { 0 };
	CHECK(ds_list(ds, K("pg/"), &l) == 0 && l.n == N, "the whole list is the pages together (%zu)", l.n);
	ds_kv_list_free(&l);

	struct page_log stop = { .ordered = true, .stop_at = 2 };
	CHECK_INT(ds_list_pages(ds, K("pg/"), log_page, &stop, &rev), -EIO, "a reader's refusal stops the read and is returned");
	CHECK_INT(stop.pages, 2, "... no page after the refused one");

	struct page_log none = { .ordered = true };
	CHECK(ds_list_pages(ds, K("pg-none/"), log_page, &none, &rev) == 0 && none.pages == 0,
	      "an empty prefix: no page, no error");
	CHECK_INT(ds_delete_prefix(ds, K("pg/")), 0, "pages: clean up");
}

int main(void)
{
	char err[512];
	int rc = ds_open_env(&ds, err, sizeof(err));
	if (rc < 0) {
		printf("not ok 1 - open datastore: %s\n1..1\n", err);
		return 1;
	}
	snprintf(P, sizeof(P), "/conformance/%d-%lld/", (int)getpid(), (long long)time(NULL));
	printf("# datastore %s, prefix %s\n", ds_describe(ds), P);

	test_basic();
	test_cas_delete();
	test_prefixes();
	test_txn();
	test_values();
	test_watch();
	test_resume();
	test_concurrent_cas();
	test_leases();
	test_compact();
	test_empty_prefix();
	test_txn_events();
	test_resume_mid_revision();
	test_watch_other_processes();
	test_compact_again();
	test_read_many();
	test_list_pages();

	struct ds_kv_list l = { 0 };
	CHECK_INT(ds_delete_prefix(ds, P), 0, "clean up the run's prefix");
	CHECK(ds_list(ds, P, &l) == 0 && l.n == 0, "nothing left under the prefix");
	ds_kv_list_free(&l);
	ds_close(ds);
	return tap_done();
}
