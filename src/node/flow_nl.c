/* Netlink sockets of the flow collector (flow_nl.h). */
#include "flow_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SOCK_BUF (4 << 20) /* room for a burst of first packets while the collector is busy */

static int sock_open(struct mnl_socket **out, unsigned groups, bool nonblock, char *err, size_t errlen)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_NETFILTER, nonblock ? SOCK_NONBLOCK | SOCK_CLOEXEC : SOCK_CLOEXEC);
	int size = SOCK_BUF, rc;

	*out = NULL;
	if (!s) {
		rc = -errno;
		snprintf(err, errlen, "netfilter netlink socket: %s", strerror(errno));
		return rc;
	}
	/* FORCE works for root past net.core.rmem_max; else the capped size */
	if (setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		snprintf(err, errlen, "binding a netfilter netlink socket: %s", strerror(errno));
		mnl_socket_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* one NFLOG config request, acknowledged */
static int nflog_config(struct mnl_socket *s, uint16_t group, int attr, const void *data, size_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	uint32_t seq = (uint32_t)time(NULL), port = mnl_socket_get_portid(s);
	int n;

	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(group);
	mnl_attr_put(nlh, (uint16_t)attr, len, data);
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* the socket is non-blocking: the kernel answers before sendto returns */
	for (;;) {
		n = (int)mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		n = mnl_cb_run(buf, (size_t)n, seq, port, NULL, NULL);
		if (n <= MNL_CB_STOP)
			return n < 0 ? -errno : 0;
	}
}

int flow_nflog_open(struct mnl_socket **out, uint16_t group, char *err, size_t errlen)
{
	struct nfulnl_msg_config_cmd bind = { .command = NFULNL_CFG_CMD_BIND };
	struct nfulnl_msg_config_mode mode = { .copy_range = htonl(FLOW_NFLOG_COPY_RANGE),
					       .copy_mode = NFULNL_COPY_PACKET };
	struct mnl_socket *s;
	int rc;

	if ((rc = sock_open(&s, 0, true, err, errlen)) < 0)
		return rc;
	if ((rc = nflog_config(s, group, NFULA_CFG_CMD, &bind, sizeof(bind))) < 0) {
		snprintf(err, errlen, "binding NFLOG group %u: %s%s", group, strerror(-rc),
			 rc == -EBUSY ? " (another process listens to it in this namespace)" : "");
		mnl_socket_close(s);
		return rc;
	}
	if ((rc = nflog_config(s, group, NFULA_CFG_MODE, &mode, sizeof(mode))) < 0) {
		snprintf(err, errlen, "setting NFLOG group %u's copy mode: %s", group, strerror(-rc));
		mnl_socket_close(s);
		return rc;
	}
	/* The kernel holds NFLOG messages back by default, up to 100 of them or
	 * 1 s, while conntrack's events come at once: a connection could then
	 * close, and its interval end, before its verdict arrived, and be
	 * reported twice (once without its trace). Each message is sent as it
	 * is made. */
	uint32_t qthresh = htonl(1), timeout = htonl(1);
	if ((rc = nflog_config(s, group, NFULA_CFG_QTHRESH, &qthresh, sizeof(qthresh))) < 0 ||
	    (rc = nflog_config(s, group, NFULA_CFG_TIMEOUT, &timeout, sizeof(timeout))) < 0) {
		snprintf(err, errlen, "setting NFLOG group %u's queue threshold: %s", group, strerror(-rc));
		mnl_socket_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int flow_ct_events_open(struct mnl_socket **out, char *err, size_t errlen)
{
	return sock_open(out, NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_DESTROY, true, err, errlen);
}

int flow_ct_dump_open(struct mnl_socket **out, char *err, size_t errlen)
{
	return sock_open(out, 0, false, err, errlen);
}

struct relay {
	flow_msg_fn fn;
	void *ctx;
};

static int relay_cb(const struct nlmsghdr *nlh, void *data)
{
	struct relay *r = data;
	r->fn(r->ctx, nlh);
	return MNL_CB_OK;
}

int flow_nl_drain(struct mnl_socket *s, void *buf, size_t buflen, int max_reads, flow_msg_fn fn, void *ctx)
{
	struct relay r = { fn, ctx };
	int reads;

	for (reads = 0; reads < max_reads; reads++) {
		ssize_t n = mnl_socket_recvfrom(s, buf, buflen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* events carry no sequence or port to check */
		mnl_cb_run(buf, (size_t)n, 0, 0, relay_cb, &r);
	}
	return reads;
}

int flow_ct_dump(struct mnl_socket *s, void *buf, size_t buflen, flow_msg_fn fn, void *ctx)
{
	struct relay r = { fn, ctx };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	uint32_t seq = (uint32_t)time(NULL), port = mnl_socket_get_portid(s);
	int rc;

	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s, buf, buflen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, port, relay_cb, &r);
		if (rc <= MNL_CB_STOP)
			return rc < 0 ? -errno : 0;
	}
}
