/* HTTP on a unix socket (libmicrohttpd on a pre-bound AF_UNIX socket),
 * served from the calling thread: one call at a time, so handlers share the
 * datastore handle without locks. Docker POSTs JSON without a Content-Type;
 * every answer is JSON: 200 on success, 500 with {"Err": ...} on failure
 * (Docker reports the Err text), 404 for unknown paths. */
#ifndef CALICO_LNW_SERVER_H
#define CALICO_LNW_SERVER_H

#include <signal.h>
#include <stddef.h>

#include "driver.h"

struct lnw_server;

/* Binds socket_path (its directory made if missing; a stale socket file that
 * nobody answers on is replaced; a live one is refused with -EADDRINUSE). */
int lnw_server_start(struct lnw_server **out, const char *socket_path, struct lnw *d, char *err, size_t errlen);
/* Serves until *stop is set; tick (may be NULL) runs about every tick_ms. */
int lnw_server_run(struct lnw_server *s, volatile sig_atomic_t *stop, void (*tick)(struct lnw *), int tick_ms);
/* Stops serving and removes the socket file. NULL is fine. */
void lnw_server_free(struct lnw_server *s);

#endif
