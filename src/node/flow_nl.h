/* The flow collector's netlink sockets, in the agent's namespace: NFLOG
 * (bound to the verdict points' group, copying the head of each packet) and
 * conntrack (NEW and DESTROY events, and a dump of the table for the
 * counters of connections still open). Messages go to the pure parsers
 * (flow/nflog_msg.h, flow/ct_msg.h) through a callback. */
#ifndef CALICO_NODE_FLOW_NL_H
#define CALICO_NODE_FLOW_NL_H

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;

/* Packet heads copied: IPv6 with extension headers and the ports fit. */
#define FLOW_NFLOG_COPY_RANGE 128

/* 0 or -errno (message in err): a non-blocking socket getting group's packets. */
int flow_nflog_open(struct mnl_socket **out, uint16_t group, char *err, size_t errlen);
/* 0 or -errno: non-blocking, conntrack's NEW and DESTROY events. */
int flow_ct_events_open(struct mnl_socket **out, char *err, size_t errlen);
/* 0 or -errno: a blocking socket for table dumps. */
int flow_ct_dump_open(struct mnl_socket **out, char *err, size_t errlen);

typedef void (*flow_msg_fn)(void *ctx, const struct nlmsghdr *nlh);

/* Reads at most max_reads datagrams already queued on a non-blocking
 * socket, each message to fn. Returns the datagrams read (0: none queued),
 * or -ENOBUFS when the kernel dropped messages for want of room (counted by
 * the caller; the socket stays usable), or another -errno. */
int flow_nl_drain(struct mnl_socket *s, void *buf, size_t buflen, int max_reads, flow_msg_fn fn, void *ctx);
/* Dumps conntrack's table (both families), each entry to fn. 0 or -errno. */
int flow_ct_dump(struct mnl_socket *s, void *buf, size_t buflen, flow_msg_fn fn, void *ctx);

#endif
