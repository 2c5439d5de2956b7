/* HTTP transport to the etcd v3 JSON gateway: endpoint list, failover, TLS,
 * one reused curl handle (keep-alive), and one-line error reasons. */
#ifndef CALICO_ETCD_HTTP_H
#define CALICO_ETCD_HTTP_H

#include <stddef.h>

#include "datastore/curl_dl.h"
#include "datastore/etcd_raw.h"

#include "datastore/datastore.h"

/* A growing, always NUL-terminated byte buffer filled by curl. */
struct membuf {
	char *p;
	size_t len, cap;
};

/* CURLOPT_WRITEFUNCTION appending to the struct membuf in CURLOPT_WRITEDATA;
 * returns 0 (curl then reports a write error) when memory runs out. */
size_t membuf_write(char *data, size_t size, size_t nmemb, void *arg);

struct etcd_conn {
	CURL *curl;
	char **urls; /* without trailing '/' */
	size_t n_urls;
	size_t cur;  /* the endpoint that answered last: tried first next time */
	char *ca_cert, *cert, *key;
	long timeout_ms;
	struct curl_slist *hdrs;
	/* Plain http:// endpoints and no TLS: requests go over raw (etcd_raw.h)
	 * and libcurl is loaded only if a watch needs it (etcd_http_need_curl). */
	bool use_raw;
	struct etcd_raw raw;
};

int etcd_http_init(struct etcd_conn *c, const struct ds_config *cfg, char *err, size_t errlen);
void etcd_http_close(struct etcd_conn *c);
/* Loads libcurl and makes c's handle and headers if not done yet (the watch
 * stream always uses curl). */
int etcd_http_need_curl(struct etcd_conn *c, char *err, size_t errlen);
/* POSTs body to urls[i] + path, trying endpoints in order from the last good one
 * and moving on when one cannot be reached. On HTTP 200 *resp gets the malloc'd
 * body. Otherwise returns -errno with a one-line reason in msg: "cannot reach etcd
 * at URL[, URL]: <reason>" or the gateway's error message. */
int etcd_http_post(struct etcd_conn *c, const char *path, const char *body, char **resp, char *msg,
		   size_t msglen);
const char *etcd_http_url(const struct etcd_conn *c);
/* Sets TLS, headers and connect timeout on h (the watch uses its own handle). */
void etcd_http_setup(const struct etcd_conn *c, CURL *h);
/* Why a transfer failed: -errno, and a lower-case reason ("connection refused"). */
int etcd_http_curl_error(CURL *h, CURLcode cc, char *reason, size_t len);
/* A gRPC status code from the gateway as -errno. */
int etcd_grpc_errno(int code);

#endif
