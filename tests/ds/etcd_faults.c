/* etcd-specific checks that need C (tests/ds/etcd.sh drives them):
 *   etcd_faults checks              TAP: paging, txn outcomes, leases, compaction, multi-event txn
 *   etcd_faults watch PREFIX N MS   prints "ready REV", then the next N events as
 *                                   "PUT|DELETE KEY VALUE REV" lines; exit 0 once all N came,
 *                                   1 if MS ran out first. Connection errors on the way are
 *                                   printed as "# ..." and the watch goes on.
 * The backend comes from the environment (ETCD_ENDPOINTS). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datastore/datastore.h"
#include "tap.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cmd_watch(struct ds *ds, const char *prefix, int n, int ms)
{
	struct ds_watch *w = NULL;
	int64_t rev = 0, deadline = now_ms() + ms;
	int got = 0, rc;

	if ((rc = ds_revision(ds, &rev)) < 0 || (rc = ds_watch_open(ds, prefix, rev + 1, &w)) < 0) {
		fprintf(stderr, "etcd_faults: %s\n", ds_strerror(ds));
		return 1;
	}
	printf("ready %" PRId64 "\n", rev);
	fflush(stdout);
	while (got < n) {
		int64_t left = deadline - now_ms();
		struct ds_event ev;
		if (left <= 0)
			break;
		rc = ds_watch_next(w, &ev, left > 1000 ? 1000 : (int)left);
		if (rc == -ETIMEDOUT && !*ds_strerror(ds))
			continue;
		if (rc < 0) {
			printf("# %s\n", ds_strerror(ds));
			fflush(stdout);
			if (rc == -ESTALE)
				break;
			continue;
		}
		printf("%s %s %s %" PRId64 "\n", ev.type == DS_EV_PUT ? "PUT" : "DELETE", ev.key,
		       ev.value ? ev.value : "-", ev.mod_rev);
		fflush(stdout);
		ds_event_free(&ev);
		got++;
	}
	ds_watch_close(w);
	return got == n ? 0 : 1;
}

static void check_paging(struct ds *ds)
{
	char key[64], val[16];
	struct ds_kv_list l = { 0 };
	int rc = 0;
	bool sorted = true;

	/* More than one page (1000), in batches so the test stays quick. */
	for (int i = 0; i < 2500 && rc == 0; i += 100) {
		struct ds_op ops[100];
		char keys[100][64], vals[100][16];
		for (int j = 0; j < 100; j++) {
			snprintf(keys[j], sizeof(keys[j]), "/t/page/%05d", 2499 - (i + j));
			snprintf(vals[j], sizeof(vals[j]), "%d", 2499 - (i + j));
			ops[j] = (struct ds_op){ .type = DS_OP_PUT, .key = keys[j], .value = vals[j] };
		}
		rc = ds_txn(ds, ops, 100, NULL);
	}
	CHECK_INT(rc, 0, "2500 keys written in 25 transactions");
	CHECK_INT(ds_list(ds, "/t/page/", &l), 0, "list of 2500 keys (3 pages) works");
	CHECK_INT(l.n, 2500, "every key listed once");
	for (size_t i = 0; i + 1 < l.n; i++)
		if (strcmp(l.items[i].key, l.items[i + 1].key) >= 0)
			sorted = false;
	CHECK(sorted, "listed in ascending key order across pages");
	snprintf(key, sizeof(key), "/t/page/%05d", 1234);
	snprintf(val, sizeof(val), "%d", 1234);
	CHECK(l.n == 2500 && strcmp(l.items[1234].key, key) == 0 && strcmp(l.items[1234].value, val) == 0,
	      "values line up with keys");
	ds_kv_list_free(&l);
	CHECK_INT(ds_delete_prefix(ds, "/t/page/"), 0, "delete prefix of 2500 keys");
	CHECK_INT(ds_list(ds, "/t/page/", &l), 0, "list after delete");
	CHECK_INT(l.n, 0, "nothing left");
	ds_kv_list_free(&l);
}

static void check_txn(struct ds *ds)
{
	struct ds_kv kv = { 0 };
	int64_t rev = 0, rev2 = 0;

	CHECK_INT(ds_create(ds, "/t/txn/a", "1"), 0, "create");
	CHECK_INT(ds_create(ds, "/t/txn/a", "2"), -EEXIST, "second create -> -EEXIST");
	CHECK(strstr(ds_strerror(ds), "/t/txn/a") != NULL, "the reason names the key: %s", ds_strerror(ds));
	CHECK_INT(ds_get(ds, "/t/txn/a", &kv), 0, "get");
	CHECK_INT(ds_cas(ds, "/t/txn/a", "3", kv.mod_rev + 100), -ECANCELED, "stale CAS -> -ECANCELED");
	struct ds_op both[] = {
		{ .type = DS_OP_CAS, .key = "/t/txn/q", .value = "4", .mod_rev = 99999 },
		{ .type = DS_OP_CREATE, .key = "/t/txn/a", .value = "5" },
	};
	CHECK_INT(ds_txn(ds, both, 2, NULL), -EEXIST, "failed txn with a CREATE on an existing key -> -EEXIST");
	struct ds_op ok[] = {
		{ .type = DS_OP_CHECK, .key = "/t/txn/a", .mod_rev = kv.mod_rev },
		{ .type = DS_OP_CAS, .key = "/t/txn/b", .value = "x", .mod_rev = 0 },
		{ .type = DS_OP_PUT, .key = "/t/txn/c", .value = "" },
	};
	CHECK_INT(ds_txn(ds, ok, 3, &rev), 0, "check + cas-absent + put in one txn");
	CHECK_INT(ds_revision(ds, &rev2), 0, "revision");
	CHECK_INT(rev, rev2, "rev_out is the store revision after the txn");
	ds_kv_free(&kv);
	CHECK_INT(ds_get(ds, "/t/txn/c", &kv), 0, "empty value stored");
	CHECK_STR(kv.value, "", "and read back as \"\"");
	ds_kv_free(&kv);
	CHECK_INT(ds_delete(ds, "/t/txn/zz"), -ENOENT, "delete absent -> -ENOENT");
	CHECK_INT(ds_delete_prefix(ds, "/t/txn/"), 0, "cleanup");
}

