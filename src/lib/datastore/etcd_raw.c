#include "datastore/etcd_raw.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "datastore/http1.h"

void etcd_raw_init(struct etcd_raw *r)
{
	r->fd = -1;
	r->url_idx = -1;
}

void etcd_raw_close(struct etcd_raw *r)
{
	if (r->fd >= 0)
		close(r->fd);
	etcd_raw_init(r);
}

/* url's authority ("host:port", "[v6]:port", "host") and its parts. */
struct authority {
	char text[512], host[256], port[8];
};

static bool split_url(const char *url, struct authority *a)
{
	if (strncmp(url, "http://", 7) != 0)
		return false;
	const char *p = url + 7;
	size_t n = strcspn(p, "/?#");
	/* a path after the authority ("http://h:2379/x") is left to libcurl */
	if (n == 0 || n >= sizeof(a->text) || (p[n] && strcmp(p + n, "/") != 0) || memchr(p, '@', n))
		return false;
	memcpy(a->text, p, n);
	a->text[n] = '\0';
	const char *port = NULL;
	if (a->text[0] == '[') {
		char *close = strchr(a->text, ']');
		if (!close || (close[1] && close[1] != ':') || (size_t)(close - a->text - 1) >= sizeof(a->host))
			return false;
		snprintf(a->host, sizeof(a->host), "%.*s", (int)(close - a->text - 1), a->text + 1);
		port = close[1] ? close + 2 : NULL;
	} else {
		char *colon = strchr(a->text, ':');
		size_t hl = colon ? (size_t)(colon - a->text) : n;
		if (hl == 0 || hl >= sizeof(a->host))
			return false;
		snprintf(a->host, sizeof(a->host), "%.*s", (int)hl, a->text);
		port = colon ? colon + 1 : NULL;
	}
	if (port && (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535))
		return false;
	snprintf(a->port, sizeof(a->port), "%s", port ? port : "80");
	return true;
}

bool etcd_raw_usable(const char *url)
{
	struct authority a;
	return split_url(url, &a);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();
	return l < 0 ? 0 : l > INT32_MAX ? INT32_MAX : (int)l;
}

static void set_reason(char *reason, size_t len, int err)
{
	snprintf(reason, len, "%s", err == ETIMEDOUT ? "timed out" : strerror(err));
	for (char *c = reason; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

/* One connected, non-blocking TCP socket to a, or -errno. */
static int dial(const struct authority *a, int64_t deadline, char *reason, size_t rlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
	int rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0) {
		snprintf(reason, rlen, "couldn't resolve host name");
		return -EHOSTUNREACH;
	}
	rc = -ECONNREFUSED;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			rc = -errno;
			close(fd);
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof(err);
		int n = poll(&p, 1, left_ms(deadline));
		if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) {
			freeaddrinfo(res);
			return fd;
		}
		rc = n == 0 ? -ETIMEDOUT : -(err ? err : EIO);
		close(fd);
		if (rc == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	set_reason(reason, rlen, -rc);
	return rc;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		if (poll(&pf, 1, left_ms(deadline)) == 0)
			return -ETIMEDOUT;
	}
	return 0;
}

/* Reads until one whole response is in; *got: whether any byte came. */
static int read_response(int fd, int64_t deadline, struct http1_response *resp, bool *got)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int rc;

	*got = false;
	for (;;) {
		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *p = ncap > HTTP1_MAX_BODY + HTTP1_MAX_HEADER ? NULL : realloc(buf, ncap);
			if (!p) {
				rc = -ENOMEM;
				break;
			}
			buf = p;
			cap = ncap;
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			if (poll(&pf, 1, left_ms(deadline)) == 0) {
				rc = -ETIMEDOUT;
				break;
			}
			continue;
		}
		if (n < 0) {
			rc = -errno;
			break;
		}
		len += (size_t)n;
		*got |= n > 0;
		long used = http1_parse_response(buf, len, n == 0, resp);
		if (used > 0) {
			/* a keep-alive peer sends nothing unasked: extra bytes mean confusion */
			if ((size_t)used != len)
				resp->keep_alive = false;
			rc = 0;
			break;
		}
		if (used < 0) {
			rc = n == 0 && !*got ? -ECONNRESET : (int)used;
			break;
		}
	}
	free(buf);
	return rc;
}

int etcd_raw_post(struct etcd_raw *r, int url_idx, const char *url, const char *path, const char *body,
		  long timeout_ms, int *status, char **resp, bool *sent, char *reason, size_t reason_len)
{
	struct authority a;
	struct http1_response res = { 0 };
	int64_t deadline = now_ms() + timeout_ms;
	size_t req_len;
	char *req = NULL;
	int rc;

	*sent = false;
	*resp = NULL;
	if (!split_url(url, &a)) {
		snprintf(reason, reason_len, "not a plain http:// endpoint");
		return -EINVAL;
	}
	if (!(req = http1_post_request(a.text, path, body, &req_len))) {
		snprintf(reason, reason_len, "out of memory");
		return -ENOMEM;
	}
	if (r->fd >= 0 && r->url_idx != url_idx)
		etcd_raw_close(r);
	/* A kept connection the server has closed meanwhile fails before any
	 * answer: the request never ran, so it goes once more on a new one. */
	for (int attempt = 0; attempt < 2; attempt++) {
		bool reused = r->fd >= 0, got;
		if (!reused) {
			if ((rc = dial(&a, deadline, reason, reason_len)) < 0)
				goto out;
			r->fd = rc;
			r->url_idx = url_idx;
		}
		rc = send_all(r->fd, req, req_len, deadline);
		if (rc == 0) {
			*sent = true;
			rc = read_response(r->fd, deadline, &res, &got);
		} else {
			got = false;
		}
		if (rc == 0)
			break;
		etcd_raw_close(r);
		bool stale = reused && !got && (rc == -EPIPE || rc == -ECONNRESET);
		if (!stale)
			break;
		*sent = false;
	}
	if (rc < 0) {
		if (rc == -EPROTO)
			snprintf(reason, reason_len, "the answer is not HTTP/1.1 we can read");
		else
			set_reason(reason, reason_len, -rc);
		goto out;
	}
	if (!res.keep_alive)
		etcd_raw_close(r);
	*status = res.status;
	*resp = res.body;
	res.body = NULL;
out:
	http1_response_free(&res);
	free(req);
	return rc;
}
