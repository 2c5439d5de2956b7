/* calico-stars forward (forward.h): one poll loop relaying bytes both ways for
 * many connections at once. Each accepted client gets an upstream socket made
 * inside the target namespace (netns_socket) and connected without blocking;
 * an upstream that does not connect within FWD_CONNECT_S, or refuses, makes
 * the client see a reset, as a browser would from a refused server. */
#include "forward.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/netns.h"
#include "opts.h"
#include "run.h"

#define FWD_MAX_CONNS 128
#define FWD_BUF 16384
#define FWD_CONNECT_S 3.0
#define FWD_POLL_MS 100

/* One direction of a relay: bytes read from `from` wait in buf until written to `to`. */
struct fwd_dir {
	char buf[FWD_BUF];
	size_t len;
	bool eof; /* `from` reached end of stream; `to` is shut for writing once buf drains */
	bool shut;
};

struct fwd_conn {
	int client;
	int upstream;
	bool connected;
	double deadline; /* connect deadline, monotonic seconds */
	struct fwd_dir up;   /* client -> upstream */
	struct fwd_dir down; /* upstream -> client */
};

struct fwd {
	struct listen_addr listen, to;
	const char *netns_path;
	int ns_fd;
	int lfd;
	struct fwd_conn *conns[FWD_MAX_CONNS];
};

static void usage_error(const char *what)
{
	fprintf(stderr, "calico-stars forward: %s\n", what);
}

