/* The flows socket (flow_serve.h). */
#include "flow_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/nodename.h"

int flow_serve_open(struct flow_serve *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	s->listen_fd = -1;
	if (path)
		snprintf(s->path, sizeof(s->path), "%s", path);
	else
		snprintf(s->path, sizeof(s->path), "%s/flows.sock", calico_run_dir());
	if (strlen(s->path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a unix socket", s->path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, s->path);
	if (!(s->held = calloc(FLOW_SERVE_HELD, sizeof(*s->held)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	unlink(s->path); /* a previous agent's */
	old = umask(077); /* born 0600: no window where others may connect */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(s->path, 0600) < 0 || listen(fd, 8) < 0) {
		close(fd);
		goto fail;
	}
	if (geteuid() == 0 && chown(s->path, 0, 0) < 0)
		log_warn("flows: cannot make %s root's: %s", s->path, strerror(errno));
	s->listen_fd = fd;
	return 0;
fail:
	rc = -errno;
	snprintf(err, errlen, "flows socket %s: %s", s->path, strerror(errno));
	free(s->held);
	s->held = NULL;
	return rc;
}

static void held_free(struct flow_held *h)
{
	free(h->names);
	free(h->line);
	memset(h, 0, sizeof(*h));
}

static void client_drop(struct flow_serve *s, size_t i)
{
	close(s->clients[i].fd);
	s->clients[i] = s->clients[--s->n_clients];
}

void flow_serve_close(struct flow_serve *s)
{
	while (s->n_clients)
		client_drop(s, 0);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	s->listen_fd = -1;
	if (s->held)
		for (size_t i = 0; i < FLOW_SERVE_HELD; i++)
			held_free(&s->held[i]);
	free(s->held);
	s->held = NULL;
}

size_t flow_serve_pollfds(const struct flow_serve *s, struct pollfd *fds, size_t max)
{
	size_t n = 0;
	if (s->listen_fd < 0 || max == 0)
		return 0;
	fds[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	for (size_t i = 0; i < s->n_clients && n < max; i++)
		fds[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
	return n;
}

/* false: the client could not take it (gone, or too slow: its buffer full) */
static bool send_line(int fd, const char *line)
{
	size_t len = strlen(line);
	char nl = '\n';
	if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE) != (ssize_t)len)
		return false;
	return send(fd, &nl, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
}

/* the held records it asked for; false when it is done (answered without follow) or gone */
static bool answer(struct flow_serve *s, struct flow_client *c)
{
	char err[200], line[260];
	int fl;

	if (flow_query_parse(c->in, &c->q, err, sizeof(err)) < 0) {
		snprintf(line, sizeof(line), "error: %s", err);
		send_line(c->fd, line);
		return false;
	}
	c->have_query = true;
	/* the backlog may be large: send it blocking, then back to non-blocking for follow */
	fl = fcntl(c->fd, F_GETFL);
	fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t k = 0; k < s->n_held; k++) {
		const struct flow_held *h = &s->held[(s->head + FLOW_SERVE_HELD - s->n_held + k) % FLOW_SERVE_HELD];
		if (flow_query_match(&c->q, h->end, h->action, h->names)) {
			size_t len = strlen(h->line);
			if (send(c->fd, h->line, len, MSG_NOSIGNAL) != (ssize_t)len || send(c->fd, "\n", 1, MSG_NOSIGNAL) != 1)
				return false;
		}
	}
	fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
	return c->q.follow;
}

void flow_serve_handle(struct flow_serve *s, const struct pollfd *fds, size_t n)
{
	for (size_t k = 1; k < n; k++) {
		size_t i;
		if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		for (i = 0; i < s->n_clients && s->clients[i].fd != fds[k].fd; i++)
			;
		if (i == s->n_clients)
			continue;
		struct flow_client *c = &s->clients[i];
		ssize_t got = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, MSG_DONTWAIT);
		if (got <= 0 && !(got < 0 && errno == EAGAIN)) {
			client_drop(s, i);
			continue;
		}
		if (got < 0 || c->have_query) /* a follower says nothing more */
			continue;
		c->in_len += (size_t)got;
		c->in[c->in_len] = '\0';
		char *nl = strchr(c->in, '\n');
		if (!nl && c->in_len < sizeof(c->in) - 1)
			continue;
		if (nl)
			*nl = '\0';
		if (!answer(s, c))
			client_drop(s, i);
	}
	if (n && (fds[0].revents & POLLIN)) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			if (s->n_clients == FLOW_SERVE_CLIENTS) {
				send_line(fd, "error: too many clients");
				close(fd);
			} else {
				s->clients[s->n_clients++] = (struct flow_client){ .fd = fd };
			}
		}
	}
}

void flow_serve_publish(struct flow_serve *s, int64_t end, enum flow_action action, char *names, char *line)
{
	struct flow_held *h = &s->held[s->head];
	for (size_t i = 0; i < s->n_clients;) {
		struct flow_client *c = &s->clients[i];
		if (c->have_query && flow_query_match(&c->q, end, action, names) && !send_line(c->fd, line)) {
			client_drop(s, i); /* a follower that cannot keep up loses its stream */
			continue;
		}
		i++;
	}
	held_free(h);
	*h = (struct flow_held){ end, action, names, line };
	s->head = (s->head + 1) % FLOW_SERVE_HELD;
	if (s->n_held < FLOW_SERVE_HELD)
		s->n_held++;
}
