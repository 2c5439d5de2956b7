/* Writing and reading /proc/sys/net inside a namespace. */
#include "netlink/net_sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netlink/netns.h"

#define SYSCTL_PATH_MAX 128

struct sysctl_op {
	const char *rel;
	const char *value; /* NULL: read into buf */
	char *buf;
	size_t len;
};

static int do_sysctl(void *arg)
{
	struct sysctl_op *op = arg;
	char path[SYSCTL_PATH_MAX];
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "/proc/sys/net/%s", op->rel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = open(path, (op->value ? O_WRONLY : O_RDONLY) | O_CLOEXEC)) < 0)
		return -errno;
	if (op->value) {
		size_t n = strlen(op->value);
		ssize_t w = write(fd, op->value, n);
		if (w < 0)
			rc = -errno;
		else if ((size_t)w != n)
			rc = -EIO;
	} else {
		ssize_t r = read(fd, op->buf, op->len ? op->len - 1 : 0);
		if (r < 0) {
			rc = -errno;
		} else {
			op->buf[r] = '\0';
			op->buf[strcspn(op->buf, "\n")] = '\0';
		}
	}
	close(fd);
	return rc;
}

static int run_op(int ns_fd, struct sysctl_op *op, char *err, size_t errlen)
{
	int rc = netns_run(ns_fd, do_sysctl, op);
	if (rc < 0 && err && errlen) {
		if (op->value)
			snprintf(err, errlen, "cannot set net.%s=%s: %s", op->rel, op->value, strerror(-rc));
		else
			snprintf(err, errlen, "cannot read net.%s: %s", op->rel, strerror(-rc));
	}
	return rc;
}

int net_sysctl_write(int ns_fd, const char *rel, const char *value, char *err, size_t errlen)
{
	struct sysctl_op op = { rel, value, NULL, 0 };
	return run_op(ns_fd, &op, err, errlen);
}

int net_sysctl_read(int ns_fd, const char *rel, char *buf, size_t len, char *err, size_t errlen)
{
	struct sysctl_op op = { rel, NULL, buf, len };
	if (len == 0)
		return -EINVAL;
	return run_op(ns_fd, &op, err, errlen);
}

struct host_args {
	const char *ifname;
	bool ipv4, ipv6;
	char *err;
	size_t errlen;
};

static const char *const v4_settings[][2] = {
	{ "ipv4/conf/%s/proxy_arp", "1" },
	{ "ipv4/neigh/%s/proxy_delay", "0" },
	{ "ipv4/conf/%s/forwarding", "1" },
	{ "ipv4/conf/%s/rp_filter", "1" },
};

/* accept_dad 0: the host end's link-local fe80::ecee:eeff:feee:eeee is the
 * workload's IPv6 gateway, on a link of two where nobody else can have it;
 * with duplicate address detection it stays tentative (unanswered) for the
 * first second or so of the workload's life. Takes effect for link-locals
 * made after it (workload_attach sets it before the veth has carrier), and
 * only while net.ipv6.conf.all.accept_dad is 0 too (the kernel default). */
static const char *const v6_settings[][2] = {
	{ "ipv6/conf/%s/accept_dad", "0" },
	{ "ipv6/conf/%s/proxy_ndp", "1" },
	{ "ipv6/conf/%s/accept_ra", "0" },
	{ "ipv6/conf/%s/forwarding", "1" },
};

static int apply(const struct host_args *a, const char *const (*settings)[2], size_t n)
{
	char rel[SYSCTL_PATH_MAX], dir[IFNAMSIZ];

	/* In sysctl paths a '.' in an interface name (VLAN "eth0.100") is a '/'. */
	snprintf(dir, sizeof(dir), "%s", a->ifname);
	for (char *p = dir; *p; p++)
		if (*p == '.')
			*p = '/';
	for (size_t i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), settings[i][0], dir);
		struct sysctl_op op = { rel, settings[i][1], NULL, 0 };
		int rc = run_op(-1, &op, a->err, a->errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Runs inside the namespace: one switch for all settings. */
static int host_settings(void *arg)
{
	const struct host_args *a = arg;
	int rc = 0;

	if (a->ipv4)
		rc = apply(a, v4_settings, sizeof(v4_settings) / sizeof(v4_settings[0]));
	if (rc == 0 && a->ipv6)
		rc = apply(a, v6_settings, sizeof(v6_settings) / sizeof(v6_settings[0]));
	return rc;
}

int net_sysctl_workload_host(int ns_fd, const char *ifname, bool ipv4, bool ipv6, char *err,
			     size_t errlen)
{
	struct host_args a = { ifname, ipv4, ipv6, err, errlen };
	size_t len = strlen(ifname);
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (len == 0 || len >= IFNAMSIZ || strchr(ifname, '/') || ifname[0] == '.') {
		if (err && errlen)
			snprintf(err, errlen, "cannot set sysctls: bad interface name \"%s\"", ifname);
		return -EINVAL;
	}
	rc = netns_run(ns_fd, host_settings, &a);
	if (rc < 0 && err && errlen && !err[0])
		snprintf(err, errlen, "cannot enter namespace for sysctls of %s: %s", ifname, strerror(-rc));
	return rc;
}
