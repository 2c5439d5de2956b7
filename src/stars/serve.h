/* calico-stars: what probe and collect share around the HTTP server — one
 * JSON document rendered by the main loop and copied out by the server's
 * thread, the --listen/--interval options, and the serve-then-poll loop. */
#ifndef STARS_SERVE_H
#define STARS_SERVE_H

#include <pthread.h>

#include <jansson.h>

#include "opts.h"
#include "server.h"

/* The document: text is written by the loop and read by the server thread,
 * so both go through lock. */
struct serve_doc {
	pthread_mutex_t lock;
	char *text; /* compact JSON, NULL until the first serve_doc_set */
};

#define SERVE_DOC_INIT { .lock = PTHREAD_MUTEX_INITIALIZER, .text = NULL }

/* Renders j (NULL counts as out of memory) and makes it the document;
 * -ENOMEM keeps the previous one. j stays the caller's. */
int serve_doc_set(struct serve_doc *d, const json_t *j);
/* Fills *r with a copy of the document as application/json, for a route
 * callback; -ENOMEM when there is none or no memory. */
int serve_doc_reply(struct serve_doc *d, struct server_reply *r);
void serve_doc_free(struct serve_doc *d);

/* The --listen and --interval options: parse arg, or print the usage error
 * and return -EINVAL. */
int serve_opt_listen(const char *arg, struct listen_addr *addr);
int serve_opt_interval(const char *arg, double *interval);

/* Installs the stop signals and starts serving route on addr; when it
 * cannot listen it says so on stderr. 0 or -errno. */
int serve_start(struct server **srv, const struct listen_addr *addr, server_route_fn route, void *ctx);
/* Calls round(ctx) every interval seconds (measured start to start) until
 * SIGINT/SIGTERM. A failed round only logs "<what> round: out of memory":
 * the last good document stays served. */
void serve_rounds(double interval, int (*round)(void *ctx), void *ctx, const char *what);

#endif
