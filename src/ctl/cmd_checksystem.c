/* calicoctl checksystem: can calico-c run here? Kernel checks that change
 * anything (an nftables table, a veth) run in a throw-away network namespace
 * of a child process, never in the namespace calicoctl runs in. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "kernel_features.h"
#include "netlink/net_sysctl.h"
#include "netlink/nl.h"

/* Runs fn in a child inside a fresh network namespace; its exit status. */
static int in_scratch_netns(int (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(126);
		_exit(fn());
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int try_veth(void)
{
	struct nl *nl = NULL;
	int rc = nl_open(&nl, -1, NULL, 0);
	if (rc == 0)
		rc = nl_veth_create(nl, "calichk0", "calichk1", -1, 0);
	if (rc == 0)
		rc = nl_link_del(nl, "calichk0");
	nl_close(nl);
	return rc == 0 ? 0 : 1;
}

static int try_nft(void)
{
	char *argv[] = { (char *)"nft", (char *)"add table inet calico_check; delete table inet calico_check", NULL };
	int null = open("/dev/null", 0);
	if (null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	execvp(argv[0], argv);
	return 127;
}

static bool on_path(const char *name)
{
	const char *path = getenv("PATH");
	char buf[4096];
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name);
		if (n && access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static int problem(int *count, const char *line)
{
	fprintf(stderr, "%s\n", line);
	return ++*count;
}

int cmd_checksystem(int argc, char **argv)
{
	char buf[64], err[256];
	int problems = 0, rc;

	(void)argv;
	if (argc != 0)
		return ctl_usage("checksystem");
	if (geteuid() != 0)
		problem(&problems, "Not running as root: calico-c needs root (CAP_NET_ADMIN) to program the network.");
	if ((rc = in_scratch_netns(try_nft)) == 127)
		problem(&problems, "nftables: the nft command was not found.");
	else if (rc != 0)
		problem(&problems, "nftables: cannot create a table (in a scratch network namespace).");
	if (in_scratch_netns(try_veth) != 0)
		problem(&problems, "veth: cannot create a veth pair (in a scratch network namespace).");
	if (net_sysctl_read(-1, "ipv4/ip_forward", buf, sizeof(buf), err, sizeof(err)) < 0)
		problem(&problems, "IPv4 forwarding: /proc/sys/net/ipv4/ip_forward is not readable.");
	if (net_sysctl_read(-1, "ipv6/conf/all/forwarding", buf, sizeof(buf), err, sizeof(err)) < 0)
		problem(&problems, "IPv6 forwarding: /proc/sys/net/ipv6/conf/all/forwarding is not readable.");
	if (net_sysctl_read(-1, "netfilter/nf_conntrack_max", buf, sizeof(buf), err, sizeof(err)) < 0)
		problem(&problems, "conntrack: the kernel has no connection tracking (nf_conntrack).");
	if (!on_path("bird"))
		problem(&problems, "BIRD: the bird binary was not found on PATH (install bird2).");
	if (!kernel_has_ipip())
		printf("Info: no IP-in-IP (ipip module) in this kernel; use --vxlan pools for overlays.\n");
	if (problems)
		return 1;
	printf("System meets all requirements\n");
	return 0;
}
