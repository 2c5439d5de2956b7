/* The plugin's HTTP server (server.h). */
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/json_strict.h"
#include "util/log.h"

#define BODY_MAX (1 << 20)
#define CONTENT_TYPE "application/vnd.docker.plugins.v1.2+json"

struct lnw_server {
	struct MHD_Daemon *mhd;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* of the socket file we made: only that one is removed */
	ino_t ino;
	struct lnw *d;
};

/* One request's body as it arrives. */
struct body {
	char *buf;
	size_t len;
	bool too_big;
};

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	struct MHD_Response *r;
	enum MHD_Result rc;
	json_decref(v);
	if (!text)
		return MHD_NO;
	if (!(r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE))) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", CONTENT_TYPE);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The request at debug level, one line whatever the body holds. */
static void log_body(enum lnw_call call, const struct body *b)
{
	char line[2048];
	size_t n = b->len < sizeof(line) - 1 ? b->len : sizeof(line) - 1;
	while (n && (b->buf[n - 1] == '\n' || b->buf[n - 1] == '\r' || b->buf[n - 1] == ' '))
		n--;
	if (n)
		memcpy(line, b->buf, n);
	line[n] = '\0';
	js_one_line(line);
	log_debug("%s %s", lnw_call_name(call), line);
}

static enum MHD_Result answer(struct lnw_server *s, struct MHD_Connection *conn, const char *url, struct body *b)
{
	enum lnw_call call = lnw_call_of(url);
	char err[512] = "";
	json_t *body = NULL, *reply = NULL;
	int rc;

	if (call == LNW_UNKNOWN) {
		log_info("%.128s: not a call of this plugin (404)", url);
		return send_json(conn, MHD_HTTP_NOT_FOUND, lnw_err_reply("404 page not found"));
	}
	log_body(call, b);
	if (b->too_big) {
		rc = -E2BIG;
		snprintf(err, sizeof(err), "request body larger than %d bytes", BODY_MAX);
	} else if (!(body = lnw_body_parse(b->buf ? b->buf : "", b->len, err, sizeof(err)))) {
		rc = -EINVAL;
	} else {
		rc = lnw_handle(s->d, call, body, &reply, err, sizeof(err));
	}
	json_decref(body);
	if (rc < 0) {
		json_decref(reply);
		log_error("%s: %s", lnw_call_name(call), err);
		return send_json(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, lnw_err_reply(err));
	}
	return send_json(conn, MHD_HTTP_OK, reply ? reply : lnw_empty_reply());
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct lnw_server *s = cls;
	struct body *b = *con_cls;
	(void)version;
	(void)method; /* Docker only POSTs; any method gets the same answer */

	if (!b) {
		if (!(b = calloc(1, sizeof(*b))))
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!b->too_big && b->len + *upload_size <= BODY_MAX) {
			char *grown = realloc(b->buf, b->len + *upload_size + 1);
			if (!grown)
				return MHD_NO;
			memcpy(grown + b->len, upload, *upload_size);
			b->buf = grown;
			b->len += *upload_size;
			b->buf[b->len] = '\0';
		} else {
			b->too_big = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return answer(s, conn, url, b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode tc)
{
	struct body *b = *con_cls;
	(void)cls;
	(void)conn;
	(void)tc;
	if (b) {
		free(b->buf);
		free(b);
		*con_cls = NULL;
	}
}

/* 1 when something accepts connections on path. */
static int socket_live(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;
	if (fd < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	live = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return live;
}

static int mkdir_parents(const char *path)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int bind_socket(const char *path, int *out, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = -1, rc;

	if (!path[0] || strlen(path) >= sizeof(a.sun_path))
		return snprintf(err, errlen, "socket path '%.64s' is empty or too long", path), -ENAMETOOLONG;
	if ((rc = mkdir_parents(path)) < 0)
		return snprintf(err, errlen, "cannot create the directory of %s: %s", path, strerror(-rc)), rc;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return snprintf(err, errlen, "%s exists and is not a socket", path), -EEXIST;
		if (socket_live(path) > 0)
			return snprintf(err, errlen, "another plugin is serving on %s", path), -EADDRINUSE;
		unlink(path); /* a stale socket from a plugin that died */
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	/* The socket file is born with the umask's mode: under a loose umask
	 * (000) it would be world-writable until the chmod. Bind under 0117 so
	 * it is 0660 from its first instant. */
	int bound = -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
		mode_t old = umask(0117);
		bound = bind(fd, (struct sockaddr *)&a, sizeof(a));
		int saved = errno;
		umask(old);
		errno = saved;
	}
	if (fd < 0 || bound < 0 || chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(path);
		return rc;
	}
	*out = fd;
	return 0;
}

int lnw_server_start(struct lnw_server **out, const char *socket_path, struct lnw *d, char *err, size_t errlen)
{
	struct lnw_server *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	s->fd = -1;
	s->d = d;
	if ((rc = bind_socket(socket_path, &s->fd, err, errlen)) < 0)
		goto out;
	snprintf(s->path, sizeof(s->path), "%s", socket_path);
	struct stat st;
	if (stat(socket_path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	/* No threading flag: MHD_run from our loop serves every connection. */
	s->mhd = MHD_start_daemon(MHD_USE_ERROR_LOG | MHD_USE_EPOLL, 0, NULL, NULL, on_request, s,
				  MHD_OPTION_LISTEN_SOCKET, s->fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!s->mhd) {
		rc = -EIO;
		snprintf(err, errlen, "cannot start the HTTP server on %s", socket_path);
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	lnw_server_free(s);
	return rc;
}

int lnw_server_run(struct lnw_server *s, volatile sig_atomic_t *stop, void (*tick)(struct lnw *), int tick_ms)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	long next_tick = lnw_now_ms() + tick_ms;

	if (!info)
		return -EIO;
	while (!*stop) {
		MHD_UNSIGNED_LONG_LONG mhd_to;
		long wait = 1000;
		if (MHD_get_timeout(s->mhd, &mhd_to) == MHD_YES && (long long)mhd_to < wait)
			wait = (long)mhd_to;
		if (tick && next_tick - lnw_now_ms() < wait)
			wait = next_tick - lnw_now_ms() > 0 ? next_tick - lnw_now_ms() : 0;
		struct pollfd p = { .fd = info->epoll_fd, .events = POLLIN };
		/* A signal ends the wait early (no SA_RESTART); the loop sees the flag. */
		if (poll(&p, 1, (int)wait) < 0 && errno != EINTR)
			return -errno;
		if (*stop)
			break;
		MHD_run(s->mhd);
		if (tick && lnw_now_ms() >= next_tick) {
			tick(s->d);
			next_tick = lnw_now_ms() + tick_ms;
		}
	}
	return 0;
}

void lnw_server_free(struct lnw_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd); /* closes the listening socket it was given */
	else if (s->fd >= 0)
		close(s->fd);
	/* A newer plugin may have replaced a socket that looked stale to it. */
	struct stat st;
	if (s->path[0] && stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}
