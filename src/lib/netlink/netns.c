/* Network namespace switching for the calling thread. */
#include "netlink/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int netns_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Refused here, before anything is allocated for it, rather than by
	 * setns() half-way through an attach. */
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int netns_open_current(void)
{
	/* thread-self, not self: setns() moves only this thread, so the
	 * process-wide link may point at another thread's namespace. */
	return netns_open("/proc/thread-self/ns/net");
}

int netns_run(int ns_fd, netns_fn fn, void *arg)
{
	int home, rc;

	if (ns_fd < 0)
		return fn(arg);
	if ((home = netns_open_current()) < 0)
		return home;
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		rc = -errno;
		goto out;
	}
	rc = fn(arg);
	if (setns(home, CLONE_NEWNET) < 0) {
		fprintf(stderr, "netns: cannot return to the original network namespace: %s\n",
			strerror(errno));
		abort();
	}
out:
	close(home);
	return rc;
}

struct socket_args {
	int domain, type, protocol;
};

static int make_socket(void *arg)
{
	const struct socket_args *a = arg;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);
	return fd < 0 ? -errno : fd;
}

int netns_socket(int ns_fd, int domain, int type, int protocol)
{
	struct socket_args a = { domain, type, protocol };
	return netns_run(ns_fd, make_socket, &a);
}
