/* The client end of the flows socket (flow_query.h's line protocol): the one
 * part of flow/ that does I/O, so that `calicoctl flows` and the stars demo's
 * collector ask calico-node the same way. */
#ifndef CALICO_FLOW_CLIENT_H
#define CALICO_FLOW_CLIENT_H

#include "flow/flow_query.h"

/* Connects to the flows socket at path. timeout_ms > 0 bounds every later
 * send and receive on it (a collector polling several hosts must not hang on
 * one); 0 leaves them blocking (--follow). Returns the descriptor (the
 * caller's, close-on-exec), -ENAMETOOLONG when path does not fit a unix
 * socket address, or the -errno of socket/connect. */
int flow_client_connect(const char *path, long timeout_ms);
/* Sends q's request line on fd. 0, -EINVAL (q does not format), or -errno. */
int flow_client_send(int fd, const struct flow_query *q);

#endif
