/* calico-stars: a small HTTP server (libmicrohttpd, its own thread) that
 * answers GET/HEAD through one callback. */
#ifndef STARS_SERVER_H
#define STARS_SERVER_H

#include "opts.h"

struct server_reply {
	unsigned status;
	const char *type; /* Content-Type */
	char *body;       /* NUL-terminated */
	int must_free;    /* body is malloc'd: the server frees it */
};

/* Fills *r for path (the URL path, no query). Runs on the server's thread:
 * it must lock whatever it shares. Returns 0, or -errno (the connection is
 * then closed without an answer). */
typedef int (*server_route_fn)(void *ctx, const char *path, struct server_reply *r);

struct server;

/* Listens on addr; -EADDRINUSE (or another -errno) when it cannot. */
int server_start(struct server **out, const struct listen_addr *addr, server_route_fn route, void *ctx);
void server_stop(struct server *s);

#endif
