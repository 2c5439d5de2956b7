/* Shared by the nl_*.c files: the handle, the request/reply exchange and
 * table-driven attribute validation. Not for users of nl.h. */
#ifndef CALICO_NL_INTERNAL_H
#define CALICO_NL_INTERNAL_H

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdarg.h>

#include "netlink/nl.h"

/* Dumps come in chunks of up to 32 KiB when the receive buffer allows it. */
#define NL_BUF_SIZE 32768

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char kernel_msg[NL_ERR_MAX]; /* extended ack text of the last error */
	char err[NL_ERR_MAX];
	char buf[NL_BUF_SIZE];
};

/* Builds a request in buf (NL_BUF_SIZE bytes, zeroed header). */
struct nlmsghdr *nl_msg_start(char *buf, uint16_t type, uint16_t flags);

/* Called for every reply message (not errors, acks, DONE). 0 or -errno. */
typedef int (*nl_reply_fn)(const struct nlmsghdr *nlh, void *data);

/* Sends req and reads replies until the ack (or NLMSG_DONE for a dump,
 * NLM_F_DUMP in req's flags), passing replies to fn (may be NULL).
 * Returns the kernel's error, the first error of fn, or a socket error. */
int nl_exchange(struct nl *nl, struct nlmsghdr *req, nl_reply_fn fn, void *data);

/* Records "FORMAT: strerror(-rc)[ (kernel: ...)]" as the handle's message and
 * returns rc, so callers can write `return nl_fail(nl, rc, ...)`. */
int nl_fail(struct nl *nl, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Table-driven attribute validation, in BIRD's style: want[type] says which
 * attributes the caller uses and what shape they must have; everything else
 * is ignored, and a used attribute of the wrong shape rejects the message
 * instead of being read out of bounds. */
enum nl_attr_kind {
	NL_ATTR_IGNORE = 0,
	NL_ATTR_FIXED,  /* payload exactly size bytes */
	NL_ATTR_STRING, /* NUL-terminated, at most size bytes with the NUL */
	NL_ATTR_ANY,    /* any payload (e.g. link-layer addresses of varying size) */
};

struct nl_attr_want {
	enum nl_attr_kind kind;
	uint16_t size;
};

/* Fills tb[0..max] (zeroed first) from the attributes after a header of
 * hdrlen bytes. -EINVAL when a wanted attribute has the wrong shape. */
int nl_parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nl_attr_want *want,
		   unsigned max, const struct nlattr **tb);

/* Name checks shared by operations taking an interface name. */
int nl_check_ifname(struct nl *nl, const char *what, const char *name);
/* ifindex of name, with the message "cannot WHAT: no interface NAME". */
int nl_resolve(struct nl *nl, const char *what, const char *name, int *ifindex);

/* AF_INET/AF_INET6 for an ip_addr family of 4/6; 0 for anything else. */
int nl_af(int family);

/* A dump that raced a change to what it lists comes back -EAGAIN
 * (NLM_F_DUMP_INTR): the list functions repeat it this many times, since the
 * agent lists while plugins create and delete interfaces. */
#define NL_DUMP_TRIES 5

#endif
