/* The netlink handle: socket in a namespace, request/reply exchange with
 * extended acks, errors as one line, attribute validation. */
#include "netlink/nl_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/netns.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_open(struct nl **out, int ns_fd, char *err, size_t errlen)
{
	struct nl *nl = NULL;
	int fd = -1, one = 1, rc;

	*out = NULL;
	if (!(nl = calloc(1, sizeof(*nl)))) {
		rc = -ENOMEM;
		goto fail;
	}
	/* The socket, not the thread, decides which namespace requests act on. */
	if ((fd = netns_socket(ns_fd, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)) < 0) {
		rc = fd;
		goto fail;
	}
	if (!(nl->sock = mnl_socket_fdopen(fd))) {
		rc = -errno;
		goto fail;
	}
	fd = -1; /* owned by nl->sock now */
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Kernel error text ("Nexthop device is not up") and acks without a copy
	 * of our request; both are best effort on old kernels. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)getpid() << 8;
	*out = nl;
	return 0;
fail:
	if (err && errlen)
		snprintf(err, errlen, "cannot open netlink socket: %s", strerror(-rc));
	if (fd >= 0)
		close(fd);
	nl_close(nl);
	return rc;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

const char *nl_strerror(const struct nl *nl)
{
	return nl->err;
}

int nl_fail(struct nl *nl, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(nl->err, sizeof(nl->err), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(nl->err))
		return rc;
	/* A message cut at NL_ERR_MAX is still a useful message. */
	if (nl->kernel_msg[0])
		n = snprintf(nl->err + n, sizeof(nl->err) - n, ": %s (kernel: %s)", strerror(-rc),
			     nl->kernel_msg);
	else
		n = snprintf(nl->err + n, sizeof(nl->err) - n, ": %s", strerror(-rc));
	(void)n;
	return rc;
}

struct nlmsghdr *nl_msg_start(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static void read_ext_ack(struct nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* With NETLINK_CAP_ACK the error carries only our header, no payload. */
	size_t off = sizeof(struct nlmsgerr);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if (mnl_nlmsg_get_payload_len(nlh) < off)
		return;
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return;
		snprintf(nl->kernel_msg, sizeof(nl->kernel_msg), "%s", mnl_attr_get_str(attr));
		/* The kernel's texts end without a period but some end with a newline. */
		nl->kernel_msg[strcspn(nl->kernel_msg, "\n")] = '\0';
		return;
	}
}

int nl_exchange(struct nl *nl, struct nlmsghdr *req, nl_reply_fn fn, void *data)
{
	/* NLM_F_DUMP is two bits, and NLM_F_EXCL of a NEW request shares one. */
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	int cb_rc = 0;

	nl->kernel_msg[0] = '\0';
	nl->err[0] = '\0';
	req->nlmsg_seq = ++nl->seq;
	if (!dump)
		req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf;
		int len = (int)n;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			/* Leftovers of an earlier exchange that stopped early. */
			if (nlh->nlmsg_seq != nl->seq || nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -EBADMSG;
				if (e->error)
					read_ext_ack(nl, nlh);
				return e->error ? e->error : cb_rc;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
					int err = *(const int *)mnl_nlmsg_get_payload(nlh);
					if (err < 0)
						return err;
				}
				return cb_rc;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			/* A dump that raced a change may be inconsistent: say so rather
			 * than act on a partial view. Keep reading to drain it. */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR && !cb_rc)
				cb_rc = -EAGAIN;
			if (fn && !cb_rc)
				cb_rc = fn(nlh, data);
		}
	}
}

int nl_parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nl_attr_want *want,
		   unsigned max, const struct nlattr **tb)
{
	const struct nlattr *attr;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return -EINVAL;
	mnl_attr_for_each(attr, nlh, hdrlen) {
		unsigned type = mnl_attr_get_type(attr);
		if (type > max || want[type].kind == NL_ATTR_IGNORE)
			continue;
		uint16_t len = mnl_attr_get_payload_len(attr);
		const char *p = mnl_attr_get_payload(attr);
		switch (want[type].kind) {
		case NL_ATTR_FIXED:
			if (len != want[type].size)
				return -EINVAL;
			break;
		case NL_ATTR_STRING:
			if (len == 0 || len > want[type].size || p[len - 1] != '\0')
				return -EINVAL;
			break;
		default:
			break;
		}
		tb[type] = attr;
	}
	return 0;
}

int nl_check_ifname(struct nl *nl, const char *what, const char *name)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' '))
		return nl_fail(nl, -EINVAL, "cannot %s: bad interface name \"%s\"", what, name ? name : "");
	return 0;
}

int nl_resolve(struct nl *nl, const char *what, const char *name, int *ifindex)
{
	int rc = nl_link_index(nl, name, ifindex);
	if (rc < 0)
		return nl_fail(nl, rc, "cannot %s: interface %s", what, name);
	return 0;
}

int nl_af(int family)
{
	return family == 4 ? AF_INET : family == 6 ? AF_INET6 : 0;
}
