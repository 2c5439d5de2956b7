/* BIRD's control socket: connect, read the welcome, one command at a time
 * (bird_ctl.h). Every read waits at most timeout_ms, so a stuck BIRD cannot
 * hang the agent's loop. */
#include "bgp/bird_ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000

/* The next line (without '\n') into line; 0, -ETIMEDOUT, -ECONNRESET, -EPROTO. */
static int read_line(struct bird_ctl *b, char *line, size_t len)
{
	for (;;) {
		char *nl = memchr(b->buf, '\n', b->len);
		if (nl) {
			size_t n = (size_t)(nl - b->buf);
			if (n >= len)
				return -EPROTO;
			memcpy(line, b->buf, n);
			line[n] = '\0';
			b->len -= n + 1;
			memmove(b->buf, nl + 1, b->len);
			return 0;
		}
		if (b->len == sizeof(b->buf))
			return -EPROTO; /* a line longer than BIRD ever writes */
		struct pollfd pfd = { .fd = b->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, b->timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		ssize_t got = read(b->fd, b->buf + b->len, sizeof(b->buf) - b->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -ECONNRESET;
		b->len += (size_t)got;
	}
}

static int read_reply(struct bird_ctl *b, struct bird_reply *r)
{
	char line[sizeof(b->buf)];
	int rc;
	do {
		if ((rc = read_line(b, line, sizeof(line))) < 0)
			return rc;
	} while ((rc = bird_reply_feed(r, line)) == 0);
	return rc < 0 ? rc : 0;
}

int bird_ctl_open(struct bird_ctl *b, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct bird_reply r = { 0 };
	int rc;

	memset(b, 0, sizeof(*b));
	b->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		b->fd = -1;
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if ((b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		rc = -errno;
		goto out;
	}
	if (connect(b->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = read_reply(b, &r)) == 0 && r.code != BIRD_WELCOME)
		rc = -EPROTO;
out:
	bird_reply_free(&r);
	if (rc < 0)
		bird_ctl_close(b);
	return rc;
}

int bird_ctl_cmd(struct bird_ctl *b, const char *cmd, struct bird_reply *r)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s\n", cmd);

	bird_reply_free(r);
	if (b->fd < 0)
		return -EBADF;
	if (n < 0 || (size_t)n >= sizeof(line) || strchr(cmd, '\n'))
		return -EINVAL;
	for (int sent = 0; sent < n;) {
		ssize_t w = send(b->fd, line + sent, (size_t)(n - sent), MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		sent += (int)w;
	}
	return read_reply(b, r);
}

void bird_ctl_close(struct bird_ctl *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->len = 0;
}

int bird_ctl_configure(const char *path, char *msg, size_t len)
{
	struct bird_ctl b;
	struct bird_reply r = { 0 };
	int rc;

	if (len)
		msg[0] = '\0';
	if ((rc = bird_ctl_open(&b, path, 0)) < 0) {
		snprintf(msg, len, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if ((rc = bird_ctl_cmd(&b, "configure", &r)) < 0) {
		snprintf(msg, len, "configure: %s", strerror(-rc));
		goto out;
	}
	bird_reply_text(&r, msg, len);
	switch (r.code) {
	case BIRD_RECONFIGURED:
	case BIRD_RECONFIG_PROGRESS:
	case BIRD_RECONFIG_QUEUED:
		rc = 0;
		break;
	case BIRD_RECONFIG_IGNORED:
		rc = -ESHUTDOWN;
		break;
	default:
		rc = -EINVAL;
		break;
	}
out:
	bird_reply_free(&r);
	bird_ctl_close(&b);
	return rc;
}
