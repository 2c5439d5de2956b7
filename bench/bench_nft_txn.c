/* bench_nft_txn: what one small nftables transaction costs on a table of a
 * given shape, without the agent around it (the kernel's commit and
 * libnftables' own work only).
 *
 *   bench_nft_txn NETNS SCRIPT CHANGE ROUNDS
 *
 * Enters the named network namespace (before making the nftables context: a
 * context keeps the namespace it was made in), applies SCRIPT once (the whole
 * table), then CHANGE ROUNDS times (a script that must apply again and again,
 * e.g. a flush of one chain and its rules). Prints one JSON line: the load's
 * wall time, and per change the median and minimum wall time and the mean
 * system and user CPU time of this process. The CPU figures are what the
 * transaction costs; the wall figures also hold the time spent waiting for a
 * CPU on a busy machine. */
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void cpu_ms(double *sys, double *user)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	*sys = (double)r.ru_stime.tv_sec * 1e3 + (double)r.ru_stime.tv_usec / 1e3;
	*user = (double)r.ru_utime.tv_sec * 1e3 + (double)r.ru_utime.tv_usec / 1e3;
}

/* The whole file, NUL-terminated, in *out (the caller frees). 0 or -errno. */
static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc = 0;

	if (!f)
		return -errno;
	do {
		if (len + 65536 + 1 > cap) {
			char *p = realloc(buf, cap = (len + 65536 + 1) * 2);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f))
		rc = -EIO;
	else
		buf[len] = '\0';
out:
	fclose(f);
	if (rc < 0)
		free(buf);
	else
		*out = buf;
	return rc;
}

static int enter_netns(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static int apply(struct nft_ctx *ctx, const char *script, const char *what)
{
	if (nft_run_cmd_from_buffer(ctx, script) == 0)
		return 0;
	fprintf(stderr, "bench_nft_txn: %s did not apply: %s", what, nft_ctx_get_error_buffer(ctx));
	return -EINVAL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct nft_ctx *ctx = NULL;
	char *script = NULL, *change = NULL;
	double *wall = NULL;
	int rounds, rc;

	if (argc != 5 || (rounds = atoi(argv[4])) < 1) {
		fprintf(stderr, "usage: bench_nft_txn NETNS SCRIPT CHANGE ROUNDS (ROUNDS >= 1)\n");
		return 2;
	}
	if ((rc = enter_netns(argv[1])) < 0) {
		fprintf(stderr, "bench_nft_txn: cannot enter network namespace %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	if ((rc = read_file(argv[2], &script)) < 0 || (rc = read_file(argv[3], &change)) < 0) {
		fprintf(stderr, "bench_nft_txn: cannot read %s: %s\n", script ? argv[3] : argv[2], strerror(-rc));
		goto out;
	}
	rc = -ENOMEM;
	if (!(wall = calloc((size_t)rounds, sizeof(*wall))) || !(ctx = nft_ctx_new(NFT_CTX_DEFAULT)))
		goto out;
	nft_ctx_buffer_error(ctx);

	double t0 = now_ms();
	if ((rc = apply(ctx, script, "SCRIPT")) < 0)
		goto out;
	double load = now_ms() - t0, sys0, user0, sys1, user1;
	cpu_ms(&sys0, &user0);
	for (int i = 0; i < rounds; i++) {
		t0 = now_ms();
		if ((rc = apply(ctx, change, "CHANGE")) < 0)
			goto out;
		wall[i] = now_ms() - t0;
	}
	cpu_ms(&sys1, &user1);
	qsort(wall, (size_t)rounds, sizeof(*wall), cmp_double);
	printf("{\"load_ms\":%.1f,\"change_median_ms\":%.2f,\"change_min_ms\":%.2f,\"change_sys_ms\":%.2f,"
	       "\"change_user_ms\":%.2f,\"rounds\":%d}\n",
	       load, wall[rounds / 2], wall[0], (sys1 - sys0) / rounds, (user1 - user0) / rounds, rounds);
	rc = 0;
out:
	if (ctx)
		nft_ctx_free(ctx);
	free(wall);
	free(change);
	free(script);
	return rc < 0 ? 1 : 0;
}
