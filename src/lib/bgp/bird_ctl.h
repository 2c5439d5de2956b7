/* A client of BIRD's control socket (what birdc speaks), and parsers of its
 * replies. The reply framing (doc/reply_codes in BIRD's sources): every line
 * is "NNNN-text" (more follows), "NNNN text" (the last line), " text" (more
 * of the previous code) or "+NNNN text" (a spontaneous printout). 0xxx ends
 * a command that worked, 8xxx and 9xxx one that failed. The parsers are pure
 * logic (tests/unit/test_bird_ctl.c); bird_ctl_open/cmd do the I/O. */
#ifndef CALICO_BIRD_CTL_H
#define CALICO_BIRD_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ipaddr.h"

/* Codes the callers act on. */
#define BIRD_WELCOME             1    /* "BIRD 2.0.12 ready." */
#define BIRD_RECONFIGURED        3
#define BIRD_RECONFIG_PROGRESS   4
#define BIRD_RECONFIG_QUEUED     5
#define BIRD_RECONFIG_IGNORED    6    /* shutting down */
#define BIRD_SHUTDOWN_ORDERED    7
#define BIRD_CONFIG_OK           20
#define BIRD_GR_ORDERED          25
#define BIRD_PROTOCOL_LIST       1002
#define BIRD_PROTOCOL_DETAILS    1006
#define BIRD_CONFIG_ERROR        8002

struct bird_line {
	int code; /* a continuation line (" text") carries the code before it */
	char *text;
};

struct bird_reply {
	struct bird_line *lines;
	size_t n;
	int code; /* the last line's code once complete */
};

void bird_reply_free(struct bird_reply *r);
/* Adds one line (without its '\n'). 1 when it was the last line of the
 * reply, 0 when more follow (spontaneous lines are skipped), -EPROTO for a
 * line that is none of the four shapes, -ENOMEM. */
int bird_reply_feed(struct bird_reply *r, const char *line);
/* The reply's text lines joined with "; " (for messages), into buf. */
void bird_reply_text(const struct bird_reply *r, char *buf, size_t len);

/* One row of `show protocols all`. */
struct bird_proto {
	char name[64], proto[16], table[32], state[16], since[32], info[128];
	struct ip_addr neighbor;  /* "Neighbor address:"; family 0 when absent */
	char bgp_state[32];       /* "BGP state:" */
	char last_error[128];     /* "Last error:" */
};

/* The rows of a `show protocols` or `show protocols all` reply, in BIRD's
 * order. *out is malloc'd (free it); 0, -EPROTO, -ENOMEM. */
int bird_protocols_parse(const struct bird_reply *r, struct bird_proto **out, size_t *n);

/* ---- the socket ---- */

struct bird_ctl {
	int fd;
	int timeout_ms; /* per read */
	char buf[4096];
	size_t len;
};

/* Connects to path and reads the welcome line. 0; -ENOENT or -ECONNREFUSED
 * when no BIRD listens there; -ETIMEDOUT; -EPROTO. */
int bird_ctl_open(struct bird_ctl *b, const char *path, int timeout_ms);
/* Sends cmd (no newline) and reads its whole reply into r (reset first).
 * 0 with r->code set, whatever the code; -errno when the exchange failed. */
int bird_ctl_cmd(struct bird_ctl *b, const char *cmd, struct bird_reply *r);
void bird_ctl_close(struct bird_ctl *b);

/* `configure` on the socket at path: 0 when BIRD took the file (reconfigured,
 * or reconfiguring), -EINVAL when it refused it, -ENOENT/-ECONNREFUSED when
 * BIRD is not running, other -errno. msg gets BIRD's words. */
int bird_ctl_configure(const char *path, char *msg, size_t len);

#endif