static int parse_args(int argc, char **argv, struct fwd *f)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "netns", required_argument, NULL, 'n' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_listen = false, have_to = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (opts_listen(optarg, &f->listen) < 0) {
				fprintf(stderr, "calico-stars forward: bad --listen '%s' (want ADDR:PORT)\n", optarg);
				return -EINVAL;
			}
			have_listen = true;
			break;
		case 'n':
			f->netns_path = optarg;
			break;
		case 't':
			if (opts_listen(optarg, &f->to) < 0) {
				fprintf(stderr, "calico-stars forward: bad --to '%s' (want ADDR:PORT)\n", optarg);
				return -EINVAL;
			}
			have_to = true;
			break;
		default:
			usage_error("usage: calico-stars forward --listen ADDR:PORT --netns NSPATH --to ADDR:PORT");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "calico-stars forward: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!have_listen) {
		usage_error("missing --listen ADDR:PORT");
		return -EINVAL;
	}
	if (!have_to) {
		usage_error("missing --to ADDR:PORT");
		return -EINVAL;
	}
	if (!f->netns_path) {
		usage_error("missing --netns NSPATH");
		return -EINVAL;
	}
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int listen_socket(const struct listen_addr *a)
{
	int one = 1, fd, rc;

	fd = socket(a->ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Closes a connection; `reset` makes the client see RST instead of FIN. */
static void conn_close(struct fwd *f, size_t i, bool reset)
{
	struct fwd_conn *c = f->conns[i];

	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->client);
	if (c->upstream >= 0)
		close(c->upstream);
	free(c);
	f->conns[i] = NULL;
}

static void accept_one(struct fwd *f, double now)
{
	struct fwd_conn *c = NULL;
	int cfd, ufd = -1;
	size_t slot;

	cfd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	for (slot = 0; slot < FWD_MAX_CONNS && f->conns[slot]; slot++)
		;
	if (slot == FWD_MAX_CONNS)
		goto fail; /* full: the client sees a close and may retry */
	ufd = netns_socket(f->ns_fd, f->to.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (ufd < 0 || set_nonblock(ufd) < 0)
		goto fail;
	if (connect(ufd, (const struct sockaddr *)&f->to.sa, f->to.len) < 0 && errno != EINPROGRESS)
		goto fail;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	c->client = cfd;
	c->upstream = ufd;
	c->deadline = now + FWD_CONNECT_S;
	f->conns[slot] = c;
	return;
fail: {
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(cfd);
	if (ufd >= 0)
		close(ufd);
}
}

/* Moves bytes for one direction. Returns 0, or -1 when the connection must go
 * (an error on either side). */
static int relay(struct fwd_dir *d, int from, int to, bool readable)
{
	ssize_t n;

	if (readable && !d->eof && d->len < FWD_BUF) {
		n = recv(from, d->buf + d->len, FWD_BUF - d->len, 0);
		if (n > 0)
			d->len += (size_t)n;
		else if (n == 0)
			d->eof = true;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (d->len > 0) { /* not writable yet: send says EAGAIN */
		n = send(to, d->buf, d->len, MSG_NOSIGNAL);
		if (n > 0) {
			memmove(d->buf, d->buf + n, d->len - (size_t)n);
			d->len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (d->eof && d->len == 0 && !d->shut) {
		shutdown(to, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

/* Handles poll results for connection i (fds at pfd[0] client, pfd[1] upstream). */
static void conn_step(struct fwd *f, size_t i, const struct pollfd *pfd, double now)
{
	struct fwd_conn *c = f->conns[i];
	short cr = pfd[0].revents, ur = pfd[1].revents;

	if (!c->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(ur & (POLLOUT | POLLERR | POLLHUP))) {
			if (now > c->deadline)
				conn_close(f, i, true);
			return;
		}
		if (getsockopt(c->upstream, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
			conn_close(f, i, true);
			return;
		}
		c->connected = true;
	}
	if (((cr | ur) & POLLERR) ||
	    relay(&c->up, c->client, c->upstream, cr & (POLLIN | POLLHUP)) < 0 ||
	    relay(&c->down, c->upstream, c->client, ur & (POLLIN | POLLHUP)) < 0) {
		conn_close(f, i, true);
		return;
	}
	if (c->up.shut && c->down.shut)
		conn_close(f, i, false);
}

static short want_events(const struct fwd_dir *in, const struct fwd_dir *out)
{
	short ev = 0;

	if (!in->eof && in->len < FWD_BUF)
		ev |= POLLIN;
	if (out->len > 0)
		ev |= POLLOUT;
	return ev;
}

static int loop(struct fwd *f)
{
	struct pollfd pfd[1 + 2 * FWD_MAX_CONNS];
	size_t idx[FWD_MAX_CONNS];

	while (!stars_stop) {
		size_t n = 1, k = 0;
		int r;

		pfd[0] = (struct pollfd){ .fd = f->lfd, .events = POLLIN };
		for (size_t i = 0; i < FWD_MAX_CONNS; i++) {
			struct fwd_conn *c = f->conns[i];
			if (!c)
				continue;
			idx[k++] = i;
			if (!c->connected) {
				pfd[n++] = (struct pollfd){ .fd = c->client, .events = 0 };
				pfd[n++] = (struct pollfd){ .fd = c->upstream, .events = POLLOUT };
				continue;
			}
			pfd[n++] = (struct pollfd){ .fd = c->client, .events = want_events(&c->up, &c->down) };
			pfd[n++] = (struct pollfd){ .fd = c->upstream, .events = want_events(&c->down, &c->up) };
		}
		r = poll(pfd, n, FWD_POLL_MS);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		double now = stars_now();
		for (size_t j = 0; j < k; j++)
			conn_step(f, idx[j], &pfd[1 + 2 * j], now);
		if (pfd[0].revents & POLLIN)
			accept_one(f, now);
	}
	return 0;
}

int forward_main(int argc, char **argv)
{
	struct fwd *f = calloc(1, sizeof(*f));
	int rc = 1;

	if (!f) {
		fprintf(stderr, "calico-stars forward: out of memory\n");
		return 1;
	}
	f->ns_fd = -1;
	f->lfd = -1;
	if (parse_args(argc, argv, f) < 0)
		goto out;
	f->ns_fd = netns_open(f->netns_path);
	if (f->ns_fd < 0) {
		fprintf(stderr, "calico-stars forward: cannot open namespace '%s': %s\n", f->netns_path,
			strerror(-f->ns_fd));
		goto out;
	}
	f->lfd = listen_socket(&f->listen);
	if (f->lfd < 0) {
		fprintf(stderr, "calico-stars forward: cannot listen on %s: %s\n", f->listen.text, strerror(-f->lfd));
		goto out;
	}
	stars_signals_install();
	fprintf(stderr, "calico-stars forward: %s -> %s inside %s\n", f->listen.text, f->to.text, f->netns_path);
	rc = loop(f) < 0 ? 1 : 0;
out:
	for (size_t i = 0; i < FWD_MAX_CONNS; i++)
		if (f->conns[i])
			conn_close(f, i, false);
	if (f->lfd >= 0)
		close(f->lfd);
	if (f->ns_fd >= 0)
		close(f->ns_fd);
	free(f);
	return rc;
}
