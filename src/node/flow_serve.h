/* The flows socket: CALICO_RUN_DIR/flows.sock, root only (0600), speaking
 * the line protocol of flow/flow_query.h to `calicoctl flows`. It holds the
 * most recent records (at most FLOW_SERVE_HELD, oldest dropped first) to
 * answer a query, and streams new ones to followers. Used by the collector's
 * thread alone: no locks. */
#ifndef CALICO_NODE_FLOW_SERVE_H
#define CALICO_NODE_FLOW_SERVE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow_query.h"

#define FLOW_SERVE_HELD 20000
#define FLOW_SERVE_CLIENTS 16

struct flow_held {
	int64_t end;
	enum flow_action action;
	char *names; /* flow_record_policy_names */
	char *line;
};

struct flow_client {
	int fd;
	bool have_query;
	struct flow_query q;
	char in[FLOW_QUERY_LINE_MAX];
	size_t in_len;
};

struct flow_serve {
	int listen_fd;
	char path[4200];
	struct flow_client clients[FLOW_SERVE_CLIENTS];
	size_t n_clients;
	struct flow_held *held; /* a ring */
	size_t head, n_held;
};

/* path NULL: CALICO_RUN_DIR/flows.sock (a stale one is replaced). 0 or -errno, message in err. */
int flow_serve_open(struct flow_serve *s, const char *path, char *err, size_t errlen);
void flow_serve_close(struct flow_serve *s);
/* The descriptors to poll (listening socket, clients); returns how many were put (at most max). */
size_t flow_serve_pollfds(const struct flow_serve *s, struct pollfd *fds, size_t max);
/* Accepts and reads what poll found ready; answers complete requests. */
void flow_serve_handle(struct flow_serve *s, const struct pollfd *fds, size_t n);
/* A new record: held, and sent to the followers it matches. Takes line and names. */
void flow_serve_publish(struct flow_serve *s, int64_t end, enum flow_action action, char *names, char *line);

#endif
