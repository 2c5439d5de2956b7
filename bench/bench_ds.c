/* Datastore throughput: N puts, N gets, N compare-and-swaps (N from argv[1],
 * default 2000), one at a time as the agent and IPAM issue them, on the
 * backend the environment selects. Prints one JSON line:
 *   {"backend":"sqlite","n":2000,"put_per_s":..,"get_per_s":..,"cas_per_s":..}
 * Keys live under a run-unique prefix that is deleted afterwards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datastore/datastore.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(struct ds *ds, const char *what)
{
	fprintf(stderr, "bench_ds: %s: %s\n", what, ds_strerror(ds));
	return 1;
}

/* A value the size of a typical endpoint record. */
static const char VALUE[] = "{\"state\":\"active\",\"name\":\"cali0ef24b0e6a2\",\"mac\":\"ee:ee:ee:ee:ee:ee\","
			    "\"profile_ids\":[\"p1\"],\"ipv4_nets\":[\"192.168.0.1/32\"],\"ipv6_nets\":[],\"labels\":{}}";

static int run(struct ds *ds, const char *prefix, long n, double rate[3])
{
	char key[256];
	struct ds_kv kv;
	double t0 = now_s();

	for (long i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%sk%ld", prefix, i % 64);
		if (ds_put(ds, key, VALUE) < 0)
			return fail(ds, "put");
	}
	double t1 = now_s();
	for (long i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%sk%ld", prefix, i % 64);
		if (ds_get(ds, key, &kv) < 0)
			return fail(ds, "get");
		ds_kv_free(&kv);
	}
	double t2 = now_s();
	/* CAS on one key with the revision from the previous write, as an IPAM loop
	 * does after its first read: the cost of the conditional write alone. */
	snprintf(key, sizeof(key), "%scounter", prefix);
	if (ds_put(ds, key, "0") < 0 || ds_get(ds, key, &kv) < 0)
		return fail(ds, "cas setup");
	int64_t mod = kv.mod_rev;
	ds_kv_free(&kv);
	double t3 = now_s();
	for (long i = 0; i < n; i++) {
		char val[32];
		int64_t rev;
		snprintf(val, sizeof(val), "%ld", i + 1);
		struct ds_op op = { .type = DS_OP_CAS, .key = key, .value = val, .mod_rev = mod };
		if (ds_txn(ds, &op, 1, &rev) < 0)
			return fail(ds, "cas");
		mod = rev;
	}
	double t4 = now_s();
	rate[0] = n / (t1 - t0);
	rate[1] = n / (t2 - t1);
	rate[2] = n / (t4 - t3);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	char err[512], prefix[128];
	struct ds *ds;
	double rate[3] = { 0 };

	if (n <= 0) {
		fprintf(stderr, "usage: bench_ds [N]   (N operations of each kind, default 2000)\n");
		return 2;
	}
	if (ds_open_env(&ds, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_ds: %s\n", err);
		return 1;
	}
	snprintf(prefix, sizeof(prefix), "/bench/%d-%lld/", (int)getpid(), (long long)time(NULL));
	int rc = run(ds, prefix, n, rate);
	ds_delete_prefix(ds, prefix);
	if (rc == 0)
		printf("{\"backend\":\"%s\",\"n\":%ld,\"put_per_s\":%.0f,\"get_per_s\":%.0f,\"cas_per_s\":%.0f}\n",
		       ds_backend_of(ds) == DS_SQLITE ? "sqlite" : "etcd", n, rate[0], rate[1], rate[2]);
	ds_close(ds);
	return rc;
}
