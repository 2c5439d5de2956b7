/* HTTP serving over libmicrohttpd (server.h). */
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

struct server {
	struct MHD_Daemon *d;
	server_route_fn route;
	void *ctx;
	atomic_bool started; /* before: the caller reports a failure to listen itself */
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (atomic_load(&s->started))
		log_warn("http: %s", msg);
	else
		log_debug("http: %s", msg);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct server_reply *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(r->body), r->body, r->must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!resp) {
		if (r->must_free)
			free(r->body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", r->type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	rc = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct server *s = cls;
	struct server_reply r = { 0 };

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		r = (struct server_reply){ MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n", 0 };
		return send_reply(conn, &r);
	}
	if (s->route(s->ctx, url, &r) < 0)
		return MHD_NO;
	return send_reply(conn, &r);
}

int server_start(struct server **out, const struct listen_addr *addr, server_route_fn route, void *ctx)
{
	struct server *s = calloc(1, sizeof(*s));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int rc = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->route = route;
	s->ctx = ctx;
	if (addr->ipv6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr->sa,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_END);
	if (!s->d) {
		rc = -EADDRINUSE;
		goto out;
	}
	atomic_store(&s->started, true);
	*out = s;
	s = NULL;
out:
	free(s);
	return rc;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
