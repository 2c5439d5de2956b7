/* Health and metrics endpoints (http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

struct http {
	struct MHD_Daemon *d;
	struct metrics *m;
	unsigned port;
	bool metrics_enabled;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
	enum MHD_Result rc;
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	/* Which agent answered: `calicoctl node` waits for the agent it started,
	 * not for whatever else listens on the port. */
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	MHD_add_response_header(r, "X-Calico-Node-Pid", pid);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct http *h = cls;
	bool live, ready;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n",
			     MHD_RESPMEM_PERSISTENT);
	pthread_mutex_lock(&h->m->lock);
	live = h->m->live;
	ready = h->m->ready;
	pthread_mutex_unlock(&h->m->lock);
	if (strcmp(url, "/liveness") == 0)
		return live ? reply(conn, MHD_HTTP_OK, "text/plain", "ok\n", MHD_RESPMEM_PERSISTENT)
			    : reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "not running\n",
				    MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/readiness") == 0)
		return ready ? reply(conn, MHD_HTTP_OK, "text/plain", "ready\n", MHD_RESPMEM_PERSISTENT)
			     : reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "not ready\n",
				     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") == 0 && h->metrics_enabled) {
		char *text = metrics_render(h->m);
		if (!text)
			return MHD_NO;
		return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", text, MHD_RESPMEM_MUST_FREE);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n", MHD_RESPMEM_PERSISTENT);
}

int http_start(struct http **out, unsigned port, struct metrics *m, bool metrics_enabled)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct http *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->m = m;
	h->port = port;
	h->metrics_enabled = metrics_enabled;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
				handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)10, MHD_OPTION_END);
	if (!h->d) {
		log_error("cannot serve health and metrics on 127.0.0.1:%u", port);
		free(h);
		return -EADDRINUSE;
	}
	log_info("health and metrics on http://127.0.0.1:%u", port);
	*out = h;
	return 0;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

unsigned http_port(const struct http *h)
{
	return h ? h->port : 0;
}