static void check_leases(struct ds *ds)
{
	int64_t id = 0;
	struct ds_kv kv = { 0 };

	CHECK_INT(ds_lease_grant(ds, 1, &id), 0, "lease grant");
	CHECK_INT(ds_put_lease(ds, "/t/lease/k", "v", id), 0, "put on the lease");
	CHECK_INT(ds_get(ds, "/t/lease/k", &kv), 0, "key there");
	CHECK_INT(kv.lease, id, "with its lease");
	ds_kv_free(&kv);
	CHECK_INT(ds_lease_keepalive(ds, id), 0, "keepalive");
	CHECK_INT(ds_lease_revoke(ds, id), 0, "revoke");
	CHECK_INT(ds_get(ds, "/t/lease/k", &kv), -ENOENT, "revoke deleted the key");
	CHECK_INT(ds_lease_keepalive(ds, id), -ENOENT, "keepalive of a revoked lease -> -ENOENT");
	CHECK_INT(ds_lease_revoke(ds, id), -ENOENT, "revoke of an unknown lease -> -ENOENT");
	CHECK(strstr(ds_strerror(ds), "lease not found") != NULL, "etcd's message: %s", ds_strerror(ds));
}

static void check_watch_and_compact(struct ds *ds)
{
	struct ds_watch *w = NULL;
	struct ds_event ev = { 0 };
	int64_t start = 0, rev = 0;
	struct ds_op ops[] = {
		{ .type = DS_OP_PUT, .key = "/t/w/a", .value = "1" },
		{ .type = DS_OP_PUT, .key = "/t/w/b", .value = "2" },
		{ .type = DS_OP_PUT, .key = "/t/other", .value = "3" },
	};

	ds_revision(ds, &start);
	CHECK_INT(ds_watch_open(ds, "/t/w/", 0, &w), 0, "watch from now");
	CHECK_INT(ds_watch_revision(w), start, "from now: revision is the current one");
	CHECK_INT(ds_watch_next(w, &ev, 200), -ETIMEDOUT, "nothing yet -> -ETIMEDOUT");
	CHECK_INT(ds_txn(ds, ops, 3, &rev), 0, "one txn writes two watched keys");
	CHECK_INT(ds_watch_next(w, &ev, 5000), 0, "first event");
	CHECK(ev.type == DS_EV_PUT && strcmp(ev.key, "/t/w/a") == 0 && ev.mod_rev == rev, "PUT /t/w/a at the txn revision");
	ds_event_free(&ev);
	CHECK_INT(ds_watch_next(w, &ev, 5000), 0, "second event of the same message");
	CHECK(ev.key && strcmp(ev.key, "/t/w/b") == 0 && strcmp(ev.value, "2") == 0, "PUT /t/w/b");
	ds_event_free(&ev);
	CHECK_INT(ds_delete(ds, "/t/w/a"), 0, "delete");
	CHECK_INT(ds_watch_next(w, &ev, 5000), 0, "delete event");
	CHECK(ev.type == DS_EV_DELETE && ev.value == NULL, "DELETE without value");
	CHECK_INT(ds_watch_revision(w), ev.mod_rev, "watch revision follows delivered events");
	ds_event_free(&ev);
	CHECK_INT(ds_watch_next(w, &ev, 100), -ETIMEDOUT, "key outside the prefix not delivered");
	ds_watch_close(w);

	ds_revision(ds, &rev);
	CHECK_INT(ds_compact(ds, rev), 0, "compact at the current revision");
	CHECK_INT(ds_watch_open(ds, "/t/w/", start, &w), 0, "watch from before the compaction");
	CHECK_INT(ds_watch_next(w, &ev, 5000), -ESTALE, "-> -ESTALE");
	CHECK(strstr(ds_strerror(ds), "compacted") != NULL, "says so: %s", ds_strerror(ds));
	CHECK_INT(ds_watch_next(w, &ev, 0), -ESTALE, "and stays stale");
	ds_watch_close(w);
	ds_delete_prefix(ds, "/t/");
}

int main(int argc, char **argv)
{
	struct ds *ds;
	char err[512];
	int rc;

	if (argc < 2 || (strcmp(argv[1], "watch") == 0 && argc != 5)) {
		fprintf(stderr, "usage: etcd_faults (checks | watch PREFIX N MS)\n");
		return 2;
	}
	if (ds_open_env(&ds, err, sizeof(err)) < 0) {
		fprintf(stderr, "etcd_faults: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "watch") == 0) {
		rc = cmd_watch(ds, argv[2], atoi(argv[3]), atoi(argv[4]));
	} else {
		check_paging(ds);
		check_txn(ds);
		check_leases(ds);
		check_watch_and_compact(ds);
		rc = tap_done();
	}
	ds_close(ds);
	return rc;
}
