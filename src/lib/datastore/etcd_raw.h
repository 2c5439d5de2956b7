/* A plain-HTTP connection to one etcd endpoint, for the requests that are a
 * single POST and its response (everything but the watch stream). Loading
 * libcurl costs 6-12 ms here, more than a whole ADD on SQLite, and a CNI ADD
 * on etcd runs two processes: so http:// endpoints without TLS are spoken
 * to directly and libcurl is loaded only for TLS and for watches. */
#ifndef CALICO_ETCD_RAW_H
#define CALICO_ETCD_RAW_H

#include <stdbool.h>
#include <stddef.h>

struct etcd_raw {
	int fd;          /* -1: not connected */
	int url_idx;     /* the endpoint fd is connected to */
};

void etcd_raw_init(struct etcd_raw *r);
void etcd_raw_close(struct etcd_raw *r);

/* Whether url ("http://host[:port]") can be spoken to without libcurl. */
bool etcd_raw_usable(const char *url);

/* POSTs body to url + path over r (connecting, or reusing the connection
 * to url_idx), within timeout_ms. 0 with *status and *resp (malloc'd) when
 * a response came; otherwise -errno with a lower-case reason, and *sent
 * tells whether the request may have reached etcd (false: safe to try
 * another endpoint). */
int etcd_raw_post(struct etcd_raw *r, int url_idx, const char *url, const char *path, const char *body,
		  long timeout_ms, int *status, char **resp, bool *sent, char *reason, size_t reason_len);

#endif
