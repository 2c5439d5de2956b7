/* calicoctl diags: one tar.gz in /tmp with what a person debugging this host
 * needs: interfaces, routes, neighbours, the nftables ruleset, a datastore
 * dump, the logs and calicoctl's own views. Every program runs from an
 * argument vector (run_cmd), never through a shell. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "util/nodename.h"
#include "run_cmd.h"

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct capture {
	const char *file;
	const char *const *argv;
};

static int dump_datastore(const char *path)
{
	struct ds_kv_list l = { 0 };
	struct ds *ds = ctl_ds();
	FILE *f = fopen(path, "w");
	int rc = !f ? -errno : !ds ? -EIO : ds_list(ds, "/", &l);
	if (f && rc == 0) {
		fprintf(f, "# %s at revision %lld\n", ds_describe(ds), (long long)l.rev);
		for (size_t i = 0; i < l.n; i++)
			fprintf(f, "%s = %s\n", l.items[i].key, l.items[i].value);
	} else if (f) {
		fprintf(f, "# cannot read the datastore: %s\n", ds ? ds_strerror(ds) : "cannot open it");
	}
	ds_kv_list_free(&l);
	if (f)
		fclose(f);
	return rc;
}

int cmd_diags(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--log-dir=" } };
	char work[] = "/tmp/calico-diags.XXXXXX", dir[PATH_MAX], path[PATH_MAX + 64], self[PATH_MAX], out[PATH_MAX];
	if (ctl_take_options("diags", &argc, argv, opts, 1))
		return 1;
	if (argc != 0)
		return ctl_usage("diags");
	const char *log_dir = opts[0].present ? opts[0].value : calico_log_dir();
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return ctl_error("Error: cannot find calicoctl's own executable: %s", strerror(errno));
	self[n] = '\0';
	if (!mkdtemp(work))
		return ctl_error("Error: cannot create a directory in /tmp: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "%s/diagnostics", work);
	if (mkdir(dir, 0700) < 0)
		return ctl_error("Error: cannot create %s: %s", dir, strerror(errno));
	printf("Collecting diagnostics in %s\n", dir);

	const struct capture captures[] = {
		{ "ip-addr-4.txt", A("ip", "-4", "addr") },     { "ip-addr-6.txt", A("ip", "-6", "addr") },
		{ "ip-link.txt", A("ip", "-d", "link") },       { "ip-route-4.txt", A("ip", "-4", "route") },
		{ "ip-route-6.txt", A("ip", "-6", "route") },   { "ip-neigh-4.txt", A("ip", "-4", "neigh") },
		{ "ip-neigh-6.txt", A("ip", "-6", "neigh") },   { "nft-ruleset.txt", A("nft", "list", "ruleset") },
		{ "calicoctl-status.txt", A(self, "status") },  { "calicoctl-pool-show.txt", A(self, "pool", "show") },
		{ "calicoctl-profile-show.txt", A(self, "profile", "show", "--detailed") },
		{ "calicoctl-node-show.txt", A(self, "node", "show") },
		{ "calicoctl-endpoint-show.txt", A(self, "endpoint", "show", "--detailed") },
	};
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, captures[i].file);
		int rc = run_cmd(captures[i].argv, path);
		if (rc != 0)
			fprintf(stderr, "Warning: %s exited %d (output kept in %s)\n", captures[i].argv[0], rc,
				captures[i].file);
	}
	snprintf(path, sizeof(path), "%s/datastore.txt", dir);
	if (dump_datastore(path) < 0)
		fprintf(stderr, "Warning: the datastore dump is incomplete (see datastore.txt)\n");
	struct stat st;
	snprintf(path, sizeof(path), "%s/logs", dir);
	if (stat(log_dir, &st) == 0 && S_ISDIR(st.st_mode))
		run_cmd(A("cp", "-a", "--", log_dir, path), NULL);
	else
		fprintf(stderr, "Warning: no log directory %s\n", log_dir);

	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&now, &tm));
	snprintf(out, sizeof(out), "%s.tar.gz", work);
	int rc = run_cmd(A("tar", "-czf", out, "-C", work, "diagnostics"), NULL);
	run_cmd(A("rm", "-rf", "--", work), NULL);
	if (rc != 0)
		return ctl_error("Error: tar failed (exit %d); nothing saved.", rc);
	printf("Diags saved to %s (taken %s UTC)\n", out, stamp);
	return 0;
}
