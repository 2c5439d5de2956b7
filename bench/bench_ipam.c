/* IPAM allocations per second on the datastore the environment selects, with 1
 * process and with 8 at once (2 simulated hosts), each allocation under its own
 * handle as a container start would be. Checks that no address was handed out
 * twice. Prints one JSON line:
 *   {"bench":"ipam","backend":"sqlite","allocs_1":N,"per_s_1":X,"allocs_8":N,"per_s_8":Y,"duplicates":0}
 * Usage: bench_ipam [ALLOCS_PER_RUN]   (default 2000; the 8-process run splits it) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "datastore/datastore.h"
#include "ipam/ipam.h"
#include "model/keys.h"

#define POOL "10.200.0.0/16"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ds *open_ds(void)
{
	char err[512];
	struct ds *ds = NULL;
	if (ds_open_env(&ds, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_ipam: %s\n", err);
		exit(2);
	}
	return ds;
}

static void wipe(struct ds *ds)
{
	ds_delete_prefix(ds, "/calico/ipam/");
	ds_delete_prefix(ds, "/calico/v1/ipam/");
}

/* One worker: n allocations, addresses written to fd as raw struct ip_addr. */
static int worker(int id, int run, int n, int fd)
{
	struct ds *ds = open_ds();
	char handle[64], host[16], err[512];
	int rc = 0;
	snprintf(host, sizeof(host), "bench-h%d", id % 2);
	for (int i = 0; i < n && rc == 0; i++) {
		struct ip_addr ip;
		snprintf(handle, sizeof(handle), "bench-%d-%d-%d", run, id, i);
		struct ipam_request r = { .handle = handle, .host = host, .num_ipv4 = 1 };
		if ((rc = ipam_auto_assign(ds, &r, &ip, NULL, err, sizeof(err))) < 0)
			fprintf(stderr, "bench_ipam: %s\n", err);
		else if (write(fd, &ip, sizeof(ip)) != (ssize_t)sizeof(ip))
			rc = -EIO;
	}
	ds_close(ds);
	return rc < 0;
}

static int cmp_ip(const void *a, const void *b)
{
	return ip_cmp(a, b);
}

/* procs workers at once; returns allocations per second, -1 on failure. */
static double run(int run_id, int procs, int total, struct ip_addr *all, size_t *n_all)
{
	int fds[2];
	if (pipe(fds) < 0)
		return -1;
	double t0 = now_s();
	for (int p = 0; p < procs; p++)
		if (fork() == 0) {
			close(fds[0]);
			_exit(worker(p, run_id, total / procs, fds[1]));
		}
	close(fds[1]);
	struct ip_addr ip;
	while (read(fds[0], &ip, sizeof(ip)) == (ssize_t)sizeof(ip))
		all[(*n_all)++] = ip;
	close(fds[0]);
	int failed = 0, status;
	for (int p = 0; p < procs; p++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	double dt = now_s() - t0;
	return failed ? -1 : (double)(total / procs * procs) / dt;
}

int main(int argc, char **argv)
{
	int total = argc > 1 ? atoi(argv[1]) : 2000;
	struct ds *ds = open_ds();
	char key[KEY_MAX];
	struct ip_addr *all = calloc((size_t)total * 2 + 16, sizeof(*all));
	size_t n_all = 0, dups = 0;

	if (total < 8 || total > 20000 || !all) {
		fprintf(stderr, "usage: bench_ipam [ALLOCS_PER_RUN: 8..20000]\n");
		return 2;
	}
	wipe(ds);
	ds_put(ds, key_pool(key, 4, "10.200.0.0-16"), "{\"cidr\":\"" POOL "\",\"masquerade\":false}");
	double one = run(1, 1, total, all, &n_all);
	size_t n_one = n_all;
	double eight = run(8, 8, total, all, &n_all);
	qsort(all, n_all, sizeof(*all), cmp_ip);
	for (size_t i = 1; i < n_all; i++)
		dups += ip_cmp(&all[i - 1], &all[i]) == 0;
	printf("{\"bench\":\"ipam\",\"backend\":\"%s\",\"allocs_1\":%zu,\"per_s_1\":%.0f,\"allocs_8\":%zu,"
	       "\"per_s_8\":%.0f,\"duplicates\":%zu}\n",
	       ds_backend_of(ds) == DS_ETCD ? "etcd" : "sqlite", n_one, one, n_all - n_one, eight, dups);
	wipe(ds);
	ds_close(ds);
	free(all);
	return one < 0 || eight < 0 || dups ? 1 : 0;
}
