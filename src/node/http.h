/* GET /liveness, /readiness and /metrics on 127.0.0.1:<port> (libmicrohttpd,
 * its own thread; everything it reads is in struct metrics, under the lock). */
#ifndef CALICO_NODE_HTTP_H
#define CALICO_NODE_HTTP_H

#include "metrics.h"

struct http;

/* 0 or -errno (the port is taken, ...). metrics_enabled false: /metrics is 404. */
int http_start(struct http **out, unsigned port, struct metrics *m, bool metrics_enabled);
void http_stop(struct http *h);
unsigned http_port(const struct http *h);

#endif
